"""Impact of AI on reading practice: a categorical result's distribution with vs without AI, per service and period.

Pearson's chi-square test of independence (no continuity correction, so that Cramér's V is the usual
sqrt(χ² / (n·(min(r, c) − 1)))), adjusted standardised residuals of the with-AI row (which categories
differ), and for two categories the odds ratio (Woolf's log interval; 0.5 added to every cell when one is
zero) and the risk difference (Newcombe's hybrid score interval) of the event category, with AI vs without.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncobank.aieval.errors import InputFileError, Issue
from oncobank.aieval.results import blank, check_columns, parse_flags, read_table, row_numbers, text, timestamps
from oncobank.aieval.techmon import periods
from oncobank.stats.association import chi_square, odds_ratio, risk_difference
from oncobank.stats.data import natural_key
from oncobank.stats.estimate import Estimate, json_number

ALL_PERIODS = "all"


def read_impact(path: str | Path) -> pd.DataFrame:
    """Studies with `with_ai` (1/0), `category` and `period` (YYYY-MM) or `read_at` (ISO time); `service` optional."""
    p = Path(path)
    df = read_table(p)
    check_columns(p, df, ("with_ai", "category"))
    issues: list[Issue] = []
    with_ai = parse_flags(p, df, "with_ai", issues)
    for row in row_numbers(p, np.flatnonzero(blank(df["category"]).to_numpy())):
        issues.append(Issue(p.name, row, "category", "", "required", "a value is required"))
    if "period" in df.columns:
        period = text(df["period"])
        bad = ~period.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
        for row, value in zip(row_numbers(p, np.flatnonzero(bad.to_numpy())), period[bad], strict=True):
            issues.append(Issue(p.name, row, "period", value, "period", "expected a month as YYYY-MM"))
    elif "read_at" in df.columns:
        read_at = timestamps(p, df, "read_at", issues, required=True)
        period = periods(read_at.fillna(pd.Timestamp("1970-01-01", tz="UTC")))
    else:
        raise InputFileError([Issue(p.name, "header", "period", None, "required_column",
                                    "the file needs a period (YYYY-MM) or a read_at (date and time) column")])
    if issues:
        issues.sort(key=lambda i: (i.row if isinstance(i.row, int) else 0))
        raise InputFileError(issues)
    service = text(df["service"]) if "service" in df.columns else ""
    category = text(df["category"]).str.replace(r"\.0$", "", regex=True)
    return pd.DataFrame({"service": service, "period": period.to_numpy(), "with_ai": with_ai.to_numpy(),
                         "category": category.to_numpy()})


@dataclass(frozen=True)
class ImpactResult:
    """One comparison: counts by category with and without AI, the test and the effect sizes."""

    period: str
    levels: list[str]
    with_ai: list[int]
    without_ai: list[int]
    chi2: float | None
    dof: int | None
    p_value: float | None
    cramers_v: float | None
    residuals: list[float | None]  # adjusted standardised residual of each category in the with-AI row
    event: str | None = None
    odds_ratio: Estimate | None = None
    risk_difference: Estimate | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("odds_ratio", "risk_difference")}
        for k in ("chi2", "p_value", "cramers_v"):
            out[k] = json_number(out[k])
        out["residuals"] = [json_number(r) for r in self.residuals]
        out["odds_ratio"] = self.odds_ratio.to_dict() if self.odds_ratio else None
        out["risk_difference"] = self.risk_difference.to_dict() if self.risk_difference else None
        return out


def compare(period: str, with_ai: pd.Series, category: pd.Series, event: str | None = None) -> ImpactResult:
    """The with-vs-without-AI comparison of one group of studies."""
    levels = sorted(category.unique(), key=natural_key)
    table = pd.crosstab(with_ai, category).reindex(index=[True, False], columns=levels, fill_value=0)
    observed = table.to_numpy()
    with_row, without_row = [int(x) for x in observed[0]], [int(x) for x in observed[1]]
    result = ImpactResult(period, [str(x) for x in levels], with_row, without_row, None, None, None, None,
                          [None] * len(levels))
    if observed.sum(axis=1).min() == 0 or len(levels) < 2:
        return result
    test = chi_square(observed)
    extra: dict[str, Any] = {}
    if len(levels) == 2:
        chosen = event if event is not None else str(levels[0])
        if chosen not in result.levels:
            raise ValueError(f"event category {chosen!r} is not among {', '.join(result.levels)}")
        j = result.levels.index(chosen)
        a, b, c, d = with_row[j], with_row[1 - j], without_row[j], without_row[1 - j]
        extra = {"event": chosen, "odds_ratio": odds_ratio(a, b, c, d),
                 "risk_difference": risk_difference(a, a + b, c, c + d)}
    return ImpactResult(period, result.levels, with_row, without_row, test.statistic, test.dof, test.p_value,
                        test.cramers_v, test.residuals[0], **extra)


def impact(data: pd.DataFrame, event: str | None = None) -> list[ImpactResult]:
    """One comparison per period, then all periods pooled."""
    out = [compare(str(period), group["with_ai"], group["category"], event)
           for period, group in data.groupby("period", sort=True)]
    if len(out) > 1:
        out.append(compare(ALL_PERIODS, data["with_ai"], data["category"], event))
    return out
