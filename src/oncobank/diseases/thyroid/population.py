"""The RAIR study population: which patients the study counts, and for the others the first reason they are left out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from oncobank.diseases.thyroid.settings import Settings

EXCLUSIONS = ("histology", "age", "no_i131_therapy")  # checked in this order; a patient counts under the first


@dataclass(frozen=True)
class Population:
    """Who a count is over: `kind` is "study" (the settings' population), "all" or "named" (patients asked for).

    `members` are the registry IDs counted; `reasons` gives every registry patient's exclusion (None: included).
    """

    kind: str
    registry: int
    members: list[str]
    reasons: dict[str, str | None] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.members)

    @property
    def excluded(self) -> dict[str, int]:
        """Patients left out, by their first reason (zero counts kept, in the order of EXCLUSIONS)."""
        counts = dict.fromkeys(EXCLUSIONS, 0)
        for reason in self.reasons.values():
            if reason is not None:
                counts[reason] += 1
        return counts if self.kind == "study" else {}

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "registry_patients": self.registry, "n": self.n, "excluded": self.excluded}


def exclusion(stage: dict[str, Any] | None, activity: dict[str, Any] | None, settings: Settings) -> str | None:
    """The first reason (EXCLUSIONS) a patient with these stage and activity facts is not in the study, or None."""
    rule = settings.population
    stage, activity = stage or {}, activity or {}
    if stage.get("histology") not in rule.histology.codes:
        return "histology"
    age = stage.get("age_at_diagnosis")
    if age is None or not rule.age_at_diagnosis.min <= age <= rule.age_at_diagnosis.max:
        return "age"
    if rule.i131_therapy.required and not activity.get("courses"):
        return "no_i131_therapy"
    return None


def population(stage: dict[str, dict[str, Any]], activity: dict[str, dict[str, Any]], settings: Settings, *,
               study_only: bool = True, named: Iterable[str] | None = None) -> Population:
    """The population from every patient's stage and activity facts (keyed by registry ID): the study's, everyone
    (`study_only` false), or the patients `named`."""
    reasons = {rid: exclusion(stage.get(rid), activity.get(rid), settings) for rid in sorted(stage)}
    if named is not None:
        return Population("named", len(reasons), list(named), reasons)
    if not study_only:
        return Population("all", len(reasons), list(reasons), reasons)
    return Population("study", len(reasons), [rid for rid, r in reasons.items() if r is None], reasons)
