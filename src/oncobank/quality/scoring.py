"""Statuses from counts and thresholds (re-scored without re-running), and scores per dimension, section, centre.

Status precedence as in DataQualityDashboard: error > not applicable > failed > passed. A check is not applicable
when the store lacks what it reads or its denominator is empty. It fails when its violated rows exceed
`threshold_pct` per cent of the denominator, or (if set) `threshold_rows` rows.

Score of a group of checks = passed / (passed + failed), in per cent; checks in error or not applicable do not
count; a group with no passed or failed check has no score ("not applicable"), never 100.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from oncobank.quality.model import DIMENSIONS

ERROR, NOT_APPLICABLE, FAILED, PASSED = "error", "not_applicable", "failed", "passed"


@dataclass(frozen=True)
class Thresholds:
    pct: float
    rows: int | None = None


def percent(violated: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(100 * violated / denominator, 2)


def status(violated: int, denominator: int, thresholds: Thresholds, *, error: str | None = None,
           reason: str | None = None) -> str:
    if error:
        return ERROR
    if reason or denominator == 0:
        return NOT_APPLICABLE
    over_pct = 100 * violated / denominator > thresholds.pct
    over_rows = thresholds.rows is not None and violated > thresholds.rows
    return FAILED if over_pct or over_rows else PASSED


def thresholds_of(check: dict[str, Any], overrides: dict[str, Thresholds] | None = None) -> Thresholds:
    """The check's own thresholds, or an override by check ID, check type or severity (most specific first)."""
    for key in (check["id"], check["type"], check["severity"]):
        if overrides and key in overrides:
            return overrides[key]
    return Thresholds(check["threshold_pct"], check["threshold_rows"])


def rescore(run: dict[str, Any], overrides: dict[str, Thresholds] | None = None) -> list[dict[str, Any]]:
    """Each check of a stored run with its status, per cent and per-centre statuses under the given thresholds."""
    rows = []
    for check, result in zip(run["checks"], run["results"], strict=True):
        limits = thresholds_of(check, overrides)
        row = {**check, **result, "threshold_pct": limits.pct, "threshold_rows": limits.rows,
               "pct": percent(result["violated"], result["denominator"]),
               "status": status(result["violated"], result["denominator"], limits, error=result["error"],
                                reason=result["reason"])}
        row["centre_status"] = {centre: status(v, d, limits, error=result["error"])
                                for centre, (v, d) in sorted(result["by_centre"].items())}
        rows.append(row)
    return rows


def score(statuses: Iterable[str]) -> dict[str, Any]:
    counts = defaultdict(int)
    for s in statuses:
        counts[s] += 1
    judged = counts[PASSED] + counts[FAILED]
    return {"score": None if judged == 0 else round(100 * counts[PASSED] / judged, 1),
            **{s: counts[s] for s in (PASSED, FAILED, NOT_APPLICABLE, ERROR)}}


def scores(scored: list[dict[str, Any]]) -> dict[str, Any]:
    """Overall, per dimension (all five, even when empty), per section (table) and per centre."""
    by_table: dict[str, list[str]] = defaultdict(list)
    by_centre: dict[str, list[str]] = defaultdict(list)
    for row in scored:
        by_table[row["table"]].append(row["status"])
        for centre, s in row["centre_status"].items():
            by_centre[centre].append(s)
    return {"overall": score(r["status"] for r in scored),
            "dimension": {d: score(r["status"] for r in scored if r["dimension"] == d) for d in DIMENSIONS},
            "section": {t: score(s) for t, s in sorted(by_table.items())},
            "centre": {c: score(s) for c, s in sorted(by_centre.items())}}
