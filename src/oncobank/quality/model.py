"""The data-quality vocabulary as validated data: check types, rules (a module's or a user's YAML) and checks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from oncobank.dictionary.schema import Label

Dimension = Literal["completeness", "correctness", "concordance", "plausibility", "currency"]
Kahn = Literal["conformance, verification", "conformance, validation", "completeness, verification",
               "completeness, validation", "plausibility, verification", "plausibility, validation"]
Severity = Literal["fatal", "convention", "characterization"]
DIMENSIONS: tuple[str, ...] = ("completeness", "correctness", "concordance", "plausibility", "currency")
Op = Literal["null", "not_null", "eq", "ne", "lt", "le", "gt", "ge", "in", "not_in"]


class QualityError(ValueError):
    """A control file or a user's check that cannot be used; the message names the file and the rule."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scoring(Strict):
    """What every check carries: its place in both frameworks, its severity and its failure thresholds."""

    dimension: Dimension
    kahn: Kahn
    severity: Severity
    threshold_pct: float = Field(default=0, ge=0, le=100)
    threshold_rows: int | None = Field(default=None, ge=0)
    label: Label
    suggestion: Label


class CheckType(Scoring):
    """A parameterised query expanded over the dictionary: `applies` says which fields or sections it takes."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    query: str
    parameters: dict[str, Any] = {}
    applies: dict[str, Any]


class Condition(Strict):
    """`column op value`, or `column op other` (another column of the same row)."""

    column: str
    op: Op
    value: Any = None
    other: str | None = None

    @model_validator(mode="after")
    def _operand(self) -> Condition:
        unary = self.op in ("null", "not_null")
        if unary and (self.value is not None or self.other is not None):
            raise ValueError(f"{self.column}: {self.op} takes no value")
        if not unary and (self.value is None) == (self.other is None):
            raise ValueError(f"{self.column}: {self.op} needs one of value or other")
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"{self.column}: {self.op} needs a list of values")
        return self


class Side(Strict):
    """Rows of one table, optionally filtered, and the column a rule reads from them."""

    table: str
    column: str
    where: list[Condition] = []


class Rule(Scoring):
    """A cross-field or cross-section rule, declared as data (a disease module's quality.yaml or a user's file).

    kinds: `condition` (rows of `table` meeting `when` must meet `require`); `date_order` (each `then` date is on
    or after the patient's earliest `first` date; `missing: violation` also counts `then` rows of patients with no
    `first`); `currency` (each patient's latest `table.column` date is at most `days` old; patients matching
    `exclude` in the patient table are left out); `aggregate_match` (`left` and `right` agree per patient within
    `tolerance_pct`).
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_.]*$")
    kind: Literal["condition", "date_order", "currency", "aggregate_match"]
    table: str | None = None
    column: str | None = None
    when: list[Condition] = []
    require: list[Condition] = []
    first: Side | None = None
    then: Side | None = None
    missing: Literal["skip", "violation"] = "skip"
    days: int | None = Field(default=None, gt=0)
    exclude: list[Condition] = []
    left: Side | None = None
    right: Side | None = None
    tolerance_pct: float = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _complete(self) -> Rule:
        needed = {"condition": ("table", "require"), "date_order": ("first", "then"),
                  "currency": ("table", "column", "days"), "aggregate_match": ("left", "right")}[self.kind]
        lacking = [name for name in needed if not getattr(self, name)]
        if lacking:
            raise ValueError(f"a {self.kind} rule needs {', '.join(lacking)}")
        return self


class RuleFile(Strict):
    rules: list[Rule]


class CheckTypeFile(Strict):
    check_types: list[CheckType]


@dataclass(frozen=True)
class Check:
    """One expanded check: a stable ID (`type:table.column` or `rule:id`), what it reads and how it is scored."""

    id: str
    type: str
    scoring: Scoring
    table: str
    column: str | None = None
    section: str | None = None
    field: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    rule: Rule | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table the check reads (a rule may read several)."""
        if self.rule is None:
            return (self.table,)
        sides = [s.table for s in (self.rule.first, self.rule.then, self.rule.left, self.rule.right) if s]
        return tuple(dict.fromkeys([*([self.rule.table] if self.rule.table else []), *sides]))


def read_yaml(path: Path, model: type[BaseModel]) -> Any:
    """Read and validate a control file; any problem is one QualityError naming the file and the rule."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QualityError(f"{path.name}: cannot be read as YAML ({exc.__class__.__name__})") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _where(data, first["loc"])
        raise QualityError(f"{path.name}: {where}{first['msg']}") from None


def _where(data: Any, loc: tuple[Any, ...]) -> str:
    """`rule death_after_diagnosis, field days: ` from a pydantic error location."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
            name = node.get("id") if isinstance(node, dict) else None
            parts.append(f"rule {name}" if name else f"item {step + 1}")
        elif isinstance(node, dict) and step in node:
            node = node[step]
            parts.append(f"field {step}")
        else:
            parts.append(f"field {step}")
    return ", ".join(p for p in parts if p not in ("field rules", "field check_types")) + ": " if parts else ""
