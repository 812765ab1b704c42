"""The checks as Ibis expressions: per source table a violated and a denominator flag per check, counted or listed.

Field checks and condition rules of one table share one unit (so one scan answers them all); each other
cross-table rule has its own. A unit counts its flags in one aggregate (`Unit.counts`), or gives per row
`pseudonym` (and `entry_key` where rows are entries), the flags and the value a problem list shows (`Unit.rows`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from oncobank.deid.schema import CENTRE, ENTRY_KEY, PATIENT
from oncobank.engine.delta import KEY
from oncobank.quality.model import Check, Condition, Side


@dataclass(frozen=True)
class Context:
    """What a run fixes: the date "now" means, and how far the publish may have moved each date (days)."""

    as_of: dt.date
    margin_days: int = 0


Flags = tuple[ir.BooleanValue | None, ir.BooleanValue, ir.Value]  # denominator (None: every row), violated, value
Make = Callable[[ir.Table], list[Flags]]


@dataclass(frozen=True)
class Unit:
    """One query: `make` gives, on `source` or a table with its columns, each check's flags.

    A violated flag counts only where the denominator holds; a missing (null) flag counts as false.
    """

    name: str
    source: ir.Table
    checks: tuple[Check, ...]
    entries: bool
    make: Make

    @property
    def rows(self) -> ir.Table:
        """Per row: `pseudonym` (and `entry_key`) and per check k the flags `d_k`, `v_k` and the value `x_k`."""
        t = self.source
        columns: dict[str, ir.Value] = {}
        for k, (d, v, x) in enumerate(self.make(t)):
            d = ibis.literal(True) if d is None else _true(d)
            columns[f"d_{k}"], columns[f"v_{k}"], columns[f"x_{k}"] = d, d & _true(v), x
        return t.select(*([KEY, ENTRY_KEY] if self.entries else [KEY]), **columns)

    def counts(self, t: ir.Table, by: str) -> tuple[ir.Table, list[tuple[str, str]]]:
        """The flags counted per value of column `by` of `t` (the source's columns and `by`) in one pass, and per
        check the names of its denominator and violated counts (a count shared by checks is taken once)."""
        counted: dict[Any, tuple[str, ir.Value]] = {}

        def name(expr: ir.Value) -> str:
            return counted.setdefault(expr.op(), (f"n_{len(counted)}", expr))[0]

        names = []
        for d, v, _ in self.make(t):
            names.append((name(t.count()) if d is None else name(_true_count(t, d)),
                          name(_true_count(t, v if d is None else d & v))))
        return t.group_by(by).aggregate(**dict(counted.values())), names


Tables = Callable[[str], ir.Table]


def _true_count(t: ir.Table, flag: ir.BooleanValue) -> ir.Value:
    """How many rows `flag` holds on; a null or not-null test as a count of the values (read from the null mask)."""
    op = flag.op()
    if not isinstance(flag, ir.Column):  # a literal: every row or none
        return ibis.ifelse(flag, t.count(), 0)
    if isinstance(op, ops.NotNull):
        return op.arg.to_expr().count()  # type: ignore[attr-defined]
    if isinstance(op, ops.IsNull):
        return t.count() - op.arg.to_expr().count()  # type: ignore[attr-defined]
    return flag.sum()  # a boolean's sum, rather than COUNT ... FILTER: many times faster on DuckDB


def _true(expr: ir.BooleanValue) -> ir.BooleanValue:
    return expr.fill_null(False)


def _missing(col: ir.Value, params: dict[str, Any]) -> ir.BooleanValue:
    if params.get("multiple"):
        return col.isnull() | (col.length() == 0)  # type: ignore[attr-defined]
    return col.isnull()


def _date_bound(col: ir.Value, day: dt.date) -> ir.Value:
    """`day` as the column's type: a date, or a year in a store published with `dates: year`."""
    return ibis.literal(day.year) if col.type().is_integer() else ibis.literal(day)


def field_flags(check: Check, t: ir.Table, ctx: Context) -> tuple[ir.BooleanValue | None, ir.BooleanValue]:
    """(denominator, violated) of a field or section check on the rows of its table; a denominator of None is every
    row. A violated flag may be null where the value is missing (it then does not count)."""
    col = t[check.column]
    p, query = check.params, check.scoring.query  # type: ignore[attr-defined]
    if query in ("missing", "missing_entry_date"):
        return None, _missing(col, p)
    present = col.notnull() if not p.get("multiple") else ~_missing(col, p)
    if query == "outside_domain":
        codes = p["codes"]
        if p.get("multiple"):
            return present, col.filter(lambda v: ~v.isin(codes)).length() > 0  # type: ignore[attr-defined]
        return present, ~col.isin(codes)
    if query == "outside_range":
        bounds = [col < p["min"]] if p.get("min") is not None else []
        bounds += [col > p["max"]] if p.get("max") is not None else []
        return present, reduce(lambda a, b: a | b, bounds) if bounds else ibis.literal(False)
    margin = dt.timedelta(days=ctx.margin_days)
    if query == "date_before":
        return present, col < _date_bound(col, dt.date.fromisoformat(p["earliest"]) - margin)
    if query == "date_after":
        return present, col > _date_bound(col, ctx.as_of + margin)
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


def condition_flags(check: Check, t: ir.Table) -> Flags:
    """A condition rule on the rows of its table: rows meeting `when` (every row without one) but not `require`."""
    rule = check.rule
    assert rule is not None and rule.kind == "condition"
    return (all_of(t, rule.when) if rule.when else None), ~all_of(t, rule.require), t[rule.require[0].column]


def field_unit(table: str, checks: list[Check], tables: Tables, ctx: Context) -> Unit:
    """The field and section checks and the condition rules of one table, answered by one pass over its rows."""
    t = tables(table)

    def make(rows: ir.Table) -> list[Flags]:
        return [condition_flags(c, rows) if c.rule else (*field_flags(c, rows, ctx), rows[c.column]) for c in checks]

    return Unit(table, t, tuple(checks), ENTRY_KEY in t.columns, make)


def disagree_unit(table: str, checks: list[Check], tables: Tables) -> Unit:
    """Non-repeating sections: per patient, a field with more than one distinct value among their entries."""
    t = tables(table)
    counts = t.group_by(_patient(t)).aggregate(**{f"n_{k}": t[c.column].nunique() for k, c in enumerate(checks)})

    def make(rows: ir.Table) -> list[Flags]:
        return [(rows[f"n_{k}"] >= 1, rows[f"n_{k}"] > 1, rows[f"n_{k}"]) for k in range(len(checks))]

    return Unit(f"{table} (duplicates)", counts, tuple(checks), False, make)


def rule_unit(check: Check, tables: Tables, ctx: Context) -> Unit:
    """One cross-section rule (a date order, currency or aggregate match; conditions join their table's unit)."""
    rule = check.rule
    assert rule is not None
    if rule.kind == "date_order":
        assert rule.first and rule.then
        first = _filtered(tables, rule.first)
        earliest = first.group_by(KEY).aggregate(first_date=first[rule.first.column].min())
        then = _filtered(tables, rule.then)
        then = then.filter(then[rule.then.column].notnull())
        rows = then.left_join(earliest, KEY).select(*[then[c] for c in then.columns], earliest.first_date)
        column, violation = rule.then.column, rule.missing == "violation"

        def ordered(r: ir.Table) -> Flags:
            before = _true(r[column] < r.first_date)
            if violation:
                return None, before | r.first_date.isnull(), r[column]
            return r.first_date.notnull(), before, r[column]

        return _single(check, rows, ordered)
    if rule.kind == "currency":
        t = tables(rule.table or "")
        latest = t.group_by(KEY).aggregate(latest=t[rule.column or ""].max())
        patients = tables(PATIENT)
        if rule.exclude:
            patients = patients.filter(~all_of(patients, rule.exclude))
        rows = patients.left_join(latest, KEY).select(*[patients[c] for c in _patient(patients)], latest.latest)
        cutoff = ctx.as_of - dt.timedelta(days=(rule.days or 0) + ctx.margin_days)
        return _single(check, rows, lambda r: (
            None, r.latest.isnull() | _true(r.latest < _date_bound(r.latest, cutoff)), r.latest))
    assert rule.left and rule.right
    left, right = _filtered(tables, rule.left), _filtered(tables, rule.right)
    lsum = left.group_by(_patient(left)).aggregate(lv=left[rule.left.column].sum())
    rsum = right.group_by(KEY).aggregate(rv=right[rule.right.column].sum())
    rows = lsum.join(rsum, KEY).select(*[lsum[c] for c in _patient(lsum)], lsum.lv, rsum.rv)
    tolerance = rule.tolerance_pct / 100

    def matched(r: ir.Table) -> Flags:
        scale = ibis.greatest(r.lv.abs(), r.rv.abs())
        return r.lv.notnull() & r.rv.notnull(), (r.lv - r.rv).abs() > scale * tolerance, r.lv

    return _single(check, rows, matched)


def _patient(t: ir.Table) -> list[str]:
    """The pseudonym, and the patient's centre where the table carries it (counts per centre then need no join)."""
    return [KEY, CENTRE] if CENTRE in t.columns else [KEY]


def _single(check: Check, rows: ir.Table, flags: Callable[[ir.Table], Flags]) -> Unit:
    return Unit(check.id, rows, (check,), ENTRY_KEY in rows.columns, lambda r: [flags(r)])
