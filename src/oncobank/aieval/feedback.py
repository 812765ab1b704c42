"""Radiologists' feedback per period: agreement rate, reasons for disagreement, coverage against the 5 % rule.

Coverage is the share of the period's processed unique studies that have at least one feedback entry; the
agreement rate and the reasons count entries (several radiologists may answer on one study). Entries for
studies outside the period's processed studies are counted as unmatched and left out of the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncobank.aieval.errors import InputFileError, Issue
from oncobank.aieval.labels import label
from oncobank.aieval.results import blank, check_columns, parse_flags, read_table, row_numbers, text
from oncobank.aieval.thresholds import Thresholds
from oncobank.stats.estimate import Estimate, proportion

REASONS = ("technological_defect", "diagnostic_inaccuracy", "localisation_error", "other")


def _reason_words() -> dict[str, str]:
    """Each reason by its code and by its English and Russian labels (lower case)."""
    words = {}
    for code in REASONS:
        for word in (code, label(f"reason_{code}", "en"), label(f"reason_{code}", "ru")):
            words[word.lower()] = code
    return words


def read_feedback(path: str | Path) -> pd.DataFrame:
    """Feedback entries (CSV, XLSX, JSON or Parquet): `study_uid`, `agrees` (1/0), `reason` when not, `comment`.

    A disagreement needs its reason (code or label, English or Russian); an agreement must not have one.
    """
    p = Path(path)
    df = read_table(p)
    check_columns(p, df, ("study_uid", "agrees", "reason"))
    issues: list[Issue] = []
    uid = text(df["study_uid"])
    for row in row_numbers(p, np.flatnonzero(blank(df["study_uid"]).to_numpy())):
        issues.append(Issue(p.name, row, "study_uid", "", "required", "a value is required"))
    agrees = parse_flags(p, df, "agrees", issues)
    words = _reason_words()
    given = text(df["reason"])
    reason = given.str.lower().map(words)
    empty = blank(df["reason"])
    for i in np.flatnonzero((~agrees & empty).to_numpy()):
        issues.append(Issue(p.name, row_numbers(p, np.array([i]))[0], "reason", "", "reason_required",
                            f"a disagreement needs its reason: one of {', '.join(REASONS)}"))
    for i in np.flatnonzero((~empty & reason.isna()).to_numpy()):
        issues.append(Issue(p.name, row_numbers(p, np.array([i]))[0], "reason", given.iloc[i], "reason",
                            f"expected one of {', '.join(REASONS)} (or its label)"))
    for i in np.flatnonzero((agrees & ~empty).to_numpy()):
        issues.append(Issue(p.name, row_numbers(p, np.array([i]))[0], "reason", given.iloc[i], "reason_with_agreement",
                            "an agreement has no reason for disagreement; leave it empty or set agrees to 0"))
    if issues:
        issues.sort(key=lambda i: (i.row if isinstance(i.row, int) else 0))
        raise InputFileError(issues)
    comment = df["comment"].astype(object).where(~blank(df["comment"])) if "comment" in df.columns else None
    return pd.DataFrame({"study_uid": uid, "agrees": agrees.to_numpy(), "reason": reason.where(~agrees).to_numpy(),
                         "comment": comment.to_numpy() if comment is not None else None})


@dataclass(frozen=True)
class FeedbackReport:
    """One period's feedback: coverage of processed studies, agreement, and why radiologists disagreed."""

    period: str
    processed: int
    covered: int  # processed studies with at least one feedback entry
    entries: int  # entries on the period's processed studies
    agreed: int
    reasons: dict[str, int]
    unmatched: int  # entries on studies outside the period's processed studies
    min_coverage: float

    @property
    def coverage(self) -> float:
        return self.covered / self.processed if self.processed else 0.0

    @property
    def short(self) -> bool:
        return self.coverage < self.min_coverage

    @property
    def agreement(self) -> Estimate:
        return proportion(self.agreed, self.entries)

    @property
    def decision(self) -> str:
        return "short" if self.short else "coverage_met"

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "processed": self.processed, "covered": self.covered,
                "coverage": self.coverage, "min_coverage": self.min_coverage, "entries": self.entries,
                "agreed": self.agreed, "agreement": self.agreement.to_dict(), "reasons": self.reasons,
                "unmatched": self.unmatched, "decision": self.decision}


def feedback_report(period: str, processed: pd.DataFrame, feedback: pd.DataFrame,
                    limits: Thresholds) -> FeedbackReport:
    """Summarise feedback against the period's processed unique studies (`techmon.sample_frame`)."""
    inside = feedback["study_uid"].isin(set(processed["study_uid"]))
    matched = feedback[inside]
    disagreed = matched.loc[~matched["agrees"], "reason"]
    return FeedbackReport(
        period=period, processed=len(processed), covered=int(matched["study_uid"].nunique()), entries=len(matched),
        agreed=int(matched["agrees"].sum()), reasons={r: int((disagreed == r).sum()) for r in REASONS},
        unmatched=int((~inside).sum()), min_coverage=limits.min_feedback,
    )


SCORES = (1, 2, 3, 4, 5)  # the survey's scale (OncoBank's format): 1 very dissatisfied … 5 very satisfied
SATISFIED = 4


def read_survey(path: str | Path) -> pd.DataFrame:
    """The radiologists' satisfaction survey (CSV, XLSX, JSON or Parquet): `score` 1–5, optional `comment`."""
    p = Path(path)
    df = read_table(p)
    check_columns(p, df, ("score",))
    raw = text(df["score"]).str.removesuffix(".0")
    bad = ~raw.isin([str(s) for s in SCORES])
    if bad.any():
        rows = row_numbers(p, np.flatnonzero(bad.to_numpy()))
        raise InputFileError([Issue(p.name, row, "score", value, "survey", "expected a whole score from 1 to 5")
                              for row, value in zip(rows, df.loc[bad, "score"], strict=True)])
    comment = text(df["comment"]) if "comment" in df.columns else pd.Series([""] * len(df))
    return pd.DataFrame({"score": raw.astype(int).to_numpy(), "comment": comment.to_numpy()})


@dataclass(frozen=True)
class SurveyReport:
    """The satisfaction survey: answers per score, mean and median, the share satisfied (4 or 5) with its CI."""

    counts: dict[int, int]
    mean: float | None
    median: float | None
    comments: list[str]

    @property
    def respondents(self) -> int:
        return sum(self.counts.values())

    @property
    def satisfied(self) -> Estimate:
        return proportion(sum(n for s, n in self.counts.items() if s >= SATISFIED), self.respondents)

    def to_dict(self) -> dict[str, Any]:
        return {"counts": {str(k): v for k, v in self.counts.items()}, "respondents": self.respondents,
                "mean": self.mean, "median": self.median, "satisfied": self.satisfied.to_dict(),
                "comments": self.comments}


def survey_report(survey: pd.DataFrame) -> SurveyReport:
    scores = survey["score"].to_numpy(dtype=int)
    counts = {s: int((scores == s).sum()) for s in SCORES}
    return SurveyReport(counts, float(scores.mean()) if scores.size else None,
                        float(np.median(scores)) if scores.size else None,
                        [c for c in survey["comment"] if c])
