"""The structuring pipeline: pick the report type, run its rules sentence by sentence, return facts with spans."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from oncobank.dictionary.units import UnitError, UnitSystem
from oncobank.nlp.context import assess
from oncobank.nlp.dates import parse_date
from oncobank.nlp.facts import Fact
from oncobank.nlp.records import Hit, RecordRule
from oncobank.nlp.rules import (
    ReportType,
    Rule,
    any_of,
    compile_pattern,
    matched_value,
    number,
    report_types,
    term_list,
    times_factor,
)

# A sentence ends at . ! ? before a non-digit that is not a lower-case letter (`стац. лечение` is an abbreviation)
# or before a date, not after an abbreviation, or at a line break, except where a PDF wrapped a line: the next
# line goes on in lower case or with a bracket (a line starting "2 |", a table's row, or with a date is a
# sentence of its own).
SENTENCE_END = re.compile(
    r"(?<!\bур\.)(?<!\bг\.)(?<!\bт\.)(?<!\bсм\.)(?<!\bл/у\.)(?<!\bсв\.)"
    r"(?<=[.!?])[ \t]+(?=[^\d\sa-zа-яё]|\d{1,2}\.\d{1,2}\.\d{2,4}\b)"
    r"|\n+(?=[^a-zа-яё(\d\s]|\d+\s*\||\d{1,2}\.\d{1,2}\.\d{2,4}\b)|\n\s*\n|(?<=[.!?])$"
)
TITLE = 200  # characters at the top where the report's title (its first two lines) stands
TITLE_LINE = 80  # the first line's first characters are its title; the rest of a long line is body text
SUBTITLE = 60  # a second line this short is part of the title
LISTED = re.compile(r"\s*(?:,|и|или|and|or)?\s*(?:в|во|in|the)?\s*", re.IGNORECASE)  # between two listed sites
LEVEL_RANGE = re.compile(
    r"(?P<a>VII|VI|IV|V|III|II|I)(?:\s*(?:[–-]|to|по|до)\s*(?P<b>VII|VI|IV|V|III|II|I))?", re.IGNORECASE
)
LEVELS = ["I", "II", "III", "IV", "V", "VI", "VII"]
UNCERTAIN = 0.5  # a hedged finding keeps half its rule's confidence


@dataclass
class Extraction:
    kind: str | None
    facts: list[Fact] = field(default_factory=list)

    def values(self) -> dict[tuple[str, str], Any]:
        """(section, field) -> value: the first fact of a scalar field, every value of a list field in order."""
        out: dict[tuple[str, str], Any] = {}
        for f in self.facts:
            key = (f.section, f.field)
            if f.rule.endswith("[]"):
                if f.value not in out.setdefault(key, []):
                    out[key].append(f.value)
            elif key not in out:
                out[key] = f.value
        return out


def sentences(text: str) -> Iterator[tuple[int, str]]:
    """(offset, sentence) pairs; a decimal point or an abbreviation before a digit does not end a sentence.
    A line break left inside a sentence (a wrapped line) reads as a space, so spans keep their offsets."""
    start = 0
    for m in SENTENCE_END.finditer(text):
        if m.start() > start:
            yield start, text[start : m.start()].replace("\n", " ")
        start = m.end()
    if start < len(text):
        yield start, text[start:].replace("\n", " ")


def _tidy(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


class _Compiled:
    """One rule with its patterns compiled once."""

    def __init__(self, kind: ReportType, rule: Rule, units: UnitSystem):
        self.rule = rule
        self.section = rule.section or kind.section
        self.name = f"{kind.kind}.{rule.id}" + ("[]" if rule.multi else "")
        self.pattern = compile_pattern(rule.pattern) if rule.pattern else None
        self.within = compile_pattern(rule.within) if rule.within else None
        pairs = term_list(rule.terms) if rule.terms else []
        self.terms = any_of(pairs) if pairs else None
        self.no_terms = any_of([("no", t) for t in rule.no_terms]) if rule.no_terms else None
        self.records = (
            RecordRule(rule, lambda v, unit, to: _converted(units, v, unit, to)) if rule.type == "records" else None
        )

    def lookup(self, text: str) -> str | None:
        """The vocabulary code a captured phrase stands for."""
        if self.terms is None:
            return text
        m = self.terms[0].search(text)
        return matched_value(m, self.terms[1]) if m else None


def _levels(text: str) -> list[str]:
    """Lymph-node levels as listed: "II-IV, VI" -> II, III, IV, VI."""
    out = []
    for m in LEVEL_RANGE.finditer(text):
        a, b = LEVELS.index(m.group("a").upper()), LEVELS.index((m.group("b") or m.group("a")).upper())
        out += LEVELS[a : b + 1] if a <= b else [LEVELS[a], LEVELS[b]]
    return out


def _converted(units: UnitSystem, value: float, unit: str, to: str) -> float | None:
    if unit == to:
        return value
    try:
        return value * units.factor(unit, to)
    except (UnitError, ValueError):
        return None


def _term_hits(pattern: tuple[re.Pattern[str], list[str]], sentence: str) -> Iterator[tuple[re.Match[str], str]]:
    regex, values = pattern
    for m in regex.finditer(sentence):
        yield m, matched_value(m, values)


class Extractor:
    """Rules of one disease module, compiled; `extract(text)` is pure and thread-safe."""

    def __init__(self, module: str, units: UnitSystem):
        self.units = units
        self.types = report_types(module)
        self.detect = [(t, [compile_pattern(p) for p in t.detect]) for t in self.types]
        self.compiled = {t.kind: [_Compiled(t, r, units) for r in t.rules] for t in self.types}
        self.by_kind = {t.kind: t for t in self.types}

    def classify(self, text: str) -> str | None:
        """The report type whose detection patterns the title matches (else the body most often)."""
        lines = [line.strip() for line in text[:TITLE].splitlines() if line.strip()][:2]
        # the first line's start is the title; a second line only when it is short (a title on two lines)
        weighted = [(lines[0][:TITLE_LINE], 20)] if lines else []
        if len(lines) > 1 and len(lines[1]) <= SUBTITLE:
            weighted.append((lines[1], 10))
        best, score = None, 0
        for kind, patterns in self.detect:
            s = sum(w * len(p.findall(line)) for p in patterns for line, w in weighted)
            s += sum(len(p.findall(text[:3000])) for p in patterns)
            if s > score:
                best, score = kind.kind, s
        return best

    def extract(self, text: str, kind: str | None = None) -> Extraction:
        kind = kind or self.classify(text)
        if kind is None or kind not in self.compiled:
            return Extraction(None)
        facts: list[Fact] = []
        parts = list(sentences(text))
        stand_ins: dict[str, Fact] = {}
        undated: list[_Compiled] = []
        for c in self.compiled[kind]:
            found = list(self._run(c, parts, stand_ins))
            if c.rule.stand_in:
                if found:
                    stand_ins[c.rule.id] = found[0]
                continue
            if not found and c.rule.fallback in stand_ins:
                undated.append(c)
            facts.extend(found)
        # a section the text states facts of, but no date of its own, is dated by the stand-in (the stay)
        stated = {f.section for f in facts}
        facts += [self._borrowed(c, stand_ins[c.rule.fallback or ""]) for c in undated if c.section in stated]
        return Extraction(kind, facts)

    def _borrowed(self, c: _Compiled, stand_in: Fact) -> Fact:
        """A stand-in's date (the hospital stay) for a fact the text does not date itself, at half confidence."""
        return self._fact(c, c.rule.field or "", stand_in.value, 0, (stand_in.start, stand_in.end), uncertain=True)

    def _fact(
        self,
        c: _Compiled,
        field_name: str,
        value: Any,
        offset: int,
        span: tuple[int, int],
        negated: bool = False,
        uncertain: bool = False,
    ) -> Fact:
        confidence = c.rule.confidence * (UNCERTAIN if uncertain else 1.0)
        return Fact(
            c.section,
            field_name,
            value,
            offset + span[0],
            offset + span[1],
            c.name,
            round(confidence, 3),
            negated,
            uncertain,
        )

    def _context(self, c: _Compiled, sentence: str, m: re.Match[str]) -> tuple[bool, bool]:
        return assess(sentence, m.start(), m.end()) if c.rule.context else (False, False)

    def _ranked(self, c: _Compiled, parts: list[tuple[int, str]]) -> Iterator[Fact]:
        assert c.terms is not None
        order = {v: i for i, v in enumerate(c.terms[1])}
        hits = [
            (order[value], offset, m)
            for offset, sentence in parts
            for m, value in _term_hits(c.terms, sentence)
            if not self._context(c, sentence, m)[0]
        ]
        if hits:
            rank, offset, m = min(hits, key=lambda h: h[0])
            yield self._fact(c, c.rule.field or "", c.terms[1][rank], offset, m.span())

    def _run(self, c: _Compiled, parts: list[tuple[int, str]], stand_ins: dict[str, Fact]) -> Iterator[Fact]:
        kind = c.rule.type
        if kind == "term" and c.rule.ranked:
            yield from self._ranked(c, parts)
            return
        if c.records is not None:
            yield from self._records(c, parts, stand_ins)
            return
        if kind == "quantity" and c.rule.highest and c.pattern is not None:
            found = [
                f
                for offset, sentence in parts
                for m in c.pattern.finditer(sentence)
                for f in self._captured(c, kind, c.rule.field or "", sentence, offset, m)
            ]
            if found:
                yield max(found, key=lambda f: f.value)
            return
        field_name = c.rule.field or ""
        done = False
        for offset, sentence in parts:
            if done:
                return
            if c.within is not None:
                trigger = c.within.search(sentence)
                if trigger is None or (kind == "sites" and self._context(c, sentence, trigger)[0]):
                    continue
            if kind == "term" and c.terms:
                for m, value in _term_hits(c.terms, sentence):
                    negated, uncertain = self._context(c, sentence, m)
                    if not negated:
                        yield self._fact(c, field_name, value, offset, m.span(), uncertain=uncertain)
                        done = not c.rule.multi
                        break
            elif kind == "sites" and c.terms:
                yield from self._sites(c, field_name, sentence, offset)
            elif kind == "assert":
                hit = self._assert(c, sentence)
                if hit:
                    m, value, uncertain = hit
                    yield self._fact(
                        c, field_name, c.rule.values.get(value, value), offset, m.span(), value == "no", uncertain
                    )
                    done = True
            elif c.pattern is not None:
                for m in c.pattern.finditer(sentence):
                    produced = list(self._captured(c, kind, field_name, sentence, offset, m))
                    yield from produced
                    if produced and not c.rule.multi and kind != "capture":
                        done = True
                        break

    def _sites(self, c: _Compiled, field_name: str, sentence: str, offset: int) -> Iterator[Fact]:
        """Every site named, but not one negated, nor one listed with a negated site ("в лёгких и костях нет")."""
        assert c.terms is not None
        hits = list(_term_hits(c.terms, sentence))
        negated = [self._context(c, sentence, m)[0] for m, _ in hits]
        for i in range(len(hits) - 2, -1, -1):
            if negated[i + 1] and LISTED.fullmatch(sentence[hits[i][0].end() : hits[i + 1][0].start()]):
                negated[i] = True
        for (m, value), no in zip(hits, negated, strict=True):
            if not no:
                yield self._fact(c, field_name, value, offset, m.span())

    def _records(self, c: _Compiled, parts: list[tuple[int, str]], stand_ins: dict[str, Fact]) -> Iterator[Fact]:
        """Fields `{k}_{part}` of the k-th record; a template with `{key}` (`{key}_grade`) names the field by the
        record's key value and writes its parts only."""
        assert c.records is not None and c.rule.field and c.rule.key
        dates = {name: Hit(f.value, f.start, f.end) for name, f in stand_ins.items()}
        found = c.records.find(parts, lambda sentence, m: self._context(c, sentence, m), dates)
        by_key = "{key}" in c.rule.field
        for k, record in enumerate(found, start=1):
            named = list(record.parts.items()) if by_key else [(c.rule.key, record.key), *record.parts.items()]
            for name, hit in named:
                value = _tidy(hit.value) if isinstance(hit.value, float) else hit.value
                target = c.rule.field.format(k=k, key=record.key.value, part=name)
                uncertain = record.uncertain or hit.borrowed
                yield self._fact(c, target, value, 0, (hit.start, hit.end), uncertain=uncertain)
        if found and c.rule.count_field:
            yield self._fact(c, c.rule.count_field, len(found), 0, (found[0].key.start, found[-1].key.end))

    def _assert(self, c: _Compiled, sentence: str) -> tuple[re.Match[str], str, bool] | None:
        hits = []
        if c.no_terms:
            hits += [(m, "no", self._context(c, sentence, m)[1]) for m, _ in _term_hits(c.no_terms, sentence)]
        if c.terms:
            for m, _ in _term_hits(c.terms, sentence):
                negated, uncertain = self._context(c, sentence, m)
                hits.append((m, "no" if negated else "yes", uncertain))
        return min(hits, key=lambda h: h[0].start()) if hits else None

    def _captured(
        self, c: _Compiled, kind: str, field_name: str, sentence: str, offset: int, m: re.Match[str]
    ) -> Iterator[Fact]:
        negated, uncertain = self._context(c, sentence, m)
        if negated:
            return
        if kind == "quantity":
            value = self._quantity(c, m)
            if value is not None:
                yield self._fact(c, field_name, value, offset, m.span(), uncertain=uncertain)
        elif kind == "date":
            group = next((g for g, v in m.groupdict().items() if g.startswith("date") and v), None)
            day = parse_date(m.group(group)) if group else None
            if group and day:
                yield self._fact(c, field_name, day.isoformat(), offset, m.span(group), uncertain=uncertain)
        else:
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            names = {k: v.lower() for k, v in groups.items()}
            for template, source in c.rule.emit.items():
                try:
                    target = template.format(**names)
                except KeyError:
                    continue
                for value in self._emitted(c, source, groups):
                    yield self._fact(c, target, value, offset, m.span(), uncertain=uncertain)

    def _emitted(self, c: _Compiled, source: str, groups: dict[str, str]) -> list[Any]:
        if source.startswith("="):
            return [source[1:]]
        names, _, how = source.partition("|")
        text = next((groups[n] for n in names.split(",") if n in groups), None)
        if text is None:
            return []
        if how == "levels":
            return _levels(text)
        if how == "terms":
            code = c.lookup(text)
            return [code] if code else []
        if how == "number":
            return [_tidy(number(text))]
        return [int(text) if text.isdigit() else text.strip()]

    def _quantity(self, c: _Compiled, m: re.Match[str]) -> int | float | None:
        value: float | None = number(m.group("value")) * times_factor(m.groupdict().get("times"), c.rule.times)
        unit = (m.groupdict().get("unit") or c.rule.default_unit or c.rule.unit or "").strip()
        if c.rule.unit and unit and value is not None:
            value = _converted(self.units, value, unit, c.rule.unit)
        return None if value is None else _tidy(value)
