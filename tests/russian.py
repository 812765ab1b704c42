"""Find what is not Russian in text meant to be Russian: Latin-only words that are not codes, units or names, and
decimal points where Russian writes a decimal comma. Works on plain text (terminal tables) and HTML pages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

# Latin words a Russian page may carry: units, laboratory and imaging codes, classifications, statistical symbols.
ALLOWED = frozenset({
    "n", "mCi", "MBq", "GBq", "kBq", "TSH", "Tg", "TgAb", "RECIST", "SUVmax", "AJCC", "UICC", "TNM", "ECOG", "BRAF",
    "RAS", "TERT", "RET", "NTRK", "HL7", "FHIR", "DICOM", "OMOP", "REDCap", "NIFTP", "Bethesda", "TI-RADS",
})
# Whole tokens that are codes: ICD-10, TNM categories, stage groups, isotopes, registry IDs, file names, digests.
CODES = [re.compile(p) for p in (
    r"[A-Z]\d{2}(\.\d{1,2})?",  # ICD-10: C73, E89.0
    r"[cpy]?[TNM]([0-4][a-d]?|X|is)?",  # TNM: T, pT1b, cN0, M1
    r"(I|II|III|IV)[A-C]?",  # stage groups
    r"\d{1,3}[A-Z][a-z]?|[A-Z][a-z]?-\d{1,3}",  # isotopes: 131I, 18F, I-131
    r"[A-Z]{2}-[A-Z]?\d+",  # registry IDs: TH-000001
    r"[\w.-]+\.(ya?ml|html|pdf|json|csv)",  # file names
    r"[0-9a-f]{8,64}",  # digests
)]
# Names with a version number that Russian text keeps as they are.
VERSIONED = re.compile(r"RECIST 1\.1|TNM 8|AJCC 8")
TOKEN = re.compile(r"[0-9A-Za-zА-Яа-яЁё_][0-9A-Za-zА-Яа-яЁё_.\-]*")
LATIN, CYRILLIC = re.compile(r"[A-Za-z]"), re.compile(r"[А-Яа-яЁё]")
DECIMAL_POINT = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")


def html_text(page: str) -> str:
    """The text a reader sees on an HTML page, without styles, scripts, tags, or parts marked as another language
    (`lang="en"` on a quoted reference)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'<(\w+)\b[^>]*\blang="(?!ru)[^"]*"[^>]*>.*?</\1>', " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def latin_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Tokens with Latin letters and no Cyrillic that are neither allowed words nor codes."""
    extra = set(allowed)
    out = []
    for token in TOKEN.findall(VERSIONED.sub(" ", text)):
        token = token.rstrip(".-")
        if not LATIN.search(token) or CYRILLIC.search(token) or token in ALLOWED or token in extra:
            continue
        if not any(p.fullmatch(token) for p in CODES):
            out.append(token)
    return out


def decimal_points(text: str) -> list[str]:
    """Numbers written with a decimal point (3.7) rather than the Russian decimal comma (3,7)."""
    return DECIMAL_POINT.findall(VERSIONED.sub(" ", text))


def problems(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Everything in `text` that is not Russian, one line each (empty when all is well)."""
    return ([f"Latin word {w!r}" for w in latin_words(text, allowed)]
            + [f"decimal point in {d!r}" for d in decimal_points(text)])
