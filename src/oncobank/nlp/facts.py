"""One extracted fact: a registry field's value with the span of text, the rule and the confidence behind it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Fact:
    section: str  # registry section the fact belongs to
    field: str
    value: Any
    start: int  # character span in the document's text
    end: int
    rule: str  # id of the rule that produced it: "<report type>.<rule id>"
    confidence: float
    negated: bool = False
    uncertain: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fact:
        return cls(**data)
