"""ROC analysis: AUC against Hanley & McNeil (1982), DeLong variance and test by hand, thresholds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from sklearn.metrics import roc_auc_score

from oncobank.stats.roc import compare_auc, delong_auc, delong_covariance, roc_analysis

# Hanley JA, McNeil BJ. Radiology 1982;143:29-36, Table 1: CT ratings 1 (definitely normal) to
# 5 (definitely abnormal) of 58 normal and 51 abnormal cases; published area 0.893.
NORMAL = [33, 6, 6, 11, 2]
ABNORMAL = [3, 2, 2, 11, 33]


def _hanley_mcneil() -> tuple[np.ndarray, np.ndarray]:
    ratings = np.arange(1, 6)
    truth = np.r_[np.zeros(58, dtype=int), np.ones(51, dtype=int)]
    return truth, np.r_[np.repeat(ratings, NORMAL), np.repeat(ratings, ABNORMAL)]


def test_auc_matches_hanley_mcneil() -> None:
    truth, score = _hanley_mcneil()
    assert roc_analysis(truth, score).auc.estimate == pytest.approx(0.893, abs=5e-4)


def test_delong_variance_by_hand_on_hanley_mcneil() -> None:
    # Placement values by hand. An abnormal case rated r beats the normals rated below r and ties
    # (½) with those rated r: V10 = (#below + ½·#equal)/58. A normal case rated r is beaten by the
    # abnormals rated above r and ties with those rated r: V01 = (#above + ½·#equal)/51.
    v10 = np.repeat(np.array([16.5, 36.0, 42.0, 50.5, 57.0]) / 58, ABNORMAL)
    v01 = np.repeat(np.array([49.5, 47.0, 45.0, 38.5, 16.5]) / 51, NORMAL)
    variance = v10.var(ddof=1) / 51 + v01.var(ddof=1) / 58
    truth, score = _hanley_mcneil()
    aucs, cov = delong_covariance(truth, score)
    assert aucs[0] == pytest.approx(v10.mean())
    assert cov[0, 0] == pytest.approx(variance)
    est = delong_auc(truth, score)
    assert est.ci_low == pytest.approx(v10.mean() - 1.959963984540054 * math.sqrt(variance))


TRUTH = [1, 1, 1, 0, 0, 0]
SCORE_A = [0.9, 0.8, 0.4, 0.5, 0.3, 0.2]
SCORE_B = [0.7, 0.6, 0.5, 0.65, 0.55, 0.1]


def test_delong_test_by_hand() -> None:
    # Both scores rank the positives 1 > 2 > 3 and the negatives 4 > 5 > 6 (see the test below for
    # scores that do not).
    # Placements: a: V10 = (1, 1, 2/3), V01 = (2/3, 1, 1) -> AUC 8/9;
    #             b: V10 = (1, 2/3, 1/3), V01 = (1/3, 2/3, 1) -> AUC 2/3.
    # S10: var a 1/27, var b 1/9, cov 1/18; S01 the same. var(a − b) = 2·(1/27 + 1/9 − 2/18)/3 = 2/81.
    # z = (2/9)/sqrt(2/81) = √2, p = 2·(1 − Φ(√2)) = 0.1573.
    result = compare_auc(TRUTH, SCORE_A, SCORE_B)
    assert result.auc_a == pytest.approx(8 / 9)
    assert result.auc_b == pytest.approx(2 / 3)
    assert result.difference.estimate == pytest.approx(2 / 9)
    assert result.z == pytest.approx(math.sqrt(2))
    assert result.p_value == pytest.approx(2 * norm.sf(math.sqrt(2)))
    assert result.p_value == pytest.approx(0.1573, abs=1e-4)


# Two scores of the same six cases that rank them differently: cases 1-3 positive, 4-6 negative.
# Score a orders the positives 1 > 2 > 3 and the negatives 4 > 5 > 6; score b orders them 2 > 3 > 1 and
# 5 > 6 > 4, so a score's placements, read in its own sorted order, no longer line up case by case.
CROSS_A = [0.9, 0.6, 0.4, 0.5, 0.3, 0.1]
CROSS_B = [0.25, 0.8, 0.7, 0.2, 0.6, 0.3]


def test_delong_test_by_hand_when_the_scores_rank_cases_differently() -> None:
    # Placement values per case (V10: share of negatives below a positive; V01: share of positives above
    # a negative), m = n = 3:
    #   case        1    2    3  |   4    5    6
    #   a: V10/V01  1    1   2/3 |  2/3   1    1     AUC a = 8/9
    #   b: V10/V01 1/3   1    1  |   1   2/3  2/3    AUC b = 7/9
    # S10 over the positives (ddof 1): var a = ((1/9)² + (1/9)² + (2/9)²)/2 = 1/27,
    #   var b = ((4/9)² + (2/9)² + (2/9)²)/2 = 4/27, cov = ((1/9)(−4/9) + (1/9)(2/9) + (−2/9)(2/9))/2 = −1/27.
    # S01 over the negatives: var a = 1/27, var b = 1/27, cov = −1/27.
    # Covariance of the AUCs S10/m + S01/n = [[2/81, −2/81], [−2/81, 5/81]];
    # var(AUC a − AUC b) = (1/27 + 4/27 + 2/27)/3 + (1/27 + 1/27 + 2/27)/3 = 11/81, z = (1/9)/√(11/81) = 1/√11.
    # (Pairing the placements in each score's own sorted order gives cov S10 = +2/27 and var 5/81 instead.)
    aucs, cov = delong_covariance(TRUTH, CROSS_A, CROSS_B)
    np.testing.assert_allclose(aucs, [8 / 9, 7 / 9])
    np.testing.assert_allclose(cov, np.array([[2, -2], [-2, 5]]) / 81, atol=1e-15)
    result = compare_auc(TRUTH, CROSS_A, CROSS_B)
    assert result.difference.estimate == pytest.approx(1 / 9)
    assert result.z == pytest.approx(1 / math.sqrt(11))
    assert result.p_value == pytest.approx(2 * norm.sf(1 / math.sqrt(11)))
    half = 1.959963984540054 * math.sqrt(11) / 9
    assert result.difference.ci_low == pytest.approx(1 / 9 - half)
    assert result.difference.ci_high == pytest.approx(1 / 9 + half)
    swapped = compare_auc(TRUTH, CROSS_B, CROSS_A)
    assert swapped.z == pytest.approx(-result.z)
    assert swapped.p_value == pytest.approx(result.p_value)


# pROC's own test-suite on its aSAH data (Robin et al. 2011; tests/testthat of pROC 1.18): r.x is
# roc(aSAH$outcome, aSAH$x), controls "Good", cases "Poor". test-roc.test.R: roc.test(r.a, r.b) (DeLong,
# paired, two-sided) gives Z, p and the 95 % CI of AUC a − AUC b; test-auc.R gives the AUCs and
# test-var.R the DeLong variances.
ASAH_TESTS = [  # (a, b, Z, p, CI low, CI high)
    ("wfns", "s100b", 2.20898359144091, 0.0271757822291882, 0.0104061769564846, 0.174214419249478),
    ("wfns", "ndka", 2.79777591868904, 0.00514557970691098, 0.0634011709339876, 0.3600405634833566),
    ("ndka", "s100b", -1.39077002573558, 0.164295175223054, -0.2876917446341914, 0.0488706064228094),
]
ASAH_AUC = {"wfns": 0.823678861788618, "s100b": 0.731368563685637, "ndka": 0.611957994579946}
ASAH_VAR = {"wfns": 0.00146991470882363, "s100b": 0.00266868245717244, "ndka": 0.0031908105493913}


@pytest.mark.parametrize(("a", "b", "z", "p", "low", "high"), ASAH_TESTS)
def test_delong_test_matches_proc_on_asah(asah, a, b, z, p, low, high) -> None:  # type: ignore[no-untyped-def]
    result = compare_auc(asah["outcome"], asah[a], asah[b], positive="Poor")
    assert result.auc_a == pytest.approx(ASAH_AUC[a], rel=1e-12)
    assert result.auc_b == pytest.approx(ASAH_AUC[b], rel=1e-12)
    assert result.z == pytest.approx(z, rel=1e-10)
    assert result.p_value == pytest.approx(p, rel=1e-10)
    assert result.difference.ci_low == pytest.approx(low, rel=1e-10)
    assert result.difference.ci_high == pytest.approx(high, rel=1e-10)


def test_delong_variances_match_proc_on_asah(asah) -> None:  # type: ignore[no-untyped-def]
    names = list(ASAH_VAR)
    aucs, cov = delong_covariance(asah["outcome"], *(asah[n] for n in names), positive="Poor")
    np.testing.assert_allclose(aucs, [ASAH_AUC[n] for n in names], rtol=1e-12)
    np.testing.assert_allclose(np.diag(cov), [ASAH_VAR[n] for n in names], rtol=1e-10)
    assert delong_auc(asah["outcome"], asah["ndka"], positive="Poor").estimate == pytest.approx(ASAH_AUC["ndka"])


def test_optimal_thresholds_by_hand() -> None:
    # Cut-offs (score >= t positive) on SCORE_A:
    #   t    TP FP  Se   Sp   J    PPV  NPV
    #  0.9   1  0  1/3   1   1/3   1   3/5
    #  0.8   2  0  2/3   1   2/3   1   3/4
    #  0.5   2  1  2/3  2/3  1/3  2/3  2/3
    #  0.4   3  1   1   2/3  2/3  3/4   1
    #  0.3   3  2   1   1/3  1/3  3/5   1
    #  0.2   3  3   1    0    0   1/2   —
    # J ties at 0.8 and 0.4: the higher cut-off is kept. NPV = 1 at 0.4 and 0.3: the larger J wins.
    r = roc_analysis(TRUTH, SCORE_A)
    assert r.optimal["youden"].threshold == 0.8
    assert r.optimal["youden"].youden == pytest.approx(2 / 3)
    assert r.optimal["max_npv"].threshold == 0.4
    assert r.optimal["max_npv"].ppv == pytest.approx(3 / 4)
    assert r.optimal["max_ppv"].threshold == 0.8
    np.testing.assert_allclose(r.fpr, [0, 0, 0, 1 / 3, 1 / 3, 2 / 3, 1])
    np.testing.assert_allclose(r.tpr, [0, 1 / 3, 2 / 3, 2 / 3, 1, 1, 1])


def test_lower_scores_can_mean_positive() -> None:
    flipped = roc_analysis(TRUTH, [-s for s in SCORE_A], higher_is_positive=False)
    assert flipped.auc.estimate == pytest.approx(8 / 9)
    assert flipped.optimal["youden"].threshold == -0.8
    assert flipped.to_dict()["rule"] == "score <= threshold is positive"


def test_text_labels_need_the_positive_value() -> None:
    labels = ["cancer", "cancer", "cancer", "benign", "benign", "benign"]
    assert roc_analysis(labels, SCORE_A, positive="cancer").auc.estimate == pytest.approx(8 / 9)
    with pytest.raises(ValueError, match="positive"):
        roc_analysis(labels, SCORE_A)
    with pytest.raises(ValueError, match="both positive and negative"):
        roc_analysis([1, 1], [0.2, 0.3])


def test_auc_agrees_with_scikit_learn_on_tied_data() -> None:
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 2, 2000)
    score = np.round(rng.normal(size=2000) + truth, 1)  # many ties
    assert delong_auc(truth, score).estimate == pytest.approx(roc_auc_score(truth, score), abs=1e-12)


TRANSFORMS = [lambda x: x**3 + x, lambda x: np.exp(x / 5.0), lambda x: np.log1p(x) - 7]


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.tuples(st.booleans(), st.integers(0, 40)), min_size=2, max_size=60),
    transform=st.sampled_from(TRANSFORMS),
)
def test_auc_and_ci_are_invariant_under_monotone_transforms(data, transform) -> None:  # type: ignore[no-untyped-def]
    truth = np.array([t for t, _ in data], dtype=int)
    if truth.min() == truth.max():
        return
    score = np.array([s for _, s in data], dtype=float)
    a, b = delong_auc(truth, score), delong_auc(truth, transform(score))
    assert b.estimate == pytest.approx(a.estimate, abs=1e-12)
    assert b.ci_low == pytest.approx(a.ci_low, abs=1e-12)
    assert 0.0 <= a.ci_low <= a.estimate <= a.ci_high <= 1.0
