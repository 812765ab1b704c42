"""`oncobank thyroid`: RAIR classification with its evidence, derived facts, and the cohort report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oncobank.cli.common import (
    DbOption,
    JsonOption,
    LangOption,
    PatientArgument,
    console,
    emit_json,
    fail,
    open_store,
    within_reach,
)
from oncobank.store.access import Permission

if TYPE_CHECKING:
    from oncobank.diseases.thyroid.settings import Settings

app = typer.Typer(help="Thyroid module: radioiodine refractoriness, derived facts, cohort report.",
                  no_args_is_help=True)

PatientsArgument = Annotated[
    list[str] | None,
    typer.Argument(help="Registry IDs of patients, e.g. TH-000001 (none: the counts of the study population).",
                   show_default=False),
]
SettingsOption = Annotated[
    Path | None,
    typer.Option("--settings", help="Study settings YAML: the criteria's windows and thresholds and the study "
                                    "population (default: the module's rair_settings.yaml).", show_default=False),
]
AllPatientsOption = Annotated[
    bool, typer.Option("--all-patients", help="Count every patient of the registry, not the study population.")
]
REPORT = Path("oncobank-reports") / "thyroid-cohort.html"


def _settings(path: Path | None) -> Settings:
    from oncobank.diseases.thyroid.settings import SettingsError, load_settings

    try:
        return load_settings(path)
    except SettingsError as exc:
        raise fail(str(exc)) from None


@app.command()
def rair(
    registry_ids: PatientsArgument = None,
    db: DbOption = None,
    all_patients: AllPatientsOption = False,
    settings_file: SettingsOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Classify radioiodine refractoriness (recomputing patients whose entries changed) and show the evidence.

    Without IDs: the counts of the study population (its exclusions named). With IDs: each patient's criteria and
    the entries that decided them. Showing a patient's results (IDs, or --json) is recorded in the audit log.
    """
    from oncobank.diseases.thyroid import derived, reads, tables
    from oncobank.diseases.thyroid.population import population
    from oncobank.diseases.thyroid.wording import membership

    if registry_ids and all_patients:
        raise fail("give registry IDs or --all-patients, not both")
    settings = _settings(settings_file)
    if registry_ids:
        store = open_store(db, "thyroid", need=Permission.READ_PATIENTS, what="read patients' results")
        for rid in registry_ids:
            within_reach(store, patient=rid)
    else:
        store = open_store(db, "thyroid", need=Permission.REPORT_REGISTRY, what="count the whole registry")
    derived.refresh(store.engine, ["rair", "stage", "activity"], settings=settings)
    stage, activity = derived.latest(store.engine, "stage"), derived.latest(store.engine, "activity")
    missing = sorted(set(registry_ids or ()) - set(stage))
    if missing:
        raise fail(f"no patient {', '.join(missing)} in the thyroid registry")
    counted = population(stage, activity, settings, study_only=not all_patients, named=registry_ids or None)
    results = derived.latest(store.engine, "rair", counted.members if registry_ids else None, settings)
    user = store.actor.username
    if registry_ids or as_json:
        reads.record_patient_reads(store, user, counted.members, "thyroid_rair",
                                   scope="patients" if registry_ids else "cohort")
    else:
        reads.record_aggregate_read(store, user, "thyroid_rair_counts", counted.n)
    if as_json:
        emit_json({"settings": settings.to_json(), "population": counted.to_json(),
                   "patients": {rid: {"rair": results[rid]["rair"], "rr_date": results[rid]["rr_date"],
                                      "study_population": counted.reasons[rid] is None,
                                      "excluded_by": counted.reasons[rid], "criteria": results[rid]["criteria"]}
                                for rid in counted.members}})
        return
    if not registry_ids:
        console.print(tables.counts_table(results, counted, settings, lang))
        return
    for rid in counted.members:
        console.print(tables.patient_table(rid, results[rid], membership(counted.reasons[rid], settings, lang),
                                           settings, lang))


@app.command()
def facts(
    registry_id: PatientArgument,
    db: DbOption = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="Only this fact: rair, activity, recist, stage or rai_to_progression.")] = None,
    settings_file: SettingsOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """A patient's current derived facts (recomputing those whose entries changed); the read is audited."""
    from oncobank.diseases.thyroid import derived, reads, tables
    from oncobank.diseases.thyroid.population import exclusion
    from oncobank.diseases.thyroid.wording import membership

    kinds = [kind] if kind else list(derived.KINDS)
    unknown = [k for k in kinds if k not in derived.KINDS]
    if unknown:
        raise fail(f"--kind {unknown[0]!r}: use one of {', '.join(derived.KINDS)}")
    settings = _settings(settings_file)
    store = open_store(db, "thyroid", need=Permission.READ_PATIENTS, what="read patients' results")
    within_reach(store, patient=registry_id)
    needed = sorted({*kinds, "stage", "activity"})  # stage and activity: is the patient in the study population
    derived.refresh(store.engine, needed, settings=settings)
    found: dict[str, Any] = {k: derived.latest(store.engine, k, [registry_id], settings).get(registry_id)
                             for k in needed}
    if found["stage"] is None:
        raise fail(f"no patient {registry_id} in the thyroid registry")
    reads.record_patient_reads(store, store.actor.username, [registry_id], "thyroid_facts", kinds=kinds)
    shown = {k: found[k] for k in kinds}
    if as_json:
        emit_json({"patient": registry_id, "settings": settings.to_json(), "facts": shown})
        return
    member = membership(exclusion(found["stage"], found["activity"], settings), settings, lang)
    for table in tables.facts_tables(registry_id, shown, member, settings, lang):
        console.print(table)


@app.command()
def report(
    db: DbOption = None,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write (its folder is created).")] = REPORT,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print it to PDF (next to the HTML) with Chromium.")]
    = False,
    as_json: JsonOption = False,
    lang: LangOption = "en",
    all_patients: AllPatientsOption = False,
    settings_file: SettingsOption = None,
) -> None:
    """Cohort report: Table 1 of the RAIR study, the breakdown by criterion (n and %) and the settings used."""
    from oncobank.diseases.thyroid import reads
    from oncobank.diseases.thyroid.report import cohort, print_pdf, render_html, require_chromium, to_json

    settings = _settings(settings_file)
    if pdf and not as_json:
        try:
            require_chromium()
        except FileNotFoundError as exc:
            raise fail(str(exc)) from None
    store = open_store(db, "thyroid", need=Permission.REPORT_REGISTRY, what="report on the whole registry")
    data = cohort(store.engine, lang, study_only=not all_patients, settings=settings)
    reads.record_aggregate_read(store, store.actor.username, "thyroid_cohort_report", data["n"])
    if as_json:
        emit_json(to_json(data))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    typer.echo(f"wrote {out}")
    if pdf:
        target = out.with_suffix(".pdf")
        print_pdf(out, target)
        typer.echo(f"wrote {target}")
