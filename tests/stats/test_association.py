"""Contingency-table association against published worked examples."""

from __future__ import annotations

import math

import pytest

from oncobank.stats import chi_square, natural_key, odds_ratio, risk_difference


def test_chi_square_agresti_party_identification_by_gender() -> None:
    # Agresti, An Introduction to Categorical Data Analysis (2nd ed., 2007), Table 2.5 (General Social Survey):
    # rows female, male; columns Democrat, Independent, Republican. Section 2.4: X² = 30.1 on 2 df, and the
    # standardized (adjusted) residuals of Table 2.6: 4.50, 0.70, −5.32 for females (signs flipped for males).
    table = [[762, 327, 468], [484, 239, 477]]
    result = chi_square(table)
    assert result.statistic == pytest.approx(30.1, abs=0.05)
    assert result.dof == 2 and result.p_value < 1e-6
    assert result.residuals[0] == pytest.approx([4.50, 0.70, -5.32], abs=0.005)
    assert result.residuals[1] == pytest.approx([-4.50, -0.70, 5.32], abs=0.005)
    # Cramér's V by hand: sqrt(X² / (n · (min(r, c) − 1))), n = 2,757.
    assert result.cramers_v == pytest.approx(math.sqrt(result.statistic / 2757), rel=1e-12)
    assert result.cramers_v == pytest.approx(0.1045, abs=0.0005)


def test_chi_square_refuses_tables_it_cannot_test() -> None:
    with pytest.raises(ValueError, match="two rows and two columns"):
        chi_square([[1, 2, 3]])
    with pytest.raises(ValueError, match="non-zero total"):
        chi_square([[1, 0], [2, 0]])


def test_odds_ratio_and_risk_difference_by_hand() -> None:
    # [[10, 20], [5, 40]]: OR = 10·40 / (20·5) = 4; Woolf: exp(ln 4 ± 1.959964·sqrt(1/10 + 1/20 + 1/5 + 1/40)).
    est = odds_ratio(10, 20, 5, 40)
    half = 1.959964 * math.sqrt(1 / 10 + 1 / 20 + 1 / 5 + 1 / 40)
    assert (est.estimate, est.ci_low, est.ci_high) == pytest.approx((4.0, 4 * math.exp(-half), 4 * math.exp(half)))
    # Newcombe (1998), Table II example (a): 56/70 − 48/80 = 0.2000, hybrid score interval 0.0524 to 0.3339.
    diff = risk_difference(56, 70, 48, 80)
    assert (diff.estimate, diff.ci_low, diff.ci_high) == pytest.approx((0.2, 0.0524, 0.3339), abs=5e-5)


def test_natural_key_orders_labels_as_people_do() -> None:
    labels = ["CT-10", "CT-2", "CT-0", "3", "10", "2.5", "b", "a"]
    assert sorted(labels, key=natural_key) == ["2.5", "3", "10", "CT-0", "CT-2", "CT-10", "a", "b"]
