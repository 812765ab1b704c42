"""What every source adapter yields: one source row as written, and the error for a file that cannot be read."""

from __future__ import annotations

from dataclasses import dataclass, field


class AdapterError(ValueError):
    """A file that cannot be read at all (missing, wrong encoding): names the file and where it broke."""


@dataclass(frozen=True)
class SourceRow:
    """One row as the source wrote it; `problem` is set when the row itself is malformed."""

    file: str
    location: str
    fields: dict[str, str]
    problem: str | None = field(default=None)
