"""A Russian or English sentence to a criteria tree, within one data dictionary (its labels, aliases, codes, units).

Words are lemmatised (pymorphy3 for Russian, plural endings for English) on both sides: the sentence and every
label and alias of the dictionary. A phrase names a code (papillary → diagnosis.histology_type = papillary) or a
field (ТТГ → laboratory.tsh, followed by a comparison). Words it cannot place are reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from oncobank.cohort import words
from oncobank.cohort.model import Group, Leaf
from oncobank.dictionary import Dictionary

TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[≥≤<>=]=?|[–—-]|[^\W\d_][\w/+.-]*[\w]|[^\W\d_]|\w+", re.UNICODE)
SKIP_DOMAINS = {"sex", "yes_no", "ctcae_grade", "body_site", "side", "lymph_node_level", "ecog", "document_type"}
AGE_FIELD = "derived.age_at_index"


@dataclass
class Parsed:
    """The tree of a sentence, its words left unplaced, and the sentence read back."""

    tree: Group | None
    unplaced: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.tree is not None and not self.unplaced


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=50_000)
def lemma(word: str) -> str:
    """A word's dictionary form: pymorphy3 for Cyrillic, plural endings off for Latin words."""
    word = word.lower().replace("ё", "е")
    if re.search("[а-я]", word):
        return _morph().parse(word)[0].normal_form.replace("ё", "е")
    if len(word) > 6 and word.endswith("ses"):  # metastases -> metastasis
        return word[:-3] + "sis"
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is", "us")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.replace("ё", "е").replace("Ё", "Е"))


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(lemma(t) for t in tokens(text) if t not in "()«»,")


@dataclass(frozen=True)
class Meaning:
    field: str
    codes: tuple[str, ...] = ()  # empty: the phrase names the field itself
    under: bool = False
    filler: bool = False  # names a code field: nothing to compare, the value follows


class Lexicon:
    """Every phrase of the dictionary, lemmatised, with what it means."""

    def __init__(self, dictionary: Dictionary):
        self.dictionary = dictionary
        self.phrases: dict[tuple[str, ...], Meaning] = {}
        self.quantities: list[tuple[str, str]] = []  # (section.field, canonical unit), dictionary order
        seen_domains: set[str] = set()
        self.domain_of: dict[str, str] = {}
        self.group_phrases: list[tuple[tuple[str, ...], Meaning]] = []  # a group's own name: after every label
        self.names: list[tuple[tuple[str, ...], Meaning]] = []  # field names: after every code's label
        self.fragments: list[tuple[tuple[str, ...], Meaning]] = []  # parts of labels: after whole labels and aliases
        self.fragment_meanings: set[Meaning] = set()
        for section in dictionary.sections.values():
            for item in section.fields:
                if item.identifying:
                    continue
                reference = f"{section.name}.{item.name}"
                if item.unit:
                    self.quantities.append((reference, item.unit))
                # a number's name starts a comparison; a code field's name ("mutation") only introduces its value
                kind = Meaning(reference) if item.type.value in ("number", "integer", "date") else Meaning(
                    reference, filler=True)
                for text in (item.label.ru, item.label.en, *item.aliases):
                    self.names.append((_phrase(text), kind))
                if item.domain and item.domain not in seen_domains and item.domain not in SKIP_DOMAINS:
                    seen_domains.add(item.domain)
                    self.domain_of[reference] = item.domain
                    self._add_codes(reference, dictionary.domains[item.domain])
        for phrase, meaning in self.names:
            if phrase:
                self.phrases.setdefault(phrase, meaning)
        for phrase, meaning in self.fragments:
            if phrase not in self.phrases or self.phrases[phrase] in self.fragment_meanings:
                self._add(phrase, meaning)
                self.fragment_meanings.add(self.phrases[phrase])
        for phrase, meaning in self.group_phrases:
            self.phrases.setdefault(phrase, meaning)
        self.settle(dictionary.domains)
        self.longest = max(len(p) for p in self.phrases)

    def _add(self, phrase: tuple[str, ...], meaning: Meaning) -> None:
        if not phrase:
            return
        known = self.phrases.get(phrase)
        if known is None:
            self.phrases[phrase] = meaning
        elif known.field == meaning.field and meaning.codes and known.codes and not known.under:
            codes = tuple(dict.fromkeys(known.codes + meaning.codes))
            self.phrases[phrase] = Meaning(known.field, codes, under=known.under)

    def settle(self, domains: dict[str, Any]) -> None:
        """A phrase naming every code of one group names the group (distant metastases: M1 = cM1 and pM1)."""
        for phrase, meaning in list(self.phrases.items()):
            if len(meaning.codes) < 2:
                continue
            domain = domains[self.domain_of[meaning.field]]
            groups = {c.group for c in domain.codes if c.code in meaning.codes}
            if len(groups) == 1 and None not in groups:
                group = groups.pop()
                if {c.code for c in domain.codes if c.group == group} == set(meaning.codes):
                    self.phrases[phrase] = Meaning(meaning.field, (group,), under=True)

    def _add_codes(self, reference: str, domain: Any) -> None:
        parents = {c.group for c in domain.codes if c.group}
        for code in domain.codes:
            if code.code == "other":
                continue
            # ICD-10 style: a three-character category covers its subcodes (C73 covers C73.9)
            dotted = any("." in c.code for c in domain.codes) and re.fullmatch(r"[A-Z]\d\d", code.code)
            has_children = code.code in parents or bool(dotted)
            meaning = Meaning(reference, (code.code,), under=has_children)
            for text in (code.code, *code.aliases, code.label.ru, code.label.en):
                self._add(_phrase(text), meaning)
            for text in (code.label.ru, code.label.en):  # "cM1 — distant metastasis (clinical)": its parts of 2+ words
                for part in re.split(r" — |\(|, ", text):
                    phrase = _phrase(part.strip(" )"))
                    if len(phrase) > 1:
                        self.fragments.append((phrase, meaning))
        for group in sorted(parents - {c.code for c in domain.codes}):
            self.group_phrases.append((_phrase(group.replace("_", " ")), Meaning(reference, (group,), under=True)))

    def match(self, lemmas: list[str], start: int) -> tuple[int, Meaning] | None:
        for size in range(min(self.longest, len(lemmas) - start), 0, -1):
            meaning = self.phrases.get(tuple(lemmas[start:start + size]))
            if meaning is not None:
                return size, meaning
        return None


@lru_cache(maxsize=4)
def lexicon(dictionary: Dictionary) -> Lexicon:
    return Lexicon(dictionary)


def _number(text: str) -> float | int | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


def _code_leaf(meaning: Meaning) -> Leaf:
    if meaning.under:
        return Leaf(field=meaning.field, op="under", value=meaning.codes[0])
    if len(meaning.codes) > 1:
        return Leaf(field=meaning.field, op="in", value=list(meaning.codes))
    return Leaf(field=meaning.field, op="=", value=meaning.codes[0])


class _Reader:
    def __init__(self, text: str, dictionary: Dictionary):
        self.raw = tokens(text)
        self.lemmas = [lemma(t) for t in self.raw]
        self.lex = lexicon(dictionary)
        self.dictionary = dictionary
        self.position = 0
        self.unplaced: list[str] = []

    def _multi(self, table: dict[str, str] | set[str]) -> tuple[int, str] | None:
        """The longest run of words from here (lemmas or raw, lower-case) found in `table`."""
        for size in (3, 2, 1):
            chunk = self.lemmas[self.position:self.position + size]
            raw = [t.lower() for t in self.raw[self.position:self.position + size]]
            for candidate in (" ".join(chunk), " ".join(raw)):
                if len(chunk) == size and candidate in table:
                    return size, candidate
        return None

    def _unit(self, at: int) -> str | None:
        if at >= len(self.raw) or self.lemmas[at] in words.AGE:
            return None
        try:
            self.dictionary.units.parse(self.raw[at])
        except Exception:  # not a unit pint or the dictionary knows
            return None
        return self.raw[at]

    def _spelled(self, subject: str, unit: str | None) -> str | None:
        """The unit as the field's dictionary spells it (мКи -> mCi); the canonical unit is left out."""
        if unit is None or subject.startswith("derived."):
            return unit
        section, name = subject.split(".")
        item = self.dictionary.section(section).field(name)
        wanted = self.dictionary.units.parse(unit)
        for accepted in item.accepted_units:
            if self.dictionary.units.parse(accepted) == wanted:
                return None if accepted == item.unit else accepted
        return unit

    def _quantity_field(self, unit: str) -> str | None:
        for reference, canonical in self.lex.quantities:
            try:
                self.dictionary.units.factor(unit, canonical)
            except Exception:  # another dimension
                continue
            return reference
        return None

    def comparison(self, op: str, subject: str | None, age_word: bool = False) -> Leaf | None:
        """After a comparator: a number (or a range), its unit or 'years', as a leaf on `subject` or what they imply."""
        at = self.position
        value = _number(self.raw[at]) if at < len(self.raw) else None
        if value is None:
            return None
        at += 1
        high = None
        if at + 1 < len(self.raw) and self.lemmas[at] in words.RANGE_JOIN and _number(self.raw[at + 1]) is not None:
            high = _number(self.raw[at + 1])
            at += 2
        unit = self._unit(at)
        is_age = at < len(self.raw) and self.lemmas[at] in words.AGE
        if unit or is_age:
            at += 1
        tail = None
        for size in (2, 1):
            phrase = " ".join(self.lemmas[at:at + size])
            raw = " ".join(t.lower() for t in self.raw[at:at + size])
            if words.COMPARATORS.get(phrase) == ">=+" or words.COMPARATORS.get(raw) == ">=+":
                tail, at = ">=", at + size
                break
        self.position = at
        if tail:
            op = tail
        if op == "between" and high is None:  # "aged 70": that age
            op = "="
        if subject is None:
            if unit:
                subject = self._quantity_field(unit)
            elif is_age or age_word or op in (">", "<", ">=", "<=", "between"):
                subject = AGE_FIELD
        if subject is None:
            return None
        unit = self._spelled(subject, unit)
        if high is not None:
            return Leaf(field=subject, op="between", value=[value, high], unit=unit)
        return Leaf(field=subject, op=op if op != "between" else ">=", value=value, unit=unit)

    def read(self) -> Parsed:
        groups: list[list[Leaf | Group]] = [[]]  # OR-separated alternatives of the current conjunct are merged below
        conjuncts: list[Leaf | Group] = []
        negate = False
        join_or = False
        subject: str | None = None

        def put(node: Leaf | Group) -> None:
            nonlocal negate, join_or, subject
            if negate:
                node = Group(kind="not", items=[node])
                negate = False
            if join_or and conjuncts:
                last = conjuncts.pop()
                items = [*last.items, node] if isinstance(last, Group) and last.kind == "any" else [last, node]
                node = Group(kind="any", items=items)
            conjuncts.append(node)
            join_or = False
            subject = None

        while self.position < len(self.raw):
            word, raw = self.lemmas[self.position], self.raw[self.position].lower()
            found = self._multi(words.COMPARATORS)
            if found and words.COMPARATORS[found[1]] != ">=+":
                size, key = found
                op = words.COMPARATORS[key]
                self.position += size
                leaf = self.comparison(op, subject, key in words.AGE_OPEN)
                if leaf is None:
                    self.unplaced.append(key)
                else:
                    put(leaf)
                continue
            hit = self.lex.match(self.lemmas, self.position)
            if _number(raw) is not None and (hit is None or hit[0] == 1):
                leaf = self.comparison("=" if subject and not self._unit(self.position + 1) else ">=", subject)
                if leaf is None:
                    self.unplaced.append(raw)
                    self.position += 1
                else:
                    put(leaf)
                continue
            if hit is not None:
                size, meaning = hit
                self.position += size
                if meaning.codes:
                    put(_code_leaf(meaning))
                elif not meaning.filler:
                    subject = meaning.field
                continue
            self.position += 1
            if word in words.WOMEN or raw in words.WOMEN:
                put(Leaf(field="patient.sex", op="=", value="F"))
            elif word in words.MEN or raw in words.MEN:
                put(Leaf(field="patient.sex", op="=", value="M"))
            elif word in words.NOT or raw in words.NOT:
                negate = True
            elif word in words.OR or raw in words.OR:
                join_or = True
            elif word in words.AND or raw in words.AND or raw in ",.;:()" or word in words.AGE:
                continue
            else:
                self.unplaced.append(self.raw[self.position - 1])
        del groups
        if subject is not None:
            self.unplaced.append(subject)
        tree = Group(kind="all", items=conjuncts) if conjuncts else None
        return Parsed(tree=tree, unplaced=self.unplaced)


def parse(text: str, dictionary: Dictionary) -> Parsed:
    """Read `text` (Russian or English) into a tree of criteria on `dictionary`'s fields."""
    return _Reader(text, dictionary).read()
