"""The `oncobank quality` commands: run the checks on the analysis store, report, trend, problem lists, the checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from oncobank.cli.common import JsonOption, LangOption, console, emit_json, err, fail, friendly
from oncobank.engine.errors import EngineError
from oncobank.quality.model import QualityError

app = typer.Typer(help="Data quality of the analysis store: checks generated from the dictionary, scores per "
                       "dimension, problem lists, trends over runs.", no_args_is_help=True)

AnalysisOption = Annotated[str | None, typer.Option(
    "--analysis", "--to", help="Analysis store URL: a .duckdb file, postgresql://…?schema=NAME or spark:PATH "
                               "(default: ONCOBANK_ANALYSIS, else analysis.duckdb in the data home).",
    show_default=False)]
ChecksOption = Annotated[list[Path] | None, typer.Option(
    "--checks", help="A YAML file of your own checks (rules); may be repeated.", show_default=False)]
HistoryOption = Annotated[Path | None, typer.Option(
    "--history", help="Folder of stored runs (default: quality-runs in the data home).", show_default=False)]
ThresholdOption = Annotated[list[str] | None, typer.Option(
    "--threshold", help="Re-score with KEY=PCT or KEY=PCT:ROWS, KEY a check ID, check type or severity "
                        "(e.g. soft_range=5, fatal=0:3); may be repeated.", show_default=False)]
AsOfOption = Annotated[str | None, typer.Option(
    "--as-of", help="The date currency and future dates are judged at, YYYY-MM-DD (default: the last publish).",
    show_default=False)]
MarginOption = Annotated[int, typer.Option(
    "--date-margin", help="Days a publish may have moved a date (its policy's largest shift); date bounds are "
                          "widened by it.")]
ModuleOption = Annotated[list[str] | None, typer.Option(
    "--module", help="Disease module (default: the modules of the store's patients).", show_default=False)]
RunOption = Annotated[str | None, typer.Option("--run", help="ID of a stored run (default: the latest).",
                                               show_default=False)]
ERRORS = (QualityError, EngineError, OSError)


def _words() -> Any:
    from oncobank.quality import wording

    return wording


def thresholds(items: list[str] | None) -> dict[str, Any]:
    """`KEY=PCT[:ROWS]` options as Thresholds by key; a bad one is an error naming it."""
    from oncobank.quality.scoring import Thresholds

    found: dict[str, Thresholds] = {}
    for item in items or []:
        key, _, value = item.partition("=")
        pct, _, rows = value.partition(":")
        try:
            limits = Thresholds(float(pct), int(rows) if rows else None)
        except ValueError:
            raise fail(f"--threshold {item}: expected KEY=PCT or KEY=PCT:ROWS (e.g. soft_range=5)") from None
        if not key or not 0 <= limits.pct <= 100 or (limits.rows is not None and limits.rows < 0):
            raise fail(f"--threshold {item}: the key is empty or the per cent is not within 0..100") from None
        found[key] = limits
    return found


def _as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise fail(f"--as-of {value}: not a date YYYY-MM-DD") from None


def _pick(runs: list[dict[str, Any]], run_id: str | None, lang: str) -> dict[str, Any]:
    if not runs:
        raise fail(_words().word("no_runs", lang))
    if run_id is None:
        return runs[-1]
    for run in runs:
        if run["id"] == run_id:
            return run
    raise fail(f"no stored run {run_id} (runs: {', '.join(r['id'] for r in runs[-5:])})")


@app.command("run")
@friendly(*ERRORS)
def run_command(
    analysis: AnalysisOption = None, checks: ChecksOption = None, module: ModuleOption = None,
    as_of: AsOfOption = None, margin: MarginOption = 365, history: HistoryOption = None,
    threshold: ThresholdOption = None,
    db: Annotated[str | None, typer.Option(
        "--db", help="Clinical store: also count the ingest's open conflicts between sources (data managers).",
        show_default=False)] = None,
    as_json: JsonOption = False, lang: LangOption = "en",
) -> None:
    """Run every check on the analysis store, store the run for trends and print the scores per dimension.

    With --db the checks only the clinical store can answer (sources that disagree) are counted there too."""
    from oncobank.engine import connect
    from oncobank.quality.compile import Context
    from oncobank.quality.history import save_run
    from oncobank.quality.run import default_as_of
    from oncobank.quality.service import assess, checks_for, history_folder, store_modules
    from oncobank.reports.terminal import progress

    overrides = thresholds(threshold)
    day = _as_of(as_of)
    with connect(analysis) as store:
        modules = module or store_modules(store)
        if not modules:
            raise fail("the analysis store names no disease module (no patient table): give --module")
        found = checks_for(modules, checks or [])
        ctx = Context(day or default_as_of(store), margin)
        clinical = None if db is None else _clinical_counts(db, found)
        with progress(err) as bar:
            task = bar.add_task(_words().word("progress", lang), total=None)
            run = assess(store, found, ctx, on_plan=lambda n: bar.update(task, total=n),
                         step=lambda _unit: bar.advance(task), clinical=clinical)
    path = save_run(history_folder(history), run)
    _report(run, overrides, as_json, lang, saved=path)


def _clinical_counts(db: str, found: list[Any]) -> dict[str, Any]:
    from oncobank.cli.common import open_store
    from oncobank.quality.clinical import conflict_results
    from oncobank.store.access import Permission

    store = open_store(db, "thyroid", need=Permission.READ_PATIENTS, what="count the ingest's conflicts")
    try:
        return conflict_results(store, found)
    finally:
        store.engine.dispose()


@app.command("report")
@friendly(*ERRORS)
def report_command(
    run_id: RunOption = None, history: HistoryOption = None, threshold: ThresholdOption = None,
    html: Annotated[Path | None, typer.Option("--html", help="Also write the HTML report to this file.",
                                              show_default=False)] = None,
    as_json: JsonOption = False, lang: LangOption = "en",
) -> None:
    """Scores and failed checks of a stored run, re-scored with --threshold without re-running anything."""
    from oncobank.quality.history import load_runs
    from oncobank.quality.html import write_html
    from oncobank.quality.service import history_folder

    overrides = thresholds(threshold)
    runs = load_runs(history_folder(history))
    run = _pick(runs, run_id, lang)
    if html is not None:
        write_html(html, runs[: runs.index(run) + 1], overrides, lang)
    _report(run, overrides, as_json, lang)


def _report(run: dict[str, Any], overrides: dict[str, Any], as_json: bool, lang: str,
            saved: Path | None = None) -> None:
    from oncobank.quality.scoring import FAILED, count_text, rescore, scores, shown, suggestion_counts

    w = _words()
    scored = rescore(run, overrides)
    summary = scores(scored)
    scored = shown(scored, run)
    failed = [r for r in scored if r["status"] in (FAILED, "error")]
    if as_json:
        emit_json({"run": run["id"], "as_of": run["as_of"], "store": run["store"], "scores": summary,
                   "checks": [{**_public(r), "suggestion": w.suggestion(suggestion_counts(r, lang), lang)}
                              for r in scored]})
        return
    table = Table(title=f"{w.word('title', lang)}: {w.word('run', lang)} {run['id']}")
    for key in ("dimension", "score", "passed", "failed", "not_applicable", "error"):
        table.add_column(w.word(key, lang), justify="left" if key == "dimension" else "right")
    for name, s in [*summary["dimension"].items(), ("overall", summary["overall"])]:
        table.add_row(w.word(name, lang), _score(s["score"], lang),
                      *(str(s[k]) for k in ("passed", "failed", "not_applicable", "error")))
    console.print(table)
    if not failed:
        console.print(w.word("none_failed", lang))
    else:
        checks = Table(title=w.word("failed_checks", lang), show_lines=True)
        for key in ("check", "dimension", "severity", "violated", "denominator", "pct", "suggestion"):
            checks.add_column(w.word(key, lang), overflow="fold")
        for r in failed:
            checks.add_row(Text(r["id"]), w.word(r["dimension"], lang), w.word(r["severity"], lang),
                           count_text(r, "violated", lang), count_text(r, "denominator", lang),
                           _pct(r, lang),
                           Text(r["error"] or w.suggestion(suggestion_counts(r, lang), lang)))
        console.print(checks)
    if saved is not None:
        console.print(f"{w.word('saved', lang)}: {saved}", soft_wrap=True, highlight=False)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "type", "table", "column", "section", "field", "dimension", "kahn", "severity", "threshold_pct",
            "threshold_rows", "violated", "denominator", "pct", "status", "seconds", "query", "reason", "error",
            "by_centre", "centre_status", "suppressed")
    return {k: row.get(k) for k in keys if k != "suppressed" or k in row}


def _pct(row: dict[str, Any], lang: str) -> str:
    from oncobank.quality.scoring import count_text

    return count_text(row, "pct", lang) if "pct" in row.get("suppressed", {}) else _score(row["pct"], lang)


def _score(value: float | None, lang: str) -> str:
    if value is None:
        return _words().word("not_applicable", lang)
    return f"{value:g}".replace(".", ",") if lang == "ru" else f"{value:g}"


@app.command("trend")
@friendly(*ERRORS)
def trend_command(history: HistoryOption = None, threshold: ThresholdOption = None, as_json: JsonOption = False,
                  lang: LangOption = "en") -> None:
    """Scores over the stored runs, and per check what changed since the run before the last (fixed, new, worse)."""
    from oncobank.quality.history import load_runs, trend
    from oncobank.quality.scoring import count_text, shown_changes
    from oncobank.quality.service import history_folder

    overrides = thresholds(threshold)
    runs = load_runs(history_folder(history))
    if not runs:
        raise fail(_words().word("no_runs", lang))
    found = trend(runs, overrides)
    found["changes"] = shown_changes(found["changes"], runs[-1])
    if as_json:
        emit_json(found)
        return
    w = _words()
    table = Table(title=w.word("trend", lang))
    table.add_column(w.word("run", lang))
    for key in ("overall", "completeness", "correctness", "concordance", "plausibility", "currency"):
        table.add_column(w.word(key, lang), justify="right")
    for point in found["runs"]:
        table.add_row(point["run"], *(_score(point[k], lang) for k in
                                      ("overall", "completeness", "correctness", "concordance", "plausibility",
                                       "currency")))
    console.print(table)
    changes = Table(title=w.word("change", lang))
    for key in ("check", "change", "status", "violated"):
        changes.add_column(w.word(key, lang))
    for c in found["changes"]:
        before = count_text(c, "was_violated", lang) or "-"
        changes.add_row(Text(c["id"]), w.word(c["change"], lang), w.word(c["status"], lang),
                        f"{before} → {count_text(c, 'violated', lang)}")
    console.print(changes)


@app.command("issues")
@friendly(*ERRORS)
def issues_command(
    check_id: Annotated[str, typer.Argument(help="ID of the check, e.g. required:thyroid_histology.histology_type.")],
    analysis: AnalysisOption = None, checks: ChecksOption = None, module: ModuleOption = None,
    as_of: AsOfOption = None, margin: MarginOption = 365,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows shown at most.")] = 100,
    db: Annotated[str | None, typer.Option(
        "--db", help="Clinical store: also give each record's registry and entry ID and the command that opens it "
                     "(data managers; patients of your centre only).", show_default=False)] = None,
    as_json: JsonOption = False, lang: LangOption = "en",
) -> None:
    """The problem records of one check on the analysis store: pseudonym, entry key, column and value.

    With --db the records are also identified on the clinical store, for the data manager who corrects them."""
    from oncobank.engine import connect
    from oncobank.quality.compile import Context
    from oncobank.quality.issues import problems
    from oncobank.quality.run import default_as_of
    from oncobank.quality.service import checks_for, store_modules

    with connect(analysis) as store:
        found = {c.id: c for c in checks_for(module or store_modules(store), checks or [])}
        if check_id not in found:
            raise fail(f"no check {check_id}: `oncobank quality checks` lists them")
        rows = problems(store, found[check_id], Context(_as_of(as_of) or default_as_of(store), margin), limit)
    shown = ["pseudonym", "entry_key", "column", "value"]
    if db is not None:
        rows = _identified(db, rows, check_id)
        shown = ["registry_id", "entry_id", "column", "value", "open"]
    if as_json:
        emit_json({"check": check_id, "rows": rows})
        return
    w = _words()
    table = Table(title=f"{w.word('problems', lang)}: {check_id}")
    for key in shown:
        table.add_column(w.word(key, lang))
    for r in rows:
        table.add_row(*(Text("" if r[k] is None else str(r[k])) for k in shown))
    console.print(table)


def _identified(db: str, rows: list[dict[str, Any]], check_id: str) -> list[dict[str, Any]]:
    from oncobank.cli.common import open_store
    from oncobank.quality.clinical import identify
    from oncobank.store.access import Permission
    from oncobank.store.errors import StoreError

    store = open_store(db, "thyroid", need=Permission.READ_PATIENTS, what="identify problem records")
    try:
        return identify(store, rows, check_id)
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        store.engine.dispose()


@app.command("checks")
@friendly(*ERRORS)
def checks_command(
    module: Annotated[list[str] | None, typer.Option("--module", help="Disease module.")] = None,
    checks: ChecksOption = None, as_json: JsonOption = False, lang: LangOption = "en",
) -> None:
    """Every check the dictionary and the rules give: ID, dimension, Kahn category, severity, thresholds."""
    from oncobank.quality.history import check_record
    from oncobank.quality.service import checks_for

    found = [check_record(c) for c in checks_for(module or ["thyroid"], checks or [])]
    if as_json:
        emit_json(found)
        return
    w = _words()
    table = Table(title=f"{w.word('checks', lang)}: {len(found)}")
    for key in ("check", "dimension", "kahn", "severity", "threshold", "label"):
        table.add_column(w.word(key, lang), overflow="fold")
    for c in found:
        limit = f"{c['threshold_pct']:g} %" + ("" if c["threshold_rows"] is None else f" / {c['threshold_rows']}")
        table.add_row(Text(c["id"]), w.word(c["dimension"], lang), w.kahn(c["kahn"], lang), w.word(c["severity"], lang),
                      limit,
                      Text(w.label(c, lang)))
    console.print(table)
