"""Source values as hospitals write them: dates in several formats, decimal commas, ranges, "<limit"."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (it counts the non-existent 29 Feb 1900)
_RANGE = re.compile(r"^\s*(-?[\d.,]+)\s*[-–—]\s*(-?[\d.,]+)\s*$")
_UPPER = re.compile(r"^\s*(?:<|<=|≤|до)\s*(-?[\d.,]+)\s*$")
_LOWER = re.compile(r"^\s*(?:>|>=|≥|от)\s*(-?[\d.,]+)\s*$")
_LIMIT = re.compile(r"^\s*(<|>|≤|≥)\s*(-?[\d.,]+)\s*$")
_ICD_LATIN = str.maketrans("САВЕКМНОРТХ", "CABEKMHOPTX")  # Cyrillic look-alikes typed into ICD-10 codes


class ValueProblem(ValueError):
    """A source value that cannot be read; `rule` names what it broke."""

    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(message)


def parse_date(text: str, formats: list[str]) -> date:
    """The first of `formats` that reads `text` ("iso", "excel" for serial day numbers, or strptime)."""
    return _parse_date(text.strip(), tuple(formats))


@lru_cache(maxsize=4096)  # rows of one order or stay repeat their dates; strptime is slow
def _parse_date(raw: str, formats: tuple[str, ...]) -> date:
    for fmt in formats:
        try:
            if fmt == "iso":
                return datetime.fromisoformat(raw).date()
            if fmt == "excel":
                serial = float(raw.replace(",", "."))
                if not 1 <= serial < 2958466:  # Excel's own bounds: 1900-01-01 … 9999-12-31
                    continue
                return EXCEL_EPOCH + timedelta(days=int(serial))
            parsed = datetime.strptime(raw, fmt)
            if raw.isdigit() and parsed.strftime(fmt) != raw:
                continue  # "%Y%m%d%H%M" reads 19811220 as 1981-01-02 02:00: digits must read back unchanged
            return parsed.date()
        except ValueError:
            continue
    raise ValueProblem("date_format", f"not a date in any of the formats {', '.join(formats)}")


def number(text: str, decimal: str) -> float:
    raw = text.strip().replace("\u00a0", "").replace(" ", "")
    if decimal == ",":
        raw = raw.replace(",", ".")
    try:
        return float(raw)
    except ValueError:
        raise ValueProblem("type", "expected a number") from None


def result_value(text: str, decimal: str, below_limit: str) -> tuple[float, str | None]:
    """A lab result and its qualifier: "<0,2" is (0.2, "<") when limits are kept, else an error."""
    match = _LIMIT.match(text)
    if match is None:
        return number(text, decimal), None
    if below_limit != "limit":
        raise ValueProblem("censored", f"a result beyond the detection limit ({match.group(1)}) is not accepted")
    return number(match.group(2), decimal), match.group(1)


@lru_cache(maxsize=1 << 12)  # a laboratory prints the same few ranges on every result of a test
def reference_range(text: str, decimal: str) -> tuple[float | None, float | None]:
    """"0,27 - 4,20" → (0.27, 4.2); "< 40" → (None, 40); "> 5" → (5, None)."""
    for pattern, low, high in ((_RANGE, 1, 2), (_UPPER, None, 1), (_LOWER, 1, None)):
        match = pattern.match(text)
        if match:
            return (
                None if low is None else number(match.group(low), decimal),
                None if high is None else number(match.group(high), decimal),
            )
    raise ValueProblem("reference_range", "expected a reference range such as '0,4 - 4,0' or '< 40'")


def icd10_codes(text: str) -> list[str]:
    """The ICD-10 codes of a cell ("C73; С77.0" → ["C73", "C77.0"]), Cyrillic look-alike letters made Latin."""
    return [c.strip().upper().translate(_ICD_LATIN) for c in text.replace(";", ",").split(",") if c.strip()]
