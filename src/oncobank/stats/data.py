"""Input handling shared by the statistics: missing values, binary labels, and CSV/Parquet files."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def is_missing(arr: np.ndarray) -> np.ndarray:
    """True where a value is missing (NaN or None), for numeric and object arrays alike."""
    if arr.dtype.kind in "fc":
        return np.isnan(arr)
    if arr.dtype == object:
        return np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in arr], dtype=bool)
    return np.zeros(arr.shape, dtype=bool)


def binary(values: Sequence[object] | np.ndarray, positive: object, name: str) -> np.ndarray:
    """Boolean array: `values == positive`; without `positive`, values must be booleans or 0/1."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if positive is not None:
        return arr == positive
    if arr.dtype == bool:
        return arr
    uniques = set(pd.unique(arr[~is_missing(arr)]).tolist()) if arr.size else set()
    if not uniques <= {0, 1}:
        shown = ", ".join(sorted(map(str, uniques))[:5])
        raise ValueError(f"{name} has values {shown}: say which value means positive (positive=...)")
    return arr == 1


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV or Parquet file (by suffix) as a DataFrame, with an error that names the file."""
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such file")
    suffix = source.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(source)
        return pd.read_csv(source)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        kind = "Parquet" if suffix in (".parquet", ".pq") else "CSV"
        raise ValueError(f"{source}: cannot be read as {kind}: {exc}") from exc


def require_columns(frame: pd.DataFrame, columns: Sequence[str], source: str = "data") -> None:
    """Raise a KeyError naming every requested column that `frame` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(str, frame.columns[:20]))
        raise KeyError(f"{source}: no column {', '.join(map(repr, missing))} (columns: {have})")


def natural_key(label: str) -> tuple[int, Any]:
    """Sort key that orders category labels as people do: numbers by value first, then text with its digit
    runs compared as numbers ("CT-2" before "CT-10")."""
    try:
        return (0, float(label))
    except ValueError:
        parts = re.split(r"(\d+)", label)
        return (1, tuple(int(x) if i % 2 else x for i, x in enumerate(parts)))
