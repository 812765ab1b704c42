"""The de-identification policy of a publish: how dates and ages leave the hospital (a YAML file, checked)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class PolicyError(ValueError):
    """A policy file that cannot be read or breaks a rule."""


PATIENT_COLUMNS = ("sex", "birth_year", "age_group", "centre", "vital_status", "module")  # of the patient table


class KAnonymitySettings(BaseModel):
    """The policy's `k_anonymity:` section: the target the published patient table is made to meet.

    `quasi_identifiers` and `sensitive` name columns of the patient table (default: sex, birth year when published,
    age group, centre). `method: generalise` raises whole columns through their hierarchies before masking the rows
    still failing; `suppress` masks the failing rows' values only. The centre is kept unless `generalise_centre`.
    `small_cell`: aggregates shown or exported mask counts 1..small_cell.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    k: int = Field(5, ge=2)
    l: int | None = Field(None, ge=2)  # noqa: E741 (the measure's name)
    sensitive: list[str] = []
    quasi_identifiers: list[str] | None = None
    method: Literal["generalise", "suppress"] = "generalise"
    max_suppressed: float = Field(0.05, ge=0, le=1)
    generalise_centre: bool = False
    small_cell: int = Field(5, ge=0)

    @model_validator(mode="after")
    def _columns(self) -> KAnonymitySettings:
        for name in [*(self.quasi_identifiers or []), *self.sensitive]:
            if name not in PATIENT_COLUMNS:
                raise ValueError(f"k_anonymity: {name!r} is not a column of the patient table "
                                 f"({', '.join(PATIENT_COLUMNS)})")
        if self.l is not None and not self.sensitive:
            raise ValueError("k_anonymity: l is given but no sensitive column to measure it on")
        if set(self.quasi_identifiers or []) & set(self.sensitive):
            raise ValueError("k_anonymity: a column cannot be both quasi-identifier and sensitive")
        return self


class Policy(BaseModel):
    """What a publish does to dates and ages; every other rule (identifiers, text) is not optional.

    dates: `shift` moves every date of a patient by the same keyed offset in [shift_min_days, shift_max_days], so
    intervals survive; `year` keeps only the year of every date (date columns become year numbers).
    age: `birth_year` publishes the year of birth (of the shifted birth date in shift mode) and an age group;
    `age_group` publishes the age group only. Patients aged `top_age` or more at their latest date are in the group
    "<top_age>+" and their birth year is withheld; derived ages are capped at `top_age`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dates: Literal["shift", "year"] = "shift"
    shift_min_days: int = Field(-365, ge=-3650, le=3650)
    shift_max_days: int = Field(365, ge=-3650, le=3650)
    age: Literal["birth_year", "age_group"] = "birth_year"
    age_group_years: int = Field(5, ge=1, le=50)
    top_age: int = Field(90, ge=18, le=120)
    k_anonymity: KAnonymitySettings | None = None  # None: the patient table leaves without k-anonymity

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        if self.shift_min_days > self.shift_max_days:
            raise ValueError(f"shift_min_days {self.shift_min_days} is above shift_max_days {self.shift_max_days}")
        named = (self.k_anonymity.quasi_identifiers or []) if self.k_anonymity else []
        if self.age == "age_group" and "birth_year" in named:
            raise ValueError("k_anonymity: birth_year is not published with age: age_group")
        return self

    @property
    def quasi_identifiers(self) -> list[str]:
        """The patient table's quasi-identifier columns under `k_anonymity` (none without it)."""
        if self.k_anonymity is None:
            return []
        if self.k_anonymity.quasi_identifiers is not None:
            return list(self.k_anonymity.quasi_identifiers)
        return ["sex", *(["birth_year"] if self.age == "birth_year" else []), "age_group", "centre"]

    @property
    def digest(self) -> str:
        """The policy's hash: a publish under another policy rebuilds the analysis store from scratch."""
        text = json.dumps(self.model_dump(mode="json", exclude_none=True), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def age_group(self, age: int) -> str:
        if age >= self.top_age:
            return f"{self.top_age}+"
        low = age // self.age_group_years * self.age_group_years
        high = min(low + self.age_group_years - 1, self.top_age - 1)
        return f"{low}-{high}"


def load_policy(path: Path | None) -> Policy:
    """The policy in `path` (YAML), or the defaults when None; PolicyError names the file and the rule broken."""
    if path is None:
        return Policy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"policy {path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PolicyError(f"policy {path}: not valid YAML ({type(exc).__name__})") from None
    try:
        return Policy.model_validate(raw or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'policy'}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"policy {path}: {problems}") from None
