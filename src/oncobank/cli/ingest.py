"""Commands `oncobank ingest`, `oncobank linkage …` and `oncobank quarantine …` (heavy imports deferred)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from oncobank.cli.common import (
    DbOption,
    JsonOption,
    LangOption,
    PatientArgument,
    check_lang,
    console,
    emit_json,
    err,
    fail,
    open_store,
    within_reach,
)
from oncobank.store.access import Permission

LABELS = {
    "title": ("Ingest reconciliation", "Сверка загрузки из источников"),
    "rows_in": ("rows read", "прочитано строк"),
    "loaded": ("loaded", "загружено"),
    "merged": ("merged as duplicate", "объединено как дубликат"),
    "unchanged": ("already loaded", "уже загружено"),
    "quarantined": ("quarantined", "в карантине"),
    "excluded": ("not in the registry", "не входят в регистр"),
    "balanced": ("counts reconcile", "счёт сходится"),
    "yes": ("yes", "да"),
    "no": ("no", "нет"),
    "review_title": ("Linkage review list", "Список связей на проверку"),
    "quarantine_title": ("Quarantined rows", "Строки в карантине"),
    "quality_title": ("Linkage quality against the truth", "Качество связывания по эталону"),
    "all_systems": ("all systems", "все системы"),
    "retry_title": ("Quarantine retry", "Повторная обработка карантина"),
    "skipped": ("not retried (re-run the ingest)", "не обработано (повторите загрузку)"),
    "provenance_title": ("Where the values of {patient} came from", "Происхождение значений {patient}"),
    "conflicts_title": ("Values the sources disagree on", "Расхождения значений между источниками"),
    "section": ("section", "раздел"),
    "date": ("date", "дата"),
    "source": ("source", "источник"),
    "row": ("file, row", "файл, строка"),
    "batch": ("batch", "загрузка"),
    "fields": ("fields", "поля"),
    "patient": ("patient", "пациент"),
    "field": ("field", "поле"),
    "kept": ("kept", "сохранено"),
    "offered": ("offered", "предложено"),
    "used": ("used", "использовано"),
    "duplicate": ("duplicate", "дубликат"),
    "conflict": ("conflict", "расхождение"),
    "id": ("no.", "№"),
    "decision": ("decision no.", "№ решения"),
    "system": ("system", "система"),
    "best_probability": ("best probability", "наибольшая вероятность"),
    "candidates": ("candidates", "кандидаты"),
    "location": ("place in the file", "место в файле"),
    "rules": ("rules broken", "нарушенные правила"),
    "unmapped_line": ("{source}: not mapped ({n} rows): {what}", "{source}: не сопоставлено (строк: {n}): {what}"),
    "warnings_line": ("{source}: reader's warning ({n} files): {what}",
                      "{source}: предупреждение при чтении (файлов: {n}): {what}"),
    "others_line": ("{source}: kept as \"other\" with its text ({n} rows): {what}",
                    "{source}: сохранено как «другое» с исходным текстом (строк: {n}): {what}"),
    "no_quarantine": (
        "No quarantined rows: every row of every ingest was accepted.",
        "В карантине нет строк: все строки всех загрузок приняты.",
    ),
    "no_conflicts": (
        "No open conflicts: the sources agree on every stored value.",
        "Открытых расхождений нет: источники согласны во всех сохранённых значениях.",
    ),
    "no_conflicts_patient": (
        "No open conflicts for {patient}.",
        "Открытых расхождений у {patient} нет.",
    ),
    "no_review": (
        "No uncertain links wait for a decision.",
        "Неясных связей, ожидающих решения, нет.",
    ),
    "no_provenance": (
        "{patient} has no ingested entries: the values were entered or loaded, not ingested.",
        "У {patient} нет записей из источников: значения введены вручную или загружены из JSON регистра.",
    ),
    "retry_hint": (
        "After fixing the mapping, run: oncobank quarantine retry --mapping MAPPING.yaml",
        "После исправления сопоставления выполните: oncobank quarantine retry --mapping MAPPING.yaml",
    ),
}

linkage_app = typer.Typer(help="Patient linkage: review uncertain pairs and decide them.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Records a load or an ingest could not accept: list and retry them.",
                             no_args_is_help=True)


def label(key: str, lang: str) -> str:
    en, ru = LABELS[key]
    return ru if lang == "ru" else en



def _mapping_and_store(mapping: Path, db: str | None) -> tuple[Any, Any]:
    """The mapping's parsed plan and the store of its module, with the plan checked against the dictionary."""
    from oncobank.ingest.mapping import MappingError, check_against, load_mapping

    try:
        plan = load_mapping(mapping)
    except MappingError as exc:
        raise fail(str(exc)) from None
    store = open_store(db, plan.module, need=Permission.LOAD, what="ingest hospital sources")
    try:
        check_against(plan, store.dictionary, mapping.name)
    except MappingError as exc:
        raise fail(str(exc)) from None
    return plan, store


def ingest_command(
    source_dir: Annotated[Path, typer.Argument(help="Folder holding the hospital's export files.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="Mapping file (YAML) describing the exports.")],
    db: DbOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Rows per transaction.")] = 2000,
) -> None:
    """Ingest hospital exports into the registry: map, validate, link, merge; re-running changes nothing."""
    from oncobank.ingest.batch import IngestStopped
    from oncobank.ingest.pipeline import run_ingest
    from oncobank.reports.terminal import progress

    check_lang(lang)
    plan, store = _mapping_and_store(mapping, db)
    keys = ("rows_in", "loaded", "merged", "unchanged", "quarantined", "excluded")
    try:
        with progress(err) as bar:
            task = bar.add_task("Ingesting rows", total=None)
            report = run_ingest(store, source_dir, plan, plan.text, user=store.actor.username, chunk_size=chunk_size,
                                on_rows=lambda n: bar.advance(task, n), on_wait=_waiting)
    except IngestStopped as stopped:
        _reconciliation(stopped.report, "title", keys, as_json, lang, stopped)
    _reconciliation(report, "title", keys, as_json, lang)


def _waiting(message: str) -> None:
    err.print(message, highlight=False, soft_wrap=True)


@linkage_app.command("review")
def review(db: DbOption = None, as_json: JsonOption = False, lang: LangOption = "en") -> None:
    """List source IDs waiting for a linkage decision, with their candidate registry patients."""
    from oncobank.ingest.review import pending

    check_lang(lang)
    store = open_store(db, "thyroid", need=Permission.LOAD, what="review linkage and quarantine")
    items = pending(store)
    if as_json:
        emit_json(items)
        return
    if not items:
        console.print(label("no_review", lang), highlight=False)
        return
    table = Table(title=label("review_title", lang))
    for column in ("decision", "system", "best_probability", "candidates"):
        table.add_column(label(column, lang))
    for item in items:
        shown = ", ".join(f"{c['registry_id']} ({c['probability']:.4f})" for c in item["candidates"])
        table.add_row(str(item["decision"]), item["system"], f"{item['probability']:.4f}", shown)
    console.print(table)


@linkage_app.command("report")
def report_command(
    source_dir: Annotated[Path, typer.Argument(help="Folder holding the exports that were ingested.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="Mapping file the ingest used.")],
    truth: Annotated[Path, typer.Option("--truth", help="Ground truth: {patients: {id: {identifiers}}}.")],
    db: DbOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Precision, recall and F1 of the store's patient links against a known truth (synthetic hospitals)."""
    from oncobank.ingest.adapters import AdapterError
    from oncobank.ingest.identify import carried_ids
    from oncobank.ingest.mapping import MappingError, load_mapping
    from oncobank.ingest.quality import linkage_quality, read_truth

    try:
        plan = load_mapping(mapping)
        store = open_store(db, plan.module, need=Permission.LOAD, what="report on record linkage")
        result = linkage_quality(store, read_truth(truth), plan.master, carried_ids(store, source_dir, plan))
    except (OSError, ValueError, KeyError, MappingError, AdapterError) as exc:
        raise fail(f"cannot score the linkage: {exc}") from None
    if as_json:
        emit_json(result.to_dict())
        return
    table = Table(title=label("quality_title", lang))
    for column in ("system", "true links", "false links", "missed", "precision", "recall", "F1"):
        table.add_column(column, justify="right")
    for name, score in [*result.systems.items(), (label("all_systems", lang), result.overall)]:
        table.add_row(name, str(score.true_links), str(score.false_links), str(score.missed),
                      f"{score.precision:.4f}", f"{score.recall:.4f}", f"{score.f1:.4f}")
    console.print(table)


@linkage_app.command("decide")
def decide(
    decision: Annotated[int, typer.Argument(help="Decision number from `oncobank linkage review`.")],
    patient: Annotated[str | None, typer.Option("--link", help="Registry ID to link the source ID to.")] = None,
    reject: Annotated[bool, typer.Option("--reject", help="The source ID belongs to none of the candidates.")] = False,
    db: DbOption = None,
) -> None:
    """Decide a pair from the review list; the next ingest loads (or keeps quarantined) its rows."""
    from oncobank.ingest.review import ReviewError, decide_pair

    if (patient is None) == (not reject):
        raise fail("give either --link REGISTRY_ID or --reject")
    store = open_store(db, "thyroid", need=Permission.LOAD, what="review linkage and quarantine")
    try:
        decide_pair(store, decision, patient, user=store.actor.username)
    except ReviewError as exc:
        raise fail(str(exc)) from None
    console.print(f"decision {decision}: {'linked to ' + patient if patient else 'rejected'}")


@quarantine_app.command("list")
def quarantine_list(
    job: Annotated[str | None, typer.Option("--job", help="Only rows of this job: load or ingest.")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only problems of this rule, e.g. hard_range.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only sources whose name contains this text.")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Also write the list to this CSV file.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Open quarantined records, a problem a row: source, row, patient, field, value, message and rule.

    Values of identifying fields are never shown (the record itself stays in the store for `quarantine retry`).
    """
    from oncobank.reports.terminal import quarantine_table
    from oncobank.store.load import quarantined

    check_lang(lang)
    if job not in (None, "load", "ingest"):
        raise fail(f"--job {job!r}: expected load or ingest")
    store = open_store(db, "thyroid", need=Permission.LOAD, what="review linkage and quarantine")
    rows = [r for r in quarantined(store, job)
            if (rule is None or r["rule"] == rule) and (source is None or source in (r["source"] or ""))]
    if csv_file is not None:
        _write_csv(csv_file, rows)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console.print(label("no_quarantine", lang), highlight=False)
        return
    table = quarantine_table(rows, lang)
    table.caption = label("retry_hint", lang)
    console.print(table)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """The listing as CSV (UTF-8 with BOM, so that spreadsheet programs read Cyrillic), whole or not at all, 0600."""
    import csv
    import io

    from oncobank.reports.printable import printable
    from oncobank.store.attachments import write_atomically

    keys = ("id", "job", "source", "location", "patient", "section", "field", "value", "rule", "message")
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(keys)
    for r in rows:
        writer.writerow(["" if r.get(k) is None else printable(str(r[k])) for k in keys])
    try:
        write_atomically(path, text.getvalue().encode("utf-8-sig"))
    except OSError as exc:
        raise fail(f"--csv {path}: {exc.strerror}") from None


@quarantine_app.command("retry")
def quarantine_retry(
    mapping: Annotated[Path, typer.Option("--mapping", help="Mapping file (YAML), as fixed since the ingest.")],
    db: DbOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Map the open quarantined rows again from their kept fields (after a linkage decision or a mapping fix)."""
    from oncobank.ingest.batch import IngestStopped
    from oncobank.ingest.retry import retry_quarantine

    check_lang(lang)
    plan, store = _mapping_and_store(mapping, db)
    keys = ("rows_in", "loaded", "merged", "unchanged", "quarantined", "excluded", "skipped")
    try:
        report = retry_quarantine(store, plan, plan.text, user=store.actor.username, on_wait=_waiting)
    except IngestStopped as stopped:
        _reconciliation(stopped.report, "retry_title", keys, as_json, lang, stopped)
    _reconciliation(report, "retry_title", keys, as_json, lang)


def _reconciliation(
    report: Any, title: str, keys: tuple[str, ...], as_json: bool, lang: str, stopped: Exception | None = None
) -> None:
    """Print a run's counts (table or JSON); exit 1 when it stopped part-way, 2 when the counts do not reconcile."""
    if as_json:
        emit_json({**report.to_dict(), "status": "failed"} if stopped else report.to_dict())
    else:
        table = Table(title=label(title, lang))
        table.add_column("")
        table.add_column("", justify="right")
        for key in keys:
            table.add_row(label(key, lang), str(getattr(report, key)))
        table.caption = f"{label('balanced', lang)}: {label('yes' if report.balanced else 'no', lang)}"
        console.print(table)
        for kind in ("unmapped", "others", "warnings"):  # grouped: one line per column, value or warning, with count
            for source, counts in (getattr(report, kind, None) or {}).items():
                for what, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
                    console.print(label(f"{kind}_line", lang).format(source=source, n=n, what=what), highlight=False,
                                  markup=False)
    if stopped is not None:
        raise fail(str(stopped))
    if not report.balanced:
        raise fail("counts do not reconcile: some rows are unaccounted for", 2)


def provenance_command(
    registry_id: PatientArgument,
    db: DbOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Where each ingested value of a patient came from: source, file, row, batch, and what became of it."""
    from oncobank.ingest.provenance import ProvenanceError, provenance

    check_lang(lang)
    store = open_store(db, "thyroid", need=Permission.READ_PATIENTS, what="read where patients' values came from")
    within_reach(store, patient=registry_id)
    try:
        rows = provenance(store, registry_id, user=store.actor.username)
    except ProvenanceError as exc:
        raise fail(str(exc)) from None
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console.print(label("no_provenance", lang).format(patient=registry_id), highlight=False)
        return
    table = Table(title=label("provenance_title", lang).format(patient=registry_id))
    for key in ("section", "date", "source", "row", "batch", "fields"):
        table.add_column(label(key, lang))
    for r in rows:
        fields = ", ".join(f"{_field(store, r['section'], name, lang)}: {label(status, lang)}"
                           for name, status in sorted(r["fields"].items()))
        table.add_row(_section(store, r["section"], lang), str(r["date"] or ""), r["source"],
                      f"{r['file']}, {r['location']}", str(r["batch"]), fields)
    console.print(table)


def conflicts_command(
    registry_id: Annotated[str | None, typer.Option("--patient", help="Only this registry ID.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Open data-quality issues of the ingest: values a second source offered that differ from the stored ones."""
    from oncobank.ingest.provenance import conflicts

    check_lang(lang)
    if registry_id is None:
        store = open_store(db, "thyroid", need=Permission.LOAD, what="list the ingest's conflicts")
    else:
        store = open_store(db, "thyroid", need=Permission.READ_PATIENTS, what="read patients' conflicts")
        within_reach(store, patient=registry_id)
    items = conflicts(store, user=store.actor.username, registry_id=registry_id)
    if as_json:
        emit_json(items)
        return
    if not items:
        key = "no_conflicts" if registry_id is None else "no_conflicts_patient"
        console.print(label(key, lang).format(patient=registry_id), highlight=False)
        return
    table = Table(title=label("conflicts_title", lang))
    for key in ("patient", "section", "field", "kept", "offered", "source", "row"):
        table.add_column(label(key, lang))
    for c in items:
        table.add_row(c["registry_id"], _section(store, c["section"], lang),
                      _field(store, c["section"], c["field"], lang), str(c["kept"]), str(c["offered"]), c["source"],
                      f"{c['file']}, {c['location']}")
    console.print(table)


def _section(store: Any, name: str | None, lang: str) -> str:
    """A section's label in the language (the code itself when the row never reached a section)."""
    if not name:
        return ""
    try:
        return store.dictionary.section(name).label.get(lang)
    except KeyError:
        return name


def _field(store: Any, section: str, name: str, lang: str) -> str:
    """A field's label in the language (its name for the entry's own columns such as the date)."""
    try:
        return store.dictionary.section(section).field(name).label.get(lang)
    except KeyError:
        return name
