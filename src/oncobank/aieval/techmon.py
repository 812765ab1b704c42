"""Technological monitoring per period: defects (a)–(b) on all unique studies, (c)–(e) from the reviewer sample.

Decision rule: the estimated share of studies with a defect is ((a or b) + passed × share of the sample with
any of (c)–(e)) / unique studies; above the task's limit (10 %) participation is suspended.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncobank.aieval.labels import label, number, part
from oncobank.aieval.thresholds import Thresholds


def periods(sent_at: pd.Series) -> pd.Series:
    """Calendar month of each sending time as 'YYYY-MM' (the monitoring period)."""
    # Formatting a million timestamps is slow; format each distinct month once.
    month = (sent_at.dt.year * 100 + sent_at.dt.month).astype("int64")
    names = {m: f"{m // 100:04d}-{m % 100:02d}" for m in month.unique()}
    return month.map(names)


@dataclass(frozen=True)
class AutoDefects:
    """What is checked automatically in one period: totals and defects (a) and (b) of unique studies."""

    period: str
    sent: int
    unique: int
    defect_a: int
    defect_b: int
    passed_control: int


def auto_defects(results: pd.DataFrame, max_minutes: float) -> list[AutoDefects]:
    """Defects (a) processing time over `max_minutes` and (b) no result, per month, duplicates excluded.

    A study sent more than once counts once, by its first sending (a re-send is not a second study).
    """
    sent_at = results["sent_at"]
    period = periods(sent_at)
    # Sort on integer nanoseconds: a tz-aware column turns into slow Timestamp objects otherwise.
    order = np.argsort(sent_at.array.asi8, kind="stable")
    first = np.zeros(len(results), dtype=bool)
    first[order] = ~results["study_uid"].iloc[order].duplicated().to_numpy()
    missing = results["received_at"].isna().to_numpy()
    minutes = (results["received_at"] - sent_at).dt.total_seconds().to_numpy() / 60.0
    slow = ~missing & (minutes > max_minutes)
    frame = pd.DataFrame({"period": period.to_numpy(), "first": first, "a": slow & first, "b": missing & first})
    grouped = frame.groupby("period", sort=True).agg(sent=("first", "size"), unique=("first", "sum"),
                                                     a=("a", "sum"), b=("b", "sum"))
    return [AutoDefects(str(p), int(r["sent"]), int(r["unique"]), int(r["a"]), int(r["b"]),
                        int(r["unique"] - r["a"] - r["b"])) for p, r in grouped.iterrows()]


@dataclass(frozen=True)
class TechReport:
    """The technological monitoring report of one period, in the published layout."""

    period: str
    auto: AutoDefects
    sample_size: int
    defect_c: int
    defect_d: int
    defect_e: int
    defect_ce: int  # sampled studies with at least one of (c)–(e)
    defect_rate: float
    limit: float

    @property
    def suspended(self) -> bool:
        return self.defect_rate > self.limit

    @property
    def decision(self) -> str:
        return "suspend" if self.suspended else "continue"

    @property
    def defect_free(self) -> int:
        """Unique studies estimated free of all defects (passed control less the sample's (c)–(e) share)."""
        share = self.defect_ce / self.sample_size if self.sample_size else 0.0
        return round(self.auto.passed_control * (1 - share))

    def rows(self, lang: str = "en") -> list[tuple[str, int | str, str]]:
        """(label, count, percent of unique studies or of the sample) in report order."""
        u, n = self.auto.unique, self.sample_size
        return [
            (label("sent", lang), self.auto.sent, ""),
            (label("unique", lang), u, ""),
            (label("passed_control", lang), self.auto.passed_control, part(self.auto.passed_control, u, lang)),
            (label("defect_a", lang), self.auto.defect_a, part(self.auto.defect_a, u, lang)),
            (label("defect_b", lang), self.auto.defect_b, part(self.auto.defect_b, u, lang)),
            (label("sample", lang), n, ""),
            (label("defect_c", lang), self.defect_c, part(self.defect_c, n, lang)),
            (label("defect_d", lang), self.defect_d, part(self.defect_d, n, lang)),
            (label("defect_e", lang), self.defect_e, part(self.defect_e, n, lang)),
            (label("defect_ce", lang), self.defect_ce, part(self.defect_ce, n, lang)),
            (label("defect_free", lang), self.defect_free, part(self.defect_free, u, lang)),
            (label("defect_rate", lang), "", number(100 * self.defect_rate, 1, lang)),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, **self.auto.__dict__, "sample_size": self.sample_size,
                "defect_c": self.defect_c, "defect_d": self.defect_d, "defect_e": self.defect_e,
                "defect_ce": self.defect_ce, "defect_free": self.defect_free, "defect_rate": self.defect_rate,
                "limit": self.limit, "decision": self.decision}


def tech_report(auto: AutoDefects, review: pd.DataFrame, limits: Thresholds) -> TechReport:
    """Combine one period's automatic counts with the reviewer's form of its sample."""
    n = len(review)
    c, d, e = (int(review[k].sum()) for k in ("defect_c", "defect_d", "defect_e"))
    ce = int((review["defect_c"] | review["defect_d"] | review["defect_e"]).sum()) if n else 0
    share_ce = ce / n if n else 0.0
    rate = ((auto.defect_a + auto.defect_b) + auto.passed_control * share_ce) / auto.unique if auto.unique else 0.0
    return TechReport(auto.period, auto, n, c, d, e, ce, rate, limits.max_defect_rate)


def sample_frame(results: pd.DataFrame, period: str) -> pd.DataFrame:
    """Unique processed studies of one period (what the reviewer sample is drawn from)."""
    in_period = results[periods(results["sent_at"]) == period]
    first = in_period.sort_values("sent_at", kind="stable").drop_duplicates("study_uid")
    return first[first["received_at"].notna()]


def trend_chart(reports: list[TechReport], path: Path, lang: str = "en") -> Path:
    """Line chart of defect rates (a), (b), (c)–(e) and the estimated total across periods."""
    from matplotlib.ticker import FuncFormatter

    from oncobank.stats.plotting import new_axes, save_figure

    ax = new_axes(None, figsize=(7, 4))
    x = [r.period for r in reports]

    def share(num: list[int], den: list[int]) -> list[float]:
        return [100 * a / b if b else 0.0 for a, b in zip(num, den, strict=True)]

    unique = [r.auto.unique for r in reports]
    ax.plot(x, share([r.auto.defect_a for r in reports], unique), marker="o", label=label("defect_a", lang))
    ax.plot(x, share([r.auto.defect_b for r in reports], unique), marker="o", label=label("defect_b", lang))
    ax.plot(x, share([r.defect_ce for r in reports], [r.sample_size for r in reports]), marker="o",
            label=label("defect_ce", lang))
    ax.plot(x, [100 * r.defect_rate for r in reports], marker="s", lw=2, color="black",
            label=label("defect_rate", lang))
    if reports:
        ax.axhline(100 * reports[0].limit, ls="--", color="crimson", lw=1)
    ax.set(title=label("trend", lang), ylabel="%", xlabel=label("period", lang))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: number(value, None, lang)))
    ax.legend(fontsize="small")
    return save_figure(ax.figure, path)
