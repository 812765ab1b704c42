"""Technological monitoring per period: defects (a)–(b) on all unique studies, (c)–(e) from the reviewer sample.

Decision rule (`defect_rule`, an OncoBank setting): `combined` — the estimated share of studies with a defect,
((a or b) + passed × share of the sample with any of (c)–(e)) / unique studies, above the task's limit (10 %)
suspends participation; `per_group` — each of (a) (of processed studies), (b) (of unique studies) and
(c)–(e) (of the sample) is held against the limit on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oncobank.aieval.labels import label, number, part
from oncobank.aieval.periods import Period
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

    @property
    def processed(self) -> int:
        """Unique studies with a result: the denominator of defect (a) (a study without one has no time)."""
        return self.unique - self.defect_b


def _first_sendings(results: pd.DataFrame) -> np.ndarray:
    """Each study's first sending in the whole file (a re-send, even in a later period, is not a new study)."""
    # Sort on integer nanoseconds: a tz-aware column turns into slow Timestamp objects otherwise.
    order = np.argsort(results["sent_at"].array.asi8, kind="stable")
    first = np.zeros(len(results), dtype=bool)
    first[order] = ~results["study_uid"].iloc[order].duplicated().to_numpy()
    return first


def auto_defects(results: pd.DataFrame, max_minutes: float, period: Period | None = None) -> list[AutoDefects]:
    """Defects (a) processing time over `max_minutes` and (b) no result, duplicates excluded.

    Per calendar month of sending, or for `period` only. A study sent more than once counts once, by its first
    sending (a re-send is not a second study).
    """
    first = _first_sendings(results)
    sent_at = results["sent_at"]
    if period is None:
        name = periods(sent_at).to_numpy()
        inside = np.ones(len(results), dtype=bool)
    else:
        inside = period.mask(sent_at)
        name = np.full(len(results), period.name, dtype=object)
    missing = results["received_at"].isna().to_numpy()
    minutes = (results["received_at"] - sent_at).dt.total_seconds().to_numpy() / 60.0
    slow = ~missing & (minutes > max_minutes)
    frame = pd.DataFrame({"period": name, "first": first, "a": slow & first, "b": missing & first})[inside]
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
    agree_conclusion: int = 0  # sampled studies whose conclusion the reviewer agrees with
    agree_localisation: int = 0
    rule: str = "combined"

    @property
    def group_rates(self) -> dict[str, float]:
        """(a) of processed studies, (b) of unique studies, (c)–(e) of the sample."""
        def share(count: int, total: int) -> float:
            return count / total if total else 0.0

        return {"a": share(self.auto.defect_a, self.auto.processed), "b": share(self.auto.defect_b, self.auto.unique),
                "ce": share(self.defect_ce, self.sample_size)}

    @property
    def suspended(self) -> bool:
        if self.rule == "per_group":
            return any(rate > self.limit for rate in self.group_rates.values())
        return self.defect_rate > self.limit

    @property
    def decision(self) -> str:
        return "suspend" if self.suspended else "continue"

    @property
    def passed_manual(self) -> int:
        """Sampled studies the reviewer found free of (c)–(e)."""
        return self.sample_size - self.defect_ce

    @property
    def defect_free(self) -> int:
        """Unique studies estimated free of all defects (passed control less the sample's (c)–(e) share)."""
        share = self.defect_ce / self.sample_size if self.sample_size else 0.0
        return round(self.auto.passed_control * (1 - share))

    def rows(self, lang: str = "en") -> list[tuple[str, int | str, str]]:
        """(label, count, percent of its denominator) in report order."""
        u, n, done = self.auto.unique, self.sample_size, self.auto.processed
        return [
            (label("sent", lang), self.auto.sent, ""),
            (label("unique", lang), u, ""),
            (label("passed_control", lang), self.auto.passed_control, part(self.auto.passed_control, u, lang)),
            (label("processed_unique", lang), done, part(done, u, lang)),
            (label("defect_a_of_processed", lang), self.auto.defect_a, part(self.auto.defect_a, done, lang)),
            (label("defect_b_of_unique", lang), self.auto.defect_b, part(self.auto.defect_b, u, lang)),
            (label("sample", lang), n, ""),
            (label("passed_manual", lang), self.passed_manual, part(self.passed_manual, n, lang)),
            (label("defect_c", lang), self.defect_c, part(self.defect_c, n, lang)),
            (label("defect_d", lang), self.defect_d, part(self.defect_d, n, lang)),
            (label("defect_e", lang), self.defect_e, part(self.defect_e, n, lang)),
            (label("defect_ce", lang), self.defect_ce, part(self.defect_ce, n, lang)),
            (label("agree_conclusion_count", lang), self.agree_conclusion, part(self.agree_conclusion, n, lang)),
            (label("agree_localisation_count", lang), self.agree_localisation,
             part(self.agree_localisation, n, lang)),
            (label("defect_free", lang), self.defect_free, part(self.defect_free, u, lang)),
            (label("defect_rate", lang), "", number(100 * self.defect_rate, 1, lang)),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, **self.auto.__dict__, "processed": self.auto.processed,
                "sample_size": self.sample_size, "defect_c": self.defect_c, "defect_d": self.defect_d,
                "defect_e": self.defect_e, "defect_ce": self.defect_ce, "passed_manual": self.passed_manual,
                "agree_conclusion": self.agree_conclusion, "agree_localisation": self.agree_localisation,
                "defect_free": self.defect_free, "defect_rate": self.defect_rate, "group_rates": self.group_rates,
                "limit": self.limit, "rule": self.rule, "decision": self.decision}


def tech_report(auto: AutoDefects, review: pd.DataFrame, limits: Thresholds) -> TechReport:
    """Combine one period's automatic counts with the reviewer's form of its sample (`review_form.read_form`)."""
    n = len(review)
    c, d, e = (int(review[k].sum()) for k in ("defect_c", "defect_d", "defect_e"))
    ce = int((review["defect_c"] | review["defect_d"] | review["defect_e"]).sum()) if n else 0
    share_ce = ce / n if n else 0.0
    rate = ((auto.defect_a + auto.defect_b) + auto.passed_control * share_ce) / auto.unique if auto.unique else 0.0
    return TechReport(auto.period, auto, n, c, d, e, ce, rate, limits.max_defect_rate,
                      int(review["agree_conclusion"].sum()), int(review["agree_localisation"].sum()),
                      limits.defect_rule)


def defect_list(review: pd.DataFrame) -> list[dict[str, Any]]:
    """The sampled studies with a defect of (c)–(e): the report's first appendix."""
    marked = review[review["defect_c"] | review["defect_d"] | review["defect_e"]]
    return [{"study_uid": r.study_uid, "groups": [g for g in ("c", "d", "e") if getattr(r, f"defect_{g}")],
             "comment": r.comment, "screenshot": r.screenshot} for r in marked.itertuples(index=False)]


def sample_frame(results: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Unique processed studies first sent in `period` (what the reviewer sample is drawn from)."""
    first = results[_first_sendings(results) & period.mask(results["sent_at"])]
    return first[first["received_at"].notna()].sort_values("sent_at", kind="stable")


def trend_chart(reports: list[TechReport], path: Path, lang: str = "en") -> Path:
    """Line chart of defect rates (a), (b), (c)–(e) and the estimated total across periods."""
    from matplotlib.ticker import FuncFormatter

    from oncobank.stats.plotting import new_axes, save_figure

    ax = new_axes(None, figsize=(7, 4))
    x = [r.period for r in reports]

    for key, name in (("a", "defect_a_of_processed"), ("b", "defect_b_of_unique"), ("ce", "defect_ce")):
        ax.plot(x, [100 * r.group_rates[key] for r in reports], marker="o", label=label(name, lang))
    ax.plot(x, [100 * r.defect_rate for r in reports], marker="s", lw=2, color="black",
            label=label("defect_rate", lang))
    if reports:
        ax.axhline(100 * reports[0].limit, ls="--", color="crimson", lw=1)
    ax.set(title=label("trend", lang), ylabel="%", xlabel=label("period", lang))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: number(value, None, lang)))
    ax.legend(fontsize="small")
    return save_figure(ax.figure, path)
