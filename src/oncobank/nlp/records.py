"""Records a report lists (lesions, gene tests, radioiodine courses, drug periods): one per key phrase, its parts
read from its own stretch of the sentence, and the same record named again in a later sentence (a conclusion
repeating a lesion) merged into it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from oncobank.nlp.dates import parse_date
from oncobank.nlp.rules import Part, Rule, any_of, compile_pattern, matched_value, number, term_list, times_factor

# (sentence, match) -> (negated, uncertain)
Context = Callable[[str, re.Match[str]], tuple[bool, bool]]
# (value, unit as written, canonical unit) -> the value in the canonical unit, None when it cannot be converted
Convert = Callable[[float, str, str], float | None]


@dataclass
class Hit:
    value: Any
    start: int  # span in the document
    end: int
    shared: bool = False  # taken from the sentence, not the record's own stretch: a later own value replaces it
    borrowed: bool = False  # a stand-in's date (the hospital stay), not the record's own: kept with half confidence


@dataclass
class Record:
    sentence: int
    key: Hit
    uncertain: bool
    parts: dict[str, Hit] = field(default_factory=dict)


# Where one record's stretch of a sentence ends and the next one's begins: the last clause break before its key.
CLAUSE = re.compile(r"[;,]|\s(?:и|а также|and|as well as)\s", re.IGNORECASE)


def _stretches(sentence: str, keys: list[re.Match[str]]) -> list[int]:
    """Where each key's stretch starts: the sentence start for the first, else after the last clause break
    between the previous key and this one (or at the key itself)."""
    starts = [0]
    for previous, key in pairwise(keys):
        breaks = list(CLAUSE.finditer(sentence, previous.end(), key.start()))
        starts.append(breaks[-1].end() if breaks else key.start())
    return starts


class RecordRule:
    """A `records` rule compiled: `find` lists its records in the order the text first names them."""

    def __init__(self, rule: Rule, convert: Convert):
        self.rule = rule
        self.convert = convert
        self.key = any_of(term_list(rule.terms))
        self.within = compile_pattern(rule.within) if rule.within else None
        self.carry = compile_pattern(rule.carry) if rule.carry else None
        self.parts = {
            name: (any_of(term_list(p.terms)) if p.terms else [compile_pattern(t) for t in p.patterns()], p)
            for name, p in rule.parts.items()
        }

    def find(
        self, sentences: list[tuple[int, str]], context: Context, stand_ins: dict[str, Hit] | None = None
    ) -> list[Record]:
        """The records in text order; a lone record lacking a part with a `fallback` takes the stand-in's date."""
        records: list[Record] = []
        for index, (offset, sentence) in enumerate(sentences):
            if self.within is not None and not self.within.search(sentence):
                continue
            if records and self.carry is not None and not self.key[0].search(sentence) and self.carry.search(sentence):
                self._carry(records[-1], offset, sentence)
                continue
            keys: list[tuple[re.Match[str], bool]] = []
            for m in self.key[0].finditer(sentence):
                negated, uncertain = context(sentence, m)
                if negated:
                    continue
                if keys and self._same(sentence, keys[-1][0], m):
                    continue  # "Кости: очаг в L2 позвонке", "RET/PTC1 (CCDC6::RET)": one record named twice
                keys.append((m, uncertain))
            starts = _stretches(sentence, [m for m, _ in keys])
            for j, (m, uncertain) in enumerate(keys):
                lo, hi = starts[j], starts[j + 1] if j + 1 < len(keys) else len(sentence)
                record = Record(
                    index, Hit(matched_value(m, self.key[1]), offset + m.start(), offset + m.end()), uncertain
                )
                for name, (pattern, part) in self.parts.items():
                    hit = self._part(pattern, part, sentence, lo, hi, m.span())
                    if hit is None and part.shared:
                        hit = self._part(pattern, part, sentence, 0, len(sentence))
                        if hit is not None:
                            hit.shared = True
                    if hit is not None:
                        record.parts[name] = Hit(hit.value, offset + hit.start, offset + hit.end, hit.shared)
                self._add(records, record)
        if len(records) == 1:
            for name, part in self.rule.parts.items():
                if part.fallback and name not in records[0].parts and part.fallback in (stand_ins or {}):
                    stand_in = (stand_ins or {})[part.fallback]
                    records[0].parts[name] = Hit(stand_in.value, stand_in.start, stand_in.end, borrowed=True)
        return records

    def _carry(self, record: Record, offset: int, sentence: str) -> None:
        """A sentence going on about the last record ("Dose reduced to 20 mg on …"): the parts it still lacks."""
        for name, (pattern, part) in self.parts.items():
            if name not in record.parts or record.parts[name].shared:
                hit = self._part(pattern, part, sentence, 0, len(sentence))
                if hit is not None:
                    record.parts[name] = Hit(hit.value, offset + hit.start, offset + hit.end)

    def _part(
        self, pattern: Any, part: Part, sentence: str, lo: int, hi: int, key: tuple[int, int] | None = None
    ) -> Hit | None:
        """The part's first hit in sentence[lo:hi] (of its first pattern that has one), or the nearest to the key."""
        if part.terms:
            regex, values = pattern
            m = regex.search(sentence, lo, hi)
            return Hit(matched_value(m, values), m.start(), m.end()) if m else None
        for regex in pattern:
            hits = [h for m in regex.finditer(sentence, lo, hi) if (h := self._read(m, part)) is not None]
            if hits and part.nearest and key is not None:
                return min(hits, key=lambda h: max(h.start - key[1], key[0] - h.end, 0))
            if hits:
                return hits[0]
        return None

    def _read(self, m: re.Match[str], part: Part) -> Hit | None:
        """A date (ISO) or a number in the part's unit from one match; None when it does not read or convert."""
        if part.date:
            group = next((g for g, v in m.groupdict().items() if g.startswith("date") and v), None)
            day = parse_date(m.group(group)) if group else None
            return Hit(day.isoformat(), m.start(group), m.end(group)) if group and day is not None else None
        value: float | None = number(m.group("value")) * times_factor(m.groupdict().get("times"), part.times)
        unit = (m.groupdict().get("unit") or "").strip()
        if part.unit and unit and value is not None:
            value = self.convert(value, unit, part.unit)
        return Hit(value, m.start(), m.end()) if value is not None else None

    def _add(self, records: list[Record], record: Record) -> None:
        """Merge into the closest earlier record of the same key from another sentence, else start a new one."""
        best, distance = None, 0.0
        for other in records:
            if other.sentence == record.sentence or other.key.value != record.key.value:
                continue
            d = self._distance(other, record)
            if d is not None and (best is None or d < distance):
                best, distance = other, d
        if best is None:
            records.append(record)
            return
        for name, hit in record.parts.items():
            if name not in best.parts or (best.parts[name].shared and not hit.shared):
                best.parts[name] = hit

    def _same(self, sentence: str, a: re.Match[str], b: re.Match[str]) -> bool:
        """Two key phrases of one value with no clause break between them name the same record."""
        same = matched_value(a, self.key[1]) == matched_value(b, self.key[1])
        return same and CLAUSE.search(sentence, a.end(), b.start()) is None

    def _distance(self, a: Record, b: Record) -> float | None:
        """How far apart two records' numbers are (relative); None when a number or an own code disagrees."""
        total = 0.0
        for name, part in self.rule.parts.items():
            x, y = a.parts.get(name), b.parts.get(name)
            if x is None or y is None:
                continue
            if part.pattern and not part.date:
                diff = abs(x.value - y.value) / max(abs(x.value), abs(y.value), 1e-9)
                if diff > part.near:
                    return None
                total += diff
            elif x.value != y.value and not part.shared:
                return None
        return total
