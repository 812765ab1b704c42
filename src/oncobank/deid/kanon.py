"""Make a patient table k-anonymous (optionally l-diverse) over its quasi-identifiers: generalise, then suppress.

The call the publish makes::

    anonymise(patient_table, policy) -> (table, report)

`patient_table` is a pandas DataFrame or a pyarrow Table with one row per patient; `policy` a `KAnonymityPolicy`
naming the quasi-identifier columns (sex, birth year, region, centre, rare histology by default), their hierarchies,
the target k (and l over the sensitive columns, if given) and how many rows may be suppressed. The result is the
same kind of table: quasi-identifiers generalised, residual rows' quasi-identifiers masked ("*") or, where masking
is not enough, the rows removed (their index labels, or positions for Arrow, are in `report.removed`: drop those
patients from the other tables too), and a `KAnonymityReport`. A quasi-identifier column that holds a generalised or
masked value becomes text. Deterministic: the same table and policy give the same result.

Algorithm (greedy, after Sweeney's Datafly): while more rows than the policy allows sit in classes that fail
(smaller than k, or with fewer than l distinct sensitive values), raise by one level the quasi-identifier whose
step removes the most failing rows per unit of precision lost (a step costs 1/height of its hierarchy); ties go to
the larger k, then to the column with more distinct values, then to the policy's order. Then the remaining
failing rows have their generalisable quasi-identifiers masked; rows whose class still fails are removed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from oncobank.deid.hierarchies import SUPPRESSED, CodeGroups, Hierarchy, RegionDistricts, YearBands
from oncobank.deid.kanon_report import KAnonymityReport
from oncobank.deid.measures import (
    class_count,
    class_sizes,
    distinct_l,
    distinct_per_class,
    entropy_l,
    k_anonymity,
    share_below,
)

Kind = Literal["birth_year", "region", "code", "category"]


class QuasiIdentifier(BaseModel):
    """One quasi-identifier column and how it generalises."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(min_length=1)
    kind: Kind = "category"
    parents: dict[str, str] = {}  # a code's parent group (kind "code"), e.g. from `parents_from_domain`
    generalise: bool = True  # False keeps the column as it is (the centre of a multi-centre store)

    def hierarchy(self) -> Hierarchy:
        if self.kind == "birth_year":
            return YearBands()
        if self.kind == "region":
            return RegionDistricts()
        if self.kind == "code":
            return CodeGroups(self.parents)
        return Hierarchy()


class KAnonymityPolicy(BaseModel):
    """The target: k (and l) over the quasi-identifiers, and the share of rows that may be suppressed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    quasi_identifiers: list[QuasiIdentifier] = Field(min_length=1)
    k: int = Field(5, ge=1)
    l: int | None = Field(None, ge=1)  # noqa: E741 (the measure's name)
    sensitive: list[str] = []
    max_suppressed: float = Field(0.05, ge=0, le=1)  # rows the generalisation may leave to suppression
    small_cell: int = Field(5, ge=0)  # aggregates shown or exported mask counts 1..small_cell (deid.cells)

    @model_validator(mode="after")
    def _consistent(self) -> KAnonymityPolicy:
        names = [q.column for q in self.quasi_identifiers]
        if len(set(names)) < len(names):
            raise ValueError(f"k-anonymity policy: a quasi-identifier is listed twice in {names}")
        if both := set(names) & set(self.sensitive):
            raise ValueError(f"k-anonymity policy: {sorted(both)} cannot be both quasi-identifier and sensitive")
        if self.l is not None and not self.sensitive:
            raise ValueError("k-anonymity policy: l is given but no sensitive column to measure it on")
        return self

    @classmethod
    def standard(cls, histology_parents: Mapping[str, str] | None = None, **settings: Any) -> KAnonymityPolicy:
        """The issue's quasi-identifiers: sex, birth_year, region, centre (kept), histology (grouped to parents)."""
        return cls(quasi_identifiers=[
            QuasiIdentifier(column="sex"),
            QuasiIdentifier(column="birth_year", kind="birth_year"),
            QuasiIdentifier(column="region", kind="region"),
            QuasiIdentifier(column="centre", generalise=False),
            QuasiIdentifier(column="histology", kind="code", parents=dict(histology_parents or {})),
        ], **settings)


class _Search:
    """The table's quasi-identifiers at chosen levels, and which rows fail the target there."""

    def __init__(self, frame: pd.DataFrame, policy: KAnonymityPolicy) -> None:
        self.frame, self.policy = frame, policy
        self.columns = [q.column for q in policy.quasi_identifiers]
        self.hierarchies = {q.column: q.hierarchy() for q in policy.quasi_identifiers}
        self._cache: dict[tuple[str, int], pd.Series] = {}

    def column(self, name: str, level: int) -> pd.Series:
        if (name, level) not in self._cache:
            self._cache[name, level] = self.hierarchies[name].generalise(self.frame[name], level, self.policy.k)
        return self._cache[name, level]

    def view(self, levels: Mapping[str, int]) -> pd.DataFrame:
        parts = {c: self.column(c, levels[c]) for c in self.columns}
        parts.update({s: self.frame[s] for s in self.policy.sensitive})
        return pd.DataFrame(parts, index=self.frame.index)

    def failing(self, view: pd.DataFrame) -> np.ndarray:
        bad = class_sizes(view, self.columns) < self.policy.k
        if self.policy.l is not None:
            for s in self.policy.sensitive:
                bad |= distinct_per_class(view, self.columns, s) < self.policy.l
        return bad


def anonymise(table: pd.DataFrame | pa.Table, policy: KAnonymityPolicy) -> tuple[Any, KAnonymityReport]:
    """Generalise and suppress until `policy` holds; the table (same kind as given) and what was done."""
    arrow = isinstance(table, pa.Table)
    frame = table.to_pandas() if arrow else table
    missing = [c for c in [q.column for q in policy.quasi_identifiers] + policy.sensitive if c not in frame.columns]
    if missing:
        raise ValueError(f"k-anonymity: the patient table has no column {', '.join(map(repr, missing))}")
    search = _Search(frame, policy)
    columns = search.columns
    levels = dict.fromkeys(columns, 0)
    before = search.view(levels)
    fail = search.failing(before)
    allowance = math.floor(policy.max_suppressed * len(frame))
    movable = [q.column for q in policy.quasi_identifiers if q.generalise]
    while fail.sum() > allowance:
        best: tuple[tuple[float, int, int, int], str, pd.DataFrame, np.ndarray] | None = None
        for order, name in enumerate(movable):
            height = search.hierarchies[name].height
            if levels[name] >= height:
                continue
            trial = search.view({**levels, name: levels[name] + 1})
            trial_fail = search.failing(trial)
            gain = (int(fail.sum()) - int(trial_fail.sum())) * height  # failing rows removed per 1/height lost
            key = (gain, k_anonymity(trial, columns), int(search.column(name, levels[name]).nunique()), -order)
            if best is None or key > best[0]:
                best = (key, name, trial, trial_fail)
        if best is None:
            break
        _, name, _, fail = best
        levels[name] += 1
    generalised = search.view(levels)
    out, masked, removed = _suppress(frame, generalised, fail, search, movable)
    after = out[columns + policy.sensitive]
    report = KAnonymityReport(
        k_target=policy.k, l_target=policy.l, rows_before=len(frame), rows_after=len(out),
        k_before=k_anonymity(before, columns), k_after=k_anonymity(after, columns),
        classes_before=class_count(before, columns), classes_after=class_count(after, columns),
        below_k_before=share_below(before, columns, policy.k), below_k_after=share_below(after, columns, policy.k),
        l_before=_l(before, columns, policy.sensitive), l_after=_l(after, columns, policy.sensitive),
        entropy_l_before=_entropy(before, columns, policy.sensitive),
        entropy_l_after=_entropy(after, columns, policy.sensitive),
        levels={c: search.hierarchies[c].levels[levels[c]] for c in columns},
        masked_rows=masked, removed=tuple(removed),
        information_loss=_loss(search, levels, fail, len(removed), len(frame)),
    )
    if arrow:
        return pa.Table.from_pandas(out, preserve_index=False), report
    return out, report


def _suppress(frame: pd.DataFrame, generalised: pd.DataFrame, fail: np.ndarray, search: _Search,
              movable: Sequence[str]) -> tuple[pd.DataFrame, int, list[Any]]:
    """The table with the generalised columns, failing rows masked, and rows still failing removed."""
    view = generalised.copy()
    if fail.any():
        for name in movable:
            view[name] = view[name].astype(object)
            view.loc[fail, name] = SUPPRESSED
    still = search.failing(view) if fail.any() else fail
    out = frame.copy()
    for name in search.columns:
        if not view[name].equals(frame[name]):  # generalised or masked: the column becomes text
            out[name] = pd.Series([_text(v) for v in view[name]], index=frame.index, dtype=object)
    removed = [frame.index[i] for i in np.flatnonzero(still)]
    return out[~still], int((fail & ~still).sum()), removed


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a year read as float beside missing values
    return str(value)


def _loss(search: _Search, levels: Mapping[str, int], fail: np.ndarray, removed: int, rows: int) -> float:
    """Share of quasi-identifier precision lost: each cell's level / height; masked and removed cells count 1."""
    if not rows:
        return 0.0
    movable = {q.column for q in search.policy.quasi_identifiers if q.generalise}
    kept_fail = int(fail.sum()) - removed
    total = 0.0
    for name in search.columns:
        step = levels[name] / search.hierarchies[name].height
        total += step * (rows - fail.sum()) + (1.0 if name in movable else step) * kept_fail + removed
    return float(total / (rows * len(search.columns)))


def _l(view: pd.DataFrame, columns: list[str], sensitive: list[str]) -> dict[str, int]:
    return {s: distinct_l(view, columns, s) for s in sensitive}


def _entropy(view: pd.DataFrame, columns: list[str], sensitive: list[str]) -> dict[str, float]:
    return {s: entropy_l(view, columns, s) for s in sensitive}
