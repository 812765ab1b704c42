"""Benchmark of the web registry under load: 20 simulated users reading patient views and saving entries at once,
on a store of 100,000 patients, against Uvicorn on 127.0.0.1.

Run `python benchmarks/web.py` (default: 100,000 patients on a new SQLite store in a temporary folder; `--patients N`
for fewer, `--db URL` for an empty PostgreSQL database). The patients are bulk-inserted as in
benchmarks/patient_list.py, and their derived facts (RAIR, stage, activity) computed once, as the registry's jobs keep
them. The server runs in its own process (Uvicorn with `--workers` worker processes, default 2, each building its app
with `oncobank.web.app.from_environment` as `oncobank serve` does); this process drives it with `--users` concurrent
users (httpx, one connection each, a pause of `--think` seconds on average between a user's requests, as a person reads
a page; `--think 0` for none, which saturates the server), each making `--requests` requests: mostly patient views (`GET
/patients/ID`, the full page: card, timeline, derived facts, audited), every fourth a save (`PUT /api/entries/N` with
the version read just before; an answer 409 means another user saved that entry first, and the user reads it again and
retries). The saves go to a pool of 100 laboratory entries, so that users collide. Baselines on the same server: a
static file (no database) and `GET /api/me` (the session lookup only). Afterwards every entry's version is checked
against the saves answered 200: a lost update would leave a version lower than 1 + its saves.
Goals (issue 13): p95 ≤ 200 ms for the patient view and ≤ 300 ms for a save, 0 errors, 0 lost updates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
from sqlalchemy import select

from oncobank.diseases.thyroid import derived
from oncobank.store import progress
from oncobank.store.models import Entry
from oncobank.web.app import SECRET_ENV, STORE_ENV
from oncobank.web.deps import SESSION_COOKIE, token_for
from oncobank.web.sessions import open_session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from patient_list import analyze, new_store, populate

SECRET = "benchmark-secret-of-the-csrf-tokens"
POOL = 100  # laboratory entries the saves go to


def serve(url: str, port: int, workers: int) -> None:
    """The server process: Uvicorn and its workers on the store, as `oncobank serve` runs them."""
    import uvicorn

    os.environ.update({SECRET_ENV: SECRET, STORE_ENV: url})
    uvicorn.run("oncobank.web.app:from_environment", factory=True, workers=workers, host="127.0.0.1", port=port,
                access_log=False, server_header=False, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"the server stopped (exit {process.returncode})")
        try:
            httpx.get(f"{base}/static/app.css", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start within 60 s")


class Tally:
    """Latencies per kind of request, errors, conflicts, and the saves answered 200 per entry."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.conflicts = 0
        self.saved: Counter[int] = Counter()

    async def timed(self, kind: str, call: object, ok: tuple[int, ...] = (200,)) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            answer = await call  # type: ignore[misc]
        except httpx.HTTPError as exc:
            self.errors[f"{kind}: {type(exc).__name__}"] += 1
            return None
        self.ms[kind].append((time.perf_counter() - start) * 1000)
        if answer.status_code not in ok:
            self.errors[f"{kind}: HTTP {answer.status_code}"] += 1
            return None
        return answer


async def user(base: str, cookie: str, patients: list[str], entries: list[int], requests: int, seed: int,
               tally: Tally, think: float) -> None:
    rng = random.Random(seed)
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}", "X-CSRF-Token": token_for(SECRET.encode(), cookie)}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60.0,
                                 limits=httpx.Limits(max_connections=1)) as client:
        for n in range(requests):
            if n % 10 == 0:
                await tally.timed("baseline: static file", client.get("/static/app.css"))
                await tally.timed("baseline: GET /api/me (session lookup)", client.get("/api/me"))
            if n % 4 == 3:
                await save(client, rng.choice(entries), rng, tally)
            else:
                await tally.timed("patient view", client.get(f"/patients/{rng.choice(patients)}"))
            if think:  # a person reads the page before the next click (0: the saturation test)
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)


async def save(client: httpx.AsyncClient, entry: int, rng: random.Random, tally: Tally) -> None:
    for _ in range(20):
        read = await tally.timed("read entry (before a save)", client.get(f"/api/entries/{entry}"))
        if read is None:
            return
        body = {"version": read.json()["versions"][-1]["version"], "values": {"tg": round(rng.uniform(0.1, 9.9), 2)},
                "entry_date": "2020-01-10", "reason": "benchmark"}  # the bulk set-up left the entries undated
        answer = await tally.timed("save (PUT /api/entries/N)", client.put(f"/api/entries/{entry}", json=body),
                                   ok=(200, 409))
        if answer is None:
            return
        if answer.status_code == 200:
            tally.saved[entry] += 1
            return
        tally.conflicts += 1
    tally.errors["save: 20 conflicts in a row"] += 1


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=60, help="requests per user (and its saves' re-reads)")
    parser.add_argument("--db", help="an empty PostgreSQL database URL (default: a new SQLite file)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds a user waits between requests (0: none, every user saturating the server)")
    parser.add_argument("--workers", type=int, default=2, help="Uvicorn worker processes (about one per core)")
    parser.add_argument("--serve", nargs=3, metavar=("URL", "PORT", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), int(args.serve[2]))
        return
    _, url, store = new_store(args.db)
    engine = store.engine
    start = time.perf_counter()
    populate(store, args.patients)
    analyze(engine)  # planner statistics first, as autovacuum (PostgreSQL) or a maintenance job would leave them
    with store.session() as s:
        progress.catch_up(s, store.dictionary)
    derived.refresh(engine)  # the derived facts as the registry's jobs keep them; a page recomputes only what changed
    analyze(engine)
    print(f"set-up: {args.patients} patients in {time.perf_counter() - start:.1f} s ({engine.dialect.name})")
    # The users are clinicians of C02, whose patients (even numbers) have the laboratory entries.
    cookies = []
    for i in range(args.users):
        uid = store.ensure_user(f"bench_c02_{i}", "clinician", centre="C02")
        cookies.append(open_session(store, uid))
    patients = [f"TH-{i:06d}" for i in range(2, args.patients + 1, 2)]
    with store.session() as s:
        entries = list(s.scalars(select(Entry.id).where(Entry.section == "laboratory").order_by(Entry.id)
                                 .limit(POOL)))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port), str(args.workers)],
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_for(base, server)
        time.sleep(2 if args.workers > 1 else 0)  # every worker started, not only the first that answers
        tally = Tally()
        start = time.perf_counter()

        async def everyone() -> None:
            await asyncio.gather(*(user(base, c, patients, entries, args.requests, i, tally, args.think)
                                   for i, c in enumerate(cookies)))

        asyncio.run(everyone())
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    with store.session() as s:
        versions = dict(s.execute(select(Entry.id, Entry.current_version).where(Entry.id.in_(entries))).all())
    lost = sum(max(0, 1 + tally.saved[e] - versions[e]) for e in entries)
    extra = sum(max(0, versions[e] - 1 - tally.saved[e]) for e in entries)
    total = sum(len(v) for v in tally.ms.values())
    print(f"{args.users} users (think time {args.think:g} s), {args.workers} worker process(es), {total} requests in "
          f"{wall:.1f} s ({total / wall:.0f}/s); load average at the end {os.getloadavg()[0]:.1f}")
    print("| request | n | p50 ms | p95 ms |")
    print("| --- | ---: | ---: | ---: |")
    for kind, values in tally.ms.items():
        print(f"| {kind} | {len(values)} | {statistics.median(values):.1f} | {p(values, 95):.1f} |")
    print(f"saves answered 200: {sum(tally.saved.values())}; conflicts (409, retried): {tally.conflicts}; "
          f"errors: {sum(tally.errors.values())} {dict(tally.errors)}; lost updates: {lost}; "
          f"versions without a save answered: {extra}")
    engine.dispose()


if __name__ == "__main__":
    main()
