"""Report-type rules as data: a disease module's patterns/*.yaml read into compiled, validated rule sets."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from oncobank.nlp.dates import DATE_TEXT

# Shared building blocks a rule's pattern may name as {NAME}.
MACROS = {
    "NUM": r"\d+(?:[.,]\d+)?",
    "LEVEL": r"(?:VII|VI|IV|V|III|II|I)",
    "DATE": f"(?:{DATE_TEXT})",
}


class Part(BaseModel):
    """One attribute of a record (a lesion's size, a test's result): a vocabulary or a number with its unit."""

    model_config = ConfigDict(extra="forbid")
    terms: dict[str, list[str]] = Field(default_factory=dict)
    # a number: named groups `value` and optionally `unit`; a date: `date…`; a list: tried in order, the first
    # that matches in the stretch wins
    pattern: str | list[str] | None = None
    date: bool = False  # the pattern reads a date (the first group named `date…` that matched), not a number
    unit: str | None = None  # the canonical unit the number is converted to
    times: dict[str, int] = Field(default_factory=dict)  # a `times` group ("bid", "2 раза в день") multiplies
    near: float = 0.0  # records match when their numbers differ by at most this fraction
    shared: bool = False  # not in the record's own stretch of the sentence: take the sentence's
    fallback: str | None = None  # a stand-in rule whose date a record lacking this part takes (only record)
    nearest: bool = False  # of the matches in the stretch, the one closest to the key, not the first

    def patterns(self) -> list[str]:
        return [self.pattern] if isinstance(self.pattern, str) else list(self.pattern or [])


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    type: Literal["term", "assert", "quantity", "capture", "sites", "date", "records"]
    field: str | None = None  # capture rules name their fields in `emit`; records: a template with {k} and {part}
    section: str | None = None  # the report type's section unless given
    terms: dict[str, list[str]] | list[str] = Field(default_factory=list)
    no_terms: list[str] = Field(default_factory=list)  # phrases that state the negative outright
    pattern: str | None = None
    within: str | None = None  # sites / term: only in sentences matching this
    emit: dict[str, str] = Field(default_factory=dict)
    unit: str | None = None  # quantity: the field's canonical unit
    default_unit: str | None = None
    values: dict[str, str] = Field(default_factory=dict)  # assert: what "yes" / "no" are called in the field
    ranked: bool = False  # term: the value listed first wins wherever it stands (SPECT/CT over a planar scan)
    times: dict[str, int] = Field(default_factory=dict)  # quantity: a `times` group ("2 раза в день") multiplies
    highest: bool = False  # quantity: the largest value in the report, not the first
    multi: bool = False  # the field holds a list (sites, levels): every match adds one value
    context: bool = True  # apply negation / uncertainty
    key: str | None = None  # records: the part each `terms` hit stands for; every hit starts a record
    parts: dict[str, Part] = Field(default_factory=dict)  # records: what else each record holds
    count_field: str | None = None  # records: the number of distinct records
    carry: str | None = None  # records: a sentence naming no key but matching this goes on with the last record
    stand_in: bool = False  # date: not reported itself; rules naming it as `fallback` take its date
    fallback: str | None = None  # date: the stand-in rule whose date is taken when this rule finds none
    confidence: float = 0.95


class ReportType(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str
    section: str
    document_types: list[str] = Field(default_factory=list)
    detect: list[str]
    constants: dict[str, Any] = Field(default_factory=dict)
    date_field: str | None = None
    rules: list[Rule]


VOCABULARIES = "vocabularies.yaml"  # phrase lists shared by a module's report types


def expand(pattern: str) -> str:
    return re.sub(r"\{([A-Z]+)\}", lambda m: MACROS.get(m.group(1), m.group()), pattern)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(expand(pattern), re.IGNORECASE)


def patterns_folder(module: str) -> Path:
    return Path(str(resources.files("oncobank.diseases") / module / "patterns"))


def read_report_types(folder: Path) -> list[ReportType]:
    """Every report type of a folder; ValueError names the file and what is wrong."""
    types = []
    shared_path = folder / VOCABULARIES
    shared = yaml.safe_load(shared_path.read_text(encoding="utf-8")) if shared_path.is_file() else {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == VOCABULARIES:
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            for rule in data.get("rules") or []:
                for holder in [rule, *(rule.get("parts") or {}).values()]:
                    _resolve(holder, shared, rule.get("id"))
            kind = ReportType.model_validate(data)
            for pattern in [
                *kind.detect,
                *(r.pattern for r in kind.rules if r.pattern),
                *(r.within for r in kind.rules if r.within),
                *(r.carry for r in kind.rules if r.carry),
                *(t for r in kind.rules for p in r.parts.values() for t in p.patterns()),
            ]:
                compile_pattern(pattern)
            stand_ins = {r.id for r in kind.rules if r.stand_in}
            for rule in kind.rules:
                _check_records(rule)
                _check_fallbacks(rule, stand_ins)
        except (yaml.YAMLError, ValueError, re.error) as exc:
            raise ValueError(f"{path.name}: {exc}") from None
        types.append(kind)
    return types


def _resolve(holder: dict[str, Any], shared: dict[str, Any], rule_id: Any) -> None:
    """`terms: "@name"` replaced by the shared vocabulary of that name."""
    named = holder.get("terms")
    if isinstance(named, str) and named.startswith("@"):
        if named[1:] not in shared:
            raise ValueError(f"rule {rule_id!r}: no vocabulary {named[1:]!r} in {VOCABULARIES}")
        holder["terms"] = shared[named[1:]]


def _check_records(rule: Rule) -> None:
    if rule.type != "records":
        return
    if not rule.key or not rule.field or "{part}" not in rule.field or not {"{k}", "{key}"} & set(
        re.findall(r"\{\w+\}", rule.field)
    ):
        raise ValueError(
            f"rule {rule.id!r}: a records rule needs key and a field template with {{part}} and {{k}} or {{key}}"
        )
    if not isinstance(rule.terms, dict) or not rule.terms:
        raise ValueError(f"rule {rule.id!r}: a records rule needs a vocabulary of its key")
    for name, part in rule.parts.items():
        if bool(part.terms) == bool(part.pattern):
            raise ValueError(f"rule {rule.id!r} part {name!r}: give either terms or pattern")


def _check_fallbacks(rule: Rule, stand_ins: set[str]) -> None:
    if rule.stand_in and rule.type != "date":
        raise ValueError(f"rule {rule.id!r}: only a date rule can stand in for others")
    named = [rule.fallback, *(p.fallback for p in rule.parts.values())]
    for name in filter(None, named):
        if name not in stand_ins:
            raise ValueError(f"rule {rule.id!r}: fallback {name!r} is not a stand-in date rule of this report type")


@lru_cache(maxsize=8)
def report_types(module: str) -> tuple[ReportType, ...]:
    return tuple(read_report_types(patterns_folder(module)))


def term_list(terms: dict[str, list[str]] | list[str]) -> list[tuple[str, str]]:
    """(value, pattern) pairs; a plain list of patterns means the value "yes"."""
    if isinstance(terms, list):
        return [("yes", t) for t in terms]
    return [(value, t) for value, options in terms.items() for t in options]


def any_of(pairs: list[tuple[str, str]]) -> tuple[re.Pattern[str], list[str]]:
    """One alternation with a numbered group per term, and the value each group stands for."""
    values = [v for v, _ in pairs]
    joined = "|".join(f"(?P<t{i}>{expand(p)})" for i, (_, p) in enumerate(pairs))
    return re.compile(joined, re.IGNORECASE), values


def matched_value(m: re.Match[str], values: list[str]) -> str:
    """The value the numbered group of an `any_of` alternation that matched stands for."""
    return values[int(m.lastgroup[1:])] if m.lastgroup else values[0]


def times_factor(written: str | None, table: dict[str, int]) -> int:
    """How many times a day a dose is taken: the `times` table's number for the phrase written ("bid" -> 2)."""
    if not written:
        return 1
    return next((n for phrase, n in table.items() if re.fullmatch(phrase, written.strip(), re.IGNORECASE)), 1)


def number(text: str) -> float:
    """A number as reports write it: `1,2`, `1.2`, `1 200`."""
    return float(text.replace(",", ".").replace(" ", ""))
