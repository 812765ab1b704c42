"""Numbers as a reader of each language writes them: a decimal comma and a thin-space thousands mark in Russian."""

from __future__ import annotations

import math


def number(value: float | int, lang: str = "en", digits: int | None = None) -> str:
    """`value` shortest (`:g`) or with `digits` decimals; Russian gets a decimal comma."""
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    text = f"{value:g}" if digits is None else f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "ru" else text
