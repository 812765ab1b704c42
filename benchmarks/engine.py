"""Benchmark the analysis-store writers: one full publish and one per-patient replacement, on each backend, against a
plain DuckDB copy of the same Arrow rows.

The plain copy is the floor: the same tables written with `CREATE TABLE … AS SELECT * FROM arrow` into a new DuckDB
file — no checks, no transaction around them, no snapshot record. Each writer is measured on the same rows in the same
process. Run `python benchmarks/engine.py` (`--rows N`, default 1,000,000 rows in two tables; `--no-parquet`,
`--no-postgres`). It writes the "## Analysis-store writers" section of docs/benchmarks.md; the goal is ≤ 2 × the copy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink
from oncobank.engine.types import TIMESTAMP
from report import write_section

PG = "postgresql://postgres@127.0.0.1:5432/test"
PATIENT_ROWS = 10  # rows per patient in the entries table
NOTE = ("The machine is shared with other jobs and runs vary by up to 2 ×. PostgreSQL is a server that also "
        "writes every row to its own log; building the COPY input (Arrow's CSV writer, lists as array literals made "
        "by Arrow compute) took 1.3 s of its time in a separate run.")


def tables(rows: int) -> tuple[pa.Table, pa.Table]:
    """A patients table and an entries table of `rows` rows with every stored type (made by Arrow)."""
    n = pa.array(range(rows), pa.int64())
    pid = pc.binary_join_element_wise("P", pc.cast(pc.divide(n, PATIENT_ROWS), pa.string()), "")
    entries = pa.table({
        "pseudonym": pid, "entry": n, "value": pc.divide(pc.cast(n, pa.float64()), 7.0),
        "done": pc.equal(pc.bit_wise_and(n, 1), 0),
        "day": pc.cast(pc.cast(pc.add(pc.bit_wise_and(n, 16383), 3000), pa.int32()), pa.date32()),
        "at": pc.cast(pc.multiply(n, 1_000_003), TIMESTAMP),
        "note": pc.binary_join_element_wise("entry ", pc.cast(n, pa.string()), " of patient ", pid, ""),
        "codes": pa.ListArray.from_arrays(pa.array(range(0, 2 * rows + 1, 2), pa.int32()),
                                          pc.cast(pa.array(range(2 * rows), pa.int64()), pa.string())),
    })
    people = rows // PATIENT_ROWS
    m = pa.array(range(people), pa.int64())
    patients = pa.table({"pseudonym": pc.binary_join_element_wise("P", pc.cast(m, pa.string()), ""),
                         "birth_year": pc.add(pc.bit_wise_and(m, 63), 1940), "sex": pc.if_else(
                             pc.equal(pc.bit_wise_and(m, 1), 0), "f", "m")})
    return patients, entries


def plain_copy(folder: Path, patients: pa.Table, entries: pa.Table) -> None:
    con = duckdb.connect(str(folder / f"plain-{uuid.uuid4().hex}.duckdb"))
    for name, table in (("patients", patients), ("entries", entries)):
        con.register("rows", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM rows")
        con.unregister("rows")
    con.close()


def timed(run: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-parquet", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    patients, entries = tables(args.rows)
    changed = tuple(patients["pseudonym"].to_pylist()[:: 100])  # 1 % of the patients
    keys = pa.array(changed)
    delta_full = PublishDelta((TableDelta("patients", patients), TableDelta("entries", entries)), full=True)
    delta_some = PublishDelta((
        TableDelta("patients", patients.filter(pc.is_in(patients["pseudonym"], keys)), replace=changed),
        TableDelta("entries", entries.filter(pc.is_in(entries["pseudonym"], keys)), replace=changed),
    ), full=False)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        floor = timed(lambda: plain_copy(folder, patients, entries), args.repeat)
        lines.append(("plain DuckDB copy (floor)", floor, None))
        targets = [("DuckDB file", lambda: str(folder / f"a-{uuid.uuid4().hex}.duckdb"))]
        if not args.no_postgres:
            targets.append(("PostgreSQL schema", lambda: f"{PG}?schema=bench_{uuid.uuid4().hex[:10]}"))
        if not args.no_parquet:
            targets.append(("Parquet snapshot (Spark)", lambda: f"spark:{folder / uuid.uuid4().hex}"))
        for label, make in targets:
            urls: list[str] = []

            def full(make: Callable[[], str] = make, urls: list[str] = urls) -> None:
                urls.append(make())
                open_sink(urls[-1]).apply(delta_full)

            lines.append((f"{label}: full publish", timed(full, args.repeat), floor))
            lines.append((f"{label}: 1 % of patients replaced",
                          timed(lambda urls=urls: open_sink(urls[-1]).apply(delta_some), args.repeat), floor))
            if label.startswith("PostgreSQL"):
                with psycopg.connect(PG, autocommit=True) as c:
                    for url in urls:
                        c.execute(f'DROP SCHEMA IF EXISTS "{url.rsplit("=", 1)[1]}" CASCADE')
    rows = "\n".join(f"| {label} | {seconds:.2f} s | {'' if base is None else f'{seconds / base:.2f} ×'} |"
                     for label, seconds, base in lines)
    body = (f"`python benchmarks/engine.py --rows {args.rows}`: a patients table of {patients.num_rows:,} rows and "
            f"an entries table of {entries.num_rows:,} rows (every stored type, a list column), median of "
            f"{args.repeat} runs. The floor is the same Arrow tables written into a new DuckDB file with "
            "`CREATE TABLE … AS`. Goal: a full publish ≤ 2 × the floor.\n\n"
            "| writer | time | × floor |\n| --- | ---: | ---: |\n" + rows + "\n\n" + NOTE)
    print(body)
    write_section("Analysis-store writers", body)


if __name__ == "__main__":
    main()
