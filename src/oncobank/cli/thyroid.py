"""`oncobank thyroid`: RAIR classification with its evidence, derived facts, and the cohort report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from oncobank.cli.common import DbOption, JsonOption, LangOption, check_lang, emit_json, fail, open_store

app = typer.Typer(help="Thyroid module: radioiodine refractoriness, derived facts, cohort report.",
                  no_args_is_help=True)

STATUS = {"met": ("met", "выполнен"), "not_met": ("not met", "не выполнен"),
          "not_evaluable": ("not evaluable", "не оценим")}
RAIR = {True: ("refractory", "рефрактерный"), False: ("not refractory", "не рефрактерный"),
        None: ("not evaluable", "оценка невозможна")}


def _engine(db: str | None) -> Any:

    return open_store(db, "thyroid").engine


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "ru" else pair[0]


@app.command()
def rair(
    db: DbOption = None,
    patient: Annotated[list[str] | None, typer.Option("--patient", help="Registry ID (repeatable).")] = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Classify radioiodine refractoriness (recomputing patients whose entries changed) and show the evidence."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from oncobank.diseases.thyroid import derived
    from oncobank.diseases.thyroid.rair import CRITERIA, REASONS

    check_lang(lang)
    engine = _engine(db)
    derived.refresh(engine, ["rair"])
    results = derived.latest(engine, "rair", patient)
    missing = sorted(set(patient or ()) - set(results))
    if missing:
        raise fail(f"no patient {', '.join(missing)} in the thyroid registry")
    if as_json:
        emit_json({rid: {"rair": r["rair"], "rr_date": r["rr_date"], "criteria": r["criteria"]}
                   for rid, r in results.items()})
        return
    console = Console()
    if not patient:
        counts = {k: 0 for k in RAIR}
        for r in results.values():
            counts[r["rair"]] += 1
        table = Table(title="RAIR" if lang == "en" else "РЙР")
        table.add_column("")
        table.add_column("n", justify="right")
        for key, n in counts.items():
            table.add_row(_pick(RAIR[key], lang), str(n))
        for name in CRITERIA:
            met = sum(r["criteria"][name]["status"] == "met" for r in results.values())
            table.add_row(f"  {name}", str(met))
        console.print(table)
        return
    for rid, r in results.items():
        table = Table(title=f"{rid}: {_pick(RAIR[r['rair']], lang)}  RR: {r['rr_date'] or '-'}")
        for column in ("criterion", "status", "date", "reason", "evidence"):
            table.add_column(column)
        for name, c in r["criteria"].items():
            lines = [f"{e['date']} {e['section']} #{e['entry_id']}v{e['version']} {e['role']}: "
                     + ", ".join(f"{k}={v}" for k, v in e["values"].items()) for e in c["evidence"]]
            table.add_row(name, _pick(STATUS[c["status"]], lang), c["date"] or "-",
                          _pick(REASONS[c["reason"]], lang), escape("\n".join(lines)))
        console.print(table)


@app.command()
def facts(
    db: DbOption = None,
    patient: Annotated[str, typer.Option("--patient", help="Registry ID.")] = ...,  # type: ignore[assignment]
    kind: Annotated[str | None, typer.Option("--kind", help="rair, activity, recist, stage, rai_to_progression.")]
    = None,
) -> None:
    """Print a patient's current derived facts as JSON (recomputing those whose entries changed)."""
    from oncobank.diseases.thyroid import derived

    kinds = [kind] if kind else list(derived.KINDS)
    unknown = [k for k in kinds if k not in derived.KINDS]
    if unknown:
        raise fail(f"--kind {unknown[0]!r}: use one of {', '.join(derived.KINDS)}")
    engine = _engine(db)
    derived.refresh(engine, kinds)
    out = {k: derived.latest(engine, k, [patient]).get(patient) for k in kinds}
    if all(v is None for v in out.values()):
        raise fail(f"no patient {patient} in the thyroid registry")
    emit_json(out)


@app.command()
def report(
    db: DbOption = None,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print it to PDF (next to the HTML) with Chromium.")]
    = False,
    as_json: JsonOption = False,
    lang: LangOption = "en",
    all_patients: Annotated[bool, typer.Option("--all-patients", help="Every patient, not the study population.")]
    = False,
) -> None:
    """Cohort report: Table 1 of the RAIR study and the breakdown by criterion, with n and %."""
    from oncobank.diseases.thyroid.report import cohort, print_pdf, render_html, to_json

    check_lang(lang)
    data = cohort(_engine(db), lang, study_only=not all_patients)
    if as_json:
        emit_json(to_json(data))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    typer.echo(f"wrote {out}")
    if pdf:
        target = out.with_suffix(".pdf")
        try:
            print_pdf(out, target)
        except FileNotFoundError as exc:
            raise fail(str(exc)) from None
        typer.echo(f"wrote {target}")
