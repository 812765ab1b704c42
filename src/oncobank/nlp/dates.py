"""Dates in the forms reports write them: 29.03.2021, 2021-03-29, 29 марта 2021, в марте 2021 г., March 2021, 03/2020,
ranges."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

MONTHS = {
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "мае": 5, "июн": 6, "июл": 7, "авг": 8, "сен": 9,
    "окт": 10, "ноя": 11, "дек": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11,
    "dec": 12,
}
_MONTH = (r"(?:январ\w*|феврал\w*|март\w*|апрел\w*|ма[йяе]|июн\w*|июл\w*|август\w*|сентябр\w*|октябр\w*|ноябр\w*|"
          r"декабр\w*|янв|фев|мар|апр|авг|сен|окт|ноя|дек|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|"
          r"sep\w*|oct\w*|nov\w*|dec\w*)\.?")
NUMERIC = r"(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4}|\d{2})(?!\d)"
ISO = r"(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
WORDY = rf"(?P<wd>\d{{1,2}})\s+(?P<wm>{_MONTH})\s*,?\s*(?P<wy>\d{{4}})"
ENGLISH = rf"(?P<em>{_MONTH})\s+(?P<ed>\d{{1,2}}),\s*(?P<ey>\d{{4}})"
MONTH_ONLY = rf"(?P<mm>{_MONTH})\s+(?P<my>\d{{4}})"
# 03/2020, 3/2020, 05.2019: a month (with a dot only two digits, so that a decimal 1.2020 is no date)
MONTH_NUMBER = r"(?P<nm>(?:0[1-9]|1[0-2])(?=\.)|(?:0?[1-9]|1[0-2])(?=/))[./](?P<ny>(?:19|20)\d{2})(?![\d/]|\.\d)"
ONE = rf"(?:{ISO}|{NUMERIC}|{WORDY}|{ENGLISH}|{MONTH_ONLY}|{MONTH_NUMBER})(?:\s*(?:г\.|года|г\b))?"
DATE = re.compile(rf"(?<![\w.]){ONE}", re.IGNORECASE)
# The pattern text rules embed as {DATE}: one date, no named groups (rules name their own).
DATE_TEXT = re.sub(r"\?P<\w+>", "", ONE)


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    day: date
    precision: str  # day | month
    last: date  # the period's last day (= day for an exact date)


def _month(word: str) -> int | None:
    return MONTHS.get(word.casefold().rstrip(".")[:3])


def _year(text: str) -> int:
    y = int(text)
    return y + (2000 if y < 50 else 1900) if y < 100 else y


def _make(y: int, m: int | None, d: int | None) -> tuple[date, str, date] | None:
    if m is None or not 1 <= m <= 12 or not 1900 <= y <= 2100:
        return None
    if d is None:
        return date(y, m, 1), "month", date(y, m, monthrange(y, m)[1])
    try:
        day = date(y, m, d)
    except ValueError:
        return None
    return day, "day", day


def _parse(m: re.Match[str]) -> tuple[date, str, date] | None:
    g = m.groupdict()
    if g["iy"]:
        return _make(int(g["iy"]), int(g["im"]), int(g["id"]))
    if g["d"]:
        return _make(_year(g["y"]), int(g["m"]), int(g["d"]))
    if g["wd"]:
        return _make(int(g["wy"]), _month(g["wm"]), int(g["wd"]))
    if g["em"]:
        return _make(int(g["ey"]), _month(g["em"]), int(g["ed"]))
    if g["nm"]:
        return _make(int(g["ny"]), int(g["nm"]), None)
    return _make(int(g["my"]), _month(g["mm"]), None)


def find_dates(text: str) -> list[Found]:
    """Every date in the text with its span; impossible ones (31.02.2021) are skipped."""
    found = []
    for m in DATE.finditer(text):
        parsed = _parse(m)
        if parsed:
            found.append(Found(m.start(), m.end(), *parsed))
    return found


def parse_date(text: str) -> date | None:
    """The first date in `text` (the first day of a month for 'в марте 2021 г.')."""
    dates = find_dates(text)
    return dates[0].day if dates else None


RANGE = re.compile(rf"(?:\bс|\bfrom)\s+(?P<a>{DATE_TEXT})\s*(?:по|до|to|until|-|–)\s*(?P<b>{DATE_TEXT})",
                   re.IGNORECASE)


def find_ranges(text: str) -> list[tuple[int, int, date, date]]:
    """Periods written 'с 20.12.2021 по 24.12.2021' or 'from 20 Dec 2021 to 24 Dec 2021': (start, end, first, last)."""
    out = []
    for m in RANGE.finditer(text):
        a, b = parse_date(m.group("a")), find_dates(m.group("b"))
        if a and b:
            out.append((m.start(), m.end(), a, b[0].last))
    return out
