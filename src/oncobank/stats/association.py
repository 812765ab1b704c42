"""Association in contingency tables: Pearson's chi-square with adjusted residuals and Cramér's V, odds ratio,
risk difference."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from oncobank.stats.estimate import Estimate, json_number, mover_sum, proportion, z_value


@dataclass(frozen=True)
class ChiSquare:
    """Pearson's test of independence of an r×c table, with the effect size and where the table departs."""

    statistic: float
    dof: int
    p_value: float
    cramers_v: float
    residuals: list[list[float]]  # adjusted standardised residual of every cell (Haberman): ~N(0, 1) under H0

    def to_dict(self) -> dict[str, Any]:
        return {"statistic": json_number(self.statistic), "dof": self.dof, "p_value": json_number(self.p_value),
                "cramers_v": json_number(self.cramers_v),
                "residuals": [[json_number(r) for r in row] for row in self.residuals]}


def chi_square(observed: ArrayLike) -> ChiSquare:
    """Pearson's χ² without continuity correction, so that Cramér's V is sqrt(χ² / (n·(min(r, c) − 1))).

    Every row and column must have a non-zero total (the expected counts are otherwise zero).
    """
    from scipy import stats

    table = np.asarray(observed, dtype=float)
    if table.ndim != 2 or min(table.shape) < 2:
        raise ValueError("a contingency table needs at least two rows and two columns")
    if (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        raise ValueError("every row and column of the table needs a non-zero total")
    statistic, p, dof, expected = stats.chi2_contingency(table, correction=False)
    n = table.sum()
    rows, cols = table.sum(axis=1, keepdims=True) / n, table.sum(axis=0, keepdims=True) / n
    adjusted = (table - expected) / np.sqrt(expected * (1 - rows) * (1 - cols))
    v = math.sqrt(statistic / (n * (min(table.shape) - 1)))
    return ChiSquare(float(statistic), int(dof), float(p), v, adjusted.tolist())


def odds_ratio(a: int, b: int, c: int, d: int, level: float = 0.95) -> Estimate:
    """Odds ratio (a·d)/(b·c) of the table [[a, b], [c, d]] with Woolf's log interval; 0.5 is added to every
    cell when one is zero (Haldane–Anscombe)."""
    if 0 in (a, b, c, d):
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5  # type: ignore[assignment]
    ratio = a * d / (b * c)
    half = z_value(level) * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return Estimate(ratio, ratio * math.exp(-half), ratio * math.exp(half))


def risk_difference(a: int, n1: int, c: int, n0: int, level: float = 0.95) -> Estimate:
    """a/n1 − c/n0 with Newcombe's hybrid score interval (MOVER on the two Wilson intervals)."""
    return mover_sum(proportion(a, n1, "wilson", level), proportion(c, n0, "wilson", level).complement(), -1.0)
