"""Person names in free text: Russian (natasha's NER checked by pymorphy3, initials, name-patronymic pairs) and
English or transliterated (titles, first-name lists, "Surname, First"), found as spans."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from faker.providers.person.en_US import Provider as _EnglishNames

from oncobank.deid.patterns import Hit
from oncobank.deid.translit import to_cyrillic

# English first names that are also everyday words: a name only next to a title or another name.
_WORDS = {"April", "Autumn", "Summer", "Dawn", "Faith", "Joy", "Grace", "Hope", "Mark", "Max", "Ray", "Chase",
          "Frank", "Grant", "Crystal", "Amber", "Rose", "Holly", "Jade", "Bill", "Dale", "Glen", "Earl", "Hunter",
          "Mason", "Parker", "Victoria", "Norman", "Will", "May", "June", "August", "Lily", "Iris", "Ruby", "Pearl"}
FIRST_NAMES = frozenset(_EnglishNames.first_names) - _WORDS
LAST_NAMES = frozenset(_EnglishNames.last_names)
# Capitalised Latin words of clinical reports that are never names (eponyms, headings, classifications).
_CLINICAL = {"Bethesda", "Hurthle", "Hürthle", "Hashimoto", "Graves", "Warthin", "Category", "Level", "Target",
             "Impression", "Findings", "Diagnosis", "Specimen", "Procedure", "Gross", "Microscopic", "Interpretation",
             "Thyroid", "Lymph", "Nodes", "Post", "Diagnostic", "Negative", "Radioiodine", "Compared", "Disease",
             "Report", "Patient", "Name", "Date", "Exam", "Nodule", "Tumour", "Tumor", "Lesion", "Neck", "Chest",
             "Whole", "Body", "Scan", "Nuclear", "Medicine", "Surgical", "Pathology", "Cytopathology", "Fine",
             "Needle", "Aspiration", "Cytology", "Histopathology", "Contrast", "Enhanced", "Ultrasound", "Signed",
             "Attending", "Physician", "Surgeon", "Department", "Hospital", "Clinic", "Centre", "Center", "The", "No",
             "And", "With", "For", "Of", "In", "On", "At", "By", "To", "Mr", "Mrs", "Ms", "Dr", "Prof", "Stage",
             "Type", "Grade", "Total", "Left", "Right", "Lobe", "Isthmus", "Central", "Lateral", "Status", "MD", "PhD",
             "DOB", "MRN", "ID", "Address", "Phone", "Fax", "Email", "Tel", "Was", "Is", "Has", "Had"}
# Eponyms of Russian clinical texts: a disease, cell or sign named after a person is not that person.
EPONYMS = ("хашимото", "грейвс", "базедов", "гюртле", "хюртле", "уортин", "ходжкин", "педжет", "кервен", "ридел",
           "пламмер", "вирхов", "делфиан", "сиппл", "кушинг", "аддисон", "бетесд", "ашкенази")


def eponym(word: str) -> bool:
    """Whether a word is (or is made from) a clinical eponym: "Хашимото", "Уортиноподобный"."""
    return word.lower().startswith(EPONYMS)


_TITLE_EN = r"(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Doctor|Nurse|Sister|Rev)\.?"
_LATIN_WORD = r"[A-Z][a-zA-Z'’-]+"
_LATIN_NAME = rf"(?:[A-Z]\.\s?){{0,2}}{_LATIN_WORD}(?:\s+(?:[A-Z]\.\s?)?{_LATIN_WORD}){{0,2}}"
_TITLED_EN = re.compile(rf"\b{_TITLE_EN}\s+(?P<n>{_LATIN_NAME})")
# Labels after which a capitalised word or two is a person ("Signed by: Smith", "Surgeon: J Smith").
_LABEL_EN = re.compile(
    r"\b(?i:signed(?: by)?|dictated by|reported by|verified by|attending|physician|surgeon|pathologist|radiologist|"
    r"referring|patient|name|contact|next of kin|cc)\s*:?\s+(?P<n>(?:[A-Z]\.\s?){0,2}[A-Z][a-zA-Z'’-]+"
    r"(?:,?\s(?:[A-Z]\.\s?){0,2}[A-Z][a-zA-Z'’-]+){0,2}(?:\s[A-Z]\.)?)")
_LATIN_PATRONYMIC = re.compile(r"[A-Z][a-z]+(?:ovich|evich|ovna|evna|ichna|inichna|ich)\b", re.I)
_LATIN_TOKEN = re.compile(r"(?<![\w.])(?:[A-Z]\.(?=\s?[A-Z])|[A-Z][a-zA-Z'’-]+|[A-Z]{2,}(?:-[A-Z]{2,})?)(?!\w)")

_CYR = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_CYR_UP = r"[А-ЯЁ]{2,}(?:-[А-ЯЁ]{2,})?"
_INITIALS = r"[А-ЯЁ]\.\s?[А-ЯЁ]\.(?!\s?[А-ЯЁ]\.)"  # not "Ф.И.О.", the label
_RU_INITIALS = re.compile(
    rf"(?<![\w.])(?:(?P<a>{_CYR}|{_CYR_UP})\s+{_INITIALS}|{_INITIALS}\s?(?:{_CYR}|{_CYR_UP}))(?![\w])")
_RU_ONE_INITIAL = re.compile(rf"(?<![\w.])(?:(?P<s1>{_CYR})\s+[А-ЯЁ]\.|[А-ЯЁ]\.\s?(?P<s2>{_CYR}))(?![\w.])")
_RU_TITLE = re.compile(
    r"(?:\b(?i:врач[аиуом]*|доктор[аоу]?м?|д-р|проф\.|профессор[аоу]?м?|хирург[аоу]?м?|онколог[аоу]?м?|"
    r"радиолог[аоу]?м?|эндокринолог[аоу]?м?|патоморфолог[аоу]?м?|цитолог[аоу]?м?|медсестр[аыуео]й?|"
    r"зав\.|заведующ[а-яё]+|пациент[а-яё]*|больн[а-яё]+|родственни[а-яё]+|ассистент[а-яё]*|"
    r"исполнитель|лечащий|консультирован[а-яё]*|осмотрен[а-яё]*|подпись|ФИО|Ф\.И\.О\.)\s*:?\s+)"
    rf"(?P<n>(?:{_CYR}|{_CYR_UP})(?:\s+(?:{_CYR}|{_CYR_UP})){{0,2}})")
_CYR_TOKEN = re.compile(rf"(?<![\w.])(?:{_CYR}|{_CYR_UP})(?!\w)")
_MID_CAPITAL = re.compile(r"(?<=[а-яё,] )[А-ЯЁ][а-яё]")  # a capital after a lower-case word or a comma
_SCORES = {"Name": 0.25, "Patr": 0.25, "Surn": 0.2}
_SURNAME_ENDING = re.compile(r"(?:ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|ская|цкий|цкая|ых|их|енко|ко|ук|юк|чук|"
                             r"ян|янц|дзе|швили|ий|ая)$")


def _clinical(word: str) -> bool:
    first = word.split("-")[0]  # "Warthin-like"
    return word in _CLINICAL or word.title() in _CLINICAL or first in _CLINICAL


@lru_cache(maxsize=1)
def morph() -> Any:
    """pymorphy3's analyser, built once per process (it reads its dictionaries)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=1)
def _ner() -> tuple[Any, Any]:
    """natasha's segmenter and news NER tagger, built once per process (the tagger takes about a second)."""
    from natasha import NewsEmbedding, NewsNERTagger, Segmenter

    return Segmenter(), NewsNERTagger(NewsEmbedding())


@lru_cache(maxsize=200_000)
def name_kinds(word: str) -> frozenset[str]:
    """What a Russian word may be as part of a name (Name, Surn, Patr), judged by pymorphy3's parses."""
    weight = dict.fromkeys(_SCORES, 0.0)
    for parse in morph().parse(word.lower()):
        for kind in _SCORES:
            if kind in parse.tag:
                weight[kind] += parse.score  # a surname's weight is spread over its case readings
    return frozenset(kind for kind, least in _SCORES.items() if weight[kind] >= least)


@lru_cache(maxsize=200_000)
def _latin_kinds(word: str) -> frozenset[str]:
    """Name kinds of a Latin word: English first and last names, or a Russian name read back from Latin."""
    if _clinical(word):
        return frozenset()
    title = word if not word.isupper() else word.title()
    kinds = set()
    if title in FIRST_NAMES:
        kinds.add("Name")
    if title in LAST_NAMES:
        kinds.add("Surn")
    if _LATIN_PATRONYMIC.fullmatch(title):
        kinds.add("Patr")
    if len(title) > 2:
        kinds |= name_kinds(to_cyrillic(title))
    return frozenset(kinds)


@lru_cache(maxsize=200_000)
def surname_like(word: str) -> bool:
    """Whether a capitalised Russian word may be a surname: read as one at all, or not a dictionary word."""
    low = word.lower()
    return (bool(_SURNAME_ENDING.search(low)) or bool(name_kinds(low)) or not morph().word_is_known(low)
            or any("Surn" in p.tag for p in morph().parse(low)))


def _is_name_run(kinds: list[frozenset[str]]) -> bool:
    """Whether neighbouring words make a person: a first name with a patronymic or surname, or a patronymic."""
    flat = [k for k in kinds]
    for i, k in enumerate(flat):
        if "Patr" in k and len(flat) > 1:
            return True
        if "Name" in k and any(flat[j] & {"Surn", "Patr"} for j in (i - 1, i + 1) if 0 <= j < len(flat)):
            return True
    return False


def _runs(text: str, tokens: re.Pattern[str]) -> Iterator[list[re.Match[str]]]:
    """Runs of capitalised words separated only by a space (or a comma, for "Smith, John")."""
    run: list[re.Match[str]] = []
    for m in tokens.finditer(text):
        if run and not re.fullmatch(r",?\s{1,2}", text[run[-1].end():m.start()]):
            yield run
            run = []
        run.append(m)
    if run:
        yield run


def russian_names(text: str, covered: Sequence[tuple[int, int]] = ()) -> Iterator[Hit]:
    """Russian names: initials with a surname, titled people, name-patronymic runs, and natasha's PER spans that
    pymorphy3 agrees hold a name. natasha reads only sentences with a capitalised word that may be a name and
    that no find of the rules (`covered`, and the name rules here) explains."""
    found: list[Hit] = []
    for m in _RU_INITIALS.finditer(text):  # a capitalised word beside two initials is a name in any report
        found.append(Hit(m.start(), m.end(), "NAME"))
    for m in _RU_ONE_INITIAL.finditer(text):
        if "Surn" in name_kinds(m.group("s1") or m.group("s2")):
            found.append(Hit(m.start(), m.end(), "NAME"))
    for m in _RU_TITLE.finditer(text):
        words = list(re.finditer(rf"{_CYR}|{_CYR_UP}", m.group("n")))
        kept = [w for w in words if name_kinds(w.group(0)) or surname_like(w.group(0))]
        if kept and kept[0].start() == 0:
            base = m.start("n")
            found.append(Hit(base, base + kept[-1].end(), "NAME"))
    for run in _runs(text, _CYR_TOKEN):
        kinds = [name_kinds(m.group(0)) for m in run]
        if _is_name_run(kinds):
            named = [i for i, k in enumerate(kinds) if k]
            first, last = named[0], named[-1]
            # The word before a first name or after a patronymic is the surname when it may be one.
            if first > 0 and "Name" in kinds[first] and surname_like(run[first - 1].group(0)):
                first -= 1
            if last + 1 < len(run) and "Patr" in kinds[last] and surname_like(run[last + 1].group(0)):
                last += 1
            found.append(Hit(run[first].start(), run[last].end(), "NAME"))
    yield from found
    yield from _ner_names(text, [*covered, *((h.start, h.end) for h in found)])


def _needs_ner(text: str, offset: int, covered: Sequence[tuple[int, int]]) -> bool:
    """Whether a sentence (at `offset` in the text) has a capitalised word that may be a name, inside the sentence
    or read as a name by pymorphy3, that no find in `covered` takes in."""
    for m in _CYR_TOKEN.finditer(text):
        start, end = offset + m.start(), offset + m.end()
        if any(s <= start and end <= e for s, e in covered):
            continue
        word = m.group(0)
        if eponym(word) or len(word) <= 2 or (word.isupper() and len(word) <= 4):  # Тг, ИД, ТТГ, ФИО
            continue
        if _MID_CAPITAL.match(text, m.start()) or name_kinds(m.group(0)):
            return True
    return False


def _ner_names(text: str, covered: Sequence[tuple[int, int]]) -> Iterator[Hit]:
    """natasha's PER spans, on the sentences where a name may hide only (the tagger's time grows with length)."""
    from natasha import Doc
    from razdel import sentenize

    chosen = [(s.start, s.stop) for s in sentenize(text) if _needs_ner(s.text, s.start, covered)]
    if not chosen:
        return
    # The chosen sentences, one a line, with where each begins in `text`; upper-case words title-cased (same
    # length): the tagger learned on news text.
    pieces, offsets, at = [], [], 0
    for start, stop in chosen:
        pieces.append(re.sub(r"[А-ЯЁ]{2,}", lambda m: m.group(0).title(), text[start:stop]))
        offsets.append((at, start))
        at += stop - start + 1
    segmenter, tagger = _ner()
    doc = Doc("\n".join(pieces))
    doc.segment(segmenter)
    doc.tag_ner(tagger)
    for span in doc.spans:
        if span.type != "PER":
            continue
        base = max((o for o in offsets if o[0] <= span.start), key=lambda o: o[0])
        start = base[1] + span.start - base[0]
        # Judged on the text as written, line by line: a span may run over a label on the next line.
        for line in re.finditer(r"[^\n]+", text[start:base[1] + span.stop - base[0]]):
            if _person_words(re.findall(r"[А-ЯЁа-яё]+", line.group(0))):
                yield Hit(start + line.start(), start + line.end(), "NAME")


def _person_words(words: list[str]) -> bool:
    """Whether a span holds a name word of its own, not just initials, abbreviations ("(ТАБ) Ф.И.О." is no one)
    or eponyms."""
    return any(len(w) > 2 and not (w.isupper() and len(w) <= 4) and not eponym(w)
               and (name_kinds(w) or surname_like(w)) for w in words)


def latin_names(text: str) -> Iterator[Hit]:
    """Names in Latin letters: after a title or a label, runs with a first name beside a surname or patronymic
    ("John A. Smith", "Smith, John", "Ivanova Anna Petrovna"), in any letter case."""
    for pattern in (_TITLED_EN, _LABEL_EN):
        for m in pattern.finditer(text):
            words = re.findall(r"[A-Za-z'’-]+", m.group("n"))
            if not words or _clinical(words[0]) or (pattern is _LABEL_EN and not _label_name(words)):
                continue
            end = _name_end(m.group("n"))
            yield Hit(m.start("n"), m.start("n") + end, "NAME")
    for run in _runs(text, _LATIN_TOKEN):
        kinds = [frozenset({"Surn"}) if m.group(0).endswith(".") else _latin_kinds(m.group(0)) for m in run]
        for part in _comma_parts(text, run, kinds):
            named = [i for i, (_, k) in enumerate(part) if k]
            if _is_name_run([k for _, k in part]) and named:
                first, last = named[0], named[-1]
                # "Kuzmina Fevroniia Igorevna": the words before a patronymic are the name and surname.
                patronymic = next((i for i, (_, k) in enumerate(part) if "Patr" in k), None)
                if patronymic is not None:
                    first = min(first, max(0, patronymic - 2))
                yield Hit(part[first][0].start(), part[last][0].end(), "NAME")


def _comma_parts(text: str, run: list[re.Match[str]], kinds: list[frozenset[str]]
                 ) -> Iterator[list[tuple[re.Match[str], frozenset[str]]]]:
    """A run split at its commas; "Smith, John" stays whole (a surname, a comma, a first name)."""
    part: list[tuple[re.Match[str], frozenset[str]]] = []
    for i, (m, k) in enumerate(zip(run, kinds, strict=True)):
        comma = i > 0 and "," in text[run[i - 1].end():m.start()]
        if comma and "Name" in k and len(part) == 1:
            part[-1] = (part[-1][0], part[-1][1] | {"Surn"})  # the word before ", John" is the surname
        elif comma:
            yield part
            part = []
        part.append((m, k))
    yield part


def _label_name(words: list[str]) -> bool:
    """After a label, a word that is a name by the lists, or a single capitalised word (a signature)."""
    return any(_latin_kinds(w) for w in words) or len(words) == 1


def _name_end(found: str) -> int:
    """Where a titled or labelled name ends: before the first word that is a clinical heading."""
    end = 0
    for m in re.finditer(r"(?:[A-Z]\.\s?)*[A-Za-z'’-]+\.?", found):
        if _clinical(m.group(0).rstrip(".")):
            break
        end = m.end() if not m.group(0).endswith(".") or len(m.group(0).rstrip(".")) == 1 else m.end() - 1
    return end
