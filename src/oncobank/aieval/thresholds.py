"""Pass thresholds of a clinical task (AUC, time, processed share, defects, feedback), with the published defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from oncobank.aieval.labels import label, number

SHARES = ("min_processed", "max_defect_rate", "min_feedback", "clinical_max_errors", "clinical_max_discordant",
          "max_deviation")


class Thresholds(BaseModel):
    """What a service version must reach; the defaults are the methodology's published values.

    `min_auc` is 0.81 or 0.91 depending on the clinical task; `time_statistic` says which summary of the
    per-study processing time is held against `max_minutes` (the methodology gives the limit, not the
    summary; the mean is the platform's default). `max_deviation` is how far (relative) an actual metric
    may fall below the declared one before it counts as a large, critical deviation. `clinical_max_errors`
    (false positive or negative conclusions) and `clinical_max_discordant` (any rating short of full
    compliance) are the platform's limits for the clinical-monitoring decision (the methodology gives none).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_auc: float = Field(0.81, ge=0.5, le=1)
    max_minutes: float = Field(6.5, gt=0)
    time_statistic: Literal["mean", "median", "max"] = "mean"
    min_processed: float = Field(0.90, ge=0, le=1)
    max_defect_rate: float = Field(0.10, ge=0, le=1)
    min_feedback: float = Field(0.05, ge=0, le=1)
    clinical_max_errors: float = Field(0.25, ge=0, le=1)
    clinical_max_discordant: float = Field(0.35, ge=0, le=1)
    max_deviation: float = Field(0.10, ge=0)
    sample_size: int = Field(80, ge=1)
    functional_studies: int = Field(5, ge=4)
    calibration_studies: int = Field(100, ge=10)

    def rows(self, lang: str = "en") -> list[tuple[str, str]]:
        """(label, value) of every threshold, shares as percentages, in the language `lang`."""
        out = []
        for name, value in self.model_dump().items():
            if name == "time_statistic":
                text = label(f"statistic_{value}", lang)
            elif name in SHARES:
                text = f"{number(100 * value, None, lang)} %"
            else:
                text = number(value, None, lang)
            out.append((label(f"threshold_{name}", lang), text))
        return out
