"""Cox proportional hazards regression (Efron ties) with hazard ratios and a proportional-hazards check."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy.stats import chi2, norm, rankdata

from oncobank.stats.concordance import Concordance, harrell_c
from oncobank.stats.data import require_columns
from oncobank.stats.estimate import Estimate, json_number, z_value
from oncobank.stats.labels import Lang, label
from oncobank.stats.plotting import new_axes, save_figure

TRANSFORMS = ("km", "rank", "identity", "log")


@dataclass(frozen=True)
class CoxTerm:
    """One coefficient of a Cox model."""

    name: str
    coef: float
    se: float
    z: float
    p_value: float
    hazard_ratio: Estimate

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "coef": json_number(self.coef),
            "se": json_number(self.se),
            "z": json_number(self.z),
            "p_value": json_number(self.p_value),
            "hazard_ratio": self.hazard_ratio.to_dict(),
        }


@dataclass(frozen=True)
class GlobalTest:
    """A chi-square test of all coefficients (or, in the PH check, of all time trends) at once."""

    chisq: float
    df: int
    p_value: float

    def to_dict(self) -> dict[str, object]:
        return {"chisq": json_number(self.chisq), "df": self.df, "p_value": json_number(self.p_value)}


def _chi2_test(stat: float, df: int) -> GlobalTest:
    return GlobalTest(float(stat), df, float(chi2.sf(stat, df)))


@dataclass(frozen=True)
class PHTestRow:
    name: str
    rho: float
    chisq: float
    p_value: float

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "rho": json_number(self.rho), "chisq": json_number(self.chisq),
                "p_value": json_number(self.p_value)}


@dataclass(frozen=True)
class PHTestResult:
    """Grambsch–Therneau test of proportional hazards (R survival's cox.zph before version 3.0).

    Each covariate's scaled Schoenfeld residuals are correlated with a transform of time; a small
    p-value says the hazard ratio changes over time.
    """

    transform: str
    rows: tuple[PHTestRow, ...]
    global_test: GlobalTest
    event_times: np.ndarray = field(repr=False)
    transformed_times: np.ndarray = field(repr=False)
    scaled_residuals: np.ndarray = field(repr=False)

    def row(self, name: str) -> PHTestRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict[str, object]:
        return {"transform": self.transform, "terms": [r.to_dict() for r in self.rows],
                "global": self.global_test.to_dict()}

    def plot(self, term: str, ax: Axes | None = None, lang: Lang = "en") -> Axes:
        """Scaled Schoenfeld residuals (β + residual) of one term against transformed time."""
        j = [r.name for r in self.rows].index(term)
        ax = new_axes(ax)
        ax.scatter(self.transformed_times, self.scaled_residuals[:, j], s=8, alpha=0.6)
        slope, intercept = np.polyfit(self.transformed_times, self.scaled_residuals[:, j], 1)
        xs = np.linspace(self.transformed_times.min(), self.transformed_times.max(), 50)
        ax.plot(xs, intercept + slope * xs, color="crimson")
        ax.set(xlabel=f"{label('time', lang)} ({self.transform})", ylabel=f"β(t): {term}",
               title=f"{label('ph_test', lang)}: p = {self.row(term).p_value:.3g}")
        return ax


@dataclass(frozen=True)
class CoxResult:
    """Coefficients, hazard ratios with CIs, the three global tests and the PH check."""

    terms: tuple[CoxTerm, ...]
    n: int
    events: int
    n_dropped: int
    loglik: float
    loglik_null: float
    likelihood_ratio: GlobalTest
    wald: GlobalTest
    score: GlobalTest
    ph_test: PHTestResult | None
    covariance: np.ndarray = field(repr=False)
    level: float = 0.95
    ties: str = "efron"
    concordance: Concordance | None = None

    def term(self, name: str) -> CoxTerm:
        for t in self.terms:
            if t.name == name:
                return t
        raise KeyError(f"no term {name!r}; terms are {[t.name for t in self.terms]}")

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "events": self.events,
            "n_dropped": self.n_dropped,
            "ties": self.ties,
            "level": self.level,
            "terms": [t.to_dict() for t in self.terms],
            "loglik": json_number(self.loglik),
            "loglik_null": json_number(self.loglik_null),
            "likelihood_ratio": self.likelihood_ratio.to_dict(),
            "wald": self.wald.to_dict(),
            "score": self.score.to_dict(),
            "concordance": None if self.concordance is None else self.concordance.to_dict(),
            "ph_test": None if self.ph_test is None else self.ph_test.to_dict(),
        }

    def plot(self, ax: Axes | None = None, lang: Lang = "en") -> Axes:
        """Forest plot of hazard ratios with their CIs on a log scale."""
        ax = new_axes(ax, figsize=(6.4, max(3.0, 1.2 + 0.45 * len(self.terms))))
        ys = np.arange(len(self.terms))[::-1]
        for y, t in zip(ys, self.terms, strict=True):
            hr = t.hazard_ratio
            ax.plot([hr.ci_low, hr.ci_high], [y, y], color="black", lw=1.5)
            ax.plot(hr.estimate, y, "s", color="navy")
        ax.axvline(1.0, ls="--", color="grey", lw=1)
        ax.set_xscale("log")
        ax.set_yticks(ys, [t.name for t in self.terms])
        ax.set_xlabel(f"{label('hazard_ratio', lang)} ({label('ci', lang)})")
        return ax

    def save_plot(self, path: str | Path, lang: Lang = "en") -> Path:
        return save_figure(self.plot(lang=lang).figure, path)


def design_matrix(frame: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric columns as they are, booleans as 0/1, text as dummies against its first level."""
    parts = []
    for name in covariates:
        col = frame[name]
        if col.dtype == bool or pd.api.types.is_numeric_dtype(col):
            parts.append(col.astype(float).rename(name))
        else:
            levels = sorted(col.dropna().unique(), key=str)
            for level in levels[1:]:
                dummy = (col == level).astype(float).where(col.notna())
                parts.append(dummy.rename(f"{name}[{level}]"))
    if not parts:
        raise ValueError("no covariates to fit")
    return pd.concat(parts, axis=1)


class _EfronLikelihood:
    """Cox partial log-likelihood with Efron's ties, its gradient and information, in time order.

    Cases are sorted by time once. Risk-set sums come from reverse cumulative sums; the k-th of d
    deaths tied at one time sees the risk set less k/d of the dying. The second-moment sums over risk
    sets are never formed per time: Σ_t u_t·Σ_{risk set} w·x·xᵀ is one weighted XᵀX, each case
    weighted by the u_t of the event times at or before its own.
    """

    def __init__(self, time: np.ndarray, status: np.ndarray, x: np.ndarray) -> None:
        self.order = order = np.argsort(time, kind="stable")
        t = time[order]
        self.x = x[order] - x.mean(axis=0)  # centred as R's coxph does; the coefficients do not change
        dead = status[order] > 0
        self.events = np.flatnonzero(dead)
        event_times, self.first_event, deaths = np.unique(t[dead], return_index=True, return_counts=True)
        self.group = np.repeat(np.arange(event_times.size), deaths)
        # the k-th (from 0) of d tied deaths: share k/d of the dying is out of its risk set
        self.share = (np.arange(self.events.size) - self.first_event[self.group]) / deaths[self.group]
        self.risk_start = np.searchsorted(t, event_times, side="left")
        self.times_up_to = np.searchsorted(event_times, t, side="right")  # event times at or before each case
        self.x_events = self.x[self.events]
        self.x_event_sum = self.x_events.sum(axis=0)

    def linear_predictor(self, beta: np.ndarray) -> np.ndarray:
        """x·beta of the centred covariates, in the cases' own order (R's linear.predictors)."""
        out = np.empty(self.order.size)
        out[self.order] = self.x @ beta
        return out

    def evaluate(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-likelihood, gradient and information matrix at beta."""
        x, ev, g, a = self.x, self.events, self.group, self.share
        eta = x @ beta
        top = float(eta.max())
        w = np.exp(eta - top)  # the common factor exp(top) cancels in every ratio
        wx = x * w[:, None]
        # sums over each stretch between consecutive event times, then from the latest back
        s0 = np.cumsum(np.add.reduceat(w, self.risk_start)[::-1])[::-1]
        s1 = np.cumsum(np.add.reduceat(wx, self.risk_start, axis=0)[::-1], axis=0)[::-1]
        e0 = np.add.reduceat(w[ev], self.first_event)
        e1 = np.add.reduceat(wx[ev], self.first_event, axis=0)
        phi = s0[g] - a * e0[g]
        inv = 1.0 / phi
        k = s0.size
        u = np.bincount(g, inv, k)
        v = np.bincount(g, a * inv, k)
        inv2 = inv * inv
        q0 = np.bincount(g, inv2, k)
        q1 = np.bincount(g, a * inv2, k)
        q2 = np.bincount(g, a * a * inv2, k)
        loglik = float(eta[ev].sum() - np.log(phi).sum() - ev.size * top)
        gradient = self.x_event_sum - (s1.T @ u - e1.T @ v)
        # Σ_t [u_t·Σ_{risk set} w·x·xᵀ − v_t·Σ_{dying} w·x·xᵀ] as one weighted XᵀX
        case_weight = np.r_[0.0, np.cumsum(u)][self.times_up_to]
        case_weight[ev] -= v[g]
        second_moment = x.T @ (x * (w * case_weight)[:, None])
        cross = (s1.T * q1) @ e1
        mean_square = (s1.T * q0) @ s1 - cross - cross.T + (e1.T * q2) @ e1
        return loglik, gradient, second_moment - mean_square


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray
    loglik: float
    covariance: np.ndarray
    loglik_null: float
    score_null: float
    linear_predictor: np.ndarray


def _solve(information: np.ndarray, vector: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(information, vector)
    except np.linalg.LinAlgError:
        raise ValueError("the information matrix is singular: some covariates are collinear or constant") from None


def _efron_fit(time: np.ndarray, status: np.ndarray, x: np.ndarray, max_iter: int = 30) -> _Fit:
    """Newton–Raphson from zero with step halving when the log-likelihood falls, as R's coxph.

    Stops when the log-likelihood changes by less than 1e-12 of itself or the step is below 1e-10.
    """
    like = _EfronLikelihood(time, status, x)
    beta = np.zeros(x.shape[1])
    loglik, gradient, information = like.evaluate(beta)
    loglik_null = loglik
    score_null = float(gradient @ _solve(information, gradient))
    for _ in range(max_iter):
        step = _solve(information, gradient)
        for _halving in range(30):
            trial = like.evaluate(beta + step)
            if trial[0] >= loglik - 1e-12 * abs(loglik):
                break
            step = step / 2
        beta = beta + step
        change = abs(trial[0] - loglik)
        loglik, gradient, information = trial
        if change <= 1e-12 * abs(loglik) or np.max(np.abs(step)) < 1e-10:
            break
    covariance = np.linalg.inv(information)
    return _Fit(beta, loglik, covariance, loglik_null, score_null, like.linear_predictor(beta))


def _schoenfeld(time: np.ndarray, event: np.ndarray, x: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Schoenfeld residuals at each event, sorted by time, with Efron's averaged risk-set means for ties."""
    order = np.argsort(time, kind="stable")
    time, event, x = time[order], event[order].astype(bool), x[order]
    eta = x @ beta
    w = np.exp(eta - eta.max())
    ut, first = np.unique(time, return_index=True)
    # risk-set sums at each distinct time: everyone whose time is at or after it
    s0 = np.cumsum(w[::-1])[::-1][first]
    s1 = np.cumsum((w[:, None] * x)[::-1], axis=0)[::-1][first]
    group = np.searchsorted(ut, time[event])
    d = np.bincount(group, minlength=ut.size)
    d0 = np.bincount(group, weights=w[event], minlength=ut.size)
    d1 = np.stack([np.bincount(group, weights=w[event] * x[event, j], minlength=ut.size)
                   for j in range(x.shape[1])], axis=1)
    # k-th of the d tied deaths sees the risk set less k/d of the dying (Efron)
    k = np.arange(group.size) - np.r_[0, np.cumsum(d)][group]
    frac = (k / d[group])[:, None]
    means = (s1[group] - frac * d1[group]) / (s0[group] - frac[:, 0] * d0[group])[:, None]
    mean_by_time = np.zeros((ut.size, x.shape[1]))
    np.add.at(mean_by_time, group, means / d[group][:, None])
    return time[event], x[event] - mean_by_time[group]


def _km_left(time: np.ndarray, event: np.ndarray, death_times: np.ndarray) -> np.ndarray:
    """Kaplan–Meier survival just before each given event time (all subjects, no groups)."""
    ut, inverse = np.unique(time, return_inverse=True)
    d = np.bincount(inverse, weights=event, minlength=ut.size)
    n = time.size - np.r_[0, np.cumsum(np.bincount(inverse, minlength=ut.size))[:-1]]
    surv = np.cumprod(1 - d / n)
    before = np.r_[1.0, surv[:-1]]
    return before[np.searchsorted(ut, death_times)]


def proportional_hazards_test(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    beta: np.ndarray,
    covariance: np.ndarray,
    names: Sequence[str],
    transform: str = "km",
) -> PHTestResult:
    """cox.zph of R survival 2.x (Grambsch & Therneau 1994, the one-step approximation)."""
    if transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}, got {transform!r}")
    death_times, resid = _schoenfeld(time, event, x, beta)
    ndead = death_times.size
    if transform == "km":
        g = 1 - _km_left(time, event, death_times)
    elif transform == "rank":
        g = rankdata(death_times)
    elif transform == "log":
        g = np.log(death_times)
    else:
        g = death_times.astype(float)
    xx = g - g.mean()
    scaled = resid @ covariance * ndead
    test = xx @ scaled
    sxx = float(xx @ xx)
    z = test**2 / (np.diag(covariance) * ndead * sxx)
    rows = []
    for j, name in enumerate(names):
        rho = float(np.corrcoef(xx, scaled[:, j])[0, 1]) if sxx > 0 else math.nan
        rows.append(PHTestRow(name, rho, float(z[j]), float(chi2.sf(z[j], 1))))
    u = xx @ resid
    global_stat = float(u @ covariance @ u) * ndead / sxx
    return PHTestResult(transform, tuple(rows), _chi2_test(global_stat, len(names)), death_times, g,
                        scaled + beta)


def cox_ph(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str] | None = None,
    level: float = 0.95,
    ph_transform: str | None = "km",
) -> CoxResult:
    """Fit a Cox model with Efron's method for ties, as R's coxph does by default.

    Rows with a missing value in the used columns are dropped (and counted). Text covariates
    become dummies against their first level. `ph_transform=None` skips the PH check.
    """
    if covariates is None:
        covariates = [c for c in data.columns if c not in (duration, event)]
    require_columns(data, [duration, event, *covariates])
    design = design_matrix(data, covariates)
    frame = pd.concat([pd.to_numeric(data[duration], errors="coerce").rename("__time"),
                       pd.to_numeric(data[event], errors="coerce").rename("__event"), design], axis=1)
    complete = frame.dropna()
    if complete.empty:
        raise ValueError("no complete rows to fit")
    if not complete["__event"].isin([0, 1]).all():
        raise ValueError(f"{event!r} must be 0 (censored) or 1 (event)")
    names = list(design.columns)
    time = complete["__time"].to_numpy(float)
    status = complete["__event"].to_numpy(float)
    x = complete[names].to_numpy(float)
    if status.sum() == 0:
        raise ValueError("no events to fit")
    fit = _efron_fit(time, status, x)
    beta, cov = fit.beta, fit.covariance
    se = np.sqrt(np.diag(cov))
    z = z_value(level)
    terms = tuple(
        CoxTerm(name, float(b), float(s), float(b / s), float(2 * norm.sf(abs(b / s))),
                Estimate(math.exp(b), math.exp(b - z * s), math.exp(b + z * s)))
        for name, b, s in zip(names, beta, se, strict=True)
    )
    loglik, loglik_null = fit.loglik, fit.loglik_null
    concordance = harrell_c(time, status, fit.linear_predictor)
    ph = None
    if ph_transform is not None and status.sum() > 1:
        ph = proportional_hazards_test(time, status, x, beta, cov, names, ph_transform)
    return CoxResult(
        terms=terms,
        n=int(time.size),
        events=int(status.sum()),
        n_dropped=int(len(data) - len(complete)),
        loglik=loglik,
        loglik_null=loglik_null,
        likelihood_ratio=_chi2_test(2 * (loglik - loglik_null), len(names)),
        wald=_chi2_test(float(beta @ np.linalg.solve(cov, beta)), len(names)),
        score=_chi2_test(fit.score_null, len(names)),
        ph_test=ph,
        covariance=cov,
        level=level,
        concordance=concordance,
    )
