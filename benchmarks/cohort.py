"""Benchmark cohort definitions against hand-written DuckDB SQL answering the same question, on a synthetic store.

The store is generated here (seeded): N patients (default 1,000,000) with one diagnosis and stage each, genetics
for half, Poisson(1.5) I-131 courses, up to three imaging studies, targeted therapy for a tenth, and the per-person
activity totals. Each definition runs through `oncobank.cohort.run` (compiled to Ibis, members fetched) and, in the
same process on the same connection, as a hand-written SQL query; the member sets (pseudonym and index date) must
be equal. Run `python benchmarks/cohort.py` (`--patients N`, `--spark` to time Spark too, `--no-write`). It writes the
"## Cohort search" section of docs/benchmarks.md; the goals are a median ratio ≤ 1.5 ×, none over 3 ×, and a
cached re-run under 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oncobank.cohort import run, saved
from oncobank.cohort.model import Cohort
from oncobank.engine import connect
from oncobank.engine.delta import PublishDelta, TableDelta
from oncobank.engine.sinks import open_sink
from report import write_section

EPOCH = dt.date(2010, 1, 1)


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array((np.datetime64(EPOCH) + days.astype("timedelta64[D]")).astype("datetime64[D]"), pa.date32())


def store_tables(n: int, seed: int = 15) -> list[TableDelta]:
    """The synthetic analysis store's tables, with a `columns` table naming each column's section and field."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"p{i:07d}" for i in range(n)])
    sex = np.where(rng.random(n) < 0.7, "F", "M")
    birth = rng.integers(1930, 2001, n)
    patient = pa.table({"pseudonym": ids, "sex": sex, "birth_year": birth, "module": np.full(n, "thyroid")})
    diagnosed = rng.integers(0, 4000, n)
    icd = rng.choice(["C73", "C73.9", "D34"], n, p=[0.9, 0.05, 0.05])
    histology = rng.choice(["papillary", "follicular", "oncocytic", "medullary", "anaplastic", "poorly_differentiated"],
                           n, p=[0.7, 0.15, 0.05, 0.05, 0.02, 0.03])
    keys = np.array([f"d{i:07d}" for i in range(n)])
    diagnosis = pa.table({"pseudonym": ids, "entry_key": keys, "entry_date": _dates(diagnosed), "icd10": icd,
                          "histology_type": histology})
    stage = pa.table({"pseudonym": ids, "entry_key": np.char.replace(keys, "d", "s"), "entry_date": _dates(diagnosed),
                      "stage_group": rng.choice(["I", "II", "III", "IVA", "IVB", "IVC"], n,
                                                p=[0.5, 0.2, 0.1, 0.1, 0.05, 0.05]),
                      "m_category": rng.choice(["cM0", "cM1", "pM1"], n, p=[0.85, 0.1, 0.05])})
    tested = np.flatnonzero(rng.random(n) < 0.5)
    genetics = pa.table({"pseudonym": ids[tested], "entry_key": [f"g{i:07d}" for i in tested],
                         "entry_date": _dates(diagnosed[tested]),
                         "variant": rng.choice(["V600E", "M918T", "C228T"], len(tested), p=[0.6, 0.1, 0.3]),
                         "result": rng.choice(["detected", "not_detected"], len(tested), p=[0.7, 0.3])})
    courses = rng.poisson(1.5, n)
    owner = np.repeat(np.arange(n), courses)
    order = np.concatenate([np.arange(c) for c in courses]) if len(owner) else np.array([], int)
    activity = rng.choice([1110.0, 3700.0, 5550.0, 7400.0], len(owner))
    radioiodine = pa.table({"pseudonym": ids[owner], "entry_key": [f"r{i:08d}" for i in range(len(owner))],
                            "entry_date": _dates(diagnosed[owner] + 60 + order * 180),
                            "procedure": np.full(len(owner), "therapy"), "isotope": np.full(len(owner), "I-131"),
                            "activity": activity})
    totals = np.bincount(owner, weights=activity, minlength=n)
    per_person = pa.table({"pseudonym": ids, "courses": courses.astype("int64"), "total_mbq": totals})
    studies = rng.integers(0, 4, n)
    seen = np.repeat(np.arange(n), studies)
    imaging = pa.table({"pseudonym": ids[seen], "entry_key": [f"i{i:08d}" for i in range(len(seen))],
                        "entry_date": _dates(diagnosed[seen] + rng.integers(200, 2000, len(seen))),
                        "recist_response": rng.choice(["PD", "SD", "PR", "CR"], len(seen))})
    treated = np.flatnonzero(rng.random(n) < 0.1)
    targeted = pa.table({"pseudonym": ids[treated], "entry_key": [f"t{i:07d}" for i in treated],
                         "entry_date": _dates(diagnosed[treated] + 700),
                         "drug": rng.choice(["lenvatinib", "sorafenib"], len(treated))})
    tables = {"patient": patient, "thyroid_diagnosis": diagnosis, "thyroid_tumour_stage": stage,
              "thyroid_genetics": genetics, "thyroid_radioiodine": radioiodine, "thyroid_imaging": imaging,
              "thyroid_targeted_therapy": targeted, "thyroid_activity": per_person}
    units = {("thyroid_radioiodine", "activity"): "MBq", ("thyroid_activity", "total_mbq"): "MBq"}
    rows = []
    for name, table in tables.items():
        section = name.removeprefix("thyroid_") if "entry_key" in table.column_names else None
        for column in table.schema:
            field = column.name if section and column.name not in ("pseudonym", "entry_key", "entry_date") else None
            rows.append({"table": name, "column": column.name, "type": str(column.type), "unit":
                         units.get((name, column.name)), "label_en": column.name, "label_ru": column.name,
                         "section": section, "field": field})
    columns = pa.Table.from_pylist(rows)
    return [TableDelta(name, table) for name, table in {**tables, "columns": columns}.items()]


def _cohort(rules: list[tuple[str, dict]], index: dict | None = None, **more: object) -> Cohort:
    index = index or {"field": "diagnosis.icd10", "op": "present", "which": "first"}
    return Cohort.model_validate({"index": index, "rules": [{"name": n, "criteria": c} for n, c in rules], **more})


WOMEN = {"kind": "leaf", "field": "patient.sex", "op": "=", "value": "F"}
V600E = {"kind": "leaf", "field": "genetics.variant", "op": "=", "value": "V600E",
         "same_entry": [{"field": "genetics.result", "op": "=", "value": "detected"}]}
STAGE_IV = {"kind": "leaf", "field": "tumour_stage.stage_group", "op": "in", "value": ["IVA", "IVB", "IVC"]}
FIRST_I131 = {"field": "radioiodine.procedure", "op": "=", "value": "therapy", "which": "first"}
DIAGNOSED = "SELECT pseudonym, min(entry_date) AS index_date FROM thyroid_diagnosis WHERE icd10 IS NOT NULL GROUP BY 1"
HAS_V600E = "SELECT pseudonym FROM thyroid_genetics WHERE variant = 'V600E' AND result = 'detected'"
IS_IV = "SELECT pseudonym FROM thyroid_tumour_stage WHERE stage_group IN ('IVA', 'IVB', 'IVC')"

# name -> (definition, hand-written SQL giving pseudonym and index_date of the members)
CASES: dict[str, tuple[Cohort, str]] = {
    "simple filter": (_cohort([("women", WOMEN)]), f"""
        SELECT d.pseudonym, d.index_date FROM ({DIAGNOSED}) d JOIN patient p USING (pseudonym) WHERE p.sex = 'F'"""),
    "nested AND/OR/NOT": (_cohort([("nested", {"kind": "all", "items": [
        WOMEN, {"kind": "any", "items": [V600E, STAGE_IV]},
        {"kind": "not", "items": [{"kind": "leaf", "field": "diagnosis.histology_type", "op": "=",
                                   "value": "anaplastic"}]}]})]), f"""
        SELECT d.pseudonym, d.index_date FROM ({DIAGNOSED}) d JOIN patient p USING (pseudonym)
        WHERE p.sex = 'F' AND (d.pseudonym IN ({HAS_V600E}) OR d.pseudonym IN ({IS_IV}))
          AND d.pseudonym NOT IN (SELECT pseudonym FROM thyroid_diagnosis WHERE histology_type = 'anaplastic')"""),
    "code hierarchy": (_cohort([("C73", {"kind": "leaf", "field": "diagnosis.icd10", "op": "under", "value": "C73"}),
                                ("differentiated", {"kind": "leaf", "field": "diagnosis.histology_type",
                                                    "op": "under", "value": "differentiated"})]), f"""
        SELECT d.pseudonym, d.index_date FROM ({DIAGNOSED}) d
        WHERE d.pseudonym IN (SELECT pseudonym FROM thyroid_diagnosis WHERE icd10 = 'C73' OR icd10 LIKE 'C73.%')
          AND d.pseudonym IN (SELECT pseudonym FROM thyroid_diagnosis
                              WHERE histology_type IN ('papillary', 'follicular', 'oncocytic',
                                                       'invasive_encapsulated_follicular_variant_papillary'))"""),
    "occurrence count": (_cohort([("3+ courses", {"kind": "leaf", "field": "radioiodine.procedure", "op": "=",
                                                  "value": "therapy", "occurrence": {"count": 3}})]), f"""
        SELECT d.pseudonym, d.index_date FROM ({DIAGNOSED}) d
        WHERE d.pseudonym IN (SELECT pseudonym FROM thyroid_radioiodine WHERE procedure = 'therapy'
                              GROUP BY 1 HAVING count(*) >= 3)"""),
    "temporal window": (_cohort([("PD 12-16 months", {"kind": "leaf", "field": "imaging.recist_response", "op": "=",
                                                      "value": "PD", "window": {"start": 12, "end": 16,
                                                                                "unit": "months"}})],
                                index=FIRST_I131), """
        WITH first AS (SELECT pseudonym, min(entry_date) AS index_date FROM thyroid_radioiodine
                       WHERE procedure = 'therapy' GROUP BY 1)
        SELECT f.pseudonym, f.index_date FROM first f
        WHERE EXISTS (SELECT 1 FROM thyroid_imaging i WHERE i.pseudonym = f.pseudonym AND i.recist_response = 'PD'
                      AND i.entry_date BETWEEN f.index_date + INTERVAL 12 MONTH
                                           AND f.index_date + INTERVAL 16 MONTH)"""),
    "before the first targeted therapy": (_cohort([("I-131 before", {
        "kind": "leaf", "field": "radioiodine.procedure", "op": "=", "value": "therapy", "window": {"end": -1}})],
        index={"field": "targeted_therapy.drug", "op": "present", "which": "first"}), """
        WITH first AS (SELECT pseudonym, min(entry_date) AS index_date FROM thyroid_targeted_therapy
                       WHERE drug IS NOT NULL GROUP BY 1)
        SELECT f.pseudonym, f.index_date FROM first f
        WHERE EXISTS (SELECT 1 FROM thyroid_radioiodine r WHERE r.pseudonym = f.pseudonym
                      AND r.procedure = 'therapy' AND r.entry_date <= f.index_date - INTERVAL 1 DAY)"""),
    "derived field": (_cohort([("over 55", {"kind": "leaf", "field": "derived.age_at_index", "op": ">",
                                            "value": 55})],
                              derived=[{"name": "age_at_index", "expr": "index_year - birth_year"}]), f"""
        SELECT d.pseudonym, d.index_date FROM ({DIAGNOSED}) d JOIN patient p USING (pseudonym)
        WHERE year(d.index_date) - p.birth_year > 55"""),
    "units": (_cohort([("600 mCi", {"kind": "leaf", "field": "thyroid_activity.total_mbq", "op": ">=", "value": 600,
                                    "unit": "mCi"})]), f"""
        SELECT d.pseudonym, d.index_date FROM ({DIAGNOSED}) d JOIN thyroid_activity a USING (pseudonym)
        WHERE a.total_mbq >= 22200"""),
    "AT_LEAST 2 of 3": (_cohort([("2 of 3", {"kind": "at_least", "n": 2, "items": [WOMEN, V600E, STAGE_IV]})]), f"""
        SELECT d.pseudonym, d.index_date FROM ({DIAGNOSED}) d JOIN patient p USING (pseudonym)
        WHERE (CASE WHEN p.sex = 'F' THEN 1 ELSE 0 END)
            + (CASE WHEN d.pseudonym IN ({HAS_V600E}) THEN 1 ELSE 0 END)
            + (CASE WHEN d.pseudonym IN ({IS_IV}) THEN 1 ELSE 0 END) >= 2"""),
    "attrition with 5 rules": (_cohort([
        ("differentiated", {"kind": "leaf", "field": "diagnosis.histology_type", "op": "under",
                            "value": "differentiated"}),
        ("I-131", {"kind": "leaf", "field": "radioiodine.procedure", "op": "=", "value": "therapy"}),
        ("100 mCi", {"kind": "leaf", "field": "thyroid_activity.total_mbq", "op": ">=", "value": 100, "unit": "mCi"}),
        ("PD after", {"kind": "leaf", "field": "imaging.recist_response", "op": "=", "value": "PD",
                      "window": {"start": 0}}),
        ("women", WOMEN)]), f"""
        SELECT d.pseudonym, d.index_date FROM ({DIAGNOSED}) d JOIN patient p USING (pseudonym)
        JOIN thyroid_activity a USING (pseudonym)
        WHERE d.pseudonym IN (SELECT pseudonym FROM thyroid_diagnosis
                              WHERE histology_type IN ('papillary', 'follicular', 'oncocytic',
                                                       'invasive_encapsulated_follicular_variant_papillary'))
          AND d.pseudonym IN (SELECT pseudonym FROM thyroid_radioiodine WHERE procedure = 'therapy')
          AND a.total_mbq >= 3700 AND p.sex = 'F'
          AND EXISTS (SELECT 1 FROM thyroid_imaging i WHERE i.pseudonym = d.pseudonym
                      AND i.recist_response = 'PD' AND i.entry_date >= d.index_date)"""),
}


def _members(table: pa.Table) -> list[tuple[str, dt.date]]:
    return sorted(zip(table.column("pseudonym").to_pylist(), table.column("index_date").to_pylist(), strict=True))


def _timed(step, repeats: int = 3) -> tuple[list[float], object]:  # type: ignore[no-untyped-def]
    """The time of each of `repeats` runs of `step`, and its last result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - started)
    return times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--spark", action="store_true", help="also time each definition on Spark (local mode)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cohort-bench-") as scratch:  # the store and cache go with it
        body = _measure(args, Path(scratch))
    if not args.no_write:
        write_section("Cohort search", body)


def _measure(args: argparse.Namespace, folder: Path) -> str:
    """Build the store in `folder`, time every definition, print the rows; the section's text."""
    os.environ["ONCOBANK_COHORTS"] = str(folder / "cohorts")
    started = time.perf_counter()
    delta = PublishDelta(tuple(store_tables(args.patients)), full=True)
    url = str(folder / "analysis.duckdb")
    open_sink(url).apply(delta)
    print(f"store of {args.patients:,} patients built in {time.perf_counter() - started:.1f} s")
    lines = ["| definition | members | cohort (s) | first run (s) | hand SQL (s) | ratio |"
             + (" Spark (s) |" if args.spark else ""),
             "| --- | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if args.spark else "")]
    ratios = []
    spark_times: dict[str, float] = {}
    if args.spark:
        spark_url = f"spark:{folder / 'lake'}"
        open_sink(spark_url).apply(delta)
        with connect(spark_url) as lake:
            for name, (definition, _) in CASES.items():
                times, _ = _timed(lambda d=definition: run(d, lake, evidence=False, people=False), repeats=1)
                spark_times[name] = times[0]
    with connect(url) as store:
        con = store.ibis.con
        for name, (definition, sql) in CASES.items():
            runs, result = _timed(lambda d=definition: run(d, store, evidence=False, people=False))
            hands, hand = _timed(lambda s=sql: con.sql(s).to_arrow_table())
            assert _members(result.members) == _members(hand), name  # type: ignore[union-attr]
            ours, theirs = min(runs), min(hands)
            ratios.append(ours / theirs)
            extra = f" {spark_times[name]:.2f} |" if args.spark else ""
            lines.append(f"| {name} | {result.count:,} | {ours:.3f} | {runs[0]:.3f} | {theirs:.3f} | "  # type: ignore[union-attr]
                         f"{ours / theirs:.2f} |{extra}")
            print(lines[-1])
        definition = CASES["attrition with 5 rules"][0]
        key = saved.cache_key(definition, store.target.describe(), store.snapshot)
        result = run(definition, store, evidence=False, people=False)
        saved.remember(key, result.to_dict(), result.members)
        cached_times, _ = _timed(lambda: saved.cached(saved.cache_key(definition, store.target.describe(),
                                                                       store.snapshot)))
        cached = min(cached_times)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = (f"Median ratio {statistics.median(ratios):.2f} ×, largest {max(ratios):.2f} × (goals ≤ 1.5 ×, ≤ 3 ×); "
               f"cached re-run of the 5-rule attrition {cached * 1000:.1f} ms (goal < 50 ms); peak memory "
               f"{peak:,.0f} MB.")
    print(summary)
    body = (f"`python benchmarks/cohort.py --patients {args.patients}`: synthetic store of {args.patients:,} patients "
            "(seeded), each definition through `oncobank.cohort.run` (compiled to Ibis, members and attrition "
            "fetched) next to hand-written DuckDB SQL (members only), best of 3, member sets asserted equal. The first "
            "run compiles the definition; the next two reuse the compiled expressions, as any re-run on an open "
            "store does (first run shown apart).\n\n" + "\n".join(lines) + "\n\n" + summary)
    return body


if __name__ == "__main__":
    main()
