"""Errors raised by the clinical store."""

from __future__ import annotations

import json
from typing import Any

from oncobank.dictionary.validate import clip

NOT_SHOWN: Any = object()  # a BadInput without a value to show


class StoreError(Exception):
    """Base class of the clinical store's errors."""


class NotFound(StoreError, LookupError):
    """A patient, entry, user or centre that does not exist."""


class ConflictError(StoreError):
    """Someone else changed the entry since it was read (optimistic version check failed)."""

    def __init__(self, entry_id: int, expected: int, actual: int | None):
        self.entry_id = entry_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"entry {entry_id} was changed by someone else: you edited version {expected}, "
            f"the store now holds version {actual}; reload the entry and apply your change again"
        )


class RuleViolation(StoreError, ValueError):
    """A write that breaks a rule of the store itself (not of the dictionary)."""


class SchemaOutOfDate(StoreError):
    """The database has not been initialised or upgraded to this version of OncoBank."""


class BadInput(RuleViolation):
    """Input a job cannot read, named by place: `FILE:LINE: FIELD: VALUE: message [rule: RULE]`.

    The value is shown only when it is given (leave it out for an identifier, or when there is none).
    """

    def __init__(
        self, file: str, line: int | None, rule: str, message: str, *, field: str | None = None, value: Any = NOT_SHOWN
    ) -> None:
        self.file, self.line, self.field, self.value, self.rule = file, line, field, value, rule
        parts = [file if line is None else f"{file}:{line}"]
        if field:
            parts.append(field)
        if value is not NOT_SHOWN:
            parts.append(clip(json.dumps(value, ensure_ascii=False, default=str)))
        super().__init__(f"{': '.join(parts)}: {message} [rule: {rule}]")


class LoadStopped(StoreError):
    """A load that stopped part-way: what it committed is in `report`; loading the same file again finishes it."""

    def __init__(self, report: Any, line: int, reason: str) -> None:
        self.report, self.line, self.reason = report, line, reason
        left = report.lines - report.patients_in
        if not left:
            super().__init__(f"every line of {report.source} is committed, but the load stopped after: {reason}")
            return
        super().__init__(
            f"the load stopped at line {line} of {report.source}: {reason}; the {report.patients_in} patient lines "
            f"before it are committed (counted above), the {left} from it on are not: "
            "run the same command again to finish"
        )


def database_reason(exc: BaseException) -> str:
    """What went wrong with the database, without the statement, its parameters or the driver's detail lines."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return f"{type(orig or exc).__name__}: {text[0]}" if text else type(orig or exc).__name__
