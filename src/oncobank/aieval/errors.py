"""Errors of AI evaluation: bad input files (naming file, row, field, value, rule) and broken lifecycle rules."""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHOWN = 20
HIDDEN = object()  # an Issue value not to be shown (a study UID is an identifier: the cell names the place)


@dataclass(frozen=True)
class Issue:
    """One problem in an input file, with where it is and which rule it breaks."""

    file: str
    row: int | str | None
    field: str | None
    value: object
    rule: str
    message: str

    def __str__(self) -> str:
        where = [f"file {self.file}"]
        if self.row is not None:
            where.append(f"row {self.row}" if isinstance(self.row, int) else str(self.row))
        if self.field is not None:
            where.append(f"field {self.field}")
        value = "" if self.value is HIDDEN else f"value {self.value!r}: "
        return f"{', '.join(where)}: {value}{self.message} [rule: {self.rule}]"


class InputFileError(ValueError):
    """An input file that cannot be used; lists every problem found (the first MAX_SHOWN in the message)."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        lines = [str(i) for i in issues[:MAX_SHOWN]]
        if len(issues) > MAX_SHOWN:
            lines.append(f"… and {len(issues) - MAX_SHOWN} more problems")
        super().__init__("\n".join(lines))


class LifecycleError(ValueError):
    """A stage change the testing-and-monitoring rules do not allow."""
