"""Problem lists: the rows a failed check found, by pseudonym and entry key only (never an identifying value)."""

from __future__ import annotations

from typing import Any

from oncobank.deid.schema import ENTRY_KEY
from oncobank.engine import AnalysisStore
from oncobank.engine.delta import KEY
from oncobank.quality.compile import Context
from oncobank.quality.model import Check
from oncobank.quality.run import plan_units


def problems(store: AnalysisStore, check: Check, ctx: Context, limit: int | None = 100) -> list[dict[str, Any]]:
    """The violating rows of one check: pseudonym, entry key (entry-level checks), column and value, sorted."""
    units, skipped = plan_units(store, [check], ctx)
    if skipped:
        return []
    unit = units[0]
    rows = unit.rows.filter(unit.rows.v_0)
    keys = [KEY, ENTRY_KEY] if unit.entries else [KEY]
    query = rows.select(*keys, value=rows.x_0.cast("string")).order_by(keys)
    if limit is not None:
        query = query.limit(limit)
    found = store.to_arrow(query).to_pylist()
    return [{KEY: r[KEY], ENTRY_KEY: r.get(ENTRY_KEY), "table": check.table, "column": check.column or _column(check),
             "value": r["value"]} for r in found]


def _column(check: Check) -> str | None:
    rule = check.rule
    if rule is None:
        return None
    if rule.require:
        return rule.require[0].column
    side = rule.then or rule.left
    return side.column if side else None
