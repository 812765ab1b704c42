"""Monitoring periods: a calendar month (2026-02), a quarter (2026-Q1) or any date range (2026-02-01..2026-03-15).

The methodology says monitoring is periodic ("e.g. monthly"); which periods a centre reports on is its own
choice, so all three forms are accepted. Times are compared in UTC; a range includes both of its dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    """A monitoring period: its name as given and the days it covers (`start` to `end`, both included)."""

    name: str
    start: date
    end: date

    def mask(self, sent_at: pd.Series) -> np.ndarray:
        """Which sending times fall in the period (timestamps in UTC)."""
        times = sent_at if sent_at.dt.tz is not None else sent_at.dt.tz_localize("UTC")
        low = pd.Timestamp(self.start, tz="UTC")
        high = pd.Timestamp(self.end + timedelta(days=1), tz="UTC")
        return ((times >= low) & (times < high)).to_numpy()


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def parse_period(text: str) -> Period:
    """A period from YYYY-MM, YYYY-Qn or YYYY-MM-DD..YYYY-MM-DD; ValueError naming the forms otherwise."""
    value = text.strip()
    try:
        if m := MONTH.match(value):
            year, month = int(m[1]), int(m[2])
            return Period(value, date(year, month, 1), _month_end(year, month))
        if m := QUARTER.match(value):
            year, first = int(m[1]), 3 * int(m[2]) - 2
            return Period(value.upper(), date(year, first, 1), _month_end(year, first + 2))
        if m := RANGE.match(value):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if end >= start:
                return Period(value, start, end)
    except ValueError:
        pass
    raise ValueError(f"period {text!r}: write a month (2026-02), a quarter (2026-Q1) or a date range "
                     "(2026-02-01..2026-03-15, the end after the start) [rule: periods]")
