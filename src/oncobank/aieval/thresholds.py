"""Pass thresholds and settings of a clinical task: the methodology's values and the settings OncoBank adds.

Which value comes from the methodology and which is OncoBank's own is listed in `rules.RULES` (and the
table of docs/ai-evaluation.md); the field comments below say the same.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oncobank.aieval.labels import label, number

SHARES = ("min_processed", "max_defect_rate", "min_feedback", "clinical_max_errors", "clinical_max_discordant",
          "max_deviation", "max_time_share", "pretest_probability")
CHOICES = {"time_statistic": "statistic", "defect_rule": "defect_rule"}


class Thresholds(BaseModel):
    """What a service version must reach, per clinical task.

    Methodology values: `min_auc` (0.81 or 0.91 depending on the task), `max_minutes` (6.5 min per study),
    `min_processed` (90 %), `max_defect_rate` (more than 10 % suspends), `min_feedback` (5 %), `sample_size`
    (80), `functional_studies` (5), `calibration_studies` (100, half with the target).

    OncoBank settings, where the methodology leaves a gap: `time_statistic` (how the per-study limit is held:
    the share of studies over it, the maximum or the median) with `max_time_share`; `max_deviation` (how far
    an actual metric may fall below the declared one); `defect_rule` (one combined rate for (a)–(e), or each
    group against the limit); `clinical_max_errors` and `clinical_max_discordant` (the clinical-monitoring
    limits; the methodology names the outcomes only); `pretest_probability` (the prevalence NPV and PPV of
    the operating points are shown at).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_auc: float = Field(0.81, ge=0.5, le=1)
    max_minutes: float = Field(6.5, gt=0)
    time_statistic: Literal["share_over", "max", "median"] = "share_over"
    max_time_share: float = Field(0.0, ge=0, le=1)
    min_processed: float = Field(0.90, ge=0, le=1)
    max_defect_rate: float = Field(0.10, ge=0, le=1)
    defect_rule: Literal["combined", "per_group"] = "combined"
    min_feedback: float = Field(0.05, ge=0, le=1)
    clinical_max_errors: float = Field(0.25, ge=0, le=1)
    clinical_max_discordant: float = Field(0.35, ge=0, le=1)
    max_deviation: float = Field(0.10, ge=0)
    pretest_probability: float = Field(0.05, gt=0, lt=1)
    sample_size: int = Field(80, ge=1)
    functional_studies: int = Field(5, ge=4)
    calibration_studies: int = Field(100, ge=10)

    @field_validator("time_statistic", mode="before")
    @classmethod
    def _per_study(cls, value: Any) -> Any:
        # Tasks stored before issue 17 may say "mean"; the limit is per study, so the mean is no longer offered
        # (a mean of 4.46 min passed 30 studies of 100 at 10 min). Such a task is read with the per-study rule.
        return "share_over" if value == "mean" else value

    def rows(self, lang: str = "en") -> list[tuple[str, str]]:
        """(label, value) of every threshold, shares as percentages, in the language `lang`."""
        out = []
        for name, value in self.model_dump().items():
            if name in CHOICES:
                text = label(f"{CHOICES[name]}_{value}", lang)
            elif name in SHARES:
                text = f"{number(100 * value, None, lang)} %"
            else:
                text = number(value, None, lang)
            out.append((label(f"threshold_{name}", lang), text))
        return out
