"""Harrell's C and its jackknife SE against R's survival test-suite, a hand calculation and all pairs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncobank.stats.concordance import harrell_c


def test_concordance_and_its_standard_error_by_hand() -> None:
    # Four cases (time, event, risk): A (1, dead, 2), B (2, dead, 3), C (2, censored, 1), D (3, censored, 2).
    # Comparable pairs, the earlier event first: A–B discordant (A died first with the lower risk),
    # A–C concordant, A–D tied in risk; B–C concordant (C censored at B's time is still at risk),
    # B–D concordant. C = (3 + 1/2)/5 = 0.7 and Somers' d = (3 − 1)/5 = 0.4.
    # Jackknife: per case (concordant, discordant, tied) pairs it is in: A (1, 1, 1), B (2, 1, 0),
    # C (2, 0, 0), D (1, 0, 1); dfbeta = ((c − d) − 0.4·(c + d + t))/5 = −0.24, −0.04, 0.24, 0.04;
    # var(C) = Σ dfbeta²/4 = 0.1184/4 = 0.0296.
    result = harrell_c([1, 2, 2, 3], [1, 1, 0, 0], [2, 3, 1, 2])
    assert (result.concordant, result.discordant, result.tied_risk) == (3, 1, 1)
    assert result.comparable == 5
    assert result.estimate == pytest.approx(0.7)
    assert result.se == pytest.approx(math.sqrt(0.0296))
    assert result.interval().ci_low == pytest.approx(0.7 - 1.959963984540054 * math.sqrt(0.0296))


# R survival's own tests (tests/concordance.R with its saved output tests/concordance.Rout.save):
# the maintained arm of `aml` (Miller 1997) with x = c(1,6,2,7,3,7,3,8,4,4,5), and `lung` by ph.ecog.
AML_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
AML_STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]
AML_X = [1, 6, 2, 7, 3, 7, 3, 8, 4, 4, 5]


def test_pair_counts_match_r_survival_on_aml() -> None:
    # concordance(Surv(time, status) ~ x, tdata): counts c(24, 14, 2, 0), x read as "longer survival";
    # allpair(x, time, status), x read as risk: c(14, 24, 2, 0).
    as_survival = harrell_c(AML_TIME, AML_STATUS, [-x for x in AML_X])
    assert (as_survival.concordant, as_survival.discordant, as_survival.tied_risk, as_survival.tied_time) == (
        24, 14, 2, 0)
    as_risk = harrell_c(AML_TIME, AML_STATUS, AML_X)
    assert (as_risk.concordant, as_risk.discordant, as_risk.tied_risk) == (14, 24, 2)
    assert as_risk.estimate == pytest.approx((14 + 1) / 40)
    assert as_risk.se == pytest.approx(as_survival.se)


def test_pair_counts_with_many_ties_match_r_survival_on_lung(lung: pd.DataFrame) -> None:
    # concordance(Surv(time, status) ~ ph.ecog, lung, reverse = TRUE): count c(8392, 4258, 7137, 21, 7)
    # (concordant, discordant, tied.x, tied.y, tied.xy); R drops the one missing ph.ecog.
    data = lung.dropna(subset=["ph.ecog"])
    result = harrell_c(data["time"], data["status"], data["ph.ecog"])
    counts = (result.concordant, result.discordant, result.tied_risk, result.tied_time, result.tied_both)
    assert counts == (8392, 4258, 7137, 21, 7)
    assert result.estimate == pytest.approx((8392 + 7137 / 2) / (8392 + 4258 + 7137))


def _all_pairs(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> tuple[float, float, float, float, float]:
    """C, its jackknife SE and the pair counts by comparing every pair (O(n²)), as R's allpair does."""
    later = time[None, :] > time[:, None]
    censored_same_time = (time[None, :] == time[:, None]) & ~event[None, :]
    comparable = event[:, None] & (later | censored_same_time)
    conc = comparable & (risk[:, None] > risk[None, :])
    disc = comparable & (risk[:, None] < risk[None, :])
    tied = comparable & (risk[:, None] == risk[None, :])
    c, d, t = conc.sum(), disc.sum(), tied.sum()
    pairs = c + d + t
    if pairs == 0:
        return math.nan, math.nan, float(c), float(d), float(t)
    somers = (c - d) / pairs
    ci, di, ti = (m.sum(0) + m.sum(1) for m in (conc, disc, tied))
    dfbeta = ((ci - di) - somers * (ci + di + ti)) / pairs
    return (somers + 1) / 2, math.sqrt(dfbeta @ dfbeta / 4), float(c), float(d), float(t)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 400), distinct_times=st.integers(1, 50), distinct_risks=st.integers(1, 30),
       seed=st.integers(0, 2**32 - 1))
def test_counts_and_standard_error_agree_with_all_pairs(n: int, distinct_times: int, distinct_risks: int,
                                                        seed: int) -> None:
    # Sizes cross the 64-case blocks and several levels of the merge; few distinct values give many ties.
    rng = np.random.default_rng(seed)
    time = rng.integers(0, distinct_times, n).astype(float)
    event = rng.random(n) < 0.6
    risk = rng.integers(0, distinct_risks, n).astype(float)
    expected = _all_pairs(time, event, risk)
    result = harrell_c(time, event, risk)
    if math.isnan(expected[0]):
        assert math.isnan(result.estimate)
        return
    got = (result.estimate, result.se, result.concordant, result.discordant, result.tied_risk)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_only_the_order_of_the_risk_matters() -> None:
    rng = np.random.default_rng(3)
    time = rng.exponential(size=500)
    event = rng.random(500) < 0.7
    risk = rng.normal(size=500)
    a, b = harrell_c(time, event, risk), harrell_c(time, event, np.exp(3 * risk))
    assert (a.estimate, a.se) == pytest.approx((b.estimate, b.se))
    flipped = harrell_c(time, event, -risk)
    assert flipped.estimate == pytest.approx(1 - a.estimate)
    assert flipped.se == pytest.approx(a.se)


def test_no_comparable_pair_and_bad_input() -> None:
    assert math.isnan(harrell_c([1, 2], [0, 0], [1, 2]).estimate)
    with pytest.raises(ValueError, match="length"):
        harrell_c([1, 2], [1], [1, 2])
    with pytest.raises(ValueError, match="missing"):
        harrell_c([1, 2], [1, 1], [1, math.nan])
