"""Rules that find identifiers of fixed shape in free text: SNILS, passport, OMS policy, phones, e-mails, URLs,
IP addresses, record numbers, street addresses and ages over 89, in Russian and English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from faker.providers.address.en_US import Provider as _UsAddress

# Units and clinical words after which a number is a measurement, not an identifier.
_UNIT = (r"(?:\s?(?:%|мм|см|мл|мг|мкг|нг|пг|г|кг|л|МБк|ГБк|мКи|мЗв|Гр|Гy|ЕД|МЕ|мМЕ|ед|мме|ммоль|мкмоль|пмоль"
         r"|mm|cm|ml|mL|mg|mcg|ug|µg|ng|pg|g|kg|L|MBq|GBq|mCi|mSv|Gy|IU|U|mIU|mmol|umol|pmol|копий|copies|cells"
         r"|клеток|сут|day|days|дн|дней|мес|month|months|лет|years)\b)")
_DIGITS = re.compile(r"\d")
_STREET_SUFFIXES = sorted({*_UsAddress.street_suffixes, "St", "Ave", "Rd", "Ln", "Dr", "Blvd", "Ct", "Pl", "Pkwy",
                           "Cir", "Hwy"}, key=len, reverse=True)
_STATES = sorted({*_UsAddress.states_abbr, *_UsAddress.territories_abbr, *_UsAddress.military_state_abbr,
                  *_UsAddress.freely_associated_states_abbr}, key=len, reverse=True)


@dataclass(frozen=True)
class Hit:
    """One identifier found by a rule: where it is and what it is."""

    start: int
    end: int
    category: str


def snils_checksum(first9: str) -> int:
    """The control number of a SNILS from its first nine digits (Pension Fund of Russia rule: digits weighted
    9..1 and summed; below 100 the sum itself, 100 and 101 give 0, above 101 the sum mod 101, then the same rule
    once more)."""
    total = sum(int(d) * w for d, w in zip(first9, range(9, 0, -1), strict=True))
    for _ in range(2):
        if total in (100, 101):
            return 0
        if total > 101:
            total %= 101
    return total


def snils_valid(text: str) -> bool:
    """Whether `text` (digits with any separators) is eleven digits whose last two are the SNILS control number."""
    digits = "".join(_DIGITS.findall(text))
    return len(digits) == 11 and int(digits[9:]) == snils_checksum(digits[:9])


_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("URL", re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)]", re.I)),
    ("IP", re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?!\d|\.\d)")),
    # SNILS: 3-3-3 and the two control digits, with the usual separators, or eleven digits in a row.
    ("SNILS", re.compile(r"(?<![\d-])\d{3}[- ]\d{3}[- ]\d{3}[- ]\d{2}(?![\d-])|(?<![\d-])\d{11}(?![\d-])")),
    # Russian passport: series of two pairs of digits and a six-digit number ("45 06 123456", "4506 № 123456").
    ("PASSPORT", re.compile(r"(?<![\d-])\d{2}\s?\d{2}\s?(?:№\s?|N\s?)?\d{6}(?![\d-])")),
    # OMS policy of the single pattern: sixteen digits, in a row or in fours.
    ("POLICY", re.compile(r"(?<![\d-])\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}(?![\d-])")),
    # Phones: Russian +7/8 and North American numbers, in the shapes people write them.
    ("PHONE", re.compile(
        r"(?<![\w+])(?<!№)(?<!№ )(?<!#)(?<!# )(?:(?:\+7|8)[\s-]?\(?\d{3,4}\)?[\s-]?\d{2,3}[\s-]?\d{2}[\s-]?\d{2}"
        r"|(?:\+1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?!\w)")),
    # Street addresses, Russian: a street, then house, block and flat numbers when present.
    ("ADDRESS", re.compile(
        r"(?:(?<![\w.])(?:ул\.|улица|пр\.|пр-т|проспект|пер\.|переулок|ш\.|шоссе|б-р|бульвар|наб\.|набережная|пл\.|"
        r"площадь|мкр\.?|микрорайон|проезд|тупик)\s*(?:им\.\s+|\d+\s+лет\s+)?(?:[А-ЯЁ]\.\s?)*[А-ЯЁ0-9][\w-]*(?:\s+[А-ЯЁ][\w-]*){0,2}"
        r"(?:,?\s*(?:д|дом|корп|к|стр|строение|кв|квартира|оф)\.?\s*\d+[а-яА-Я]?(?:/\d+)?)*)")),
    ("ADDRESS", re.compile(r"(?:\b(?:д|дом|корп|кв|квартира)\.\s*\d+[а-я]?(?:/\d+)?)")),
    # Settlements named with their kind: "г. Тверь", "пос. Лесной", "Тверская обл.", "Республика Коми".
    ("ADDRESS", re.compile(
        r"(?<![\w.])(?<!\d\s)(?:(?:г|гор|пос|с|д|дер|ст|рп)\.|город|посёлок|поселок|село|деревня|станица|пгт)\s*[А-ЯЁ][а-яё]+"
        r"(?:-[А-ЯЁа-яё][а-яё]+)*(?:\s[А-ЯЁ][а-яё]+)?(?:\s\([А-ЯЁа-яё][а-яё]+\.?\))?|\b[А-ЯЁ][а-яё]+(?:ая|ий|ой|ый)\s+(?:обл\.?|область|области|край|края|крае|район|"
        r"района|районе|р-н|округ|округа|АО)(?![а-яё])|\bРеспублик[аеиу]\s+[А-ЯЁ][а-яё]+(?:(?:\s|-|\s-\s|\s—\s)[А-ЯЁ][а-яё]+){0,3}"
        r"(?:\s\([А-ЯЁ][а-яё]+\))?")),
    # Postal codes: a Russian six-digit index written as one, or a US state and ZIP code.
    ("ADDRESS", re.compile(r"(?<=индекс )\d{6}\b|(?<=индекс: )\d{6}\b|(?<![\w.,-])\d{6}(?=,\s*(?:г\.|Россия|РФ|"
                           r"[А-ЯЁ][а-яё]+ская обл))", re.I)),
    ("ADDRESS", re.compile(
        r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:" + "|".join(_STREET_SUFFIXES) + r")\b\.?"
        r"(?:,?\s+(?:Apt|Suite|Unit|#)\.?\s*\w+)?")),
    ("ADDRESS", re.compile(r"\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)?,\s(?:" + "|".join(_STATES) + r")\s\d{5}(?:-\d{4})?\b")),
    ("ADDRESS", re.compile(r"\b(?:ZIP|zip code|Zip)\s*:?\s*\d{5}(?:-\d{4})?\b")),
    # File names with a date or serial in them: photographs and scans ("IMG_20200314_5521.jpg").
    ("ID", re.compile(r"(?<![\w.])[\w-]*\d{4,}[\w-]*\.(?:jpe?g|png|tiff?|bmp|heic|dcm|mp4|avi|mov)\b", re.I)),
]

# Record numbers: a label, then a number with letters, dashes, slashes or dots in it.
_ID_LABEL = re.compile(
    r"(?:\b(?:MRN|ID|No|Nr|acc(?:ession)?|specimen|case|record|chart|account|licen[cs]e|certificate|serial|device|"
    r"plate|VIN|SSN|policy|member|beneficiary|health plan|госномер|гос\. ?номер|номерной знак|рег\. знак|"
    r"карт[аыуе]|истори[ияю] болезни|ИБ|а/к|амб\.? карта|"
    r"номер|код|полис|СНИЛС|паспорт|свидетельство|удостоверение|исследования|препарата|блоков|стёкол|стекол)"
    r"\.?\s*(?::|#|№|N|no\.?|number)?|[№#])\s*"
    r"(?=[A-ZА-ЯЁ0-9]*\d)([A-ZА-ЯЁ0-9][A-ZА-ЯЁa-zа-яё0-9]*(?:[-/.][A-ZА-ЯЁa-zа-яё0-9]+)*)", re.I)
# Without a label: a code of letters and at least five digits ("S20-12345", "ГИ-2019/0456"), or a bare run of
# seven or more digits that no unit follows.
_ID_SHAPE = re.compile(
    r"(?<![\w/.-])(?=(?:[^\s\d]*\d){5})(?:[A-ZА-ЯЁ]{1,4}[-/]?\d[\d/-]*\d|\d+[-/]\d[\d/-]*\d(?:[-/][A-ZА-ЯЁ]{1,3})?)"
    r"(?![\w/-]|\.\w)|(?<![\w.,-])\d{7,}(?![\w,-]|\.\d)(?!" + _UNIT + ")")
# Dates, TNM, isotopes and other clinical codes that the ID shapes must not take.
_NOT_ID = re.compile(
    r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{4}[-/]\d{4}|\d{1,3}(?:[.,]\d+)?|(?:19|20)\d\d")

_AGE = [
    re.compile(r"(?<![\d.,])(?P<n>\d{2,3})\s*(?:-?\s*(?:лет|года|год|летн(?:ий|яя|его|ей|ему|юю|им|ем)))\b", re.I),
    re.compile(r"\b(?:в\s+возрасте|возраст(?:ом)?:?)\s*(?P<n>\d{2,3})\b", re.I),
    re.compile(r"(?<![\d.,])(?P<n>\d{2,3})[\s-]*(?:years?[\s-]old|y/?o|yrs?[\s-]old|year-old)\b", re.I),
    re.compile(r"\b(?:aged?|age:)\s*(?P<n>\d{2,3})\b", re.I),
]


def rule_hits(text: str) -> Iterator[Hit]:
    """Every identifier a fixed-shape rule finds in `text`; spans may overlap (the caller keeps the longest)."""
    for category, pattern in _RULES:
        for m in pattern.finditer(text):
            if category == "SNILS" and not snils_valid(m.group(0)):
                yield Hit(m.start(), m.end(), "ID")  # eleven digits with a wrong control number: still a number
            else:
                yield Hit(m.start(), m.end(), category)
    for m in _ID_LABEL.finditer(text):
        value = m.group(1)
        if len(_DIGITS.findall(value)) >= 3 and not _NOT_ID.fullmatch(value):
            yield Hit(m.start(1), m.end(1), "ID")
    for m in _ID_SHAPE.finditer(text):
        if not _NOT_ID.fullmatch(m.group(0)):
            yield Hit(m.start(), m.end(), "ID")
    for pattern in _AGE:
        for m in pattern.finditer(text):
            if 90 <= int(m.group("n")) <= 130:
                yield Hit(m.start(), m.end(), "AGE")
