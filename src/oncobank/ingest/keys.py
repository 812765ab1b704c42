"""A WHERE clause for many (a, b) key pairs that PostgreSQL plans quickly: `a = x AND b = ANY(array)` per a."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, any_, bindparam, false, or_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def pairs_in(s: Session, first: Any, second: Any, pairs: Iterable[tuple[Any, Any]]) -> ColumnElement[bool]:
    """`(first, second) IN pairs`, grouped by the first value.

    A row-value IN list of a few thousand pairs becomes as many OR-ed index probes, and PostgreSQL spends about
    a second planning it; the ingest's pairs share a handful of first values (a source, a system), so grouping
    gives a few index scans instead. On PostgreSQL each group's values travel as one array parameter, so the
    statement text stays the same from chunk to chunk instead of growing by a placeholder per value.
    """
    grouped: dict[Any, set[Any]] = {}
    for a, b in pairs:
        grouped.setdefault(a, set()).add(b)
    if not grouped:
        return false()
    if s.get_bind().dialect.name == "postgresql":
        return or_(*(and_(first == a, second == any_(bindparam(None, sorted(bs), type_=ARRAY(second.type))))
                     for a, bs in sorted(grouped.items())))
    return or_(*(and_(first == a, second.in_(sorted(bs))) for a, bs in sorted(grouped.items())))
