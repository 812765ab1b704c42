"""Pick an interface text in Russian or English from a table of (en, ru) pairs, with its blanks filled in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def pick(labels: Mapping[str, tuple[str, str]], key: str, lang: str = "en", **values: Any) -> str:
    """The text `key` of `labels` in `lang` ("en" or "ru"), formatted with `values`."""
    en, ru = labels[key]
    return (ru if lang == "ru" else en).format(**values)
