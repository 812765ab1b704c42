"""Grow a published analysis store to any number of patients for the downstream benchmarks (cohorts, quality, ML).

Run `python benchmarks/replicate.py --from oncobank-data/analysis.duckdb --patients 1000000 --out big.duckdb`.
Publishing a million synthetic patients would take hours here, so the patients an ordinary publish wrote are
replicated instead: copy 0 is the published patient as is; copy i (1, 2, …) is the same patient under a fresh
pseudonym, and every entry key and entry reference of that copy is fresh too (the first characters of
SHA-256("<key>:<i>"), so copies stay joinable within themselves and never collide with another copy). Values and
dates are the published ones, so each copy has the clinical course of its original; the last copy is cut so that
the store holds exactly `--patients` patients. Tables without a pseudonym (`columns`, `publish_log`, reports) are
copied once. The result is an ordinary DuckDB analysis store that `oncobank cohort` and `oncobank quality` read.

The script prints, and writes into the "A large analysis store" section of docs/benchmarks.md, how long the
replication took next to a plain copy of the source store's tables (the same rows once, in the same process).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import duckdb

from oncobank.deid.schema import ENTRY_KEY
from oncobank.engine.delta import KEY
from report import write_section

TITLE = "A large analysis store"


def keyed_columns(con: duckdb.DuckDBPyConnection, tables: dict[str, list[tuple[str, str]]]) -> dict[str, set[str]]:
    """Per table, the columns holding entry keys or references to them (renamed with the pseudonym in each copy):
    `entry_key`, and every text column whose values are all entry keys of the store (a derived fact's evidence)."""
    with_keys = [t for t, columns in tables.items() if (ENTRY_KEY, "VARCHAR") in columns]
    found = {t: {ENTRY_KEY} for t in with_keys}
    if not with_keys:
        return found
    con.execute("CREATE TEMP TABLE entry_keys AS " + " UNION ".join(
        f'SELECT {ENTRY_KEY} AS k FROM src."{t}"' for t in with_keys))
    for table, columns in tables.items():
        for column, kind in columns:
            if kind != "VARCHAR" or column in (KEY, ENTRY_KEY) or (KEY, "VARCHAR") not in columns:
                continue
            present, outside = con.execute(
                f'SELECT count("{column}"), count("{column}") FILTER (WHERE "{column}" NOT IN '
                f'(SELECT k FROM entry_keys)) FROM src."{table}"').fetchone()
            if present and not outside:
                found.setdefault(table, set()).add(column)
    return found


def _fresh(column: str, width: str) -> str:
    """SQL: the column's value in copy `copy` (unchanged in copy 0), as wide as the original."""
    return (f"CASE WHEN c.copy = 0 OR t.{column} IS NULL THEN t.{column} "
            f"ELSE substr(sha256(t.{column} || ':' || c.copy), 1, {width}) END")


def replicate(source: Path, out: Path, patients: int) -> dict[str, float | int]:
    """Write `out` with `patients` patients replicated from the analysis store at `source`; return the counts."""
    if out.exists():
        raise SystemExit(f"{out}: exists; give a new file")
    con = duckdb.connect(str(out))
    con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src' AND schema_name = 'main'").fetchall()]
    published = con.execute("SELECT count(*) FROM src.patient").fetchone()[0]
    if published == 0:
        raise SystemExit(f"{source}: the analysis store has no patients")
    shapes = {t: [(c, kind) for c, kind in con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'src' AND table_name = ? "
        "ORDER BY column_index", [t]).fetchall()] for t in tables}
    keyed = keyed_columns(con, shapes)
    copies = math.ceil(patients / published)
    width = con.execute(f"SELECT max(length({KEY})) FROM src.patient").fetchone()[0]
    start = time.perf_counter()
    # which copies of which patient: whole copies, the last cut at `patients`
    con.execute(f"""CREATE TEMP TABLE pairs AS
        SELECT p.{KEY} AS original, r.range AS copy
        FROM src.patient p CROSS JOIN range({copies}) r
        QUALIFY row_number() OVER (ORDER BY r.range, p.{KEY}) <= {patients}""")
    rows = 0
    for table in tables:
        columns = [c for c, _ in shapes[table]]
        if KEY not in columns:
            con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM src."{table}"')
        else:
            renamed = {KEY, *(keyed.get(table, set()) & set(columns))}
            chosen = ", ".join(f'{_fresh(c, str(width) if c == KEY else f"length(t.{c})")} AS "{c}"'
                               if c in renamed else f't."{c}"' for c in columns)
            con.execute(f'CREATE TABLE "{table}" AS SELECT {chosen} FROM src."{table}" t '
                        f"JOIN pairs c ON c.original = t.{KEY}")
        rows += con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    replicated = time.perf_counter() - start
    con.execute("DETACH src")
    con.close()
    plain = _plain_copy(source, out.with_suffix(".plain.duckdb"), tables)
    return {"source_patients": published, "patients": patients, "copies": copies, "tables": len(tables),
            "rows": rows, "seconds": replicated, "plain_seconds": plain}


def _plain_copy(source: Path, target: Path, tables: list[str]) -> float:
    """The baseline: the source store's tables copied once into a new file, timed."""
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
    start = time.perf_counter()
    for table in tables:
        con.execute(f'CREATE TABLE "{table}" AS SELECT * FROM src."{table}"')
    seconds = time.perf_counter() - start
    con.close()
    target.unlink()
    return seconds


def _body(args: argparse.Namespace, result: dict[str, float | int]) -> str:
    per_row = result["seconds"] / max(result["plain_seconds"] * result["copies"], 1e-9)
    return f"""`python benchmarks/replicate.py --from {args.source.name} --patients {args.patients} --out \
{args.out.name}` grew a published store of {result["source_patients"]:,} synthetic patients (`oncobank demo \
--patients {result["source_patients"]}`, which publishes) into one of {result["patients"]:,} patients \
({result["copies"]} copies, {result["rows"]:,} rows in {result["tables"]} tables): copy 0 is the published \
patient, every other copy the same course under a fresh pseudonym and fresh entry keys (SHA-256 of the key and the \
copy number), so the downstream benchmarks (cohorts, data quality) can run on a store of that size without \
publishing it.

| step | seconds | per row, × the plain copy |
| --- | ---: | ---: |
| plain copy of the source store's tables, once (baseline) | {result["plain_seconds"]:.2f} | 1.0 |
| replication to {result["patients"]:,} patients | {result["seconds"]:.2f} | {per_row:.2f} |

The machine was shared with other jobs while this ran.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, required=True, help="a published DuckDB analysis store")
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True, help="the new DuckDB file")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    if not args.source.is_file():
        sys.exit(f"{args.source}: no such analysis store")
    result = replicate(args.source, args.out, args.patients)
    body = _body(args, result)
    print(body)
    if not args.no_docs:
        write_section(TITLE, body)


if __name__ == "__main__":
    main()
