"""Numbers as a reader of each language writes them: a decimal point in English, a decimal comma in Russian."""

from __future__ import annotations

import math


def number(value: float | int, lang: str = "en", spec: str = "g") -> str:
    """`value` in the format `spec` (shortest by default); Russian gets a decimal comma; NaN is a dash."""
    if isinstance(value, float) and not math.isfinite(value):
        return "—" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    text = format(value, spec)
    return text.replace(".", ",") if lang == "ru" else text
