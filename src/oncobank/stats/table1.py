"""Descriptive "Table 1" by group, with the appropriate test of difference for each variable."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from oncobank.numbers import number
from oncobank.stats.data import natural_key, require_columns
from oncobank.stats.estimate import json_number
from oncobank.stats.labels import Lang, label

_SHAPIRO_MAX = 5000  # Shapiro–Wilk's p-value is unreliable above this size; D'Agostino's test is used instead
_FISHER_RESAMPLES = 20000


@dataclass(frozen=True)
class VariableSummary:
    """Per-group numbers for one variable, and the test that compares the groups."""

    name: str
    kind: str  # "categorical" or "continuous"
    missing: dict[str, int]
    numbers: dict[str, dict[str, float]]  # group -> statistic (continuous) or level -> count (categorical)
    levels: tuple[str, ...] = ()
    normal: bool | None = None
    test: str | None = None
    statistic: float | None = None
    p_value: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "levels": list(self.levels),
            "missing": self.missing,
            "summary": {g: {k: json_number(v) for k, v in d.items()} for g, d in self.numbers.items()},
            "normal": self.normal,
            "test": self.test,
            "statistic": json_number(self.statistic),
            "p_value": json_number(self.p_value),
        }


@dataclass(frozen=True)
class TableOne:
    """A Table 1: group sizes, then one block of rows per variable."""

    by: str
    groups: tuple[str, ...]
    sizes: dict[str, int]
    variables: tuple[VariableSummary, ...]
    n_dropped: int = 0
    digits: int = field(default=1)

    def variable(self, name: str) -> VariableSummary:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(name)

    def to_dict(self) -> dict[str, object]:
        return {
            "by": self.by,
            "groups": list(self.groups),
            "sizes": self.sizes,
            "n_dropped": self.n_dropped,
            "variables": [v.to_dict() for v in self.variables],
        }

    def header(self, lang: Lang = "en") -> list[str]:
        return [label("variable", lang), label("overall", lang), *self.groups, label("test", lang),
                label("p_value", lang)]

    def rows(self, lang: Lang = "en") -> list[list[str]]:
        """The table as text cells, one list per line, matching `header()`."""
        columns = ("overall", *self.groups)
        out = [["n", *(str(self.sizes[c]) for c in columns), "", ""]]
        for v in self.variables:
            test = label(v.test, lang) if v.test else ""
            p = _format_p(v.p_value, lang)
            if v.kind == "categorical":
                out.append([f"{v.name}, {label('n_percent', lang)}", *([""] * len(columns)), test, p])
                for level in v.levels:
                    cells = []
                    for c in columns:
                        total = sum(v.numbers[c].values())
                        count = v.numbers[c][level]
                        share = number(100 * count / total, lang, f".{self.digits}f") if total else ""
                        cells.append(f"{count:g} ({share})" if total else "0")
                    out.append([f"  {level}", *cells, "", ""])
            else:
                d = self.digits
                out.append([f"{v.name}, {label('mean_sd', lang)}",
                            *(_pair(v.numbers[c], "mean", "sd", " ± ", d, lang) for c in columns), test, p])
                out.append([f"  {label('median_iqr', lang)}",
                            *(_iqr(v.numbers[c], d, lang) for c in columns), "", ""])
                out.append([f"  {label('min_max', lang)}",
                            *(_pair(v.numbers[c], "min", "max", "–", d, lang) for c in columns), "", ""])
            if any(v.missing.values()):
                out.append([f"  {label('missing', lang)}", *(str(v.missing[c]) for c in columns), "", ""])
        return out

    def to_frame(self, lang: Lang = "en") -> pd.DataFrame:
        return pd.DataFrame(self.rows(lang), columns=self.header(lang))


def _format_p(p: float | None, lang: Lang) -> str:
    if p is None or not math.isfinite(p):
        return ""
    return f"<{number(0.001, lang)}" if p < 0.001 else number(p, lang, ".3f")


def _pair(d: dict[str, float], a: str, b: str, sep: str, digits: int, lang: Lang) -> str:
    if not math.isfinite(d.get(a, math.nan)):
        return "—"
    second = number(d[b], lang, f".{digits}f") if math.isfinite(d.get(b, math.nan)) else "—"
    return f"{number(d[a], lang, f'.{digits}f')}{sep}{second}"


def _iqr(d: dict[str, float], digits: int, lang: Lang) -> str:
    if not math.isfinite(d.get("median", math.nan)):
        return "—"
    spec = f".{digits}f"
    return f"{number(d['median'], lang, spec)} [{number(d['q1'], lang, spec)}; {number(d['q3'], lang, spec)}]"


def _describe(values: np.ndarray) -> dict[str, float]:
    if values.size == 0:
        return dict.fromkeys(("n", "mean", "sd", "median", "q1", "q3", "min", "max"), math.nan) | {"n": 0}
    q1, median, q3 = np.percentile(values, [25, 50, 75])  # R's default quantile type 7
    return {
        "n": float(values.size),
        "mean": float(values.mean()),
        "sd": float(values.std(ddof=1)) if values.size > 1 else math.nan,
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(values.min()),
        "max": float(values.max()),
    }


def _looks_normal(samples: list[np.ndarray], alpha: float = 0.05) -> bool:
    """Normal unless some group of ≥ 3 values rejects normality (Shapiro–Wilk, or D'Agostino if large)."""
    for s in samples:
        if s.size < 3 or np.ptp(s) == 0:
            continue
        if s.size <= _SHAPIRO_MAX:
            p = stats.shapiro(s).pvalue
        elif s.size >= 20:
            p = stats.normaltest(s).pvalue
        else:
            continue
        if p < alpha:
            return False
    return True


def _continuous(name: str, values: pd.Series, groups: pd.Series, labels: Sequence[str],
                normal: bool | None) -> VariableSummary:
    numeric = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & numeric.isna()
    if bad.any():
        row = bad.idxmax()
        raise ValueError(f"column {name!r}, row {row}: {values[row]!r} is not a number")
    samples = [numeric[groups == g].dropna().to_numpy(float) for g in labels]
    numbers = {"overall": _describe(numeric.dropna().to_numpy(float))}
    numbers.update({g: _describe(s) for g, s in zip(labels, samples, strict=True)})
    missing = {"overall": int(numeric.isna().sum())} | {g: int(numeric[groups == g].isna().sum()) for g in labels}
    testable = [s for s in samples if s.size > 0]
    is_normal = _looks_normal(testable) if normal is None else normal
    test = stat = p = None
    if len(testable) >= 2 and all(s.size >= 2 for s in testable) and np.ptp(np.concatenate(testable)) > 0:
        if len(testable) == 2:
            if is_normal:
                test, res = "welch_t", stats.ttest_ind(*testable, equal_var=False)
            else:
                test, res = "mann_whitney", stats.mannwhitneyu(*testable, alternative="two-sided")
        elif is_normal:
            test, res = "anova", stats.f_oneway(*testable)
        else:
            test, res = "kruskal", stats.kruskal(*testable)
        stat, p = float(res.statistic), float(res.pvalue)
    return VariableSummary(name, "continuous", missing, numbers, normal=is_normal, test=test, statistic=stat,
                           p_value=p)


def _categorical(name: str, values: pd.Series, groups: pd.Series, labels: Sequence[str],
                 seed: int) -> VariableSummary:
    text = values.map(lambda v: v if pd.isna(v) else (str(int(v)) if isinstance(v, float) and v.is_integer()
                                                        else str(v)))
    levels = tuple(sorted(text.dropna().unique(), key=natural_key))
    table = pd.crosstab(groups, text).reindex(index=list(labels), columns=list(levels), fill_value=0)
    numbers = {"overall": {lv: int(table[lv].sum()) for lv in levels}}
    numbers.update({g: {lv: int(table.loc[g, lv]) for lv in levels} for g in labels})
    missing = {"overall": int(text.isna().sum())} | {g: int(text[groups == g].isna().sum()) for g in labels}
    observed = table.to_numpy()
    observed = observed[observed.sum(axis=1) > 0][:, observed.sum(axis=0) > 0]
    test = stat = p = None
    if observed.shape[0] >= 2 and observed.shape[1] >= 2:
        expected = stats.contingency.expected_freq(observed)
        if (expected < 5).any():
            test = "fisher"
            if observed.shape == (2, 2):
                res = stats.fisher_exact(observed)
            else:  # r×c: Monte Carlo p-value, seeded so that the table is reproducible
                method = stats.MonteCarloMethod(n_resamples=_FISHER_RESAMPLES, rng=np.random.default_rng(seed))
                res = stats.fisher_exact(observed, method=method)
            stat, p = float(res.statistic), float(res.pvalue)
        else:
            test = "chi_square"
            res = stats.chi2_contingency(observed)  # Yates' correction on 2×2, as R's chisq.test
            stat, p = float(res.statistic), float(res.pvalue)
    return VariableSummary(name, "categorical", missing, numbers, levels=levels, test=test, statistic=stat,
                           p_value=p)


def table_one(
    data: pd.DataFrame,
    by: str,
    variables: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    nonnormal: Sequence[str] = (),
    normal: Sequence[str] = (),
    digits: int = 1,
    seed: int = 0,
) -> TableOne:
    """Describe `variables` (default: every other column) in each level of `by`.

    Text and boolean columns, and those named in `categorical`, get n (%) with a chi-square test,
    or Fisher's exact test when an expected count is below 5. Numbers get mean ± SD, median [IQR]
    and min–max; they are compared with Welch's t-test / one-way ANOVA when every group looks
    normal (Shapiro–Wilk p ≥ 0.05), otherwise with Mann–Whitney / Kruskal–Wallis. `nonnormal` and
    `normal` override that check. Rows with a missing group are left out and counted.
    """
    if variables is None:
        variables = [c for c in data.columns if c != by]
    require_columns(data, [by, *variables, *categorical, *nonnormal, *normal])
    kept = data[data[by].notna()]
    groups = kept[by].map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
    labels = tuple(sorted(groups.unique(), key=natural_key))
    if len(labels) < 1:
        raise ValueError(f"column {by!r} has no values")
    summaries = []
    for name in variables:
        col = kept[name]
        declared_numeric = name in nonnormal or name in normal
        is_cat = name in categorical or (not declared_numeric and (
            not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)))
        if is_cat:
            summaries.append(_categorical(name, col, groups, labels, seed))
        else:
            force = False if name in nonnormal else (True if name in normal else None)
            summaries.append(_continuous(name, col, groups, labels, force))
    sizes = {"overall": len(kept)} | {g: int((groups == g).sum()) for g in labels}
    return TableOne(by, labels, sizes, tuple(summaries), n_dropped=len(data) - len(kept), digits=digits)
