"""Which table and column names the analysis store accepts: lower-case identifiers every backend keeps as written."""

from __future__ import annotations

import re

from oncobank.engine.errors import EngineError

_NAME = re.compile(r"[a-z][a-z0-9_]*")
MAX_LENGTH = 63  # PostgreSQL cuts identifiers longer than this
INTERNAL_PREFIX = "_oncobank_"  # the engine's own tables start with an underscore, which no user name may


def check_name(name: object, what: str = "table") -> str:
    """`name` itself if it is a safe identifier ([a-z][a-z0-9_]*, at most 63 characters), else EngineError."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > MAX_LENGTH:
        raise EngineError(
            f"{what} name {name!r} refused: use lower-case letters, digits and _ "
            f"(starting with a letter, at most {MAX_LENGTH} characters)"
        )
    return name


def quote(name: str) -> str:
    """`name` as a double-quoted SQL identifier (DuckDB and PostgreSQL); only checked or internal names come here."""
    return '"' + name.replace('"', '""') + '"'
