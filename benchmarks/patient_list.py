"""Benchmark of the web registry's patient list at 100,000 patients: keyset pages near the start and the end, the
completeness and section filters, a registry-ID prefix and a name search within one centre.

Run `python benchmarks/patient_list.py` (default 100,000 patients on a new SQLite store in a temporary folder;
`--patients N` for fewer, `--db URL` for an empty, migrated PostgreSQL database). Patients, demographics entries (two
centres), a laboratory entry for every second patient and a second opinion on every tenth demographics entry are
bulk-inserted with plain SQL (the set-up is not what is measured), so the completeness statuses are computed by the
first list's catch-up (timed on its own); each query is `oncobank.web.patients.find` as the page calls it, timed as
the median of five runs after ANALYZE, beside a baseline in the same process (`SELECT 1` on the same engine).
Goal: a page in under 100 ms wherever it starts.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, insert, select, text

from oncobank.dictionary import load_module
from oncobank.store import accounts, progress
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect
from oncobank.store.migrate import upgrade
from oncobank.store.models import Centre, Entry, EntryVersion, Patient, Review, User
from oncobank.web.patients import ListQuery, find

SURNAMES = ("Иванова", "Смирнова", "Кузнецова", "Попова", "Васильева", "Петрова", "Соколова", "Михайлова")
CHUNK = 5000


def populate(store: ClinicalStore, n: int) -> None:
    """`n` patients split over C01 and C02, with demographics; labs for even ones, reviews for every tenth."""
    now = datetime.now(UTC)
    store.ensure_centre("C01")
    store.ensure_centre("C02")
    store.ensure_user("bench_dr", "clinician", centre="C01")
    with store.session() as s:
        centres = dict(s.execute(select(Centre.code, Centre.id)).all())
        uid = s.scalar(select(User.id).where(User.username == "bench_dr"))
    for start in range(0, n, CHUNK):
        with store.engine.begin() as c:
            ids = range(start + 1, min(start + CHUNK, n) + 1)
            c.execute(insert(Patient), [{"id": i, "registry_id": f"TH-{i:06d}", "module": "thyroid",
                                         "centre_id": centres["C01" if i % 2 else "C02"], "created_at": now,
                                         "created_by": uid} for i in ids])
            entries, versions, reviews = [], [], []
            for i in ids:
                values = {"surname": SURNAMES[i % len(SURNAMES)], "first_name": f"Имя{i}", "sex": "F",
                          "birth_date": f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}"}
                entries.append({"id": 2 * i, "patient_id": i, "section": "demographics", "current_version": 1,
                                "created_at": now, "created_by": uid})
                versions.append({"entry_id": 2 * i, "version": 1, "status": "active", "values": values,
                                 "entered": {}, "reference_ranges": {}, "warnings": [], "author_id": uid,
                                 "created_at": now})
                if i % 2 == 0:
                    entries.append({"id": 2 * i + 1, "patient_id": i, "section": "laboratory", "current_version": 1,
                                    "created_at": now, "created_by": uid})
                    versions.append({"entry_id": 2 * i + 1, "version": 1, "status": "active", "entry_date": None,
                                     "values": {"tg": 1.0}, "entered": {}, "reference_ranges": {}, "warnings": [],
                                     "author_id": uid, "created_at": now})
                if i % 10 == 0:
                    reviews.append({"entry_id": 2 * i, "entry_version": 1, "reviewer_id": uid,
                                    "review_date": now.date(), "agreement": "agree", "revised_values": {},
                                    "created_at": now})
            c.execute(insert(Entry), entries)
            c.execute(insert(EntryVersion), [{"entry_date": None, "facility": None, "reason": None, **v}
                                             for v in versions])
            c.execute(insert(Review), reviews)


def new_store(db: str | None) -> tuple[Path, str, ClinicalStore]:
    """A migrated thyroid store with its administrator: `db` (an empty database), or a new SQLite file in a new
    temporary folder; the folder (it holds the attachments), the store's URL and the store."""
    folder = Path(tempfile.mkdtemp(prefix="oncobank-bench-"))
    url = db or f"sqlite:///{folder / 'store.sqlite'}"
    engine = connect(url)
    upgrade(engine)
    store = ClinicalStore(engine, load_module("thyroid"), attachments=folder / "attachments")
    accounts.set_up(store, "admin")
    return folder, url, store


def analyze(engine: Engine) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or a maintenance job would leave them."""
    with engine.begin() as c:
        c.execute(text("ANALYZE"))


def timed(call: object) -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--db", help="an empty PostgreSQL database URL (default: a new SQLite file)")
    args = parser.parse_args()
    _, _, store = new_store(args.db)
    engine = store.engine
    start = time.perf_counter()
    populate(store, args.patients)
    analyze(engine)
    print(f"set-up: {args.patients} patients in {time.perf_counter() - start:.1f} s ({engine.dialect.name})")
    start = time.perf_counter()
    with store.session() as s:
        caught = progress.catch_up(s, store.dictionary)
    print(f"first use: completeness of {caught} patients computed in {time.perf_counter() - start:.1f} s")
    with engine.begin() as c:
        c.execute(text("ANALYZE"))
    with engine.connect() as c:
        baseline = timed(lambda: c.execute(text("SELECT 1")).scalar())
    print(f"baseline SELECT 1: {baseline:.2f} ms")
    admin = accounts.acting(store, "admin")
    clinician = accounts.acting(store, "bench_dr")
    late = f"TH-{int(args.patients * 0.9):06d}"
    cases = {
        "first page (whole registry)": (admin, ListQuery()),
        "page after 90 % (whole registry)": (admin, ListQuery(after=late)),
        "first page, one centre": (clinician, ListQuery()),
        "page after 90 %, one centre": (clinician, ListQuery(after=late)),
        "completeness = unverified, after 90 %": (admin, ListQuery(status="unverified", after=late)),
        "completeness = complete": (admin, ListQuery(status="complete")),
        "completeness = incomplete, one centre": (clinician, ListQuery(status="incomplete")),
        "laboratory missing, after 90 %": (admin, ListQuery(section="laboratory", state="missing", after=late)),
        "registry-ID prefix TH-0999": (admin, ListQuery(q="TH-0999")),
        "name search in one centre": (clinician, ListQuery(q="Смирнова Имя5")),
    }
    for name, (actor, query) in cases.items():
        found = find(store, actor, query)
        ms = timed(lambda a=actor, q=query: find(store, a, q))
        print(f"| {name} | {found.total} | {len(found.rows)} | {ms:.1f} |")
    engine.dispose()


if __name__ == "__main__":
    main()
