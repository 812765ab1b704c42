"""Clinical monitoring per period: the expert's ratings of conclusion and localisation on the sample of 80.

Per study the expert rates the conclusion and the localisation as full compliance, incorrect assessment,
false positive or false negative. The three-way decision (the methodology names the outcomes, not the
limits; both limits are per clinical task):
- errors = studies whose conclusion is a false positive or a false negative; a share above
  `clinical_max_errors` suspends participation until changes are made;
- otherwise discordant = studies with any rating other than full compliance (conclusion or localisation);
  a share above `clinical_max_discordant` means changes to the software are needed;
- otherwise participation continues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from oncobank.aieval.labels import label, part
from oncobank.aieval.review_form import RATINGS
from oncobank.aieval.thresholds import Thresholds
from oncobank.stats.estimate import Estimate, proportion

DECISIONS = ("continue", "changes", "suspend")


@dataclass(frozen=True)
class ClinicalReport:
    """Counts of each rating for conclusion and localisation, the two shares, and the decision."""

    period: str
    sample_size: int
    conclusion: dict[str, int]
    localisation: dict[str, int]
    errors: int
    discordant: int
    max_errors: float
    max_discordant: float

    @property
    def error_share(self) -> Estimate:
        return proportion(self.errors, self.sample_size)

    @property
    def discordant_share(self) -> Estimate:
        return proportion(self.discordant, self.sample_size)

    @property
    def decision(self) -> str:
        if self.sample_size and self.errors / self.sample_size > self.max_errors:
            return "suspend"
        if self.sample_size and self.discordant / self.sample_size > self.max_discordant:
            return "changes"
        return "continue"

    def rows(self, lang: str = "en") -> list[tuple[str, int, str, int, str]]:
        """(rating, conclusion count, %, localisation count, %) in the order of the ratings."""
        n = self.sample_size
        return [(label(f"rating_{r}", lang), self.conclusion[r], part(self.conclusion[r], n, lang),
                 self.localisation[r], part(self.localisation[r], n, lang)) for r in RATINGS]

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "sample_size": self.sample_size, "conclusion": self.conclusion,
                "localisation": self.localisation, "errors": self.errors, "discordant": self.discordant,
                "error_share": self.error_share.to_dict(), "discordant_share": self.discordant_share.to_dict(),
                "max_errors": self.max_errors, "max_discordant": self.max_discordant, "decision": self.decision}


def clinical_report(period: str, review: pd.DataFrame, limits: Thresholds) -> ClinicalReport:
    """Summarise one period's clinical form (columns `conclusion` and `localisation`, one row per study)."""
    conclusion = {r: int((review["conclusion"] == r).sum()) for r in RATINGS}
    localisation = {r: int((review["localisation"] == r).sum()) for r in RATINGS}
    errors = int(review["conclusion"].isin(("false_positive", "false_negative")).sum())
    discordant = int(((review["conclusion"] != "full") | (review["localisation"] != "full")).sum())
    return ClinicalReport(period, len(review), conclusion, localisation, errors, discordant,
                          limits.clinical_max_errors, limits.clinical_max_discordant)
