"""Benchmark the clinical store: load 10,000 patients' canonical JSON and read 1,000 patient cards, per backend.

Each measurement sits next to a baseline run in the same process on the same rows: for the load, a bare
executemany of the same entries into an unindexed table with no validation, conversion, versioning or audit; for
the cards, one plain SELECT of the same patient's version rows. Run: `python benchmarks/store.py`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Column, Engine, MetaData, String, Table, Text, create_engine, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oncobank.dictionary import load_module
from oncobank.reports.terminal import progress
from oncobank.store.card import read_card
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect
from oncobank.store.load import load_registry
from oncobank.store.migrate import upgrade
from oncobank.store.models import Entry, EntryVersion, Patient
from oncobank.synth import generate
from report import write_section

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.sqlite'}"
        return
    name = f"oncobank_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def baseline_insert(engine: Engine, registry: Path, batch: int) -> tuple[float, int]:
    """Insert the same entries as raw JSON rows, no checks at all: the floor of what storing them costs."""
    meta = MetaData()
    raw = Table("bench_raw", meta, Column("patient", String(32)), Column("section", String(64)),
                Column("entry_date", String(10)), Column("payload", Text))
    meta.create_all(engine)
    rows = 0
    start = time.perf_counter()
    buffer: list[dict[str, str | None]] = []
    with (registry / "registry" / "patients.jsonl").open(encoding="utf-8") as handle:
        for n, line in enumerate(handle, start=1):
            patient = json.loads(line)
            buffer.extend({"patient": patient["patient_id"], "section": e["section"], "entry_date": e.get("date"),
                           "payload": json.dumps(e["values"], ensure_ascii=False)} for e in patient["entries"])
            if n % batch == 0:
                with engine.begin() as c:
                    c.execute(insert(raw), buffer)
                rows += len(buffer)
                buffer = []
    if buffer:
        with engine.begin() as c:
            c.execute(insert(raw), buffer)
        rows += len(buffer)
    return time.perf_counter() - start, rows


def baseline_card(engine: Engine, registry_id: str) -> int:
    query = (
        select(Entry.section, EntryVersion.version, EntryVersion.values, EntryVersion.entry_date)
        .join(EntryVersion, EntryVersion.entry_id == Entry.id)
        .join(Patient, Patient.id == Entry.patient_id)
        .where(Patient.registry_id == registry_id)
    )
    with engine.connect() as c:
        return len(c.execute(query).all())


def run_backend(backend: str, registry: Path, folder: Path, cards: int, seed: int, batch: int) -> dict[str, float]:
    with fresh_database(backend, folder) as url:
        engine = connect(url)
        upgrade(engine)
        store = ClinicalStore(engine, load_module("thyroid"), attachments=folder / "attachments")
        store.ensure_user("benchmark", role="data_manager")
        total = json.loads((registry / "registry" / "manifest.json").read_text())["patients"]
        with progress(_console()) as bar:
            task = bar.add_task(f"{backend}: loading", total=total)
            start = time.perf_counter()
            report = load_registry(store, registry, user="benchmark", batch_size=batch,
                                   on_patient=lambda n: bar.advance(task, n))
            load_seconds = time.perf_counter() - start
        assert report.balanced and report.entries_quarantined == 0, report.to_dict()
        base_seconds, base_rows = baseline_insert(engine, registry, batch)
        assert base_rows == report.entries_loaded
        with engine.connect() as c:
            ids = [r[0] for r in c.execute(select(Patient.registry_id).order_by(Patient.id))]
        sample = random.Random(seed).sample(ids, min(cards, len(ids)))
        start = time.perf_counter()
        for registry_id in sample:
            read_card(store, registry_id, user="benchmark")
        card_seconds = time.perf_counter() - start
        start = time.perf_counter()
        for registry_id in sample:
            baseline_card(engine, registry_id)
        base_card_seconds = time.perf_counter() - start
        engine.dispose()
    return {
        "patients": report.patients_loaded,
        "entries": report.entries_loaded,
        "load_s": load_seconds,
        "entries_per_s": report.entries_loaded / load_seconds,
        "patients_per_s": report.patients_loaded / load_seconds,
        "baseline_s": base_seconds,
        "load_ratio": load_seconds / base_seconds,
        "cards": len(sample),
        "ms_per_card": 1000 * card_seconds / len(sample),
        "baseline_ms_per_card": 1000 * base_card_seconds / len(sample),
        "card_ratio": card_seconds / base_card_seconds,
    }


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--cards", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        generate(args.patients, args.seed, folder / "hospital", formats={"registry"}, progress=True)
        synth_seconds = time.perf_counter() - start
        results = {b: run_backend(b, folder / "hospital", folder, args.cards, args.seed, args.batch)
                   for b in args.backends.split(",")}
    lines = [
        f"Canonical JSON of {args.patients:,} synthetic patients (seed {args.seed}; generated in "
        f"{synth_seconds:.1f} s), loaded in batches of {args.batch} patients, then {args.cards:,} patient cards "
        "read at random. Baselines run in the same process on the same rows: a bare `executemany` of the same "
        "entries into an unindexed table (no validation, unit conversion, versioning or audit), and one plain "
        "SELECT of the patient's version rows.",
        "",
        "| backend | patients | entries | load (s) | entries/s | patients/s | baseline insert (s) | load ÷ baseline "
        "| ms per card | baseline ms per card | card ÷ baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend, r in results.items():
        lines.append(
            f"| {backend} | {r['patients']:,} | {r['entries']:,} | {r['load_s']:.1f} | {r['entries_per_s']:,.0f} "
            f"| {r['patients_per_s']:,.0f} | {r['baseline_s']:.1f} | {r['load_ratio']:.1f}× | {r['ms_per_card']:.1f} "
            f"| {r['baseline_ms_per_card']:.1f} | {r['card_ratio']:.1f}× |"
        )
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("Clinical store", body)


if __name__ == "__main__":
    main()
