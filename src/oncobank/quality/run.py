"""Run the checks on an analysis store: one query per unit, counts per centre, timings; nothing is scored here."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import ibis
import ibis.expr.types as ir

from oncobank.deid.schema import PATIENT
from oncobank.engine import AnalysisStore
from oncobank.engine.delta import KEY
from oncobank.quality.compile import Context, Unit, disagree_unit, field_unit, rule_unit
from oncobank.quality.model import Check, Condition

NO_CENTRE = "-"
CLINICAL_TYPES = frozenset({"source_conflict"})  # check types the clinical store answers, not the analysis store


@dataclass
class Result:
    """What one check found: rows violated of its denominator, overall and per centre, and how long its query took.

    `seconds` is the time of the query that answered the check; the field checks of one table share one query.
    `reason` says why a check did not run (a table or column the store lacks); `error` why its query failed.
    """

    check: str
    violated: int = 0
    denominator: int = 0
    by_centre: dict[str, list[int]] = field(default_factory=dict)
    seconds: float = 0.0
    query: str = ""
    reason: str | None = None
    error: str | None = None


def plan_units(store: AnalysisStore, checks: list[Check], ctx: Context) -> tuple[list[Unit], list[Result]]:
    """The queries answering `checks`, and a result (with its reason) for each check the store cannot answer."""
    names = set(store.tables())
    table = cached_tables(store)

    def cols(name: str) -> set[str]:
        return set(table(name).columns)

    skipped: list[Result] = []
    by_table: dict[tuple[str, bool], list[Check]] = defaultdict(list)
    rules: list[Check] = []
    for check in checks:
        if check.type in CLINICAL_TYPES:
            skipped.append(Result(check.id, reason="counted on the clinical store (--db)"))
            continue
        lacking = _lacking(check, names, cols)
        if lacking:
            skipped.append(Result(check.id, reason=lacking))
        elif check.rule is not None and check.rule.kind == "condition":  # rows of one table: in its pass
            by_table[(check.rule.table or "", False)].append(check)
        elif check.rule is not None:
            rules.append(check)
        else:
            by_table[(check.table, check.type == "duplicate_disagree")].append(check)
    units = [disagree_unit(t, cs, table) if dup else field_unit(t, cs, table, ctx) for (t, dup), cs in by_table.items()]
    units += [rule_unit(c, table, ctx) for c in rules]
    return units, skipped


def cached_tables(store: AnalysisStore) -> Callable[[str], ir.Table]:
    """`store.table`, asking the backend for each table's schema once (the checks of a run share them)."""
    return cache(store.table)


def _lacking(check: Check, names: set[str], cols: Callable[[str], set[str]]) -> str | None:
    tables = check.tables + ((PATIENT,) if check.rule is not None and check.rule.kind == "currency" else ())
    for name in tables:
        if name not in names:
            return f"no table {name}"
    for table, column in _columns(check):
        if column not in cols(table):
            return f"no column {table}.{column}"
    return None


def _columns(check: Check) -> list[tuple[str, str]]:
    rule = check.rule
    if rule is None:
        return [(check.table, check.column or "")]
    found: list[tuple[str, str]] = []
    if rule.table:
        conds: list[Condition] = [*rule.when, *rule.require]
        found += [(rule.table, c.column) for c in conds] + [(rule.table, c.other) for c in conds if c.other]
        if rule.column:
            found.append((rule.table, rule.column))
    for side in (rule.first, rule.then, rule.left, rule.right):
        if side:
            found += [(side.table, side.column)] + [(side.table, c.column) for c in side.where]
    found += [(PATIENT, c.column) for c in rule.exclude]
    return found


def centre_counts(unit: Unit, patients: ir.Table | None) -> tuple[ir.Table, list[tuple[str, str]]]:
    """The unit's flags counted per centre: a row's own `centre`, else the patient table's for its pseudonym."""
    rows = unit.source
    if "centre" not in rows.columns:
        if patients is not None and "centre" in patients.columns:
            rows = rows.left_join(patients.select(KEY, "centre"), KEY)
        else:
            rows = rows.mutate(centre=ibis.null("string"))
    return unit.counts(rows, "centre")


def run_units(store: AnalysisStore, units: list[Unit],
              step: Callable[[Unit], None] | None = None) -> list[Result]:
    """Run each unit's query once; a query that fails marks its checks `error` and the others still run."""
    results: list[Result] = []
    patients = store.table(PATIENT) if PATIENT in store.tables() else None
    for unit in units:
        started = time.perf_counter()
        try:
            query, names = centre_counts(unit, patients)
            found = store.to_arrow(query).to_pylist()
            error = None
        except Exception as exc:  # a backend's query error: recorded on the check, never a traceback
            found, names, error = [], [], f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}"
        seconds = time.perf_counter() - started
        for k, check in enumerate(unit.checks):
            result = Result(check.id, seconds=round(seconds, 4), query=unit.name, error=error)
            for row in found:
                d, v = (int(row[n] or 0) for n in names[k])
                result.by_centre[row["centre"] if row["centre"] is not None else NO_CENTRE] = [v, d]
                result.violated += v
                result.denominator += d
            results.append(result)
        if step:
            step(unit)
    return results


def default_as_of(store: AnalysisStore) -> dt.date:
    """The date of the store's last publish (its dates are as of then), else today."""
    if "publish_log" in store.tables():
        log = store.table("publish_log")
        if "published_at" in log.columns:
            last = store.to_arrow(log.published_at.max())
            if isinstance(last, dt.datetime):
                return last.date()
            if isinstance(last, str) and last:
                return dt.date.fromisoformat(last[:10])
    return dt.date.today()


def as_dict(result: Result) -> dict[str, Any]:
    return asdict(result)
