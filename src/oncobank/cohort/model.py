"""The cohort definition as data: a versioned pydantic model of index event, inclusion rules and criteria trees.

A criterion leaf is "field – comparator – value" on a published column (`section.field` of the dictionary, or
`table.column` of a derived table); groups (ALL / ANY / NOT / AT_LEAST n / AT_MOST n) nest leaves into a tree.
Schema version 2 adds windows anchored to another criterion's matching entries (`window.anchor`); a version 1
definition reads unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 2

Comparator = Literal["=", "!=", "<", "<=", ">", ">=", "between", "in", "not_in", "under", "contains", "missing",
                     "present"]
NO_VALUE = ("missing", "present")
ORDERED = ("<", "<=", ">", ">=", "between")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Occurrence(Strict):
    """How many matching entries a person needs: at least, at most or exactly `count`."""

    kind: Literal["at_least", "at_most", "exactly"] = "at_least"
    count: int = Field(1, ge=0)


class Window(Strict):
    """A time window from `start` to `end` units after (negative: before) the index date, inclusive.

    With `anchor`, the window is relative to the date of any entry matching that criterion instead (its own
    `which`, window and same-entry conditions apply): "PD 12-16 months after an I-131 course".
    """

    start: int | None = None
    end: int | None = None
    unit: Literal["days", "months", "years"] = "days"
    anchor: Leaf | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"window start {self.start} is after its end {self.end}")
        if self.anchor is not None and self.anchor.occurrence != Occurrence():
            raise ValueError("a window's anchor takes no occurrence: the window is relative to each of its entries")
        return self


class Condition(Strict):
    """One comparison on a column: `field op value` (value in `unit`, converted to the column's unit)."""

    field: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    op: Comparator
    value: Any = None
    unit: str | None = None

    @model_validator(mode="after")
    def _value_fits(self) -> Condition:
        if self.op in NO_VALUE:
            if self.value is not None:
                raise ValueError(f"{self.field} {self.op} takes no value")
        elif self.op == "between":
            if not (isinstance(self.value, list) and len(self.value) == 2):
                raise ValueError(f"{self.field} between needs two values [low, high]")
        elif self.op in ("in", "not_in"):
            if not (isinstance(self.value, list) and self.value):
                raise ValueError(f"{self.field} {self.op} needs a non-empty list of codes")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"{self.field} {self.op} needs one value")
        return self

    @property
    def section(self) -> str:
        return self.field.split(".")[0]


class Leaf(Condition):
    """A criterion: a condition on entries of one table, with the same-entry conditions, window and occurrence."""

    kind: Literal["leaf"] = "leaf"
    same_entry: list[Condition] = []
    which: Literal["any", "first", "last"] = "any"
    window: Window | None = None
    occurrence: Occurrence = Occurrence()
    age_min: int | None = None
    age_max: int | None = None

    @model_validator(mode="after")
    def _same_section(self) -> Leaf:
        for other in self.same_entry:
            if other.section != self.section:
                raise ValueError(f"same-entry condition {other.field} is not in section {self.section}")
        return self


class Group(Strict):
    """ALL / ANY of its items, NOT its one item, or AT_LEAST / AT_MOST `n` of its items."""

    kind: Literal["all", "any", "not", "at_least", "at_most"]
    n: int | None = None
    items: list[Node] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> Group:
        if self.kind == "not" and len(self.items) != 1:
            raise ValueError("not takes exactly one item")
        if self.kind in ("at_least", "at_most") and (self.n is None or self.n < 0):
            raise ValueError(f"{self.kind} needs n >= 0")
        if self.kind in ("all", "any", "not") and self.n is not None:
            raise ValueError(f"{self.kind} takes no n")
        return self


Node = Annotated[Leaf | Group, Field(discriminator="kind")]


class Rule(Strict):
    """A named inclusion rule; rules apply in their order."""

    name: str = Field(min_length=1, max_length=200)
    criteria: Node


class Band(Strict):
    """Cut points: a value below the first edge is the first label, ..., at or above the last edge the last label."""

    edges: list[float] = Field(min_length=1)
    labels: list[str]

    @model_validator(mode="after")
    def _fits(self) -> Band:
        if len(self.labels) != len(self.edges) + 1:
            raise ValueError(f"{len(self.edges)} band edges need {len(self.edges) + 1} labels")
        if sorted(self.edges) != self.edges:
            raise ValueError("band edges must be increasing")
        return self


class Derived(Strict):
    """A named per-person value kept with the definition: arithmetic on person-level columns, optionally banded.

    `expr` is arithmetic (+ - * /, numbers, parentheses) over `table.column` names of one-row-per-person tables
    and `index_years` (the index date as a year with its fraction); `band` turns the value into labels.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    expr: str = Field(min_length=1, max_length=500)
    band: Band | None = None


class Cohort(Strict):
    """A cohort definition: who enters (index event), the inclusion rules in order, derived fields."""

    schema_version: Literal[1, 2] = SCHEMA_VERSION
    name: str = Field("cohort", min_length=1, max_length=200)
    description: str = ""
    index: Leaf
    rules: list[Rule] = []
    derived: list[Derived] = []

    @model_validator(mode="after")
    def _index_has_dates(self) -> Cohort:
        if self.index.window is not None:
            raise ValueError("the index event cannot have a window relative to itself")
        if self.index.age_min is not None or self.index.age_max is not None or self.index.occurrence != Occurrence():
            raise ValueError("the index event takes no age or occurrence: put them in an inclusion rule")
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError("rule names must be unique")
        if self.schema_version < 2 and any(_anchored(rule.criteria) for rule in self.rules):
            raise ValueError("a window anchored to another criterion needs schema_version 2")
        return self

    def digest(self) -> str:
        """SHA-256 of the canonical JSON (the cache key's definition part)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _anchored(node: Leaf | Group) -> bool:
    """Whether a leaf of the tree has a window anchored to another criterion."""
    if isinstance(node, Leaf):
        return node.window is not None and node.window.anchor is not None
    return any(_anchored(item) for item in node.items)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a cohort definition (its version in `schema_version`)."""
    return Cohort.model_json_schema()


Window.model_rebuild()
Leaf.model_rebuild()
Group.model_rebuild()
