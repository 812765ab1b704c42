"""The `oncobank stats` commands: Rich tables for people, `--json` for programs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from oncobank.cli.common import JsonOption, LangOption, emit_json, friendly
from oncobank.numbers import number
from oncobank.stats.labels import Lang, label
from oncobank.stats.methods import CI_METHODS

if TYPE_CHECKING:
    import pandas as pd

    from oncobank.stats.accuracy import AccuracyResult
    from oncobank.stats.estimate import Estimate

# The computations (SciPy, statsmodels, matplotlib) are imported inside each command, so that the rest of
# the `oncobank` command starts quickly.

app = typer.Typer(
    help="Statistics for registry research: Table 1, survival, diagnostic accuracy, ROC, serial scores, "
    "forecasting.",
    no_args_is_help=True,
)

LevelOpt = Annotated[float, typer.Option(help="Confidence level.")]
CurveOpt = Annotated[bool, typer.Option(help="Include the curve points in the JSON.")]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Write the plot to this .png or .svg file.")]
FileArg = Annotated[Path, typer.Argument(help="CSV or Parquet file.")]

def _lang(value: str) -> Lang:
    if value not in ("en", "ru"):
        raise ValueError(f"--lang must be en or ru, got {value!r}")
    return value  # type: ignore[return-value]


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = Table(title=title, show_lines=False)
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def _fmt(e: Estimate, lang: Lang, digits: int = 3) -> tuple[str, str]:
    if not math.isfinite(e.estimate):
        return "—", "—"
    spec = f".{digits}f"
    return number(e.estimate, lang, spec), f"{number(e.ci_low, lang, spec)}–{number(e.ci_high, lang, spec)}"


def _like(value: str | None, column: pd.Series) -> object:
    """A command-line value in the type of the column it refers to (so '1' matches the number 1)."""
    import pandas as pd

    if value is None:
        return None
    if pd.api.types.is_bool_dtype(column):
        return value.lower() in ("1", "true", "yes")
    if pd.api.types.is_numeric_dtype(column):
        number = float(value)
        return int(number) if number.is_integer() and pd.api.types.is_integer_dtype(column) else number
    return value


def _load(file: Path, columns: Sequence[str]) -> pd.DataFrame:
    from oncobank.stats.data import read_table, require_columns

    frame = read_table(file)
    require_columns(frame, columns, str(file))
    return frame


def _print_accuracy(result: AccuracyResult, lang: Lang, title: str) -> None:
    from oncobank.stats.accuracy import METRICS

    rows = [[label(key, lang), *_fmt(result.metric(key), lang, 1 if key.endswith("_percent") else 3)]
            for key in METRICS]
    _table(title, [label("metric", lang), label("estimate", lang), label("ci", lang)], rows)


@app.command()
@friendly(KeyError, FileNotFoundError)
def accuracy(
    tp: Annotated[int, typer.Option("--tp", help="True positives.")],
    fn: Annotated[int, typer.Option("--fn", help="False negatives.")],
    fp: Annotated[int, typer.Option("--fp", help="False positives.")],
    tn: Annotated[int, typer.Option("--tn", help="True negatives.")],
    prevalence: Annotated[float | None, typer.Option(help="Prevalence for PPV and NPV (0–1).")] = None,
    ci: Annotated[str, typer.Option(help=f"CI method: {', '.join(CI_METHODS)}.")] = "wilson",
    level: LevelOpt = 0.95,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Sensitivity, specificity, PPV, NPV, accuracy, Youden's J, LR+ and LR− from a 2×2 table."""
    from oncobank.stats.accuracy import diagnostic_accuracy

    result = diagnostic_accuracy(tp, fn, fp, tn, ci=ci, prevalence=prevalence, level=level)
    if as_json:
        emit_json(result.to_dict())
        return
    counts = zip(("tp", "fn", "fp", "tn"), (tp, fn, fp, tn), strict=True)
    title = " ".join(f"{label(key, _lang(lang))}={n}" for key, n in counts)
    if prevalence is not None:
        title += f", {label('prevalence', _lang(lang)).lower()} {number(prevalence, lang)}"
    _print_accuracy(result, _lang(lang), title)


@app.command()
@friendly(KeyError, FileNotFoundError)
def roc(
    file: FileArg,
    truth: Annotated[str, typer.Option(help="Column with the reference standard.")],
    score: Annotated[str, typer.Option(help="Column with the score.")],
    positive: Annotated[str | None, typer.Option(help="Value of --truth that means positive (default 1/true).")] = None,
    lower_is_positive: Annotated[bool, typer.Option(help="Low scores mean positive.")] = False,
    compare: Annotated[str | None, typer.Option(help="Second score column: DeLong test of the two AUCs.")] = None,
    level: LevelOpt = 0.95,
    curve: CurveOpt = False,
    plot: PlotOpt = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """ROC curve, AUC with DeLong CI and optimal thresholds (Youden, max NPV, max PPV)."""
    from oncobank.stats.roc import compare_auc, roc_analysis

    frame = _load(file, [truth, score, *([compare] if compare else [])])
    pos = _like(positive, frame[truth])
    result = roc_analysis(frame[truth], frame[score], positive=pos, higher_is_positive=not lower_is_positive,
                          level=level)
    comparison = compare_auc(frame[truth], frame[score], frame[compare], positive=pos, level=level) if compare else None
    if plot is not None:
        result.save_plot(plot, lang=_lang(lang))
    if as_json:
        payload = result.to_dict(include_curve=curve)
        if comparison is not None:
            payload["comparison"] = {"score_a": score, "score_b": compare, **comparison.to_dict()}
        emit_json(payload)
        return
    lg = _lang(lang)
    est, ci = _fmt(result.auc, lg)
    typer.echo(f"{label('auc', lg)} = {est} ({label('ci', lg)} {ci}), "
               f"n+ = {result.n_positive}, n− = {result.n_negative}")
    rows = [[label(k, lg), number(t.threshold, lg),
             *(number(x, lg, ".3f") for x in (t.sensitivity, t.specificity, t.ppv, t.npv, t.youden))]
            for k, t in result.optimal.items()]
    short = [label(k, lg) for k in ("se_short", "sp_short", "ppv_short", "npv_short")]
    _table(label("threshold", lg), ["", label("threshold", lg), *short, "J"], rows)
    if comparison is not None:
        typer.echo(f"DeLong: AUC {score} = {number(comparison.auc_a, lg, '.3f')}, "
                   f"{compare} = {number(comparison.auc_b, lg, '.3f')}, "
                   f"z = {number(comparison.z, lg, '.3f')}, p = {number(comparison.p_value, lg, '.4g')}")


@app.command()
@friendly(KeyError, FileNotFoundError)
def survival(
    file: FileArg,
    time: Annotated[str, typer.Option(help="Column with follow-up time.")],
    event: Annotated[str, typer.Option(help="Column with 1 = event, 0 = censored.")],
    group: Annotated[str | None, typer.Option(help="Column with the groups to compare.")] = None,
    covariate: Annotated[list[str] | None, typer.Option(help="Fit a Cox model on this column (repeatable).")] = None,
    level: LevelOpt = 0.95,
    curve: CurveOpt = False,
    plot: PlotOpt = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Kaplan–Meier medians with CIs, log-rank test; optional Cox model with a PH check."""
    from oncobank.stats.cox import cox_ph
    from oncobank.stats.survival import kaplan_meier

    covariates = list(covariate or [])
    frame = _load(file, [time, event, *([group] if group else []), *covariates])
    km = kaplan_meier(frame[time], frame[event], frame[group] if group else None, level=level)
    cox = cox_ph(frame, time, event, covariates, level=level) if covariates else None
    if plot is not None:
        km.save_plot(plot, lang=_lang(lang))
    if as_json:
        emit_json({"kaplan_meier": km.to_dict(include_curve=curve), "cox": None if cox is None else cox.to_dict()})
        return
    lg = _lang(lang)
    rows = []
    for c in km.curves:
        med, ci = _fmt(c.median, lg, 1)
        rows.append([label("all", lg) if c.group == "all" else c.group, str(c.n), str(c.events), med, ci])
    _table(label("survival", lg), [label("group", lg), label("n", lg), label("events", lg), label("median", lg),
                                   label("ci", lg)], rows)
    if km.logrank is not None:
        lr = km.logrank
        typer.echo(f"{label('logrank', lg)}: chi² = {number(lr.chisq, lg, '.3f')}, df = {lr.df}, "
                   f"p = {number(lr.p_value, lg, '.4g')}")
    if cox is not None:
        rows = [[t.name, number(t.coef, lg, ".4f"), number(t.se, lg, ".4f"), *_fmt(t.hazard_ratio, lg),
                 number(t.p_value, lg, ".4g")] for t in cox.terms]
        _table(f"Cox (Efron), n = {cox.n}, {label('events', lg).lower()} = {cox.events}",
               [label("covariate", lg), label("coef", lg), label("se", lg), label("hazard_ratio", lg), label("ci", lg),
                "p"], rows)
        if cox.concordance is not None:
            typer.echo(f"{label('concordance', lg)} = {number(cox.concordance.estimate, lg, '.3f')} "
                       f"({label('se', lg)} {number(cox.concordance.se, lg, '.3f')})")
        if cox.ph_test is not None:
            ph_rows = [[r.name, number(r.rho, lg, ".4f"), number(r.chisq, lg, ".4f"), number(r.p_value, lg, ".4g")]
                       for r in cox.ph_test.rows]
            g = cox.ph_test.global_test
            ph_rows.append([label("global", lg), "", number(g.chisq, lg, ".4f"), number(g.p_value, lg, ".4g")])
            _table(label("ph_test", lg), [label("covariate", lg), "rho", "chi²", "p"], ph_rows)


@app.command()
@friendly(KeyError, FileNotFoundError)
def table1(
    file: FileArg,
    by: Annotated[str, typer.Option(help="Column that defines the groups.")],
    variable: Annotated[list[str] | None, typer.Option(help="Variable to describe (repeatable; default all).")] = None,
    categorical: Annotated[list[str] | None, typer.Option(help="Treat this numeric column as categorical.")] = None,
    nonnormal: Annotated[list[str] | None, typer.Option(help="Treat this column as not normal.")] = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Descriptive table by group with the appropriate test per variable."""
    from oncobank.stats.data import read_table
    from oncobank.stats.table1 import table_one

    frame = read_table(file)
    result = table_one(frame, by, variable or None, categorical=categorical or (), nonnormal=nonnormal or ())
    if as_json:
        emit_json(result.to_dict())
        return
    lg = _lang(lang)
    _table(f"{label('group', lg)}: {by}", result.header(lg), result.rows(lg))


@app.command()
@friendly(KeyError, FileNotFoundError)
def transitions(
    file: FileArg,
    patient: Annotated[str, typer.Option(help="Column with the patient identifier.")],
    order: Annotated[str, typer.Option(help="Column that orders a patient's exams (number or date).")],
    score: Annotated[str, typer.Option(help="Column with the ordinal score.")],
    categories: Annotated[str | None, typer.Option(help="Score categories in order, comma-separated.")] = None,
    positive_from: Annotated[str | None, typer.Option(help="Lowest category counted as positive.")] = None,
    prevalence: Annotated[float | None, typer.Option(help="Prevalence for PPV and NPV (0–1).")] = None,
    ci: Annotated[str, typer.Option(help=f"CI method: {', '.join(CI_METHODS)}.")] = "wilson",
    plot: PlotOpt = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Transition matrices between consecutive exams, stage-wise 2×2 tables and accuracy."""
    from oncobank.stats.serial import serial_analysis

    frame = _load(file, [patient, order, score])
    cats = None if categories is None else [_like(c.strip(), frame[score]) for c in categories.split(",")]
    result = serial_analysis(frame, patient, order, score, categories=cats,
                             positive_from=_like(positive_from, frame[score]), ci=ci, prevalence=prevalence)
    if plot is not None:
        result.save_plot(plot, lang=_lang(lang))
    if as_json:
        emit_json(result.to_dict())
        return
    lg = _lang(lang)
    for m, acc in zip(result.matrices, result.stages, strict=True):
        names = [str(c) for c in m.categories]
        rows = [[names[i], *(str(v) for v in m.counts[i]), str(m.row_totals[i])] for i in range(len(names))]
        _table(f"{label('stage', lg)} {m.stage}", [f"{label('from', lg)} \\ {label('to', lg)}", *names, "n"], rows)
        _print_accuracy(acc, lg, f"{label('stage', lg)} {m.stage}: {acc.table}")
    rows = [[label(k, lg), *_fmt(v, lg)] for k, v in result.pooled.items()]
    _table(label("stage_mean", lg), [label("metric", lg), label("estimate", lg), label("ci", lg)], rows)


@app.command()
@friendly(KeyError, FileNotFoundError)
def forecast(
    file: FileArg,
    date: Annotated[str, typer.Option(help="Column with the date.")],
    count: Annotated[str, typer.Option(help="Column with the number of new cases that day.")],
    population: Annotated[int, typer.Option(help="Population size for the point prevalence.")],
    horizon: Annotated[int, typer.Option(help="Days to forecast.")],
    holdout: Annotated[int, typer.Option(help="Days at the end held out to choose the model.")] = 14,
    model: Annotated[list[str] | None, typer.Option(help="Candidate, e.g. 'ARIMA(0,2,1)' or 'ETS(A,Ad,N)'.")] = None,
    fit_on: Annotated[str, typer.Option(help="Model the 'daily' counts or the 'cumulative' total.")] = "daily",
    plot: PlotOpt = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Fit ARIMA and ETS candidates, choose by MASE/MAPE on a hold-out, forecast, and give the prevalence."""
    from oncobank.stats.forecast import DEFAULT_CANDIDATES, forecast_incidence

    frame = _load(file, [date, count])
    result = forecast_incidence(frame[date], frame[count], horizon=horizon, population=population, holdout=holdout,
                                candidates=model or DEFAULT_CANDIDATES, fit_on=fit_on)
    if plot is not None:
        result.save_plot(plot, lang=_lang(lang))
    if as_json:
        emit_json(result.to_dict())
        return
    lg = _lang(lang)
    rows = [[c.model, number(c.mape, lg, ".3f") if c.ok else "—", number(c.mase, lg, ".3f") if c.ok else "—",
             ("✓ " if c.model == result.chosen else "")
             + (label("fitted", lg) if c.ok else (c.error or label("not_fitted", lg)))]
            for c in result.candidates]
    _table(f"{label('model', lg)} ({result.holdout} {label('days_short', lg)})",
           [label(k, lg) for k in ("model", "mape", "mase", "status")], rows)
    est, ci = _fmt(result.cumulative.scaled(100 / population), lg, 2)
    total, total_ci = _fmt(result.cumulative, lg, 0)
    typer.echo(f"{result.fitted_model}: {label('cumulative', lg)} = {total} ({total_ci}); "
               f"{label('prevalence', lg)} = {est}% ({ci}%)")
