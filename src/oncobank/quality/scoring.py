"""Statuses from counts and thresholds (re-scored without re-running), and scores per dimension, section, centre.

Status precedence as in DataQualityDashboard: error > not applicable > failed > passed. A check is not applicable
when the store lacks what it reads or its denominator is empty. It fails when its violated rows exceed
`threshold_pct` per cent of the denominator, or (if set) `threshold_rows` rows.

`shown` masks the small counts of scored checks for whoever reads them (see its docstring).

Score of a group of checks = passed / (passed + failed), in per cent; checks in error or not applicable do not
count; a group with no passed or failed check has no score ("not applicable"), never 100.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from oncobank.deid.cells import TOTAL, suppress_small
from oncobank.deid.small_cells import COMPLEMENTARY, DEFAULT, SMALL, is_small, text
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


def shown(scored: list[dict[str, Any]], run: dict[str, Any]) -> list[dict[str, Any]]:
    """The scored checks of `run` as they may be shown: small counts (1..the run's `small_cell`) masked.

    Per check, the centres' violated rows and the rest of their denominators form a table published with its totals
    (each centre's denominator, the check's violated rows and denominator), masked by `suppress_small`; the per cent
    goes with a masked count. Masked values are null and `suppressed` names them with why; statuses are kept.
    Checks counted on the clinical store (for data managers, on identified data) are shown whole.
    """
    from oncobank.quality.run import CLINICAL_TYPES

    threshold = int(run.get("small_cell", DEFAULT))
    return [{**row, "small_cell": threshold} if row["type"] in CLINICAL_TYPES else _masked(row, threshold)
            for row in scored]


def shown_changes(changes: list[dict[str, Any]], run: dict[str, Any]) -> list[dict[str, Any]]:
    """The trend's changes per check (history.changes) with violated counts of 1..`small_cell` masked (no totals
    are shown with them, so nothing else gives them away); `suppressed` names the masked ones."""
    threshold = int(run.get("small_cell", DEFAULT))
    found = []
    for change in changes:
        gone = {k: SMALL for k in ("violated", "was_violated") if is_small(change[k], threshold)}
        found.append({**change, **dict.fromkeys(gone), "small_cell": threshold,
                      **({"suppressed": gone} if gone else {})})
    return found


def _masked(row: dict[str, Any], threshold: int) -> dict[str, Any]:
    centres = sorted(row["by_centre"])
    pairs = [row["by_centre"][c] for c in centres] or [[row["violated"], row["denominator"]]]
    frame = pd.DataFrame({"violated": [v for v, _ in pairs], "rest": [d - v for v, d in pairs]})
    cells = suppress_small(frame, ["violated", "rest"], threshold)
    why = {cell: SMALL for cell in cells.primary} | {cell: COMPLEMENTARY for cell in cells.secondary}
    overall = TOTAL if len(pairs) > 1 else 0  # one row: the check's counts are the row's
    gone: dict[str, Any] = _pair(why, overall)
    if gone:
        gone["pct"] = COMPLEMENTARY
    by_centre: dict[str, list[int | None]] = {}
    hidden: dict[str, dict[str, str]] = {}
    for i, centre in enumerate(centres):
        found = _pair(why, i)
        v, d = row["by_centre"][centre]
        by_centre[centre] = [None if "violated" in found else v, None if "denominator" in found else d]
        if found:
            hidden[centre] = found
    if hidden:
        gone["by_centre"] = hidden
    masked = {k: None for k in ("violated", "denominator", "pct") if k in gone}
    return {**row, **masked, "by_centre": by_centre, "small_cell": threshold,
            **({"suppressed": gone} if gone else {})}


def suggestion_counts(row: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """A shown check whose counts are the texts the suggestion's placeholders take (a masked one as "≤ 5")."""
    if "suppressed" not in row:
        return row
    return {**row, "violated": count_text(row, "violated", lang), "denominator": count_text(row, "denominator", lang)}


def _pair(why: dict[tuple[Any, str], str], line: Any) -> dict[str, Any]:
    """Which of a line's violated rows and denominator (its total) are masked, and why."""
    return {key: w for key, column in (("violated", "violated"), ("denominator", TOTAL))
            if (w := why.get((line, column)))}


def count_text(row: dict[str, Any], key: str, lang: str = "en") -> str:
    """A shown check's `violated`, `denominator` or `pct` as text: the number, or why it is masked."""
    why = row.get("suppressed", {}).get(key)
    if why is not None:
        return text(None, why, int(row.get("small_cell", DEFAULT)), lang)
    value = row[key]
    if value is None:
        return ""
    return f"{value:g}".replace(".", ",") if lang == "ru" and key == "pct" else f"{value:g}"
