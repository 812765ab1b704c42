"""One comparison (`field op value`) as an Ibis boolean on its table, values in the column's unit and codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from oncobank.cohort.fields import Catalogue, CohortError, Column, code_family
from oncobank.cohort.model import Condition


def predicate(table: ir.Table, condition: Condition, column: Column, catalogue: Catalogue) -> ir.BooleanValue:
    """`condition` as a boolean expression over rows of `table` (the table `column` is in)."""
    value = table[column.column]
    op = condition.op
    if op == "missing":
        return value.isnull() | (value.length() == 0) if column.is_list else value.isnull()
    if op == "present":
        return value.notnull() & (value.length() > 0) if column.is_list else value.notnull()
    if op == "contains":
        if column.type != "string":
            raise CohortError(f"{condition.field}: contains is for text, the column is {column.type}")
        return value.lower().contains(str(condition.value).lower())
    if op == "under":
        codes = sorted(set().union(*(code_family(column.domain, _code(condition, column, v, loose=True))
                                     for v in _listed(condition.value))))
        return _any_code(value, column, codes, prefixes=True)
    if op in ("in", "not_in"):
        codes = [_code(condition, column, v) for v in condition.value]
        held = _any_code(value, column, codes)
        return held if op == "in" else ~held & value.notnull()
    if op in ("=", "!=") and (column.domain is not None or column.is_list):
        held = _any_code(value, column, [_code(condition, column, condition.value)])
        return held if op == "=" else ~held & value.notnull()
    if op == "between":
        low, high = (_scalar(condition, column, v, catalogue) for v in condition.value)
        return value.between(low, high)
    target = _scalar(condition, column, condition.value, catalogue)
    compare = {"=": value.__eq__, "!=": value.__ne__, "<": value.__lt__, "<=": value.__le__, ">": value.__gt__,
               ">=": value.__ge__}[op]
    return compare(target)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _any_code(value: ir.Value, column: Column, codes: list[str], prefixes: bool = False) -> ir.BooleanValue:
    """The value (or, for a list column, any item) is one of `codes`, or with `prefixes` a dotted child (C73.9)."""
    if column.is_list:
        held = ibis.literal(False)
        for code in codes:
            held = held | value.contains(code)
        return held
    held = value.isin(codes)
    if prefixes:
        for code in codes:
            held = held | value.startswith(code + ".")
    return held


def _code(condition: Condition, column: Column, raw: Any, loose: bool = False) -> str:
    """A code of the column's domain, an alias read as its code; `loose` lets an unlisted prefix (C78) through."""
    text = str(raw).strip()
    if column.domain is None:
        return text
    for code in column.domain.codes:
        if text.casefold() in {code.code.casefold(), *(a.casefold() for a in code.aliases)}:
            return code.code
    groups = {c.group for c in column.domain.codes if c.group}
    if loose or text in groups:
        return text
    known = ", ".join(c.code for c in column.domain.codes)
    raise CohortError(f"{condition.field}: {text!r} is not a code of {column.domain.label.en} (codes: {known})")


def _scalar(condition: Condition, column: Column, raw: Any, catalogue: Catalogue) -> Any:
    """A number in the column's unit, a date, or a text, as the column's type needs."""
    if column.type.startswith("date"):
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            raise CohortError(f"{condition.field}: {raw!r} is not a date (YYYY-MM-DD)") from None
    if column.is_number:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise CohortError(f"{condition.field}: {raw!r} is not a number")
        if condition.unit and column.unit and condition.unit != column.unit:
            return float(raw) * unit_factor(condition, column, catalogue)
        if condition.unit and not column.unit:
            raise CohortError(f"{condition.field} has no unit; {condition.unit} cannot apply")
        return raw
    if column.type == "bool":
        if not isinstance(raw, bool):
            raise CohortError(f"{condition.field}: {raw!r} is not true or false")
        return raw
    return str(raw)


def unit_factor(condition: Condition, column: Column, catalogue: Catalogue) -> float:
    """How many of the column's unit make one of the condition's unit (600 mCi -> 22,200 MBq)."""
    try:
        return catalogue.dictionary.units.factor(condition.unit or "", column.unit or "")
    except Exception:  # pint's undefined-unit and dimensionality errors
        raise CohortError(f"{condition.field}: unit {condition.unit!r} does not convert to {column.unit}") from None
