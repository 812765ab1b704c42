"""ROC analysis: the curve, AUC with the DeLong interval (fast algorithm), DeLong test, optimal thresholds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from scipy.stats import norm

from oncobank.stats.data import binary, is_missing
from oncobank.stats.estimate import Estimate, json_number, z_value
from oncobank.stats.labels import Lang, label
from oncobank.stats.plotting import new_axes, save_figure


def _tie_groups(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each run of equal values in an ascending array."""
    if sorted_values.size == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    lengths = np.diff(np.r_[starts, sorted_values.size])
    return starts, lengths


def _sorted_midranks(sorted_values: np.ndarray) -> np.ndarray:
    """1-based midranks of an ascending array (tied values share the mean of their ranks)."""
    starts, lengths = _tie_groups(sorted_values)
    return np.repeat(starts + (lengths + 1) / 2, lengths)


def _placements(positive: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components V10 (one per positive) and V01 (one per negative), in case order.

    Sun & Xu (2014): with midranks Tz over all scores, Tx within positives and Ty within negatives,
    V10 = (Tz − Tx)/n and V01 = 1 − (Tz − Ty)/m. One sort serves all three rankings because a
    class's scores, read in the overall sorted order, are already sorted. The components are put
    back in the order of the cases, so that those of two scores of the same cases pair case by case
    (the covariance of two AUCs is taken over cases, not over each score's own ranking).
    """
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    sorted_pos = positive[order]
    tz = _sorted_midranks(sorted_scores)
    m = int(sorted_pos.sum())
    n = sorted_scores.size - m
    tx = _sorted_midranks(sorted_scores[sorted_pos])
    ty = _sorted_midranks(sorted_scores[~sorted_pos])
    components = np.empty(sorted_scores.size)
    components[order[sorted_pos]] = (tz[sorted_pos] - tx) / n
    components[order[~sorted_pos]] = 1.0 - (tz[~sorted_pos] - ty) / m
    return components[positive], components[~positive]


def _prepare(truth: object, scores: Sequence[object], positive: object) -> tuple[np.ndarray, list[np.ndarray]]:
    truth_arr = np.asarray(truth)
    score_arrs = [np.asarray(s, dtype=float) for s in scores]
    for s in score_arrs:
        if s.shape != truth_arr.shape:
            raise ValueError(f"truth and score differ in length: {truth_arr.shape[0]} vs {s.shape[0]}")
    keep = ~is_missing(truth_arr)
    for s in score_arrs:
        keep &= ~np.isnan(s)
    pos = binary(truth_arr[keep], positive, "truth")
    if pos.all() or not pos.any():
        raise ValueError("ROC analysis needs both positive and negative cases")
    return pos, [s[keep] for s in score_arrs]


def delong_covariance(
    truth: Sequence[object] | np.ndarray,
    *scores: Sequence[float] | np.ndarray,
    positive: object = None,
) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of one or more scores on the same cases and their DeLong covariance matrix."""
    if not scores:
        raise ValueError("give at least one score")
    pos, arrs = _prepare(truth, scores, positive)
    m, n = int(pos.sum()), int((~pos).sum())
    v10s, v01s = zip(*(_placements(pos, s) for s in arrs), strict=True)
    v10 = np.vstack(v10s)
    v01 = np.vstack(v01s)
    aucs = v10.mean(axis=1)
    s10 = np.atleast_2d(np.cov(v10)) if m > 1 else np.zeros((len(arrs), len(arrs)))
    s01 = np.atleast_2d(np.cov(v01)) if n > 1 else np.zeros((len(arrs), len(arrs)))
    return aucs, s10 / m + s01 / n


def delong_auc(
    truth: Sequence[object] | np.ndarray,
    score: Sequence[float] | np.ndarray,
    positive: object = None,
    level: float = 0.95,
) -> Estimate:
    """AUC with its DeLong interval, AUC ± z·SE clipped to [0, 1] (as R's pROC reports it)."""
    aucs, cov = delong_covariance(truth, score, positive=positive)
    auc, se = float(aucs[0]), math.sqrt(max(float(cov[0, 0]), 0.0))
    z = z_value(level)
    return Estimate(auc, max(0.0, auc - z * se), min(1.0, auc + z * se))


@dataclass(frozen=True)
class AucComparison:
    """DeLong's test of two correlated AUCs (the same cases scored twice)."""

    auc_a: float
    auc_b: float
    difference: Estimate
    z: float
    p_value: float

    def to_dict(self) -> dict[str, object]:
        return {
            "auc_a": json_number(self.auc_a),
            "auc_b": json_number(self.auc_b),
            "difference": self.difference.to_dict(),
            "z": json_number(self.z),
            "p_value": json_number(self.p_value),
        }


def compare_auc(
    truth: Sequence[object] | np.ndarray,
    score_a: Sequence[float] | np.ndarray,
    score_b: Sequence[float] | np.ndarray,
    positive: object = None,
    level: float = 0.95,
) -> AucComparison:
    """DeLong, DeLong & Clarke-Pearson (1988) test of AUC(a) = AUC(b), two-sided."""
    aucs, cov = delong_covariance(truth, score_a, score_b, positive=positive)
    diff = float(aucs[0] - aucs[1])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = math.sqrt(max(var, 0.0))
    # identical scores give zero variance: no evidence of a difference unless the AUCs differ
    z_stat = diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    p = float(2 * norm.sf(abs(z_stat)))
    zq = z_value(level)
    return AucComparison(float(aucs[0]), float(aucs[1]), Estimate(diff, diff - zq * se, diff + zq * se), z_stat, p)


@dataclass(frozen=True)
class Threshold:
    """One cut-off on the score and the 2×2 measures it gives."""

    threshold: float
    sensitivity: float
    specificity: float
    ppv: float
    npv: float
    youden: float

    def to_dict(self) -> dict[str, float | None]:
        names = ("threshold", "sensitivity", "specificity", "ppv", "npv", "youden")
        return {k: json_number(getattr(self, k)) for k in names}


@dataclass(frozen=True)
class RocResult:
    """ROC curve, AUC with DeLong CI, and the thresholds that maximise J, NPV and PPV."""

    fpr: np.ndarray = field(repr=False)
    tpr: np.ndarray = field(repr=False)
    thresholds: np.ndarray = field(repr=False)
    auc: Estimate
    n_positive: int
    n_negative: int
    higher_is_positive: bool
    optimal: dict[str, Threshold]
    level: float = 0.95

    def to_dict(self, include_curve: bool = True) -> dict[str, object]:
        out: dict[str, object] = {
            "auc": self.auc.to_dict(),
            "level": self.level,
            "n_positive": self.n_positive,
            "n_negative": self.n_negative,
            "rule": "score >= threshold is positive" if self.higher_is_positive else "score <= threshold is positive",
            "optimal": {k: v.to_dict() for k, v in self.optimal.items()},
        }
        if include_curve:
            out["curve"] = {
                "fpr": [float(x) for x in self.fpr],
                "tpr": [float(x) for x in self.tpr],
                "threshold": [json_number(float(x)) for x in self.thresholds],
            }
        return out

    def plot(self, ax: Axes | None = None, lang: Lang = "en") -> Axes:
        ax = new_axes(ax, figsize=(5.5, 5.5))
        ax.plot(self.fpr, self.tpr, drawstyle="default", lw=2,
                label=f"{label('auc', lang)} = {self.auc.format(3)}")
        ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label=label("chance", lang))
        youden = self.optimal.get("youden")
        if youden is not None:
            ax.plot(1 - youden.specificity, youden.sensitivity, "o", color="crimson",
                    label=f"{label('youden', lang)}: {label('threshold', lang).lower()} {youden.threshold:g}")
        ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel=label("fpr", lang), ylabel=label("tpr", lang),
               title=label("roc_curve", lang), aspect="equal")
        ax.legend(loc="lower right", fontsize="small")
        return ax

    def save_plot(self, path: str | Path, lang: Lang = "en") -> Path:
        return save_figure(self.plot(lang=lang).figure, path)


def _best(values: np.ndarray, youden: np.ndarray) -> int:
    """Index of the largest defined value; ties go to the larger Youden's J, then the higher cut-off.

    Ties are judged to 1e-12 so that 2/3 and 1 − 1/3 count as equal.
    """
    candidates = np.flatnonzero(values >= np.nanmax(values) - 1e-12)
    j = youden[candidates]
    return int(candidates[np.flatnonzero(j >= j.max() - 1e-12)[0]])


def roc_analysis(
    truth: Sequence[object] | np.ndarray,
    score: Sequence[float] | np.ndarray,
    positive: object = None,
    higher_is_positive: bool = True,
    level: float = 0.95,
) -> RocResult:
    """Full ROC analysis of one score against binary truth.

    A case is called positive when score ≥ threshold (or ≤ when `higher_is_positive=False`).
    The curve starts at (0, 0) with an infinite threshold, as scikit-learn's does.
    """
    pos, (raw,) = _prepare(truth, [score], positive)
    s = raw if higher_is_positive else -raw
    v10, v01 = _placements(pos, s)
    m, n = v10.size, v01.size
    var = (np.var(v10, ddof=1) / m if m > 1 else 0.0) + (np.var(v01, ddof=1) / n if n > 1 else 0.0)
    auc = float(v10.mean())
    z = z_value(level)
    half = z * math.sqrt(var)
    auc_est = Estimate(auc, max(0.0, auc - half), min(1.0, auc + half))

    order = np.argsort(-s, kind="stable")
    s_desc, pos_desc = s[order], pos[order]
    last_of_run = np.r_[s_desc[1:] != s_desc[:-1], True]
    tp = np.cumsum(pos_desc)[last_of_run]
    fp = np.cumsum(~pos_desc)[last_of_run]
    cut = s_desc[last_of_run]
    tpr, fpr = tp / m, fp / n
    fn, tn = m - tp, n - fp
    with np.errstate(invalid="ignore", divide="ignore"):
        ppv = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        npv = np.where(tn + fn > 0, tn / (tn + fn), np.nan)
    j = tpr - fpr
    shown = cut if higher_is_positive else -cut

    def at(i: int) -> Threshold:
        return Threshold(float(shown[i]), float(tpr[i]), float(1 - fpr[i]), float(ppv[i]), float(npv[i]), float(j[i]))

    optimal = {"youden": at(_best(j, j))}
    if np.any(~np.isnan(npv)):
        optimal["max_npv"] = at(_best(npv, j))
    if np.any(~np.isnan(ppv)):
        optimal["max_ppv"] = at(_best(ppv, j))
    return RocResult(
        fpr=np.r_[0.0, fpr],
        tpr=np.r_[0.0, tpr],
        thresholds=np.r_[math.inf if higher_is_positive else -math.inf, shown],
        auc=auc_est,
        n_positive=m,
        n_negative=n,
        higher_is_positive=higher_is_positive,
        optimal=optimal,
        level=level,
    )
