"""A patient's own names and identifiers, matched in every form they take in text: all Russian case forms,
Latin spellings, any letter case, digits with any separators."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from oncobank.deid.names import morph, name_kinds
from oncobank.deid.patterns import Hit, snils_valid
from oncobank.deid.translit import SCHEMES, to_cyrillic, to_latin

_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LETTERS = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
_NAME_TAGS = ("Name", "Surn", "Patr")


@lru_cache(maxsize=50_000)
def word_forms(word: str) -> frozenset[str]:
    """Every spelling of one name word in lower case: its Russian case forms (from pymorphy3's lexemes of the
    name readings, or of every reading when none is a name) and their Latin spellings by each scheme."""
    low = word.lower().replace("ё", "е")
    russian = low if _CYRILLIC.search(low) else to_cyrillic(low)
    parses = morph().parse(russian)
    named = [p for p in parses if any(t in p.tag for t in _NAME_TAGS)] or parses[:1]
    forms = {low, russian}
    for parse in named:
        forms.update(f.word.replace("ё", "е") for f in parse.lexeme)
    forms.update(_suffix_forms(russian))
    for form in list(forms):
        if _CYRILLIC.search(form):
            forms.update(to_latin(form, scheme) for scheme in SCHEMES)
    # Forms of one or two letters ("ии" of "Ия") would take abbreviations and Roman numerals; the word as given stays.
    return frozenset({low} | {f for f in forms if len(f) > 2})


# Case endings of Russian surnames and patronymics by their nominative ending, for names pymorphy3 does not know.
_ENDINGS = {
    "вна": ("вны", "вне", "вну", "вной", "вною"), "чна": ("чны", "чне", "чну", "чной", "чною"),
    "ова": ("овой", "ову", "овою"), "ева": ("евой", "еву", "евою"), "ина": ("иной", "ину", "иною"),
    "ская": ("ской", "скую", "скою"), "цкая": ("цкой", "цкую", "цкою"),
    "ов": ("ова", "ову", "овым", "ове"), "ев": ("ева", "еву", "евым", "еве"), "ин": ("ина", "ину", "иным", "ине"),
    "вич": ("вича", "вичу", "вичем", "виче"), "ский": ("ского", "скому", "ским", "ском"),
    "цкий": ("цкого", "цкому", "цким", "цком"),
}


# First names pymorphy3 does not know, by their last letter.
_NAME_ENDINGS = {"а": ("ы", "и", "е", "у", "ой", "ою"), "я": ("и", "е", "ю", "ей", "ею"),
                 "й": ("я", "ю", "ем", "е"), "ь": ("я", "ю", "ем", "е", "и", "ью")}


def _suffix_forms(word: str) -> set[str]:
    for ending, forms in _ENDINGS.items():
        if word.endswith(ending):
            stem = word[: -len(ending)]
            return {stem + f for f in forms}
    last = word[-1:]
    if last in _NAME_ENDINGS:
        return {word[:-1] + f for f in _NAME_ENDINGS[last]}
    if last and last not in "аеёиоуыэюяь":
        return {word + f for f in ("а", "у", "ом", "е", "ым")}
    return set()


def _category(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and snils_valid(digits):
        return "SNILS"
    if len(digits) == 16:
        return "POLICY"
    if len(digits) == 10 and not _LETTERS.search(value):
        return "PASSPORT"
    return "ID"


_WORD = re.compile(r"[^\W\d_]+")
_BETWEEN = re.compile(r"[\s,.-]+")


# A run of word characters, or one character that is neither a word character nor what may stand between the
# characters of an identifier (white space, - . / № #): no identifier crosses it.
_PIECE = re.compile(r"\w+|[^\w\s\-./№#]")
_BREAK = "\x00"


@dataclass(frozen=True)
class KnownMatcher:
    """The patient's values prepared for matching: names as the sets of forms of each word in turn, identifiers as
    their word characters in lower case (matched in the text's skeleton, so with any separators between them)."""

    phrases: tuple[tuple[str, tuple[frozenset[str], ...]], ...]
    numbers: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Skeleton:
    """A text's word characters in lower case with the separators left out (any other character a break), and
    where each run of word characters starts and ends, in the skeleton and in the text."""

    chars: str
    starts: dict[int, int]  # skeleton index of a run's first character → its index in the text
    ends: dict[int, int]  # skeleton index after a run's last character → the text index after it


def _lower(run: str) -> str:
    low = run.lower()
    if len(low) == len(run):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in run)  # "İ" lowers to two characters


@lru_cache(maxsize=20_000)  # a text repeated in many patients' entries is taken apart once
def _skeleton(text: str) -> _Skeleton:
    pieces: list[str] = []
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    at = 0
    for m in _PIECE.finditer(text):
        piece = m.group(0)
        if piece[0].isalnum() or piece[0] == "_":  # the \w of Python's re
            starts[at] = m.start()
            pieces.append(_lower(piece))
            at += len(piece)
            ends[at] = m.end()
        else:
            pieces.append(_BREAK)
            at += 1
    return _Skeleton("".join(pieces), starts, ends)


@lru_cache(maxsize=4096)
def known_matcher(known: tuple[str, ...]) -> KnownMatcher:
    phrases: list[tuple[str, tuple[frozenset[str], ...]]] = []
    numbers: list[tuple[str, str]] = []
    for raw in known:
        if raw is None:
            continue
        value = str(raw).strip()  # a date or number given as a known value is matched as it is written
        if re.search(r"\d", value):
            chars = _lower(re.sub(r"[\W_]", "", value))
            if len(chars) >= 4:  # shorter ones cannot be told from a number in the text
                numbers.append((_category(value), chars))
            continue
        words = [w for w in _WORD.findall(value) if len(w) > 1]
        if words:
            readings = [w if _CYRILLIC.search(w) else to_cyrillic(w) for w in words]
            # One word is a name (the caller passes the patient's names); a phrase of other words is a place.
            category = "NAME" if len(words) == 1 or all(name_kinds(r) for r in readings) else "ADDRESS"
            phrases.append((category, tuple(word_forms(w) for w in words)))
    return KnownMatcher(tuple(phrases), tuple(numbers))


def known_hits(text: str, known: Sequence[str]) -> Iterator[Hit]:
    """Where any of the patient's own values stands in `text`."""
    matcher = known_matcher(tuple(known))
    if matcher.numbers and _DIGIT.search(text):  # each identifier has a digit
        skeleton = _skeleton(text)
        for category, chars in matcher.numbers:
            yield from _number_hits(skeleton, chars, category)
    if not matcher.phrases:
        return
    spans, lows = _words(text)
    for category, forms in matcher.phrases:
        n = len(forms)
        for i in range(len(spans) - n + 1):
            if lows[i] in forms[0] and all(
                    lows[i + k] in forms[k] and _BETWEEN.fullmatch(text[spans[i + k - 1][1]:spans[i + k][0]])
                    for k in range(1, n)):
                yield Hit(spans[i][0], spans[i + n - 1][1], category)


@lru_cache(maxsize=20_000)
def _words(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[str, ...]]:
    """The spans of a text's words and the words in lower case with ё as е."""
    words = list(_WORD.finditer(text))
    return tuple(w.span() for w in words), tuple(w.group(0).lower().replace("ё", "е") for w in words)


def _number_hits(skeleton: _Skeleton, chars: str, category: str) -> Iterator[Hit]:
    """Each place, left to right and not overlapping, where `chars` stand in the skeleton between word boundaries."""
    at = skeleton.chars.find(chars)
    while at >= 0:
        end = at + len(chars)
        if at in skeleton.starts and end in skeleton.ends:
            yield Hit(skeleton.starts[at], skeleton.ends[end], category)
            at = skeleton.chars.find(chars, end)
        else:
            at = skeleton.chars.find(chars, at + 1)
