"""Dates in free text, Russian and English: found, and written back shifted in the format they were found in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

RU_MONTHS = {  # nominative, genitive, prepositional; short forms with or without a dot
    "nom": ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
            "ноябрь", "декабрь"],
    "gen": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
            "ноября", "декабря"],
    "prep": ["январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе", "сентябре", "октябре",
             "ноябре", "декабре"],
    "short": ["янв", "фев", "мар", "апр", "мая", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"],
}
EN_MONTHS = {
    "full": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"],
    "abbr": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}
_MONTHS: dict[str, tuple[int, str, str]] = {}  # spelling (lower case) -> month, language, form
for _form, _names in RU_MONTHS.items():
    for _i, _name in enumerate(_names, start=1):
        _MONTHS.setdefault(_name, (_i, "ru", _form))
for _form, _names in EN_MONTHS.items():
    for _i, _name in enumerate(_names, start=1):
        _MONTHS.setdefault(_name.lower(), (_i, "en", _form))
_MONTHS["sept"] = (9, "en", "abbr")
_MONTHS["сент"] = (9, "ru", "short")
_MONTHS["февр"] = (2, "ru", "short")

_RU = "|".join(sorted({n for names in RU_MONTHS.values() for n in names} | {"сент", "февр"}, key=len, reverse=True))
_EN = "|".join(sorted({n for names in EN_MONTHS.values() for n in names} | {"Sept"}, key=len, reverse=True))
_MONTH = rf"(?P<mon>(?i:{_RU})\.?|(?:{_EN})\.?)"
_ORD = r"(?:st|nd|rd|th)?"
_PATTERNS = [
    re.compile(r"(?<![\d.])(?P<y>(?:19|20)\d\d)(?P<sep>[-./])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d]|\.\d)"),
    re.compile(r"(?<![\d.,/])(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<y>(?:19|20)\d\d|\d\d)"
               r"(?![\d]|[.,]\d)"),
    re.compile(rf"(?<![\d.,])(?P<d>\d{{1,2}}){_ORD}\s+{_MONTH},?\s+(?P<y>(?:19|20)\d\d)(?!\d)"),
    re.compile(rf"(?<!\w){_MONTH}\s+(?P<d>\d{{1,2}}){_ORD},?\s+(?P<y>(?:19|20)\d\d)(?!\d)"),
    re.compile(rf"(?<!\w){_MONTH}\s+(?P<y>(?:19|20)\d\d)(?!\d)"),
    re.compile(r"(?<![\d.,])(?P<m>0[1-9]|1[0-2])[./](?P<y>(?:19|20)\d\d)(?![\d]|[.,]\d)"),
    re.compile(rf"(?<![\d.,])(?P<d>\d{{1,2}}){_ORD}\s+{_MONTH}(?!\w)"),
    re.compile(rf"(?<!\w){_MONTH}\s+(?P<d>\d{{1,2}}){_ORD}(?![\d.,:]|\s*(?:mm|cm|мм|см|mg|мг|%))"),
]
_NO_YEAR = 2001  # a day and month without a year are shifted within a common year (29 February: a leap one)


@dataclass(frozen=True)
class DateHit:
    """One date in a text: its span, what it says (year, month, day; a part may be absent), and how to write
    another date the same way."""

    start: int
    end: int
    year: int | None
    month: int
    day: int | None
    write: Callable[[int, int, int], str]

    def shifted(self, days: int) -> tuple[int, int, int]:
        """(year, month, day) after `days`; a month and year is moved as its 15th day is."""
        anchor = date(self.year or (2000 if (self.month, self.day) == (2, 29) else _NO_YEAR), self.month,
                      self.day or 15)
        moved = anchor + timedelta(days=days)
        return moved.year, moved.month, moved.day


def _valid(year: int, month: int, day: int | None) -> bool:
    try:
        date(year, month, day or 1)
    except ValueError:
        return False
    return True


def _year(text: str) -> int:
    n = int(text)
    return n if len(text) == 4 else (2000 + n if n <= 30 else 1900 + n)


def _width(text: str, value: int) -> str:
    return f"{value:0{len(text)}d}" if text.startswith("0") or len(text) > 1 else str(value)


def _month_word(found: str, month: int) -> str:
    """Month `month` written as `found` is written: same language, grammatical form, abbreviation and case."""
    bare = found.rstrip(".")
    _, language, form = _MONTHS[bare.lower()]
    names = RU_MONTHS[form] if language == "ru" else EN_MONTHS[form]
    word = names[month - 1]
    if language == "ru" and form == "short" and len(bare) == 4:  # "сент", "февр"
        word = {9: "сент", 2: "февр"}.get(month, word)
    if bare.isupper() and len(bare) > 1:
        word = word.upper()
    elif bare[0].isupper():
        word = word.capitalize()
    elif language == "en":
        word = word.lower()
    return word + found[len(bare):]


def find_dates(text: str, english_order: bool = False) -> Iterator[DateHit]:
    """Every date in `text`, longest first where they overlap; `english_order` reads 03/04/2020 as 4 March
    (month first, as US records write it) when that is a valid date."""
    for n, pattern in enumerate(_PATTERNS):
        for m in pattern.finditer(text):
            hit = _hit(n, m, english_order)
            if hit is not None:
                yield hit


def _iso(fmt: tuple[str, str, str], y: int, m: int, d: int) -> str:
    month, day, sep = fmt
    return f"{y}{sep}{_width(month, m)}{sep}{_width(day, d)}"


def _numeric(fmt: tuple[str, str, str, str], month_first: bool, y: int, m: int, d: int) -> str:
    a, b, sep, year = fmt
    first, second = (m, d) if month_first else (d, m)
    written = str(y) if len(year) == 4 else f"{y % 100:02d}"
    return f"{_width(a, first)}{sep}{_width(b, second)}{sep}{written}"


def _month_year(sep: str, y: int, m: int, d: int) -> str:
    return f"{m:02d}{sep}{y}"


def _worded(parts: tuple[str, str, str, str, str], y: int, m: int, d: int) -> str:
    """The new day and year where the old ones stood, around the month written the same way."""
    pre, word, post, day_text, year_text = parts
    if day_text and day_text in pre:
        pre = pre.replace(day_text, str(d), 1)
    elif day_text:
        post = post.replace(day_text, str(d), 1)
    if year_text:
        post = post[::-1].replace(year_text[::-1], str(y)[::-1], 1)[::-1]
    return pre + _month_word(word, m) + post


def _hit(n: int, m: re.Match[str], english_order: bool) -> DateHit | None:
    g = m.groupdict()
    s, e, whole = m.start(), m.end(), m.group(0)
    write: Callable[[int, int, int], str]
    if n == 0:
        y, mo, d = int(g["y"]), int(g["m"]), int(g["d"])
        write = partial(_iso, (g["m"], g["d"], g["sep"]))
    elif n == 1:
        a, b, y = int(g["a"]), int(g["b"]), _year(g["y"])
        month_first = g["sep"] == "/" and english_order and _valid(y, a, b)
        d, mo = (b, a) if month_first else (a, b)
        write = partial(_numeric, (g["a"], g["b"], g["sep"], g["y"]), month_first)
    elif n == 5:
        y, mo, d = int(g["y"]), int(g["m"]), None
        write = partial(_month_year, whole[len(g["m"])])
    else:
        mo = _MONTHS[g["mon"].rstrip(".").lower()][0]
        y = int(g["y"]) if g.get("y") else None
        d = int(g["d"]) if g.get("d") else None
        write = partial(_worded, (whole[: m.start("mon") - s], g["mon"], whole[m.end("mon") - s:], g.get("d") or "",
                                  g.get("y") or ""))
    if not _valid(y if y is not None else 2000, mo, d):
        return None
    return DateHit(s, e, y, mo, d, write)
