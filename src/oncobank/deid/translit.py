"""Cyrillic ↔ Latin spellings of names, and a spelling-blind skeleton to compare them by."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_COMMON = dict(zip("абвгдезиклмнопрстуфы", "abvgdeziklmnoprstufy", strict=True))
# The spellings a Russian name meets in Latin: ICAO Doc 9303 (passports since 2014), the informal one of older
# systems and clerks, and GOST 7.79 B as libraries and some hospital systems write it.
SCHEMES: dict[str, dict[str, str]] = {
    "icao": {**_COMMON, "ё": "e", "ж": "zh", "й": "i", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
             "ъ": "ie", "ь": "", "э": "e", "ю": "iu", "я": "ia"},
    "simple": {**_COMMON, "ё": "yo", "ж": "zh", "й": "y", "х": "h", "ц": "c", "ч": "ch", "ш": "sh", "щ": "sch",
               "ъ": "", "ь": "", "э": "e", "ю": "yu", "я": "ya"},
    "gost": {**_COMMON, "ё": "yo", "ж": "zh", "й": "j", "х": "x", "ц": "cz", "ч": "ch", "ш": "sh", "щ": "shh",
             "ъ": "", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ы": "y"},
}
# Latin back to Cyrillic, longest spelling first: enough to read a transliterated name as Russian.
_BACK = sorted({
    "shch": "щ", "sch": "щ", "zh": "ж", "kh": "х", "ts": "ц", "ch": "ч", "sh": "ш", "yu": "ю", "iu": "ю", "ya": "я",
    "ia": "я", "yo": "ё", "a": "а", "b": "б", "v": "в", "w": "в", "g": "г", "d": "д", "e": "е", "z": "з", "i": "и",
    "j": "й", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т", "u": "у",
    "f": "ф", "h": "х", "c": "к", "y": "ы", "x": "кс", "q": "к",
}.items(), key=lambda kv: -len(kv[0]))
_BACK_RE = re.compile("|".join(re.escape(k) for k, _ in _BACK))
_BACK_MAP = dict(_BACK)
# What the skeleton folds together: letters the schemes spell differently, then doubled letters.
_FOLD = [("shch", "sh"), ("sch", "sh"), ("shh", "sh"), ("kh", "h"), ("x", "h"), ("ts", "c"), ("cz", "c"),
         ("zh", "z"), ("yu", "u"), ("iu", "u"), ("ya", "a"), ("ia", "a"), ("yo", "e"), ("ie", "e"), ("j", "i"),
         ("y", "i"), ("w", "v")]
_NOT_LETTER = re.compile(r"[^0-9a-z]+")


def to_latin(text: str, scheme: str = "icao") -> str:
    """`text` with its Cyrillic letters spelled in Latin by `scheme`, keeping each letter's case."""
    table = SCHEMES[scheme]
    out = []
    for ch in text:
        low = ch.lower()
        latin = table.get(low, ch)
        out.append(latin.capitalize() if ch != low and latin else latin)
    return "".join(out)


def to_cyrillic(text: str) -> str:
    """A Latin spelling read back as Cyrillic (lower case): "Ivanova" → "иванова", "Shchukin" → "щукин"."""
    return _BACK_RE.sub(lambda m: _BACK_MAP[m.group(0)], text.lower())


@lru_cache(maxsize=65536)
def skeleton(text: str) -> str:
    """Case, accents, spacing, punctuation and transliteration scheme folded away: "Щукина-Иванова А." and
    "SHCHUKINA IVANOVA A" give the same skeleton."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("ё", "е").replace("й", "и"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = to_latin(text, "icao")
    for spelled, folded in _FOLD:
        text = text.replace(spelled, folded)
    text = _NOT_LETTER.sub("", text)
    return re.sub(r"(.)\1+", r"\1", text)
