"""Benchmark of `oncobank publish`: a full publish against a plain copy of the same rows, an incremental publish
after 1 % of the patients changed, and the RAIR engine's input scan on the analysis store against the clinical one.

Run `python benchmarks/publish.py` (default 100,000 patients; `--patients N` for fewer, `--db URL` for PostgreSQL).
It generates and loads the synthetic registry (or reuses `--workdir`), then measures in the same process:

- the plain copy: the same current rows read with the same query, turned into one wide Arrow table per section with
  the dictionary's columns and types, and written into a DuckDB file — no pseudonyms, no date shifting, no scrubbing,
  no derived facts (the floor of what publishing costs);
- a full publish (`publish(..., full=True)`) into another DuckDB file, in worker processes (`--workers`, default one
  per core), and one in this process alone (`workers=1`), with its scrubbing and derived facts' times measured apart;
- an incremental publish after a follow-up entry is added for 1 % of the patients;
- the RAIR engine's inputs (radioiodine, imaging, follow-up) read from the clinical store (`read_section`) and from
  the analysis store (one Ibis select per table).

It writes the "## Publish" section of docs/benchmarks.md. Goals: full ≤ 2 × the plain copy, incremental ≤ 5 % of full.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from oncobank.deid import batch, source
from oncobank.deid import rows as built_rows
from oncobank.deid.policy import Policy
from oncobank.deid.pool import default_workers
from oncobank.deid.publish import publish
from oncobank.deid.schema import field_column, table_name
from oncobank.dictionary import load_module
from oncobank.diseases.thyroid import rair
from oncobank.diseases.thyroid.entries import patients, read_section
from oncobank.engine import connect as analysis
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect, safe_url
from oncobank.store.load import load_registry
from oncobank.store.migrate import upgrade
from oncobank.synth import generate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_section


def timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


def plain_copy(store: ClinicalStore, target: Path) -> int:
    """The current active rows of every section as typed wide tables in DuckDB, nothing de-identified."""
    target.unlink(missing_ok=True)
    with store.engine.connect() as connection:
        mark = source.watermark(connection)
        rows: dict[str, dict[str, list[Any]]] = {}
        for entry in source.entries(connection, mark, None):
            if entry.status != "active":
                continue
            section = store.dictionary.section(entry.section)
            out = rows.setdefault(entry.section, {"patient_id": [], "entry_id": [], "entry_date": [],
                                                  **{f.name: [] for f in section.fields}})
            out["patient_id"].append(entry.patient_id)
            out["entry_id"].append(entry.entry_id)
            out["entry_date"].append(entry.entry_date)
            for f in section.fields:
                out[f.name].append(entry.values.get(f.name))
    con = duckdb.connect(str(target))
    written = 0
    for name, columns in rows.items():
        section = store.dictionary.section(name)
        kinds = {f.name: field_column(section, f, Policy()).type for f in section.fields}
        arrays = {"patient_id": pa.array(columns.pop("patient_id"), pa.int64()),
                  "entry_id": pa.array(columns.pop("entry_id"), pa.int64()),
                  "entry_date": pa.array(columns.pop("entry_date"), pa.date32())}
        for column, values in columns.items():
            dates = kinds[column] == pa.date32()  # ISO text in the store
            arrays[column] = pa.array(values, pa.string()).cast(pa.date32()) if dates else pa.array(values,
                                                                                                     kinds[column])
        table = pa.table(arrays)
        con.register("rows", table)
        con.execute(f'CREATE TABLE "{table_name(store.dictionary, name)}" AS SELECT * FROM rows')
        con.unregister("rows")
        written += table.num_rows
    con.close()
    return written


def change_some(store: ClinicalStore, share: float, seed: int) -> int:
    """A follow-up entry for `share` of the patients (chosen with `seed`); returns how many."""
    ids = patients(store.engine)["registry_id"].tolist()
    chosen = random.Random(seed).sample(ids, max(1, round(len(ids) * share)))
    for rid in chosen:
        store.add_entry(rid, "follow_up", {"last_contact_date": "2026-11-30", "vital_status": "alive"},
                        user="system", entry_date="2026-11-30")
    return len(chosen)


def scan_clinical(store: ClinicalStore) -> int:
    return sum(len(read_section(store.engine, s, fields)) for s, fields in rair.SECTIONS.items())


def scan_analysis(target: str) -> int:
    found = 0
    with analysis(target) as published:
        for section, fields in rair.SECTIONS.items():
            name = section if section == "follow_up" else f"thyroid_{section}"
            table = published.table(name)
            found += published.to_arrow(table.select("pseudonym", "entry_key", "entry_date", *fields)).num_rows
    return found


class Clock:
    """Time spent in one function during a publish, by replacing it in its module for the duration."""

    def __init__(self, owner: Any, name: str) -> None:
        self.owner, self.name, self.seconds, self.calls = owner, name, 0.0, 0
        self._real = getattr(owner, name)

    def __enter__(self) -> Clock:
        def clocked(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return self._real(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        setattr(self.owner, self.name, clocked)
        return self

    def __exit__(self, *_: object) -> None:
        setattr(self.owner, self.name, self._real)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, default=Path("bench-publish"))
    parser.add_argument("--db", help="store URL (default: a SQLite file in the work folder)")
    parser.add_argument("--changed", type=float, default=0.01, help="share of patients changed (default 0.01)")
    parser.add_argument("--workers", type=int, help="worker processes of the measured publish (default: one per core)")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = parser.parse_args()

    work = args.workdir.resolve()
    hospital = work / f"hospital-{args.patients}-{args.seed}"
    timings: dict[str, float] = {}
    if not (hospital / "registry").exists():
        timings["generate"], _ = timed(generate, args.patients, args.seed, hospital, formats={"registry"},
                                       progress=True)
    url = args.db or f"sqlite:///{work / f'store-{args.patients}-{args.seed}.sqlite'}"
    engine = connect(url)
    upgrade(engine)
    store = ClinicalStore(engine, load_module("thyroid"))
    store.ensure_user("system", role="system")
    if patients(engine).empty:
        timings["load"], _ = timed(load_registry, store, hospital, user="system")

    copy_s, copied = timed(plain_copy, store, work / "plain.duckdb")
    alone = work / "alone.duckdb"
    alone.unlink(missing_ok=True)
    with Clock(built_rows, "clean_text") as clock, Clock(batch, "derived_tables") as facts:
        alone_s, _ = timed(publish, store, str(alone), full=True, workers=1)
    target = work / "analysis.duckdb"
    target.unlink(missing_ok=True)
    workers = args.workers or default_workers()
    full_s, full = timed(publish, store, str(target), full=True, workers=workers)
    changed = change_some(store, args.changed, args.seed)
    incremental_s, incremental = timed(publish, store, str(target))
    clinical_s, clinical_rows = timed(scan_clinical, store)
    analysis_s, analysis_rows = timed(scan_analysis, str(target))
    written = sum(full.rows.values())
    backend = safe_url(url).split(":", 1)[0]
    body = f"""
`python benchmarks/publish.py --patients {args.patients}` on {backend}: a synthetic registry of
{args.patients:,} patients, {copied:,} current section rows; the full publish wrote {written:,} rows in
{len(full.rows)} tables (derived facts included) and scrubbed {clock.calls:,} texts.

| step | seconds | ratio |
| --- | ---: | ---: |
| plain copy of the current rows into DuckDB, typed wide tables, nothing de-identified | {copy_s:.1f} | 1.0 |
| full publish, {workers} worker processes (goal ≤ 2 × the plain copy) | {full_s:.1f} | {full_s / copy_s:.1f} × copy |
| full publish in this process alone (`workers=1`) | {alone_s:.1f} | {alone_s / copy_s:.1f} × copy |
| of which the text scrubber | {clock.seconds:.1f} | {clock.seconds / copy_s:.1f} × copy |
| of which the derived facts (thyroid: activity, RECIST, stage, RAIR) | {facts.seconds:.1f} | \
{facts.seconds / copy_s:.1f} × copy |
| of which the rest (reading, pseudonyms, dates, tables) | {alone_s - clock.seconds - facts.seconds:.1f} | \
{(alone_s - clock.seconds - facts.seconds) / copy_s:.1f} × copy |
| incremental publish after {changed:,} patients ({args.changed:.0%}) changed (goal ≤ 5 % of full) | \
{incremental_s:.1f} | {incremental_s / full_s:.1%} of full |
| RAIR inputs from the clinical store (`read_section` × 3, {clinical_rows:,} rows) | {clinical_s:.2f} | 1.0 |
| RAIR inputs from the analysis store (3 Ibis selects on DuckDB, {analysis_rows:,} rows) | {analysis_s:.2f} | \
{analysis_s / clinical_s:.2f} × clinical |

Incremental publish: {incremental.patients_changed:,} patients re-published ({incremental.reason}).
"""
    if timings:
        body += "\nPreparation: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()) + ".\n"
    print(body)
    if not args.no_write:
        write_section("Publish", body)


if __name__ == "__main__":
    main()
