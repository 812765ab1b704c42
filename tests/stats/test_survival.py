"""Kaplan–Meier and log-rank against R's survival package on its `lung` data and small published cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from oncobank.stats.survival import kaplan_meier, logrank_test

# R: print(survfit(Surv(time, status) ~ 1, data = lung)) and ~ sex (survival package), as printed in
# the survival tutorials: n, events, median, 0.95LCL, 0.95UCL.
R_LUNG_MEDIANS = {
    None: [("all", 228, 165, 310, 285, 363)],
    "sex": [("1", 138, 112, 270, 212, 310), ("2", 90, 53, 426, 348, 550)],
}


@pytest.mark.parametrize("group", [None, "sex"])
def test_lung_medians_and_confidence_limits_match_r(lung, group) -> None:  # type: ignore[no-untyped-def]
    result = kaplan_meier(lung["time"], lung["status"], lung[group] if group else None)
    for name, n, events, median, lcl, ucl in R_LUNG_MEDIANS[group]:
        c = result.curve(name)
        assert (c.n, c.events) == (n, events)
        assert (c.median.estimate, c.median.ci_low, c.median.ci_high) == (median, lcl, ucl)


def test_lung_one_year_survival_matches_r_summary(lung) -> None:  # type: ignore[no-untyped-def]
    # R: summary(survfit(Surv(time, status) ~ 1, data = lung), times = 365.25)
    #   time n.risk n.event survival std.err lower 95% CI upper 95% CI
    #    365     65     121    0.409  0.0358        0.345        0.486
    c = kaplan_meier(lung["time"], lung["status"]).curves[0]
    i = np.searchsorted(c.time, 365.25, side="right") - 1
    assert c.survival[i] == pytest.approx(0.409, abs=5e-4)
    assert c.lower[i] == pytest.approx(0.345, abs=5e-4)
    assert c.upper[i] == pytest.approx(0.486, abs=5e-4)
    assert c.survival[i] * c.std_err[i] == pytest.approx(0.0358, abs=5e-5)  # R prints the SE of S
    assert c.at_risk([365.25])[0] == 65
    assert int(c.n_event[: i + 1].sum()) == 121


def test_lung_logrank_by_sex_matches_r(lung) -> None:  # type: ignore[no-untyped-def]
    # R: survdiff(Surv(time, status) ~ sex, data = lung)
    #         N Observed Expected (O-E)^2/E (O-E)^2/V
    # sex=1 138      112     91.6      4.55      10.3
    # sex=2  90       53     73.4      5.68      10.3
    #  Chisq= 10.3  on 1 degrees of freedom, p= 0.00131
    lr = kaplan_meier(lung["time"], lung["status"], lung["sex"]).logrank
    assert lr is not None
    np.testing.assert_array_equal(lr.observed, [112, 53])
    np.testing.assert_allclose(lr.expected, [91.6, 73.4], atol=0.05)
    assert lr.chisq == pytest.approx(10.3, abs=0.05)
    assert lr.df == 1
    assert lr.p_value == pytest.approx(0.00131, abs=5e-6)


def test_logrank_matches_r_on_small_published_cases() -> None:
    # R outputs quoted in lifelines' test-suite (test_statistics.py):
    # survdiff(Surv(time, status) ~ treatment) with time = c(10,20,30,10,20,50), treatment = c(1,1,1,0,0,0)
    time = [10, 20, 30, 10, 20, 50]
    group = [1, 1, 1, 0, 0, 0]
    uncensored = logrank_test(time, [1] * 6, group)
    assert uncensored.chisq == pytest.approx(0.254237, abs=1e-6)
    assert uncensored.p_value == pytest.approx(0.614107, abs=1e-6)
    censored = logrank_test(time, [1, 0, 1, 1, 0, 1], group)
    assert censored.chisq == pytest.approx(0.384615, abs=1e-6)
    assert censored.p_value == pytest.approx(0.535143, abs=1e-6)


def test_logrank_with_many_groups_matches_r(dd: pd.DataFrame) -> None:
    # R: survdiff(Surv(duration, observed) ~ regime, data = dd, rho = 0) -> chisq 322.5991
    # (quoted in lifelines' test-suite, test_multivariate_logrank_on_dd_dataset)
    result = logrank_test(dd["duration"], dd["observed"], dd["regime"])
    assert result.chisq == pytest.approx(322.5991, abs=1e-4)
    assert result.df == len(result.groups) - 1 == 5


def test_median_on_a_flat_stretch_is_its_midpoint() -> None:
    # R's quantile.survfit: "it is possible for the curve to have a horizontal segment at exactly
    # 1-k, in which case the midpoint of the horizontal segment is returned". Times 1..10, no
    # censoring: S = 0.5 on [5, 6), so the median is 5.5, as the ordinary sample median.
    c = kaplan_meier(np.arange(1, 11), np.ones(10)).curves[0]
    assert c.median.estimate == 5.5
    # Two of four die at 2 and the rest are censored at 7: the curve sits at 0.5 from 2 to the end
    # of follow-up, so the median runs to the last time, (2 + 7)/2 = 4.5.
    tail = kaplan_meier([2, 2, 7, 7], [1, 1, 0, 0]).curves[0]
    assert tail.median.estimate == 4.5
    # A curve that never reaches one half has no median.
    assert math.isnan(kaplan_meier([1, 2, 3], [1, 0, 0]).curves[0].median.estimate)


def test_step_function_and_numbers_at_risk_by_hand() -> None:
    # times 1, 2+, 3, 3, 4+: S(1) = 4/5, S(3) = 4/5 · (1 − 2/3) = 4/15.
    c = kaplan_meier([1, 2, 3, 3, 4], [1, 0, 1, 1, 0]).curves[0]
    np.testing.assert_allclose(c.at([0, 1, 2.5, 3, 10]), [1, 0.8, 0.8, 4 / 15, 4 / 15])
    np.testing.assert_array_equal(c.at_risk([0, 1, 2, 3, 4, 5]), [5, 5, 4, 3, 1, 0])


def test_bad_survival_input_is_named() -> None:
    with pytest.raises(ValueError, match="event must be 0"):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        kaplan_meier([-1, 2], [1, 0])
    with pytest.raises(ValueError, match="two groups"):
        logrank_test([1, 2], [1, 0], ["a", "a"])
