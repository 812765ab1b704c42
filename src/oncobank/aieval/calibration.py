"""Calibration testing on the 100-study set: AUC, operating points, per-study times, stated vs actual, decision."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oncobank.aieval.errors import InputFileError, Issue
from oncobank.aieval.thresholds import Thresholds
from oncobank.stats import diagnostic_accuracy, roc_analysis
from oncobank.stats.estimate import json_number

HIGHER_IS_BETTER = ("auc", "sensitivity", "specificity", "accuracy", "ppv", "npv")


def processing_minutes(results: pd.DataFrame) -> np.ndarray:
    """Minutes from sending each processed study to receiving its result."""
    done = results["received_at"].notna()
    seconds = (results.loc[done, "received_at"] - results.loc[done, "sent_at"]).dt.total_seconds()
    return seconds.to_numpy(dtype=float) / 60.0


def time_summary(minutes: np.ndarray, max_minutes: float) -> dict[str, float | None]:
    """Min, mean, SD (n − 1), median and max of the processing times, and the studies over `max_minutes`."""
    over = int((minutes > max_minutes).sum())
    share = over / minutes.size if minutes.size else None
    if minutes.size == 0:
        return {**dict.fromkeys(("min", "mean", "sd", "median", "max")), "over_limit": 0, "share_over": None}
    sd = float(np.std(minutes, ddof=1)) if minutes.size > 1 else math.nan
    return {"min": float(minutes.min()), "mean": float(minutes.mean()), "sd": json_number(sd),
            "median": float(np.median(minutes)), "max": float(minutes.max()), "over_limit": over,
            "share_over": share}


def check_calibration_set(truth: pd.DataFrame, limits: Thresholds, name: str) -> None:
    """The truth set must have `calibration_studies` studies or more, half with the target and half without.

    Refused with what is missing, e.g. 20 studies with 2 positives: 48 with the target and 32 without.
    """
    n = len(truth)
    positives = int(truth["truth"].sum())
    negatives = n - positives
    half = max(math.ceil(limits.calibration_studies / 2), positives, negatives)
    if n >= limits.calibration_studies and positives == negatives:
        return
    missing = []
    if half > positives:
        missing.append(f"{half - positives} with the target abnormality")
    if half > negatives:
        missing.append(f"{half - negatives} without it")
    raise InputFileError([Issue(
        name, None, "truth", f"{n} studies: {positives} with the target, {negatives} without", "calibration_set",
        f"calibration needs at least {limits.calibration_studies} studies, half with the target abnormality and "
        f"half without; missing: {' and '.join(missing)}")])


@dataclass(frozen=True)
class Check:
    """One pass criterion: the limit (at least or at most), what was found, and whether it is met."""

    name: str
    sign: str  # "≥" (at least) or "≤" (at most)
    limit: float
    actual: float | None
    passed: bool
    percent: bool = False  # the limit and the actual value are shares, shown as percentages
    rule: str = ""  # the rule of `rules.RULES` it applies (its source is shown beside it)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sign": self.sign, "limit": self.limit, "actual": json_number(self.actual),
                "passed": self.passed, "percent": self.percent, "rule": self.rule}


@dataclass(frozen=True)
class CalibrationResult:
    sent: int
    processed: int
    not_processed: int
    positives: int
    negatives: int
    auc: dict[str, Any]
    thresholds: dict[str, dict[str, Any]]
    accuracy: dict[str, Any]  # at the Youden threshold (PPV and NPV of the test set)
    accuracy_max_npv: dict[str, Any]  # PPV and NPV at the pretest probability
    accuracy_max_ppv: dict[str, Any]
    pretest_probability: float
    times: dict[str, float | None]
    stated_vs_actual: list[dict[str, Any]]
    checks: list[Check]
    roc_curve: dict[str, list[float]] = field(repr=False)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("checks",)}
        out["checks"] = [c.to_dict() for c in self.checks]
        out["decision"] = "pass" if self.passed else "fail"
        return out


def _accuracy_at(truth: np.ndarray, score: np.ndarray, threshold: float,
                 prevalence: float | None = None) -> dict[str, Any]:
    predicted = score >= threshold
    tp = int((predicted & truth).sum())
    fn = int((~predicted & truth).sum())
    fp = int((predicted & ~truth).sum())
    tn = int((~predicted & ~truth).sum())
    result = diagnostic_accuracy(tp, fn, fp, tn, prevalence=prevalence)
    out = result.to_dict()
    out["threshold"] = threshold
    return out


def _time_check(times: dict[str, float | None], limits: Thresholds) -> Check:
    """The per-study time limit as the task holds it: share of studies over it, the maximum, or the median."""
    if limits.time_statistic == "share_over":
        share = times["share_over"]
        return Check("time_share_over", "≤", limits.max_time_share, share,
                     share is not None and share <= limits.max_time_share, percent=True, rule="time_statistic")
    value = times[limits.time_statistic]
    return Check(f"time_{limits.time_statistic}", "≤", limits.max_minutes, value,
                 value is not None and value <= limits.max_minutes, rule="time_statistic")


def calibrate(results: pd.DataFrame, truth: pd.DataFrame, declared: dict[str, float],
              limits: Thresholds) -> CalibrationResult:
    """Everything the calibration protocol shows, from the results and the truth of the test set.

    Studies of the truth set that never came back count as sent and not processed; results for studies
    outside the truth set are ignored (they are not part of the test). Duplicated results of one study keep
    the first received one. The set's size and balance are checked by `check_calibration_set` first.
    """
    ordered = results.sort_values(["study_uid", "received_at"], na_position="last", kind="stable")
    first = ordered.drop_duplicates("study_uid", keep="first")
    merged = truth.merge(first, on="study_uid", how="left")
    done = merged["received_at"].notna() & merged["probability"].notna()
    sent = len(merged)
    processed = int(done.sum())
    scored = merged[done]
    y = scored["truth"].to_numpy(dtype=bool)
    p = scored["probability"].to_numpy(dtype=float)
    roc = roc_analysis(y, p)
    opt = {k: v.to_dict() for k, v in roc.optimal.items()}
    acc = _accuracy_at(y, p, roc.optimal["youden"].threshold)
    # NPV at any prevalence is a decreasing function of LR− = (1 − Se)/Sp (PPV an increasing one of LR+), so the
    # threshold of maximal NPV on the balanced set is the threshold of maximal NPV at the pretest probability.
    pretest = limits.pretest_probability
    acc_npv = _accuracy_at(y, p, roc.optimal["max_npv"].threshold, pretest)
    acc_ppv = _accuracy_at(y, p, roc.optimal["max_ppv"].threshold, pretest)
    times = time_summary(processing_minutes(scored), limits.max_minutes)
    # A declared processing time is compared with the mean of the studies' times (OncoBank's reading).
    actual = {"auc": roc.auc.estimate, "minutes": times["mean"]}
    for name in ("sensitivity", "specificity", "accuracy", "ppv", "npv"):
        actual[name] = acc[name]["estimate"]
    comparison = []
    shortfalls = []
    for name, stated in declared.items():
        value = actual.get(name)
        rel = (value - stated) / stated if value is not None and stated else None
        # Only a shortfall against the declaration is a deviation that matters (more time is a shortfall too).
        shortfall = None if rel is None else -rel if name in HIGHER_IS_BETTER else rel
        if shortfall is not None:
            shortfalls.append(shortfall)
        comparison.append({"metric": name, "stated": stated, "actual": json_number(value),
                           "relative_deviation": json_number(rel),
                           "large": shortfall is not None and shortfall > limits.max_deviation})
    worst = max(shortfalls, default=None)
    share = processed / sent if sent else 0.0
    checks = [
        Check("auc", "≥", limits.min_auc, roc.auc.estimate, roc.auc.estimate >= limits.min_auc, rule="min_auc"),
        _time_check(times, limits),
        Check("processed_share", "≥", limits.min_processed, share, share >= limits.min_processed, percent=True,
              rule="min_processed"),
        # the largest shortfall of a declared metric (none declared: nothing to fall short of)
        Check("declared_deviation", "≤", limits.max_deviation, worst, worst is None or worst <= limits.max_deviation,
              percent=True, rule="max_deviation"),
    ]
    return CalibrationResult(
        sent=sent, processed=processed, not_processed=sent - processed, positives=int(y.sum()),
        negatives=int((~y).sum()), auc=roc.auc.to_dict(), thresholds=opt, accuracy=acc, accuracy_max_npv=acc_npv,
        accuracy_max_ppv=acc_ppv, pretest_probability=pretest, times=times, stated_vs_actual=comparison,
        checks=checks, roc_curve={"fpr": [float(x) for x in roc.fpr], "tpr": [float(x) for x in roc.tpr]},
    )
