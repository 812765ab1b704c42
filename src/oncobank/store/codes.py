"""The checks every one-line ID or code kept in the store gets: present, one line, clean characters, short enough."""

from __future__ import annotations

from typing import Any

from oncobank.dictionary.validate import Issue, text_problem


def column_length(column: Any) -> int:
    """The declared length of a model's String column: SQLite does not enforce it, PostgreSQL does, so we do.

    An encrypted identifier's column declares the length of the identifier itself (`limit`)."""
    return int(getattr(column.type, "limit", None) or column.type.length)


def code_issue(field: str, value: Any, column: Any, *, patient: str | None = None, shown: bool = True,
               section: str = "patient") -> Issue | None:
    """The issue of a one-line ID or code kept in `column` (required, type, length, characters), or None.

    `shown=False` keeps the value out of the issue (a source system's identifier of the patient).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return Issue(section, field, None, "required", "a value is required", patient=patient)
    problem = text_problem(value, column_length(column), single_line=True)
    if problem is None:
        return None
    return Issue(section, field, value if shown else None, *problem, patient=patient)
