"""Benchmark of oncobank.stats: DeLong AUC on a million scores next to scikit-learn, and Cox on 100,000 patients.

Run `python benchmarks/stats.py` (add `--quick` for a smoke run). It prints the machine, the date and
a Markdown table that goes under "## Statistics" in docs/benchmarks.md.

Cox is timed next to statsmodels' PHReg (the engine `cox_ph` used before) on the same data, and next to
lifelines' CoxPHFitter when lifelines is importable. lifelines is not a dependency of the project (it
pins pandas below 3); to include it, run the script from a separate virtual environment that has it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from oncobank.stats import cox_ph, delong_auc, roc_analysis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_section

COVARIATES = ["x1", "x2", "x3", "x4", "x5", "sex", "stage"]


def timed(func: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time over `repeats` runs (after one warm-up) and the last result."""
    result = func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def timed_together(funcs: dict[str, Callable[[], object]], rounds: int) -> tuple[dict[str, float], dict[str, object]]:
    """Median wall time of each function over `rounds` rounds that run every function once, in turn.

    Interleaving keeps a change of load on a shared machine from favouring whichever ran first.
    """
    results = {name: func() for name, func in funcs.items()}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(rounds):
        for name, func in funcs.items():
            start = time.perf_counter()
            results[name] = func()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}, results


def auc_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n)
    # rounded to 3 decimals so that there are ties, as real scores have
    return truth, np.round(rng.normal(size=n) + 0.8 * truth, 3)


def cox_data(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    sex = rng.integers(0, 2, n)
    stage = rng.integers(1, 5, n)
    eta = x @ np.array([0.3, -0.2, 0.1, 0.0, 0.25]) + 0.4 * sex + 0.3 * stage
    event_time = rng.exponential(np.exp(-eta)) * 365
    censor = rng.uniform(0, 3 * 365, n)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(1, 6)])
    frame["sex"], frame["stage"] = sex, stage
    frame["days"] = np.ceil(np.minimum(event_time, censor))  # whole days: many tied times
    frame["died"] = (event_time <= censor).astype(int)
    return frame


def statsmodels_fit(patients: pd.DataFrame) -> np.ndarray:
    """The previous engine: statsmodels PHReg with Efron ties, fit and covariance."""
    from statsmodels.duration.hazard_regression import PHReg

    fit = PHReg(patients["days"].to_numpy(float), patients[COVARIATES].to_numpy(float),
                status=patients["died"].to_numpy(float), ties="efron").fit(disp=False)
    fit.cov_params()
    return np.asarray(fit.params)


def lifelines_fits(patients: pd.DataFrame) -> tuple[Callable[[], np.ndarray], Callable[[], np.ndarray]] | None:
    """lifelines' CoxPHFitter (Efron ties) alone and with its concordance index, if lifelines is installed."""
    try:
        from lifelines import CoxPHFitter
    except ImportError:
        return None
    frame = patients[[*COVARIATES, "days", "died"]]

    def fit() -> np.ndarray:
        model = CoxPHFitter().fit(frame, "days", "died")
        return model.params_[COVARIATES].to_numpy()

    def fit_with_c() -> np.ndarray:
        model = CoxPHFitter().fit(frame, "days", "died")
        _ = model.concordance_index_
        return model.params_[COVARIATES].to_numpy()

    return fit, fit_with_c


def cox_rows(n_patients: int, rounds: int) -> tuple[list[tuple[str, float, str]], str]:
    """Timings of cox_ph and its baselines on the same simulated patients, and a note on agreement."""
    patients = cox_data(n_patients)
    funcs: dict[str, Callable[[], object]] = {
        "cox": lambda: cox_ph(patients, "days", "died", COVARIATES, ph_transform=None),
        "cox_ph": lambda: cox_ph(patients, "days", "died", COVARIATES),
        "statsmodels": lambda: statsmodels_fit(patients),
    }
    lifelines = lifelines_fits(patients)
    if lifelines is not None:
        funcs["lifelines"], funcs["lifelines_c"] = lifelines
    seconds, results = timed_together(funcs, rounds)
    fit = results["cox"]
    ours = np.array([t.coef for t in fit.terms])  # type: ignore[attr-defined]
    c_index = fit.concordance  # type: ignore[attr-defined]
    notes = [f"largest coefficient difference from statsmodels {np.max(np.abs(ours - results['statsmodels'])):.1e}"]  # type: ignore[operator]
    reference = seconds["lifelines" if lifelines is not None else "statsmodels"]
    rows: list[tuple[str, float, str]] = []
    if lifelines is not None:
        rows += [("lifelines `CoxPHFitter.fit` (Efron)", seconds["lifelines"], "1.00×"),
                 ("lifelines `CoxPHFitter.fit` + `concordance_index_`", seconds["lifelines_c"],
                  f"{seconds['lifelines_c'] / reference:.2f}×")]
        notes.append(f"from lifelines {np.max(np.abs(ours - results['lifelines'])):.1e}")  # type: ignore[operator]
    events = fit.events  # type: ignore[attr-defined]
    rows += [
        ("statsmodels `PHReg` fit + covariance (the engine used before)", seconds["statsmodels"],
         f"{seconds['statsmodels'] / reference:.2f}×"),
        (f"`cox_ph` (Efron fit, tests, Harrell's C with SE), {events:,} events", seconds["cox"],
         f"{seconds['cox'] / reference:.2f}×"),
        ("`cox_ph` with the PH check (cox.zph, km)", seconds["cox_ph"], f"{seconds['cox_ph'] / reference:.2f}×"),
    ]
    note = (f"C = {c_index.estimate:.4f} (SE {c_index.se:.4f}); " + ", ".join(notes)
            + (". lifelines was not importable, so the ratios are to statsmodels." if lifelines is None else "."))
    return rows, note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    n_scores = 20_000 if args.quick else 1_000_000
    n_patients = 2_000 if args.quick else 100_000
    repeats = 1 if args.quick else 5

    truth, score = auc_data(n_scores)
    t_sklearn, auc_sk = timed(lambda: roc_auc_score(truth, score), repeats)
    t_delong, est = timed(lambda: delong_auc(truth, score), repeats)
    t_roc, _ = timed(lambda: roc_analysis(truth, score), max(1, repeats // 2))
    assert abs(est.estimate - auc_sk) < 1e-12  # type: ignore[attr-defined]
    auc_rows = [
        (f"scikit-learn `roc_auc_score`, {n_scores:,} scores", t_sklearn, "1.00×"),
        (f"`delong_auc` (AUC + DeLong 95 % CI), {n_scores:,} scores", t_delong, f"{t_delong / t_sklearn:.2f}×"),
        (f"`roc_analysis` (curve, CI, 3 optimal cut-offs), {n_scores:,} scores", t_roc, f"{t_roc / t_sklearn:.2f}×"),
    ]
    cox, cox_note = cox_rows(n_patients, 1 if args.quick else 9)
    baseline = "lifelines" if cox[0][0].startswith("lifelines") else "statsmodels"
    lines = [
        "`python benchmarks/stats.py` (`--quick` gives a smoke run). Scores are "
        f"{n_scores:,} normally distributed values rounded to three decimals (so with ties), half of them "
        f"positive; the Cox data are {n_patients:,} simulated patients with 7 covariates and follow-up in whole "
        "days (many tied event times, so Efron's correction matters). Median of "
        f"{repeats} runs after a warm-up for the AUC rows; for Cox, median of {1 if args.quick else 9} rounds in "
        "which every row runs once in turn, in the same process on the same data.",
        "",
        "| task | time, s | vs scikit-learn |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {seconds:.3f} | {ratio} |" for name, seconds, ratio in auc_rows),
        "",
        f"| Cox, {n_patients:,} patients, 7 covariates | time, s | vs {baseline} |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {seconds:.3f} | {ratio} |" for name, seconds, ratio in cox),
        "",
        cox_note,
        "",
        "The goal for DeLong was AUC with its CI in at most 3× scikit-learn's time for the AUC alone; the fast "
        "algorithm of Sun & Xu (2014) needs a single sort, all three midrank vectors come from one ordering. "
        "The goal for Cox was a fit in at most lifelines' time with the same coefficients: `cox_ph` fits Efron's "
        "likelihood by Newton–Raphson over cumulative sums in time order and counts Harrell's C in O(n log n); "
        "lifelines computes its concordance only on request, so its second row is the like-for-like one. "
        "lifelines pins pandas below 3, so its rows come from a run in a separate virtual environment with "
        "lifelines installed (pandas 2 there). The machine is shared with other jobs, so expect ±30 % between "
        "runs; the interleaved rounds keep the ratios fair.",
    ]
    body = "\n".join(lines)
    print(body)
    if not (args.quick or args.no_write):
        write_section("Statistics", body)


if __name__ == "__main__":
    main()
