"""Benchmark `oncobank ingest` on synthetic hospitals: source rows/s end to end and peak memory, per backend.

Each (size, backend) runs in its own process: first the ingest (survey, linkage, mapping, validation, merge,
versioned writes with provenance), then — in the same process, on the same files — the baseline: the same source
rows read by the same adapters and inserted with a bare `executemany` into an unindexed table, with no mapping,
linkage or validation. Peak memory is the process's own high-water resident set size after the ingest (VmHWM).
Run: `python benchmarks/ingest.py --patients 5000,20000`.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, insert

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oncobank.dictionary import load_module
from oncobank.ingest.adapters import read_rows, source_files
from oncobank.ingest.mapping import Mapping, load_mapping, shipped_mapping
from oncobank.ingest.pipeline import run_ingest
from oncobank.reports.terminal import progress
from oncobank.store import accounts
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect
from oncobank.store.migrate import upgrade
from oncobank.synth import generate
from report import write_section
from store import fresh_database

CHUNK = 2000


def baseline_insert(engine: Engine, mapping: Mapping, root: Path) -> tuple[float, int]:
    """Read every row the ingest reconciles and insert it raw: the floor of what storing the rows costs."""
    meta = MetaData()
    raw = Table("bench_ingest_raw", meta, Column("source", String(64)), Column("location", String(100)),
                Column("n", Integer), Column("payload", Text))
    meta.create_all(engine)
    rows, buffer = 0, []
    start = time.perf_counter()
    for source in mapping.sources:
        if source.section is None and source.admissions is None:
            continue
        for path in source_files(source, root):
            for row in read_rows(source, path, root):
                buffer.append({"source": source.name, "location": row.location, "n": rows,
                               "payload": json.dumps(row.fields, ensure_ascii=False)})
                rows += 1
                if len(buffer) == CHUNK:
                    with engine.begin() as c:
                        c.execute(insert(raw), buffer)
                    buffer = []
    if buffer:
        with engine.begin() as c:
            c.execute(insert(raw), buffer)
    return time.perf_counter() - start, rows


def measure(backend: str, hospital: Path, folder: Path) -> dict[str, float]:
    """Ingest then baseline in this process; returns timings, row counts and the ingest's peak memory."""
    path = shipped_mapping("thyroid", "synthetic_hospital")
    with fresh_database(backend, folder) as url:
        engine = connect(url)
        upgrade(engine)
        store = ClinicalStore(engine, load_module("thyroid"))
        accounts.set_up(store, "benchmark")  # the store's own account and its administrator, who ingests
        mapping = load_mapping(path, store.dictionary)
        before = peak_rss_kib()
        with progress(_console()) as bar:
            task = bar.add_task(f"{backend}: ingest", total=None)
            start = time.perf_counter()
            report = run_ingest(store, hospital, mapping, path.read_text(encoding="utf-8"), user="benchmark",
                                chunk_size=CHUNK, on_rows=lambda n: bar.advance(task, n))
            seconds = time.perf_counter() - start
        peak = peak_rss_kib()
        assert report.balanced, report.to_dict()
        base_seconds, base_rows = baseline_insert(engine, mapping, hospital)
        assert base_rows == report.rows_in
        engine.dispose()
    return {"rows": report.rows_in, "patients": report.patients_created, "ingest_s": seconds,
            "rows_per_s": report.rows_in / seconds, "baseline_s": base_seconds,
            "baseline_rows_per_s": base_rows / base_seconds, "peak_mib": peak / 1024,
            "start_mib": before / 1024, "quarantined": report.quarantined}


def peak_rss_kib() -> int:
    """This process's own peak resident set size. getrusage's maximum survives exec, so a child started by a
    parent that had just generated a 20,000-patient hospital would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", default="5000,20000", help="comma-separated hospital sizes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--measure", nargs=2, metavar=("BACKEND", "HOSPITAL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child process: one backend, one hospital
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(measure(args.measure[0], Path(args.measure[1]), Path(tmp))))
        return
    results: list[tuple[int, str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(x) for x in args.patients.split(",")]:
            hospital = Path(tmp) / f"hospital{n}"
            generate(n, args.seed, hospital, formats={"emr", "lis", "hl7", "pacs"}, progress=True)
            for backend in args.backends.split(","):
                child = subprocess.run([sys.executable, __file__, "--measure", backend, str(hospital)],
                                       stdout=subprocess.PIPE, text=True, check=True)
                results.append((n, backend, json.loads(child.stdout.strip().splitlines()[-1])))
            shutil.rmtree(hospital)
            body = _table(results, args.seed)  # written after each size: a long run keeps what it measured
            print(body)
            if not args.no_write:
                write_section("Ingestion", body)


def _table(results: list[tuple[int, str, dict[str, float]]], seed: int) -> str:
    lines = [
        f"`oncobank ingest` of synthetic hospitals (seed {seed}; EMR patient master and admissions, LIS CSV "
        "in cp1251 with decimal commas, HL7 ORU^R01 batches, PACS study list) with the shipped mapping, in "
        f"transactions of {CHUNK:,} rows. Rows are the source rows of the section-bearing and admissions exports; "
        "every one ends loaded, merged, unchanged, excluded or quarantined. The baseline runs in the same process "
        "after the ingest: the same rows read by the same adapters and inserted raw with `executemany` into an "
        "unindexed table (no mapping, linkage, validation, versioning or provenance), with the same SQLAlchemy "
        "executemany the ingest uses for its bulk writes. Peak memory is the process's own high-water resident "
        "set size (VmHWM) at the end of the ingest; the last column is the same figure before the ingest started "
        "(interpreter, imports, dictionary).",
        "",
        "| patients | backend | source rows | ingest (s) | rows/s | baseline rows/s | ingest ÷ baseline speed "
        "| peak memory (MiB) | before ingest (MiB) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, backend, r in results:
        lines.append(
            f"| {n:,} | {backend} | {r['rows']:,} | {r['ingest_s']:.1f} | {r['rows_per_s']:,.0f} "
            f"| {r['baseline_rows_per_s']:,.0f} | {r['rows_per_s'] / r['baseline_rows_per_s']:.2f} "
            f"| {r['peak_mib']:.0f} | {r['start_mib']:.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
