"""Re-identification measures of a table: equivalence classes, k-anonymity, distinct and entropy l-diversity.

Written here from their definitions rather than taken from pycanon, whose releases pin exact old pandas and numpy:
- an equivalence class is the set of rows sharing one combination of quasi-identifier values (a missing value is a
  value of its own);
- k is the size of the smallest class (Sweeney 2002); a table without rows has no class and k 0;
- distinct l is the smallest number of distinct values of a sensitive column within one class;
- entropy l is exp of the smallest entropy (natural log) of a sensitive column within one class, so that a table
  is entropy l-diverse when every class has entropy at least log l (Machanavajjhala et al. 2007);
- the share below k is the fraction of rows that sit in classes smaller than k.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd


def class_ids(frame: pd.DataFrame, quasi: Sequence[str]) -> np.ndarray:
    """For each row, the number of its equivalence class (rows with equal quasi-identifiers share one)."""
    if not quasi:
        return np.zeros(len(frame), dtype=np.int64)
    return frame.groupby(list(quasi), dropna=False, sort=False).ngroup().to_numpy()


def class_sizes(frame: pd.DataFrame, quasi: Sequence[str]) -> np.ndarray:
    """For each row, the size of its equivalence class."""
    ids = class_ids(frame, quasi)
    return np.bincount(ids)[ids] if len(ids) else np.zeros(0, dtype=np.int64)


def k_anonymity(frame: pd.DataFrame, quasi: Sequence[str]) -> int:
    """The size of the smallest equivalence class (0 for a table without rows)."""
    sizes = class_sizes(frame, quasi)
    return int(sizes.min()) if len(sizes) else 0


def class_count(frame: pd.DataFrame, quasi: Sequence[str]) -> int:
    """How many equivalence classes the table has."""
    ids = class_ids(frame, quasi)
    return int(ids.max()) + 1 if len(ids) else 0


def share_below(frame: pd.DataFrame, quasi: Sequence[str], k: int) -> float:
    """The fraction of rows in classes smaller than k (0 for a table without rows)."""
    sizes = class_sizes(frame, quasi)
    return float((sizes < k).mean()) if len(sizes) else 0.0


def distinct_per_class(frame: pd.DataFrame, quasi: Sequence[str], sensitive: str) -> np.ndarray:
    """For each row, how many distinct values of `sensitive` its class holds (a missing value counts as one)."""
    values = frame[sensitive].astype(object).where(frame[sensitive].notna(), "\0missing")
    pairs = pd.DataFrame({"c": class_ids(frame, quasi), "s": values.to_numpy()})
    return pairs.groupby("c")["s"].transform("nunique").to_numpy()


def distinct_l(frame: pd.DataFrame, quasi: Sequence[str], sensitive: str) -> int:
    """Distinct l-diversity: the fewest distinct sensitive values in any class (0 for a table without rows)."""
    counts = distinct_per_class(frame, quasi, sensitive)
    return int(counts.min()) if len(counts) else 0


def entropy_l(frame: pd.DataFrame, quasi: Sequence[str], sensitive: str) -> float:
    """Entropy l-diversity: exp of the smallest within-class entropy of the sensitive column (0 without rows)."""
    if not len(frame):
        return 0.0
    values = frame[sensitive].astype(object).where(frame[sensitive].notna(), "\0missing")
    pairs = pd.DataFrame({"c": class_ids(frame, quasi), "s": values.to_numpy()})
    counts = pairs.groupby(["c", "s"]).size()
    p = counts / counts.groupby(level="c").transform("sum")
    entropy = (-(p * np.log(p))).groupby(level="c").sum()
    return float(math.exp(entropy.min()))
