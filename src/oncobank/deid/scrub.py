"""Free-text scrubbing for the analysis store: every identifier in a Russian or English text replaced by a typed
token, dates shifted in place.

`scrub_text` runs the fixed-shape rules (documents, phones, addresses, dates, record numbers, ages over 89), the
name rules, and natasha's NER only on texts where a name may hide; the patient's own values (`known`) are removed
in every form. Tokens are Russian in a Russian text (`[ИМЯ]`, `[ДАТА]`, …) and English otherwise (`[NAME]`,
`[DATE]`, …). A date becomes `[ДАТА+сдвиг 28.03.2020]` / `[DATE+shift 2020-03-28]` with `shift_days` (written
as the original was: same separators, order, month word), `[ДАТА 2020]` / `[DATE 2020]` with `year_only` (the
year of the shifted date when a shift is given), and `[ДАТА]` / `[DATE]` with neither.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from oncobank.deid.known import known_hits
from oncobank.deid.names import latin_names, russian_names
from oncobank.deid.patterns import rule_hits
from oncobank.deid.scrub_dates import DateHit, find_dates

CATEGORIES = ("NAME", "DATE", "PHONE", "EMAIL", "ADDRESS", "SNILS", "PASSPORT", "POLICY", "ID", "URL", "IP", "AGE")
TOKENS = {
    "ru": {"NAME": "ИМЯ", "DATE": "ДАТА", "PHONE": "ТЕЛЕФОН", "EMAIL": "ЭЛ. ПОЧТА", "ADDRESS": "АДРЕС",
           "SNILS": "СНИЛС", "PASSPORT": "ПАСПОРТ", "POLICY": "ПОЛИС ОМС", "ID": "НОМЕР", "URL": "ССЫЛКА",
           "IP": "IP-АДРЕС", "AGE": "ВОЗРАСТ 90+"},
    "en": {"NAME": "NAME", "DATE": "DATE", "PHONE": "PHONE", "EMAIL": "EMAIL", "ADDRESS": "ADDRESS",
           "SNILS": "SNILS", "PASSPORT": "PASSPORT", "POLICY": "POLICY", "ID": "ID", "URL": "URL",
           "IP": "IP ADDRESS", "AGE": "AGE 90+"},
}
SHIFTED = {"ru": "ДАТА+сдвиг", "en": "DATE+shift"}
# Which of two equally long overlapping finds wins: the patient's own values first, then the most specific shape.
_RANK = {c: i for i, c in enumerate(
    ("KNOWN", "SNILS", "POLICY", "PASSPORT", "EMAIL", "URL", "IP", "PHONE", "DATE", "AGE", "NAME", "ADDRESS", "ID"))}
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")
CACHED = 20_000  # texts whose patient-independent finds are kept: registries repeat short texts across patients


@dataclass(frozen=True)
class Replacement:
    """One identifier removed: its category, its span in the original text, and what stands there now."""

    category: str
    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Scrubbed:
    """A scrubbed text and what was replaced in it, in text order."""

    text: str
    replacements: tuple[Replacement, ...]
    language: str = "ru"


def language(text: str) -> str:
    """"ru" when at least half of the letters are Cyrillic, else "en"."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    return "ru" if cyrillic and cyrillic >= latin else "en"


@dataclass(frozen=True)
class _Find:
    start: int
    end: int
    category: str
    rank: int
    date: DateHit | None = None


def scrub_text(text: str, *, shift_days: int | None = None, year_only: bool = False,
               known: Sequence[str] = ()) -> Scrubbed:
    """`text` with every identifier found replaced by a typed token (see the module's description)."""
    lang, dates, chosen = _plain(text)
    own = _own(text, known, dates)
    if own:  # the patient's values change what the rules and natasha are asked (see _finds): no shortcut
        chosen = tuple(_choose(text, _finds(text, lang, dates, own)))
    tokens = TOKENS[lang]
    out: list[str] = []
    replacements: list[Replacement] = []
    at = 0
    for f in chosen:
        token = _date_token(f.date, lang, shift_days, year_only) if f.date else f"[{tokens[f.category]}]"
        out.append(text[at:f.start])
        out.append(token)
        replacements.append(Replacement(f.category, f.start, f.end, token))
        at = f.end
    out.append(text[at:])
    return Scrubbed("".join(out), tuple(replacements), lang)


@lru_cache(maxsize=CACHED)
def _plain(text: str) -> tuple[str, tuple[_Find, ...], tuple[_Find, ...]]:
    """A text's language, its dates, and the finds chosen when none of a patient's own values stands in it: the
    same for every patient, so computed once for a text that many entries repeat."""
    lang = language(text)
    dates = tuple(_Find(d.start, d.end, "DATE", _RANK["DATE"], d)
                  for d in find_dates(text, english_order=lang == "en"))
    return lang, dates, tuple(_choose(text, _finds(text, lang, dates, [])))


def _own(text: str, known: Sequence[str], dates: Sequence[_Find]) -> list[_Find]:
    """The patient's own values in `text`; a known value written as a date (the birth date) is left to the date
    rule, which shifts it like any date rather than blanking it as a number."""
    return [_Find(h.start, h.end, h.category, _RANK["KNOWN"]) for h in known_hits(text, known)
            if not any(d.start <= h.start and h.end <= d.end for d in dates)]


def _finds(text: str, lang: str, dates: Sequence[_Find], own: list[_Find]) -> list[_Find]:
    finds = [*own, *dates]
    finds += [_Find(h.start, h.end, h.category, _RANK[h.category])
              for group in (rule_hits(text), latin_names(text)) for h in group]
    if _CYRILLIC.search(text):
        # natasha last, and only where no rule has already explained the capitalised words.
        covered = [(f.start, f.end) for f in finds]
        finds += [_Find(h.start, h.end, h.category, _RANK[h.category]) for h in russian_names(text, covered)]
    return finds


def _choose(text: str, finds: list[_Find]) -> list[_Find]:
    """Non-overlapping finds, in text order: overlapping finds of one category merge into one (dates excepted: each
    is rewritten whole); otherwise the longer find wins, then the higher-ranked one."""
    merged = [f for f in finds if f.date is not None]
    for category in {f.category for f in finds if f.date is None}:
        merged.extend(_merge(text, [f for f in finds if f.category == category and f.date is None]))
    taken: list[_Find] = []
    for f in sorted(merged, key=lambda f: (-(f.end - f.start), f.rank, f.start)):
        if all(f.end <= t.start or f.start >= t.end for t in taken):
            taken.append(f)
    return sorted(taken, key=lambda f: f.start)


def _merge(text: str, finds: list[_Find]) -> list[_Find]:
    """Overlapping finds as one; names also when only a space, comma or hyphen stands between them ("Smith, John",
    "Петрова-Водкина")."""
    merged: list[_Find] = []
    for f in sorted(finds, key=lambda f: f.start):
        last = merged[-1] if merged else None
        if last is not None and (f.start < last.end or (
                f.category == "NAME" and f.start - last.end <= 2 and not text[last.end:f.start].strip(" ,-"))):
            merged[-1] = _Find(last.start, max(last.end, f.end), last.category, min(last.rank, f.rank))
        else:
            merged.append(f)
    return merged


def _date_token(date: DateHit, lang: str, shift_days: int | None, year_only: bool) -> str:
    plain = TOKENS[lang]["DATE"]
    if year_only:
        if date.year is None:
            return f"[{plain}]"
        year = date.shifted(shift_days)[0] if shift_days is not None else date.year
        return f"[{plain} {year}]"
    if shift_days is None:
        return f"[{plain}]"
    return f"[{SHIFTED[lang]} {date.write(*date.shifted(shift_days))}]"
