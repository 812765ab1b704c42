"""The leak scan: every cell of every table of an analysis store searched for each seeded identifier, exactly and
in normalised forms (letter case, spacing and punctuation, Cyrillic↔Latin spelling, digits only).

Forms searched, for each seeded value:
- a word or phrase: case-folded, as whole words; with spaces and punctuation removed (six characters or more);
  as a transliteration skeleton (`translit.skeleton`, either alphabet, any scheme) of a word or of the phrase;
- a number (six digits or more): its digits, in any run of digits and separators of a cell;
- a date: any date written in a text cell that is the same day (ISO, dd.mm.yyyy, words, US order); a birth date
  also as a date-typed cell. Dates inside the scrubber's own shifted-date tokens (`[ДАТА+сдвиг …]`) are not read:
  a shifted date that happens to fall on someone's real date is not that date leaking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from oncobank.deid.scrub_dates import find_dates
from oncobank.deid.seeded import SeededIdentifier
from oncobank.deid.translit import skeleton

if TYPE_CHECKING:
    import pandas as pd

    from oncobank.engine.store import AnalysisStore

KEY = "pseudonym"
_WORD = re.compile(r"[^\W_]+")
_NUMBER_RUN = re.compile(r"\d[\d\s\-./()№#]*\d")
_SHIFT_TOKEN = re.compile(r"\[(?:ДАТА\+сдвиг|DATE\+shift|ДАТА|DATE) [^\]]*\]")
_COMPACT = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Finding:
    """A seeded identifier found in a cell: where (table, column, row key) and which identifier, in which form."""

    table: str
    column: str
    row: str
    category: str
    form: str  # exact, casefold, compact, skeleton, digits, date
    identifier: SeededIdentifier


@dataclass(frozen=True)
class _Needle:
    identifier: SeededIdentifier
    words: tuple[str, ...] = ()  # case-folded words, matched as a run of whole words
    compact: str = ""
    skeleton: str = ""
    digits: str = ""
    day: date | None = None
    birth: bool = False


def _needle(ident: SeededIdentifier) -> _Needle:
    value = ident.value
    words = tuple(w.casefold() for w in _WORD.findall(value))
    digits = re.sub(r"\D", "", value)
    day = None
    if ident.category == "DATE":
        found = [d for d in find_dates(value) if d.year is not None and d.day is not None]
        if found:
            d = found[0]
            day = date(d.year, d.month, d.day)  # type: ignore[arg-type]
    letters = sum(ch.isalpha() for ch in value)
    compact = _COMPACT.sub("", value.casefold())
    return _Needle(
        ident, words=words,
        compact=compact if len(compact) >= 6 and letters else "",
        skeleton=skeleton(value) if letters and len(skeleton(value)) >= 4 else "",
        digits=digits if len(digits) >= 6 and day is None else "",
        day=day, birth=ident.category == "DATE" and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)),
    )


@dataclass
class _Cell:
    text: str
    readable: str  # the text without the scrubber's date tokens
    fold: str
    words: list[str]
    wordset: set[str]
    compact: str
    skeletons: set[str]
    skeleton: str
    numbers: list[str]
    days: set[date]


def _cell(text: str) -> _Cell:
    fold = text.casefold()
    words = _WORD.findall(fold)
    readable = _SHIFT_TOKEN.sub(" ", text)
    days = {date(d.year, d.month, d.day) for d in find_dates(readable) if d.year is not None and d.day is not None}
    days |= {date(d.year, d.month, d.day) for d in find_dates(readable, english_order=True)
             if d.year is not None and d.day is not None}
    numbers = [re.sub(r"\D", "", m.group(0)) for m in _NUMBER_RUN.finditer(text)]
    return _Cell(text, readable, fold, words, set(words), _COMPACT.sub("", fold), {skeleton(w) for w in words},
                 skeleton(text), numbers, days)


def _has_words(cell: _Cell, words: tuple[str, ...]) -> bool:
    if not all(w in cell.wordset for w in words):
        return False
    n = len(words)
    return any(tuple(cell.words[i:i + n]) == words for i in range(len(cell.words) - n + 1))


def _match(cell: _Cell, needle: _Needle) -> str | None:
    """The first form in which `needle` is in `cell`, or None."""
    value = needle.identifier.value
    if needle.day is not None:
        return "date" if needle.day in cell.days or value in cell.readable else None
    if len(value) >= 6 and value in cell.text:  # shorter ones are matched as whole words below
        return "exact"
    if needle.words and _has_words(cell, needle.words):
        return "casefold"
    if needle.compact and needle.compact in cell.compact:
        return "compact"
    if needle.skeleton:
        if len(needle.words) == 1 and needle.skeleton in cell.skeletons:
            return "skeleton"
        if len(needle.words) > 1 and len(needle.skeleton) >= 8 and needle.skeleton in cell.skeleton:
            return "skeleton"
    if needle.digits and any(needle.digits in n for n in cell.numbers):
        return "digits"
    return None


def _texts(value: Any) -> Iterator[str]:
    """The texts a cell holds: a string, the items of a list, a number written out."""
    if value is None:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(int(value)) if float(value).is_integer() else str(value)


def scan_table(name: str, table: pa.Table | pd.DataFrame, identifiers: Sequence[SeededIdentifier]
               ) -> list[Finding]:
    """Every seeded identifier found in any cell of one table (Arrow or pandas); rows named by their pseudonym
    when the table has one, else by their position."""
    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    needles = [_needle(i) for i in identifiers]
    births = {n.day: n for n in needles if n.birth and n.day is not None}
    keys = table.column(KEY).to_pylist() if KEY in table.column_names else list(range(table.num_rows))
    findings: list[Finding] = []
    for column in table.column_names:
        for row, value in zip(keys, table.column(column).to_pylist(), strict=True):
            if isinstance(value, datetime | date):
                day = value.date() if isinstance(value, datetime) else value
                if day in births:
                    findings.append(Finding(name, column, str(row), "DATE", "date", births[day].identifier))
                continue
            for text in _texts(value):
                cell = _cell(text)
                for needle in needles:
                    form = _match(cell, needle)
                    if form is not None:
                        findings.append(Finding(name, column, str(row), needle.identifier.category, form,
                                                needle.identifier))
    return findings


def scan_tables(tables: Iterable[tuple[str, pa.Table | pd.DataFrame]], identifiers: Sequence[SeededIdentifier]
                ) -> list[Finding]:
    return [f for name, table in tables for f in scan_table(name, table, identifiers)]


def scan_store(store: AnalysisStore, identifiers: Sequence[SeededIdentifier]) -> list[Finding]:
    """Every seeded identifier found in any table of an analysis store (`oncobank.engine.connect(url)`)."""
    return scan_tables(((name, store.to_arrow(store.table(name))) for name in store.tables()), identifiers)
