"""The checks as Ibis expressions: per source table one row set carrying a violated and a denominator flag per check.

Field checks of one table share one row set (so one scan answers them all); each cross-table rule has its own.
A unit's rows keep `pseudonym` (and `entry_key` where rows are entries) and the value a problem list shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Any

import ibis
import ibis.expr.types as ir

from oncobank.deid.schema import ENTRY_KEY, PATIENT
from oncobank.engine.delta import KEY
from oncobank.quality.model import Check, Condition, Side


@dataclass(frozen=True)
class Context:
    """What a run fixes: the date "now" means, and how far the publish may have moved each date (days)."""

    as_of: dt.date
    margin_days: int = 0


@dataclass(frozen=True)
class Unit:
    """One query: `rows` has `pseudonym`, optionally `entry_key`, and per check k `v_k` / `d_k` flags and `x_k`."""

    name: str
    rows: ir.Table
    checks: tuple[Check, ...]
    entries: bool

    def flag(self, check: Check, kind: str) -> str:
        return f"{kind}_{self.checks.index(check)}"


Tables = Callable[[str], ir.Table]


def _true(expr: ir.BooleanValue) -> ir.BooleanValue:
    return expr.fill_null(False)


def _missing(col: ir.Value, params: dict[str, Any]) -> ir.BooleanValue:
    if params.get("multiple"):
        return col.isnull() | (col.length() == 0)  # type: ignore[attr-defined]
    return col.isnull()


def _date_bound(col: ir.Value, day: dt.date) -> ir.Value:
    """`day` as the column's type: a date, or a year in a store published with `dates: year`."""
    return ibis.literal(day.year) if col.type().is_integer() else ibis.literal(day)


def field_flags(check: Check, t: ir.Table, ctx: Context) -> tuple[ir.BooleanValue, ir.BooleanValue]:
    """(denominator, violated) of a field or section check on the rows of its table."""
    col = t[check.column]
    p, query = check.params, check.scoring.query  # type: ignore[attr-defined]
    present = ~_missing(col, p)
    if query in ("missing", "missing_entry_date"):
        return ibis.literal(True), _missing(col, p)
    if query == "outside_domain":
        codes = p["codes"]
        if p.get("multiple"):
            return present, _true(col.filter(lambda v: ~v.isin(codes)).length() > 0)  # type: ignore[attr-defined]
        return present, _true(~col.isin(codes))
    if query == "outside_range":
        low = col < p["min"] if p.get("min") is not None else ibis.literal(False)
        high = col > p["max"] if p.get("max") is not None else ibis.literal(False)
        return present, _true(low | high)
    margin = dt.timedelta(days=ctx.margin_days)
    if query == "date_before":
        return present, _true(col < _date_bound(col, dt.date.fromisoformat(p["earliest"]) - margin))
    if query == "date_after":
        return present, _true(col > _date_bound(col, ctx.as_of + margin))
    raise ValueError(f"check {check.id}: unknown query {query}")


def condition(t: ir.Table, c: Condition) -> ir.BooleanValue:
    col = t[c.column]
    if c.op == "null":
        return col.isnull()
    if c.op == "not_null":
        return col.notnull()
    if c.op in ("in", "not_in"):
        found = col.isin(c.value)
        return _true(found if c.op == "in" else ~found)
    other = t[c.other] if c.other else ibis.literal(_typed(c.value, col))
    compare = {"eq": col == other, "ne": col != other, "lt": col < other, "le": col <= other, "gt": col > other,
               "ge": col >= other}[c.op]
    return _true(compare)


def _typed(value: Any, col: ir.Value) -> Any:
    if col.type().is_date() and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def all_of(t: ir.Table, conditions: Iterable[Condition]) -> ir.BooleanValue:
    return reduce(lambda a, b: a & b, [condition(t, c) for c in conditions], ibis.literal(True))


def _filtered(tables: Tables, side: Side) -> ir.Table:
    t = tables(side.table)
    return t.filter(all_of(t, side.where)) if side.where else t


def field_unit(table: str, checks: list[Check], tables: Tables, ctx: Context) -> Unit:
    """The field and section checks of one table, answered by one pass over its rows."""
    t = tables(table)
    flags: dict[str, ir.Value] = {}
    for k, check in enumerate(checks):
        denominator, violated = field_flags(check, t, ctx)
        flags[f"d_{k}"], flags[f"v_{k}"] = denominator, violated & denominator
        flags[f"x_{k}"] = t[check.column]
    keys = [KEY, ENTRY_KEY] if ENTRY_KEY in t.columns else [KEY]
    return Unit(table, t.select(*keys, **flags), tuple(checks), ENTRY_KEY in keys)


def disagree_unit(table: str, checks: list[Check], tables: Tables) -> Unit:
    """Non-repeating sections: per patient, a field with more than one distinct value among their entries."""
    t = tables(table)
    counts = t.group_by(KEY).aggregate(**{f"n_{k}": t[c.column].nunique() for k, c in enumerate(checks)})
    flags: dict[str, ir.Value] = {}
    for k in range(len(checks)):
        n = counts[f"n_{k}"]
        flags[f"d_{k}"], flags[f"v_{k}"], flags[f"x_{k}"] = n >= 1, n > 1, n
    return Unit(f"{table} (duplicates)", counts.select(KEY, **flags), tuple(checks), False)


def rule_unit(check: Check, tables: Tables, ctx: Context) -> Unit:
    """One cross-field or cross-section rule."""
    rule = check.rule
    assert rule is not None
    if rule.kind == "condition":
        t = tables(rule.table or "")
        when = all_of(t, rule.when)
        violated = when & ~all_of(t, rule.require)
        value = t[rule.require[0].column]
        return _single(check, t, when, violated, value)
    if rule.kind == "date_order":
        assert rule.first and rule.then
        first = _filtered(tables, rule.first)
        earliest = first.group_by(KEY).aggregate(first_date=first[rule.first.column].min())
        then = _filtered(tables, rule.then)
        then = then.filter(then[rule.then.column].notnull())
        rows = then.left_join(earliest, KEY).select(*[then[c] for c in then.columns], earliest.first_date)
        has_first = rows.first_date.notnull()
        violated = _true(rows[rule.then.column] < rows.first_date)
        if rule.missing == "violation":
            return _single(check, rows, ibis.literal(True), violated | ~has_first, rows[rule.then.column])
        return _single(check, rows, has_first, violated, rows[rule.then.column])
    if rule.kind == "currency":
        t = tables(rule.table or "")
        latest = t.group_by(KEY).aggregate(latest=t[rule.column or ""].max())
        patients = tables(PATIENT)
        if rule.exclude:
            patients = patients.filter(~all_of(patients, rule.exclude))
        rows = patients.select(KEY).left_join(latest, KEY).select(patients[KEY], latest.latest)
        cutoff = ctx.as_of - dt.timedelta(days=(rule.days or 0) + ctx.margin_days)
        stale = rows.latest.isnull() | _true(rows.latest < _date_bound(rows.latest, cutoff))
        return _single(check, rows, ibis.literal(True), stale, rows.latest)
    assert rule.left and rule.right
    left, right = _filtered(tables, rule.left), _filtered(tables, rule.right)
    lsum = left.group_by(KEY).aggregate(lv=left[rule.left.column].sum())
    rsum = right.group_by(KEY).aggregate(rv=right[rule.right.column].sum())
    rows = lsum.join(rsum, KEY).select(lsum[KEY], lsum.lv, rsum.rv)
    both = rows.lv.notnull() & rows.rv.notnull()
    scale = ibis.greatest(rows.lv.abs(), rows.rv.abs())
    violated = _true((rows.lv - rows.rv).abs() > scale * (rule.tolerance_pct / 100))
    return _single(check, rows, both, violated, rows.lv)


def _single(check: Check, rows: ir.Table, denominator: ir.BooleanValue, violated: ir.BooleanValue,
            value: ir.Value) -> Unit:
    keys = [KEY, ENTRY_KEY] if ENTRY_KEY in rows.columns else [KEY]
    d = _true(denominator)
    selected = rows.select(*keys, d_0=d, v_0=d & _true(violated), x_0=value)
    return Unit(check.id, selected, (check,), ENTRY_KEY in keys)
