"""Lab values from the text of a results sheet: each line's analyte by the dictionary's names, value, unit, range.

An analyte is any number field of the dictionary that takes a reference range; a line names it by its field name,
its Russian or English label or one of its aliases (ТТГ, TSH, АТ-ТГ, anti-Tg …). The unit must convert to the
field's canonical unit through the dictionary's unit system; the value is kept as written (number, unit, the
laboratory's range) so that the store converts it and keeps what the sheet said. A result beyond a detection limit
(`< 0,04`) is not read: a person enters it.

Text read by OCR mixes the scripts: `ТТГ` comes back as Latin `TTF`, `uIU/mL` as `ulU/mL`. Names are therefore
matched with the look-alike letters of both scripts folded together (one letter for one, so spans stay true), and a
unit that does not convert is tried once more with the confusions of `UNIT_REPAIRS` undone.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.schema import FieldType
from oncobank.dictionary.units import UnitError
from oncobank.ingest.values import ValueProblem, reference_range
from oncobank.nlp.facts import Fact

# Cyrillic letters and the Latin ones OCR reads them as (Г as F: Tesseract's rus+eng on a sans-serif face).
# Both cases of each, so that a case-insensitive match of folded text and folded names still holds.
_FOLD = str.maketrans("АВЕКМНОРСТУХГавекмнорстухг", "ABEKMHOPCTYXFabekmhopctyxf")
UNIT_REPAIRS = (("lU", "IU"), ("1U", "IU"), ("|U", "IU"), ("rn", "m"))
CONFIDENCE = 0.9  # a line read from a sheet: below the usual auto-accept threshold, so a person looks at it
_NUM = r"\d+(?:[.,]\d+)?"
_RANGE = rf"{_NUM}\s*[-–—]\s*{_NUM}|(?:<|<=|≤|до)\s*{_NUM}|(?:>|>=|≥|от)\s*{_NUM}"
_TAIL = re.compile(
    rf"[^\d<>≤≥\n]{{0,40}}?(?P<limit>[<>≤≥]\s*)?(?P<value>{_NUM})(?![\d.,]*\s*[-–—]\s*\d)"
    rf"[ \t]*(?P<unit>(?:1(?=U))?[^\s\d()\[\]|]+)?"  # a unit starts with no digit, but OCR reads IU as 1U
    rf"[ \t|]*(?:[(\[][ \t]*)?(?:(?:реф\w*|норма|ref\w*|N)\.?[ \t]*:?[ \t]*)?(?P<ref>{_RANGE})?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Analyte:
    section: str
    field: str
    unit: str
    molar_mass: float | None


class LabReader:
    """The dictionary's analytes and their names, compiled once; `read(text)` is pure."""

    def __init__(self, dictionary: Dictionary):
        self.units = dictionary.units
        self.names: dict[str, _Analyte] = {}
        for section in dictionary.sections.values():
            for f in section.fields:
                if f.type is not FieldType.NUMBER or not f.reference_range or not f.unit:
                    continue
                analyte = _Analyte(section.name, f.name, f.unit, f.molar_mass)
                for name in (f.name, f.label.ru, f.label.en, *f.aliases):
                    self.names.setdefault(_folded(name), analyte)
        spelled = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))  # folded, lower case
        self.line = re.compile(rf"^[ \t•*\-\d.)]*?(?P<name>{spelled})(?!\w)", re.IGNORECASE | re.MULTILINE)

    def read(self, text: str) -> list[Fact]:
        """One fact per analyte line (the first line of each analyte wins), spanning the line's name to its range."""
        facts: list[Fact] = []
        seen: set[tuple[str, str]] = set()
        for m in self.line.finditer(text.translate(_FOLD)):
            analyte = self.names[_folded(m.group("name"))]
            tail = _TAIL.match(text, m.end())
            key = (analyte.section, analyte.field)
            if tail is None or tail.group("limit") or not tail.group("unit") or key in seen:
                continue
            unit = self._unit(tail.group("unit").rstrip(".,;:"), analyte)
            if unit is None:
                continue
            value: dict[str, object] = {"value": _number(tail.group("value")), "unit": unit}
            if tail.group("ref"):
                with suppress(ValueProblem):  # a range that does not read is left out, the value kept
                    value["ref_low"], value["ref_high"] = reference_range(tail.group("ref").strip(), ",")
            end = tail.end() if tail.group("ref") else tail.end("unit")
            facts.append(
                Fact(analyte.section, analyte.field, value, m.start("name"), end, f"lab.{analyte.field}", CONFIDENCE)
            )
            seen.add(key)
        return facts

    def _unit(self, written: str, analyte: _Analyte) -> str | None:
        """The unit as written, or as repaired from OCR's confusions, if it converts to the analyte's unit."""
        candidates = [written]
        for wrong, right in UNIT_REPAIRS:
            if wrong in candidates[-1]:
                candidates.append(candidates[-1].replace(wrong, right))
        for unit in candidates:
            try:
                self.units.factor(unit, analyte.unit, analyte.molar_mass)
                return unit
            except UnitError:
                continue
        return None


def _folded(name: str) -> str:
    return name.translate(_FOLD).casefold()


def _number(text: str) -> float:
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() else value
