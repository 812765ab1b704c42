"""The `oncobank ai` commands: register, lifecycle steps, simulation, and the testing and monitoring stages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from oncobank.aieval.labels import codes, label, number
from oncobank.aieval.lifecycle import ACTIONS, STAGES
from oncobank.aieval.reasons import step_reason
from oncobank.cli.common import (
    DbOption,
    JsonOption,
    LangOption,
    UserOption,
    console,
    current_user,
    emit_json,
    friendly,
    open_store,
)

app = typer.Typer(help="Testing and monitoring of diagnostic AI services (seven stages).", no_args_is_help=True)
task_app = typer.Typer(help="Clinical tasks and their pass thresholds.", no_args_is_help=True)
service_app = typer.Typer(help="AI services and their versions.", no_args_is_help=True)
tech_app = typer.Typer(help="Technological monitoring: reviewer sample and period report.", no_args_is_help=True)
clinical_app = typer.Typer(help="Clinical monitoring: expert sample and period report.", no_args_is_help=True)
functional_app = typer.Typer(help="Functional testing: the 5-study checklist and its protocol.", no_args_is_help=True)
feedback_app = typer.Typer(help="Radiologists' feedback: agreement, reasons, coverage.", no_args_is_help=True)
sr_app = typer.Typer(help="DICOM Structured Reports of AI results.", no_args_is_help=True)
app.add_typer(task_app, name="task")
app.add_typer(service_app, name="service")
app.add_typer(functional_app, name="functional")
app.add_typer(tech_app, name="tech")
app.add_typer(clinical_app, name="clinical")
app.add_typer(feedback_app, name="feedback")
app.add_typer(sr_app, name="sr")

ServiceArg = Annotated[str, typer.Argument(help="Code of the AI service, e.g. sim-drifting.")]
VersionArg = Annotated[str, typer.Argument(help="Version of the service, e.g. 1.0.")]
OnOpt = Annotated[str | None, typer.Option("--on", help="Date of the step, YYYY-MM-DD (default: today).")]
ResultsOpt = Annotated[Path, typer.Option(
    "--results", help="Per-study results: CSV, XLSX, JSON or Parquet, or result SRs (a .dcm file or a folder).")]
PeriodOpt = Annotated[str, typer.Option(
    "--period", help="The monitoring period: a month YYYY-MM, a quarter YYYY-Qn or a range YYYY-MM-DD..YYYY-MM-DD.")]
ProtocolOut = Annotated[Path, typer.Option(
    "--out", help="Where to write the protocol: .html, or .pdf (printed with Chromium).")]
FormOut = Annotated[Path, typer.Option("--out", help="Where to write the form (.xlsx).")]
ReviewOpt = Annotated[Path, typer.Option("--review", help="The filled form of the period's sample (.xlsx).")]
SizeOpt = Annotated[int, typer.Option("--size", help="Studies in the sample.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the pseudo-random draw (same seed, same result).")]
SHARE = "(a share, 0–1)"
TechnicalOpt = Annotated[list[str] | None, typer.Option(
    "--technical-specialist", help="Name of a technical specialist who took part (repeat).")]


def _register(db: str | None, user: str | None = None) -> Any:
    """The AI register in the store at `db`, for a user allowed to evaluate AI services (`user`: --user)."""
    from oncobank.aieval.register import Register
    from oncobank.store.access import Permission

    return Register(open_store(db, "thyroid", need=Permission.EVALUATE_AI, what="evaluate AI services",
                               user=user).engine)


def _day(value: str | None) -> date:
    return date.fromisoformat(value) if value else date.today()


def _publish(reg: Any, info: Any, kind: str, decision: str, payload: dict[str, Any], template: str,
             context: dict[str, Any], out: Path, lang: str, on: date, *, event: Any = None, user: str | None = None,
             period: str | None = None) -> tuple[str, Any]:
    """Number and store the protocol with its lifecycle step and write it (.html/.pdf) — all of it or none.

    The file is written under a temporary name inside the store's transaction and takes its name once the
    transaction commits, so a failure (a broken rule, no Chromium for the PDF) spends no protocol number.
    """
    from oncobank.aieval.render import render_html, staged, write_outputs

    with staged(out) as (target,), reg.issuing(info.id, kind, on, decision, payload, period=period, event=event,
                                               user=current_user(user)) as issued:
        html = render_html(template, {"number": issued.number, "issued_on": on.isoformat(), "info": info,
                                      "period": period, **context}, lang)
        write_outputs(html, target)
    return issued.number, issued.state


def _step(stage: str, status: str, lang: str) -> str:
    return f"{label('stage_' + stage, lang)}, {label('status_' + status, lang)}"


def _reason(step: dict[str, Any], protocols: dict[str, dict[str, Any]], lang: str) -> str:
    """The step's reason; one a command wrote from its protocol is written again in `lang` from that protocol."""
    protocol = protocols.get(step["protocol"] or "")
    if protocol is None or protocol["kind"] == "impact":
        return str(step["reason"])
    english = step_reason(protocol["kind"], protocol["payload"])
    return step_reason(protocol["kind"], protocol["payload"], lang) if step["reason"] == english else step["reason"]


def _opt(name: str, text: str) -> Any:
    return typer.Option(name, help=text)


@task_app.command("set")
@friendly(FileNotFoundError)
def task_set(code: Annotated[str, typer.Argument(help="Code of the clinical task, e.g. nodules.")],
             name_en: Annotated[str | None, _opt("--name-en", "Name of the task in English (a new task).")] = None,
             name_ru: Annotated[str | None, _opt("--name-ru", "Name of the task in Russian (a new task).")] = None,
             min_auc: Annotated[float | None, _opt(
                 "--min-auc", "Calibration: minimum AUC, 0.81 (0.91 for tasks that demand it).")] = None,
             max_minutes: Annotated[float | None, _opt(
                 "--max-minutes", "Maximum time to accept, process and return one study, minutes (6.5).")] = None,
             time_statistic: Annotated[str | None, _opt(
                 "--time-statistic", "How calibration holds the per-study limit: share_over (the share of studies "
                 "over it, at most --max-time-share), max or median.")] = None,
             max_time_share: Annotated[float | None, _opt(
                 "--max-time-share", f"Calibration: largest share of studies over the time limit {SHARE} (0).")
             ] = None,
             min_processed: Annotated[float | None, _opt(
                 "--min-processed", f"Calibration: minimum share of studies processed {SHARE} (0.90).")] = None,
             max_deviation: Annotated[float | None, _opt(
                 "--max-deviation", "Calibration: largest relative shortfall of a declared metric (0.10).")] = None,
             pretest_probability: Annotated[float | None, _opt(
                 "--pretest-probability", "Calibration: prevalence for NPV and PPV of the max-NPV and max-PPV "
                 "points (0.05).")] = None,
             max_defect_rate: Annotated[float | None, _opt(
                 "--max-defect-rate", f"Technological monitoring: a larger share with defects suspends {SHARE} "
                 "(0.10).")] = None,
             defect_rule: Annotated[str | None, _opt(
                 "--defect-rule", "Technological monitoring: combined (one estimated rate of (a)–(e)) or "
                 "per_group ((a), (b), (c)–(e) each against the limit).")] = None,
             min_feedback: Annotated[float | None, _opt(
                 "--min-feedback", f"Feedback must cover at least this share of processed studies {SHARE} (0.05).")
             ] = None,
             clinical_max_errors: Annotated[float | None, _opt(
                 "--clinical-max-errors", f"Clinical monitoring: a larger share of false conclusions suspends {SHARE} "
                 "(0.25).")] = None,
             clinical_max_discordant: Annotated[float | None, _opt(
                 "--clinical-max-discordant", "Clinical monitoring: a larger share not in full compliance asks for "
                 f"changes {SHARE} (0.35).")] = None,
             lang: LangOption = "en", db: DbOption = None) -> None:
    """Create a clinical task or change the thresholds given; the others keep their values (a new task: defaults)."""
    given = {"min_auc": min_auc, "max_minutes": max_minutes, "time_statistic": time_statistic,
             "max_time_share": max_time_share, "min_processed": min_processed, "max_deviation": max_deviation,
             "pretest_probability": pretest_probability, "max_defect_rate": max_defect_rate,
             "defect_rule": defect_rule, "min_feedback": min_feedback, "clinical_max_errors": clinical_max_errors,
             "clinical_max_discordant": clinical_max_discordant}
    limits = _register(db).set_task(code, name_en, name_ru, changes={k: v for k, v in given.items() if v is not None})
    title = (name_ru if lang == "ru" else name_en) or code
    table = Table(title=f"{label('task_thresholds', lang)}: {title}")
    table.add_column(label("threshold", lang))
    table.add_column(label("value", lang), justify="right", no_wrap=True)
    table.add_column(label("source", lang))
    for (name, text), key in zip(limits.rows(lang), limits.model_dump(), strict=True):
        table.add_row(name, text, _threshold_source(key, lang))
    console.print(table)


def _threshold_source(key: str, lang: str) -> str:
    from oncobank.aieval.rules import BY_ID, source_label

    rule = {"sample_size": "tech_sample", "functional_studies": "functional_studies",
            "calibration_studies": "calibration_set", "min_feedback": "min_feedback",
            "max_defect_rate": "defect_rate", "clinical_max_errors": "clinical_limits",
            "clinical_max_discordant": "clinical_limits", "max_time_share": "time_statistic"}.get(key, key)
    return source_label(rule, lang) if rule in BY_ID else ""


@service_app.command("add")
@friendly(FileNotFoundError)
def service_add(code: Annotated[str, typer.Argument(help="Code of the new service, e.g. sim-drifting.")],
                name: Annotated[str, typer.Option("--name", help="Name of the service as its supplier calls it.")],
                supplier: Annotated[str, typer.Option("--supplier", help="Who supplies the service.")],
                developer: Annotated[str, typer.Option("--developer", help="Who developed it.")],
                modality: Annotated[str, typer.Option(
                    "--modality", help=f"DICOM modality code: {', '.join(codes('modality'))}.")],
                region: Annotated[str, typer.Option(
                    "--region", help=f"Anatomical region: {', '.join(codes('region'))}.")],
                patient_group: Annotated[str, typer.Option(
                    "--patient-group", help=f"Patient group: {', '.join(codes('group'))}.")],
                task: Annotated[str, typer.Option("--task", help="Code of its clinical task (see 'ai task set').")],
                db: DbOption = None) -> None:
    """Register an AI service."""
    _register(db).add_service(code, name, supplier=supplier, developer=developer, modality=modality, region=region,
                              patient_group=patient_group, task=task)
    console.print(f"Service {code} registered.", highlight=False)


@service_app.command("version")
@friendly(FileNotFoundError)
def service_version(service: ServiceArg, version: Annotated[str, typer.Argument(help="The new version, e.g. 1.0.")],
                    declared: Annotated[list[str] | None, typer.Option(
                        "--declared", help="Declared metric, e.g. auc=0.92 (repeat).")] = None,
                    on: OnOpt = None, db: DbOption = None) -> None:
    """Register a version of a service with its declared metrics; it starts at self-testing."""
    values: dict[str, float] = {}
    for item in declared or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--declared {item!r}: write NAME=VALUE, e.g. auc=0.92")
        values[key.strip()] = float(value)
    vid = _register(db).add_version(service, version, values, _day(on))
    console.print(f"Version {version} of {service} registered (id {vid}), stage self_testing.", highlight=False)


@app.command("list")
@friendly(FileNotFoundError)
def list_versions(db: DbOption = None, as_json: JsonOption = False, lang: LangOption = "en") -> None:
    """Every service version with its stage and status."""
    rows = _register(db).versions()
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console.print(label("no_services", lang), highlight=False, markup=False, soft_wrap=True)
        return
    table = Table(title=label("services", lang))
    for key in ("code", "name", "version", "stage", "status"):
        table.add_column(label(key, lang))
    for r in rows:
        table.add_row(r["code"], r["name"], r["version"], label(f"stage_{r['stage']}", lang),
                      label(f"status_{r['status']}", lang))
    console.print(table)


@app.command("record")
@friendly(FileNotFoundError)
def record(service: ServiceArg, version: VersionArg,
           action: Annotated[str, typer.Option("--action", help=f"What happened: {', '.join(ACTIONS)}.")],
           stage: Annotated[str, typer.Option("--stage", help=f"Stage of the step: {', '.join(STAGES)}.")],
           reason: Annotated[str, typer.Option("--reason", help="Why: the outcome, the remark or what changed.")],
           critical: Annotated[bool, typer.Option(
               "--critical", help="The failure is a critical nonconformity (it suspends the version).")] = False,
           touches_core: Annotated[bool, typer.Option(
               "--touches-core", help="The change touches declared functions, architecture or accuracy.")] = False,
           protocol: Annotated[str | None, typer.Option(
               "--protocol", help="Number of the protocol the step rests on, e.g. FT-2026-0001.")] = None,
           on: OnOpt = None, user: UserOption = None, db: DbOption = None) -> None:
    """Record a step (a result, a remark or a software change); the lifecycle rules are enforced."""
    from oncobank.aieval.lifecycle import Event

    reg = _register(db, user)
    vid = reg.version_id(service, version)
    event = Event(_day(on), action, stage, reason, critical, touches_core)
    state = reg.record(vid, event, current_user(user), protocol)
    console.print(f"{service} {version}: stage {state.stage}, status {state.status}", highlight=False)


@app.command("selftest")
@friendly(FileNotFoundError)
def selftest(service: ServiceArg, version: VersionArg,
             modality: Annotated[str, typer.Option(
                 "--modality", help=f"Modality of the open data set: {', '.join(codes('modality'))}.")],
             procedure: Annotated[str, typer.Option("--procedure", help="Procedure type of the data set's studies.")],
             manufacturer: Annotated[str, typer.Option("--manufacturer", help="Manufacturer of the device.")],
             model: Annotated[str, typer.Option("--model", help="Model of the device.")],
             compatible: Annotated[bool, typer.Option(
                 "--compatible/--not-compatible", help="The outcome of the supplier's compatibility check.")],
             out: ProtocolOut,
             notes: Annotated[str, typer.Option("--notes", help="Notes of the self-test.")] = "",
             on: OnOpt = None, lang: LangOption = "en", user: UserOption = None, db: DbOption = None) -> None:
    """Stage 1: record the open data set's parameters and the compatibility outcome (protocol ST-…)."""
    from oncobank.aieval.lifecycle import Event
    from oncobank.aieval.selftest import SelfTest

    result = SelfTest(modality.strip().upper(), procedure, manufacturer, model, compatible, notes)
    reg = _register(db, user)
    info = reg.info(reg.version_id(service, version))
    payload = result.to_dict()
    event = Event(_day(on), "pass" if compatible else "fail", "self_testing", step_reason("self_testing", payload))
    protocol, state = _publish(reg, info, "self_testing", result.decision, payload, "selftest.html.j2",
                               {"st": result}, out, lang, event.on, event=event, user=user)
    console.print(f"Protocol {protocol}: {result.decision.replace('_', ' ')} → {out}; stage {state.stage}, status "
                  f"{state.status}", highlight=False)


@app.command("reinstate")
@friendly(FileNotFoundError)
def reinstate(service: ServiceArg, version: VersionArg,
              reason: Annotated[str, typer.Option(
                  "--reason", help="Why the exclusion is lifted (kept in the history).")],
              on: OnOpt = None, user: UserOption = None, db: DbOption = None) -> None:
    """Administrator's override: lift the exclusion after two failed retests; functional testing starts again."""
    from oncobank.aieval.lifecycle import Event

    reg = _register(db, user)
    state = reg.record(reg.version_id(service, version), Event(_day(on), "reinstate", "functional", reason),
                       current_user(user))
    console.print(f"{service} {version}: reinstated; stage {state.stage}, status {state.status}", highlight=False)


@app.command("history")
@friendly(FileNotFoundError)
def history(service: ServiceArg, version: VersionArg, db: DbOption = None, as_json: JsonOption = False,
            lang: LangOption = "en") -> None:
    """The full stage history of a version, with dates, reasons and protocols."""
    reg = _register(db)
    vid = reg.version_id(service, version)
    rows = reg.history(vid)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console.print(label("no_history", lang), highlight=False, markup=False, soft_wrap=True)
        return
    protocols = {p["number"]: p for p in reg.protocols(vid)}
    table = Table(title=f"{label('history', lang)}: {service} {version}", show_lines=True)
    for key in ("number", "date_by", "step_reason", "protocol", "after"):
        table.add_column(label(key, lang), no_wrap=key in ("number", "protocol"))
    for r in rows:
        step = f"{label('action_' + r['action'], lang)}: {label('stage_' + r['stage'], lang)}"
        if r["critical"]:
            step += f" ({label('is_critical', lang).lower()})"
        table.add_row(str(r["seq"]), f"{r['on']}\n{r['recorded_by']}", f"{step}\n{_reason(r, protocols, lang)}",
                      r["protocol"] or "",
                      _step(r["stage_after"], r["status_after"], lang))
    console.print(table)


@app.command("simulate")
@friendly(FileNotFoundError)
def simulate(out: Annotated[Path, typer.Option("--out", help="Folder to write the simulation into.")],
             months: Annotated[int, typer.Option("--months", help="Months of monitoring results per service.")] = 6,
             per_month: Annotated[int, typer.Option("--per-month", help="Studies sent per service and month.")
                                  ] = 2000,
             seed: Annotated[int, typer.Option("--seed", help="Seed of the simulation (same seed, same files).")] = 1,
             sr: Annotated[int, typer.Option("--sr", help="Also write this many result SRs per service.")] = 0
             ) -> None:
    """Simulated services (good, drifting, slow, failing): calibration sets, months of results, feedback."""
    from oncobank.aieval.simulate import simulate as run

    manifest = run(out, months=months, per_month=per_month, seed=seed, sr=sr)
    console.print(f"{len(manifest['services'])} services, {months} months × {per_month} studies → {out}",  # type: ignore[arg-type]
                  highlight=False)


@app.command("calibrate")
@friendly(FileNotFoundError)
def calibrate(service: ServiceArg, version: VersionArg,
              results: Annotated[Path, typer.Option(
                  "--results", help="Results on the calibration set: per-study rows or result SRs.")],
              truth: Annotated[Path, typer.Option(
                  "--truth", help="Expert truth of the calibration set: study_uid and truth (1/0).")],
              out: ProtocolOut, technical: TechnicalOpt = None,
              medical_expert: Annotated[str, typer.Option("--medical-expert", help="Name of the medical expert.")
                                        ] = "",
              on: OnOpt = None, lang: LangOption = "en", user: UserOption = None, db: DbOption = None) -> None:
    """Calibration test on 100 studies (half with the target): compute, store a numbered protocol, record the step."""
    from oncobank.aieval.calibration import calibrate as compute
    from oncobank.aieval.calibration import check_calibration_set
    from oncobank.aieval.lifecycle import Event
    from oncobank.aieval.results import read_results, read_truth
    from oncobank.aieval.staff import check_staff

    staff = check_staff("calibration", {"technical": technical or [], "medical": [medical_expert]})
    reg = _register(db, user)
    vid = reg.version_id(service, version)
    info = reg.info(vid)
    truth_set = read_truth(truth)
    check_calibration_set(truth_set, info.thresholds, truth.name)
    result = compute(read_results(results), truth_set, info.declared, info.thresholds)
    payload = {**result.to_dict(), "staff": staff}
    event = Event(_day(on), "pass" if result.passed else "fail", "calibration", step_reason("calibration", payload),
                  critical=not result.passed)
    protocol, state = _publish(reg, info, "calibration", payload["decision"], payload, "calibration.html.j2",
                               {"r": {**payload, "checks": result.checks}, "staff": staff}, out, lang, event.on,
                               event=event, user=user)
    console.print(f"Protocol {protocol}: {payload['decision']} (AUC {result.auc['estimate']:.3f}) → {out}; "
                  f"stage {state.stage}, status {state.status}", highlight=False)


@tech_app.command("sample")
@friendly(FileNotFoundError)
def tech_sample(results: ResultsOpt, period: PeriodOpt, out: FormOut, size: SizeOpt = 80, seed: SeedOpt = 1,
                lang: LangOption = "en") -> None:
    """Draw the reproducible stratified sample of a period and write the reviewer's XLSX form."""
    _draw_sample(results, period, out, size, seed, "technological", lang)


def _drawn(results: Any, period: Any, size: int, seed: int) -> Any:
    """The reproducible sample of `period`'s unique processed studies; an error when the period has none."""
    from oncobank.aieval.sample import stratified_sample
    from oncobank.aieval.techmon import sample_frame

    frame = sample_frame(results, period)
    if frame.empty:
        raise ValueError(f"no processed studies sent in period {period.name} [rule: periods]")
    return stratified_sample(frame, size, seed)


def _draw_sample(results: Path, period: str, out: Path, size: int, seed: int, kind: str, lang: str) -> None:
    from oncobank.aieval.periods import parse_period
    from oncobank.aieval.results import read_results
    from oncobank.aieval.review_form import write_form

    sample = _drawn(read_results(results), parse_period(period), size, seed)
    write_form(sample, out, kind, lang)
    console.print(f"{len(sample)} studies of {period} → {out}", highlight=False)


def _reviewed(results: Any, period: Any, review: Path, kind: str, size: int, seed: int) -> Any:
    """The filled form of `kind`, checked to hold exactly the sample drawn for `period` (size and seed)."""
    from oncobank.aieval.review_form import read_form
    from oncobank.aieval.sample import check_sample

    drawn = _drawn(results, period, size, seed)
    form = read_form(review, kind)
    sub = "tech" if kind == "technological" else "clinical"
    check_sample(form, drawn, review.name, f"oncobank ai {sub} sample --period {period.name} --size {size} --seed "
                 f"{seed}", "tech_sample" if kind == "technological" else "clinical_sample")
    return form


def _screenshots(form: Any, folder: Path | None, review: Path) -> list[tuple[str, str]]:
    """The screenshots the form names, embedded from `folder` (each must be there); none without a folder."""
    import base64
    import mimetypes

    from oncobank.aieval.errors import InputFileError, Issue

    if folder is None:
        return []
    shots, issues = [], []
    for name, row in zip(form["screenshot"], form["sheet_row"], strict=True):
        if not name:
            continue
        path = folder / str(name)
        mime = mimetypes.guess_type(path.name)[0] or ""
        if not path.is_file() or not mime.startswith("image/"):
            issues.append(Issue(review.name, f"cell H{row}", "screenshot", name, "screenshot",
                                f"no image of that name in {folder.name}"))
            continue
        shots.append((str(name), f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()))
    if issues:
        raise InputFileError(issues)
    return shots


@tech_app.command("report")
@friendly(FileNotFoundError)
def tech_report(service: ServiceArg, version: VersionArg, results: ResultsOpt, period: PeriodOpt,
                review: ReviewOpt, out: ProtocolOut, technical: TechnicalOpt = None,
                responsible: Annotated[str | None, typer.Option(
                    "--responsible", help="Who is responsible for the report (default: the first specialist).")
                                       ] = None,
                notes: Annotated[str, typer.Option("--notes", help="Notes of the report.")] = "",
                screenshots: Annotated[Path | None, typer.Option(
                    "--screenshots", help="Folder of the screenshots the form names (embedded as an appendix).")
                                       ] = None,
                seed: SeedOpt = 1,
                chart: Annotated[Path | None, typer.Option("--chart", help="Trend chart (.png/.svg) of past reports.")
                                 ] = None,
                on: OnOpt = None, lang: LangOption = "en", user: UserOption = None, db: DbOption = None) -> None:
    """The period's technological monitoring report; more than 10 % defects suspends the version."""
    from oncobank.aieval.lifecycle import Event
    from oncobank.aieval.periods import parse_period
    from oncobank.aieval.render import staged
    from oncobank.aieval.results import read_results
    from oncobank.aieval.staff import check_staff
    from oncobank.aieval.techmon import auto_defects, defect_list
    from oncobank.aieval.techmon import tech_report as build

    names = technical or []
    staff = check_staff("technological_monitoring", {"technical": names, "responsible": [responsible or
                                                                                         (names or [""])[0]]})
    span = parse_period(period)
    reg = _register(db, user)
    vid = reg.version_id(service, version)
    info = reg.info(vid)
    frame = read_results(results)
    found = auto_defects(frame, info.thresholds.max_minutes, span)
    if not found:
        raise ValueError(f"no studies sent in period {span.name} [rule: periods]")
    form = _reviewed(frame, span, review, "technological", info.thresholds.sample_size, seed)
    shots = _screenshots(form, screenshots, review)
    report = build(found[0], form, info.thresholds)
    sample = form.drop(columns="sheet_row").to_dict("records")
    payload = {**report.to_dict(), "staff": staff, "notes": notes, "seed": seed, "defects": defect_list(form),
               "sample": sample, "screenshots": [name for name, _ in shots]}
    event = Event(_day(on), "fail" if report.suspended else "pass", "technological_monitoring",
                  step_reason("technological_monitoring", payload), critical=report.suspended)
    with staged(*([chart] if chart is not None else [])) as drawn:
        chart_uri = _trend(reg, vid, report, drawn[0], lang) if drawn else None
        context = {"rows": report.rows(lang), "report": report, "chart": chart_uri, "staff": staff, "notes": notes,
                   "defects": payload["defects"], "sample": sample, "screenshots": shots}
        protocol, state = _publish(reg, info, "technological_monitoring", report.decision, payload,
                                   "technological.html.j2", context, out, lang, event.on, event=event, user=user,
                                   period=span.name)
    console.print(f"Report {protocol}: {report.decision} ({100 * report.defect_rate:.1f} % defective) → {out}; "
                  f"stage {state.stage}, status {state.status}", highlight=False)


def _trend(reg: Any, vid: int, report: Any, path: Path, lang: str) -> str:
    """Draw the defect rates of the stored reports and `report` into `path`; the chart as a data URI."""
    import base64

    from oncobank.aieval.techmon import AutoDefects, TechReport, trend_chart

    past = [p["payload"] for p in reg.protocols(vid) if p["kind"] == "technological_monitoring"]
    fields = AutoDefects.__dataclass_fields__
    reports = [TechReport(p["period"], AutoDefects(**{k: p[k] for k in fields}), p["sample_size"],
                          p["defect_c"], p["defect_d"], p["defect_e"], p["defect_ce"], p["defect_rate"],
                          p["limit"], p.get("agree_conclusion", 0), p.get("agree_localisation", 0),
                          p.get("rule", "combined")) for p in past]
    trend_chart(sorted([*reports, report], key=lambda r: r.period), path, lang)
    mime = "image/svg+xml" if path.suffix.lower() == ".svg" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode()


@clinical_app.command("sample")
@friendly(FileNotFoundError)
def clinical_sample(results: ResultsOpt, period: PeriodOpt, out: FormOut, size: SizeOpt = 80, seed: SeedOpt = 1,
                    lang: LangOption = "en") -> None:
    """Draw the reproducible stratified sample of a period and write the expert's XLSX rating form."""
    _draw_sample(results, period, out, size, seed, "clinical", lang)


@clinical_app.command("report")
@friendly(FileNotFoundError)
def clinical_report(service: ServiceArg, version: VersionArg, results: ResultsOpt, period: PeriodOpt,
                    review: ReviewOpt, out: ProtocolOut,
                    expert: Annotated[str, typer.Option("--expert", help="Name of the expert who rated the sample.")
                                      ] = "",
                    expert_years: Annotated[float | None, typer.Option(
                        "--expert-years", help="The expert's years of practice (more than 5).")] = None,
                    seed: SeedOpt = 1, on: OnOpt = None, lang: LangOption = "en", user: UserOption = None,
                    db: DbOption = None) -> None:
    """The period's clinical monitoring report: continue, changes needed (a remark) or suspend (critical)."""
    from oncobank.aieval.clinmon import clinical_report as build
    from oncobank.aieval.lifecycle import Event
    from oncobank.aieval.periods import parse_period
    from oncobank.aieval.results import read_results
    from oncobank.aieval.staff import check_staff

    staff = check_staff("clinical_monitoring", {"expert": [expert]}, expert_years)
    span = parse_period(period)
    reg = _register(db, user)
    info = reg.info(reg.version_id(service, version))
    form = _reviewed(read_results(results), span, review, "clinical", info.thresholds.sample_size, seed)
    report = build(span.name, form, info.thresholds)
    payload = {**report.to_dict(), "staff": staff, "expert_years": expert_years, "seed": seed}
    action = {"continue": "pass", "changes": "remark", "suspend": "fail"}[report.decision]
    event = Event(_day(on), action, "clinical_monitoring", step_reason("clinical_monitoring", payload),
                  critical=report.decision == "suspend")
    shares = [("clinical_errors", report.errors, report.error_share, report.max_errors),
              ("clinical_discordant", report.discordant, report.discordant_share, report.max_discordant)]
    protocol, state = _publish(reg, info, "clinical_monitoring", report.decision, payload, "clinical.html.j2",
                               {"report": report, "rows": report.rows(lang), "shares": shares, "staff": staff},
                               out, lang, event.on, event=event, user=user, period=span.name)
    console.print(f"Report {protocol}: {report.decision} ({report.errors} false, {report.discordant} discordant of "
                  f"{report.sample_size}) → {out}; stage {state.stage}, status {state.status}", highlight=False)


@feedback_app.command("report")
@friendly(FileNotFoundError)
def feedback_report(service: ServiceArg, version: VersionArg,
                    results: Annotated[Path, typer.Option(
                        "--results", help="Per-study results (which of the period's studies were processed).")],
                    feedback: Annotated[Path, typer.Option(
                        "--feedback", help="Radiologists' feedback entries: CSV, XLSX, JSON or Parquet.")],
                    period: PeriodOpt, out: ProtocolOut,
                    survey: Annotated[Path | None, typer.Option(
                        "--survey", help="The radiologists' satisfaction survey: score 1–5, optional comment.")
                                      ] = None,
                    on: OnOpt = None, lang: LangOption = "en", user: UserOption = None, db: DbOption = None) -> None:
    """The period's feedback report; coverage below 5 % of processed studies is recorded as a remark."""
    from oncobank.aieval.feedback import feedback_report as build
    from oncobank.aieval.feedback import read_feedback, read_survey, survey_report
    from oncobank.aieval.lifecycle import Event
    from oncobank.aieval.periods import parse_period
    from oncobank.aieval.results import read_results
    from oncobank.aieval.techmon import sample_frame

    span = parse_period(period)
    reg = _register(db, user)
    info = reg.info(reg.version_id(service, version))
    processed = sample_frame(read_results(results), span)
    if processed.empty:
        raise ValueError(f"no processed studies sent in period {span.name} [rule: periods]")
    report = build(span.name, processed, read_feedback(feedback), info.thresholds)
    answers = survey_report(read_survey(survey)) if survey is not None else None
    payload = {**report.to_dict(), "survey": answers.to_dict() if answers is not None else None}
    event = Event(_day(on), "remark" if report.short else "pass", "feedback", step_reason("feedback", payload))
    protocol, state = _publish(reg, info, "feedback", report.decision, payload, "feedback.html.j2",
                               {"report": report, "survey": answers}, out, lang, event.on, event=event, user=user,
                               period=span.name)
    flag = " — coverage short" if report.short else ""
    console.print(f"Report {protocol}: coverage {100 * report.coverage:.1f} %{flag}, agreement "
                  f"{100 * report.agreement.estimate:.1f} % → {out}; stage {state.stage}, status {state.status}",
                  highlight=False)


@functional_app.command("form")
@friendly(FileNotFoundError)
def functional_form(out: Annotated[Path, typer.Option("--out", help="Where to write the checklist (.xlsx).")],
                    study: Annotated[list[str] | None, typer.Option("--study", help="Study UID (repeat).")] = None,
                    sr: Annotated[Path | None, typer.Option("--sr", help="Result SRs: their studies, checks.")] = None,
                    studies: Annotated[int, typer.Option("--studies", help="How many SR studies to take.")] = 5,
                    lang: LangOption = "en") -> None:
    """Write the checklist (criteria × studies); with --sr the SR criteria are filled from the reports."""
    from oncobank.aieval.functional import sr_checks, write_checklist
    from oncobank.aieval.sr_read import read_sr, sr_files

    reports = {}
    if sr is not None:
        for file in sr_files(sr):
            report = read_sr(file)
            reports.setdefault(report.row["study_uid"], report)
    uids = list(study or []) or list(reports)[:studies]
    if not uids:
        raise ValueError("name the studies with --study or give their result SRs with --sr")
    prefilled = sr_checks({u: reports.get(u) for u in uids}) if sr is not None else None
    write_checklist(uids, out, lang, prefilled)
    console.print(f"Checklist of {len(uids)} studies → {out}", highlight=False)


@functional_app.command("report")
@friendly(FileNotFoundError)
def functional_report(service: ServiceArg, version: VersionArg,
                      checklist: Annotated[Path, typer.Option("--checklist", help="The filled checklist (.xlsx).")],
                      out: ProtocolOut,
                      technical_expert: Annotated[str, typer.Option(
                          "--technical-expert", help="Name of the technical specialist.")],
                      medical_expert: Annotated[str, typer.Option(
                          "--medical-expert", help="Name of the medical expert.")],
                      medical_years: Annotated[float, typer.Option(
                          "--medical-expert-years", help="The medical expert's years of practice (more than 5).")],
                      on: OnOpt = None, lang: LangOption = "en", user: UserOption = None,
                      db: DbOption = None) -> None:
    """The functional testing protocol; a critical nonconformity fails the test (and suspends the version)."""
    from oncobank.aieval.functional import CRITERIA, read_checklist
    from oncobank.aieval.lifecycle import Event
    from oncobank.aieval.staff import check_staff

    check_staff("functional", {"technical": [technical_expert], "medical": [medical_expert]}, medical_years)
    reg = _register(db, user)
    info = reg.info(reg.version_id(service, version))
    result = read_checklist(checklist, info.thresholds.functional_studies)
    experts = {"technical": technical_expert, "medical": medical_expert, "medical_years": medical_years}
    payload = {**result.to_dict(), "experts": experts}
    event = Event(_day(on), result.decision, "functional", step_reason("functional", payload),
                  critical=not result.passed)
    protocol, state = _publish(reg, info, "functional", result.decision, payload, "functional.html.j2",
                               {"r": result, "criteria": CRITERIA, "experts": experts}, out, lang, event.on,
                               event=event, user=user)
    console.print(f"Protocol {protocol}: {result.decision} ({event.reason}) → {out}; stage {state.stage}, status "
                  f"{state.status}", highlight=False)


@sr_app.command("import")
@friendly(FileNotFoundError)
def sr_import(source: Annotated[Path, typer.Argument(help="An SR file or a folder of them.")],
              out: Annotated[Path, typer.Option("--out", help="The result rows as .csv or .parquet.")],
              sr_map: Annotated[Path | None, typer.Option(
                  "--map", help="Concept mapping (YAML) of a vendor's SRs: TID 1500 or text SRs.")] = None,
              lang: LangOption = "en", as_json: JsonOption = False) -> None:
    """Read result SRs into per-study result rows (the columns of the CSV import)."""
    from oncobank.aieval.simulate import write_csv
    from oncobank.aieval.sr_map import load_map
    from oncobank.aieval.sr_read import read_sr_results

    frame = read_sr_results(source, load_map(sr_map) if sr_map is not None else None)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        write_csv(frame, out)
    unsent = int(frame["sent_at"].isna().sum())
    if as_json:
        emit_json({"results": len(frame), "out": str(out), "without_sent_at": unsent})
        return
    console.print(label("sr_imported", lang).format(n=len(frame), source=source, out=out), highlight=False)
    if unsent:
        console.print(label("sr_no_sent_at", lang).format(n=unsent), highlight=False)


@app.command("impact")
@friendly(FileNotFoundError)
def impact(service: ServiceArg, version: VersionArg,
           data: Annotated[Path, typer.Option(
               "--data", help="Studies read with and without AI: with_ai, category, period or read_at, optional "
                              "service (CSV, XLSX, JSON or Parquet).")],
           out: ProtocolOut,
           event: Annotated[str | None, typer.Option("--event", help="Event category of a 2-category result.")
                            ] = None,
           on: OnOpt = None, lang: LangOption = "en", db: DbOption = None) -> None:
    """Distribution of a categorical result with vs without AI, per period: chi-square, Cramér's V, OR, RD."""
    from oncobank.aieval.impact import impact as compare
    from oncobank.aieval.impact import read_impact

    reg = _register(db)
    info = reg.info(reg.version_id(service, version))
    frame = read_impact(data)
    if (frame["service"] != "").any():
        frame = frame[frame["service"] == service]
        if frame.empty:
            raise ValueError(f"{data.name} has no rows of service {service!r}")
    results = compare(frame, event)
    payload = {"service": service, "results": [r.to_dict() for r in results]}
    protocol, _ = _publish(reg, info, "impact", "report", payload, "impact.html.j2", {"results": results}, out,
                           lang, _day(on))
    for r in results:
        console.print(f"{r.period}: with AI {sum(r.with_ai)}, without {sum(r.without_ai)}, "
                      f"p {number(r.p_value, None)}, V {number(r.cramers_v)}", highlight=False)
    console.print(f"Report {protocol} → {out}", highlight=False)


@app.command("simulate-review")
@friendly(FileNotFoundError)
def simulate_review(form: Annotated[Path, typer.Argument(help="A technological, clinical or functional form.")],
                    sim: Annotated[Path, typer.Option("--sim", help="The simulated service's folder.")],
                    seed: Annotated[int, typer.Option(
                        "--seed", help="Seed of the simulated reviewer's ratings (same seed, same ratings).")] = 1
                    ) -> None:
    """Fill a reviewer form as the simulated reviewer of a simulated service would (for trying the workflow)."""
    from oncobank.aieval.simreview import fill_form

    kind = fill_form(form, sim, seed)
    console.print(f"{kind} form {form} filled from {sim}", highlight=False)
