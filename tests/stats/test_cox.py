"""Cox regression and its PH check against R's coxph / cox.zph on published examples."""

from __future__ import annotations

import pandas as pd
import pytest

from oncobank.stats.cox import cox_ph

# Fox J, Weisberg S. "Cox Proportional-Hazards Regression for Survival Data in R", appendix to
# An R Companion to Applied Regression: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar +
# paro + prio, data = Rossi). tests/stats/data/rossi.csv codes race = 1 for black and mar = 1 for married, the
# reverse of carData's factors, so those two signs flip.
ROSSI = {  # name: (coef, se(coef), z, p)
    "fin": (-0.37942, 0.19138, -1.983, 0.04742),
    "age": (-0.05744, 0.02200, -2.611, 0.00903),
    "race": (0.31390, 0.30799, 1.019, 0.30812),
    "wexp": (-0.14980, 0.21222, -0.706, 0.48029),
    "mar": (-0.43370, 0.38187, -1.136, 0.25606),
    "paro": (-0.08487, 0.19576, -0.434, 0.66461),
    "prio": (0.09150, 0.02865, 3.194, 0.00140),
}


def test_rossi_coefficients_match_fox_and_weisberg(rossi) -> None:  # type: ignore[no-untyped-def]
    result = cox_ph(rossi, "week", "arrest", list(ROSSI))
    for name, (coef, se, z, p) in ROSSI.items():
        term = result.term(name)
        assert term.coef == pytest.approx(coef, abs=5e-6)
        assert term.se == pytest.approx(se, abs=5e-6)
        assert term.z == pytest.approx(z, abs=5e-4)
        assert term.p_value == pytest.approx(p, abs=5e-6)
    fin = result.term("fin").hazard_ratio
    assert fin.estimate == pytest.approx(0.68426, abs=5e-6)  # exp(coef)
    # "Likelihood ratio test=33.27 on 7 df, p=2.362e-05"; summary(): "Wald test = 32.11",
    # "Score (logrank) test = 33.53"
    assert result.likelihood_ratio.chisq == pytest.approx(33.27, abs=5e-3)
    assert result.likelihood_ratio.p_value == pytest.approx(2.362e-05, abs=5e-9)
    assert result.wald.chisq == pytest.approx(32.11, abs=5e-3)
    assert result.score.chisq == pytest.approx(33.53, abs=5e-3)
    assert (result.n, result.events) == (432, 114)
    # summary() of the same fit in R (survival 3.x): "Concordance= 0.64  (se = 0.027 )" -- R's output as
    # printed in public R tutorials on the Rossi data that show this model; coxph computes it with
    # concordancefit(reverse = TRUE, timefix = FALSE), the SE by the infinitesimal jackknife.
    c = result.concordance
    assert c is not None
    assert c.estimate == pytest.approx(0.64, abs=5e-4)
    assert c.se == pytest.approx(0.027, abs=5e-4)
    assert result.to_dict()["concordance"]["estimate"] == c.estimate  # type: ignore[index]


def test_lung_model_and_cox_zph_match_r(lung) -> None:  # type: ignore[no-untyped-def]
    # R (survival 2.x): summary(coxph(Surv(time, status) ~ age + sex + ph.ecog + ph.karno, data = lung))
    # n = 226, events = 163 (2 observations deleted due to missingness), then cox.zph(fit):
    #             rho  chisq      p
    # age      0.0168 0.0502 0.8227
    # sex      0.0881 1.2539 0.2628
    # ph.ecog  0.0600 0.5122 0.4742
    # ph.karno 0.1843 4.4660 0.0346
    # GLOBAL       NA 8.0414 0.0901
    result = cox_ph(lung, "time", "status", ["age", "sex", "ph.ecog", "ph.karno"])
    assert (result.n, result.events, result.n_dropped) == (226, 163, 2)
    coefs = {"age": (0.012868, 0.009404), "sex": (-0.572802, 0.169222), "ph.ecog": (0.633077, 0.176034),
             "ph.karno": (0.012558, 0.009514)}
    for name, (coef, se) in coefs.items():
        assert result.term(name).coef == pytest.approx(coef, abs=5e-7)
        assert result.term(name).se == pytest.approx(se, abs=5e-7)
    assert result.likelihood_ratio.chisq == pytest.approx(31.27, abs=5e-3)
    zph = result.ph_test
    assert zph is not None
    published = {"age": (0.0168, 0.0502, 0.8227), "sex": (0.0881, 1.2539, 0.2628),
                 "ph.ecog": (0.0600, 0.5122, 0.4742), "ph.karno": (0.1843, 4.4660, 0.0346)}
    for name, (rho, chisq, p) in published.items():
        row = zph.row(name)
        assert row.rho == pytest.approx(rho, abs=5e-5)
        assert row.chisq == pytest.approx(chisq, abs=5e-5)
        assert row.p_value == pytest.approx(p, abs=5e-5)
    assert zph.global_test.chisq == pytest.approx(8.0414, abs=5e-5)
    assert zph.global_test.p_value == pytest.approx(0.0901, abs=5e-5)


def test_second_lung_model_and_cox_zph_match_r(lung) -> None:  # type: ignore[no-untyped-def]
    # R: coxph(Surv(time, status) ~ age + sex + wt.loss, data = lung): coef 0.020088, -0.521032, 0.00076;
    # cox.zph: age -0.0483 0.378 0.538 / sex 0.1265 2.349 0.125 / wt.loss 0.0126 0.024 0.877 /
    # GLOBAL 2.846 0.416 (printed in the STHDA Cox-diagnostics tutorial).
    result = cox_ph(lung, "time", "status", ["age", "sex", "wt.loss"])
    assert result.term("sex").coef == pytest.approx(-0.521032, abs=5e-7)
    assert result.term("wt.loss").coef == pytest.approx(0.00076, abs=5e-6)
    zph = result.ph_test
    assert zph is not None
    for name, (rho, chisq) in {"age": (-0.0483, 0.378), "sex": (0.1265, 2.349), "wt.loss": (0.0126, 0.024)}.items():
        assert zph.row(name).rho == pytest.approx(rho, abs=5e-5)
        assert zph.row(name).chisq == pytest.approx(chisq, abs=5e-4)
    assert zph.global_test.chisq == pytest.approx(2.846, abs=5e-4)


@pytest.mark.parametrize(("events", "chisq"), [([1, 1, 1, 1, 1], 0.00971), ([1, 1, 1, 0, 1], 1.013802)])
def test_cox_zph_km_transform_on_small_r_cases(events: list[int], chisq: float) -> None:
    # R: cox.zph(coxph(Surv(T, E) ~ var1), transform = "km"), quoted in lifelines' test-suite
    # (test_proportional_hazard_test_with_kmf and ..._with_some_censorship).
    frame = pd.DataFrame({
        "var1": [0.209325, 0.693919, 0.443804, 0.065636, 0.386294],
        "T": [5.269797, 6.601666, 7.335846, 11.684092, 12.678458],
        "E": events,
    })
    assert cox_ph(frame, "T", "E").ph_test.row("var1").chisq == pytest.approx(chisq, rel=1e-3)  # type: ignore[union-attr]


def test_text_covariates_become_dummies_and_bad_columns_are_named(rossi) -> None:  # type: ignore[no-untyped-def]
    frame = rossi.assign(fin_text=rossi["fin"].map({0: "no", 1: "yes"}))
    result = cox_ph(frame, "week", "arrest", ["fin_text", "age", "prio"], ph_transform=None)
    numeric = cox_ph(rossi, "week", "arrest", ["fin", "age", "prio"])
    assert result.term("fin_text[yes]").coef == pytest.approx(numeric.term("fin").coef)
    assert result.ph_test is None
    with pytest.raises(KeyError, match="weeks"):
        cox_ph(rossi, "weeks", "arrest", ["fin"])
