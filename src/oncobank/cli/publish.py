"""`oncobank publish`: build or bring up to date the de-identified analysis store from the clinical store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from oncobank.cli.common import DbOption, JsonOption, LangOption, console, emit_json, err, fail, open_store

ToOption = Annotated[str | None, typer.Option(
    "--to", help="Analysis store URL: a .duckdb file, postgresql://… or spark:PATH (default: ONCOBANK_ANALYSIS, "
                 "else analysis.duckdb in the data home).", show_default=False)]
PolicyOption = Annotated[Path | None, typer.Option(
    "--policy", help="De-identification policy YAML: date mode and shift range, age reporting, k-anonymity of "
                     "the patient table (default: dates shifted by up to 365 days, birth years, 90+, no k-anonymity)"
                     ".", show_default=False)]
FullOption = Annotated[bool, typer.Option("--full", help="Rebuild every table instead of the changed patients.")]
BundleOption = Annotated[Path | None, typer.Option(
    "--bundle", help="Also write the published snapshot to this file as an encrypted, signed bundle for the "
                     "central platform (with --centre, --recipient and --signing-key).", show_default=False)]
CentreOption = Annotated[str | None, typer.Option("--centre", help="This node's centre code, named in the bundle.")]
RecipientOption = Annotated[Path | None, typer.Option(
    "--recipient", help="The central platform's public key (PEM, from `oncobank central keygen`).")]
SigningOption = Annotated[Path | None, typer.Option(
    "--signing-key", help="This node's private signing key (from `oncobank central keygen --signing`).")]
WorkersOption = Annotated[int | None, typer.Option(
    "--workers", min=1, help="Processes that de-identify the patients, 2,000 at a time (default: one per core, at "
                             "most 8; a publish of fewer patients runs in one).", show_default=False)]

WORDS: dict[str, tuple[str, str]] = {
    "title": ("Publish {number}: {kind}", "Публикация {number}: {kind}"),
    "full": ("full rebuild", "полная пересборка"),
    "incremental": ("changed patients only", "только изменённые пациенты"),
    "nothing": ("Nothing to publish: no changes since the last publish.",
                "Публиковать нечего: изменений с прошлой публикации нет."),
    "table": ("Table", "Таблица"),
    "rows": ("Rows written", "Записано строк"),
    "patients": ("Patients published", "Опубликовано пациентов"),
    "retracted": ("Entries retracted since the last publish", "Отозвано записей с прошлой публикации"),
    "reason": ("Why", "Причина"),
    "where": ("Analysis store", "Аналитическое хранилище"),
    "progress": ("Publishing patients", "Публикация пациентов"),
    "bundle": ("Bundle for the central platform", "Пакет для центральной платформы"),
}
REASONS: dict[str, tuple[str, str]] = {  # deid.publish.REASONS
    "asked": ("asked for (--full)", "по запросу (--full)"),
    "first": ("first publish", "первая публикация"),
    "secret": ("the publish secret changed", "сменился секрет публикации"),
    "policy": ("the policy changed", "изменилась политика обезличивания"),
    "tables": ("the tables changed (dictionary or derived facts)", "изменились таблицы (словарь или производные)"),
    "late_commits": ("rows were committed late below the last watermark",
                     "строки зафиксированы позже отметки прошлой публикации"),
    "changes": ("changes since the last publish", "изменения с прошлой публикации"),
    "no_changes": ("no changes", "изменений нет"),
}


def word(key: str, lang: str) -> str:
    en, ru = WORDS[key]
    return ru if lang == "ru" else en


def reason_text(reason: str, lang: str) -> str:
    en, ru = REASONS.get(reason, (reason, reason))
    return ru if lang == "ru" else en


def publish_command(
    db: DbOption = None,
    to: ToOption = None,
    policy_file: PolicyOption = None,
    full: FullOption = False,
    bundle: BundleOption = None,
    centre: CentreOption = None,
    recipient: RecipientOption = None,
    signing_key: SigningOption = None,
    workers: WorkersOption = None,
    as_json: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Publish the de-identified analysis store: pseudonyms, shifted dates, scrubbed text, no direct identifiers.

    Only patients changed since the last publish are re-published, unless --full, a new policy, a new secret or
    changed tables ask for a rebuild. The run is recorded in the audit log (counts only).
    """
    from oncobank.deid.policy import PolicyError, load_policy
    from oncobank.deid.publish import publish
    from oncobank.engine.errors import EngineError
    from oncobank.reports.terminal import progress
    from oncobank.store.access import Permission
    from oncobank.store.errors import StoreError

    if bundle is not None:
        missing = [flag for flag, given in (("--centre", centre), ("--recipient", recipient),
                                            ("--signing-key", signing_key)) if given is None]
        if missing:
            raise fail(f"--bundle needs {', '.join(missing)}")
        if bundle.exists():
            raise fail(f"--bundle {bundle}: the file exists; a bundle is never written over another file")
    try:
        policy = load_policy(policy_file)
    except PolicyError as exc:
        raise fail(str(exc)) from None
    store = open_store(db, "thyroid", need=Permission.PUBLISH, what="publish the analysis store")
    try:
        with progress(err) as bar:
            task = bar.add_task(word("progress", lang), total=None)
            result = publish(store, to, policy, full=full, workers=workers,
                             on_plan=lambda plan: bar.update(task, total=len(plan.patients)),
                             on_batch=lambda n: bar.advance(task, n))
    except (EngineError, StoreError) as exc:
        raise fail(str(exc)) from None
    finally:
        store.engine.dispose()
    sent = None if bundle is None else _bundle(to, bundle, centre, recipient, signing_key)
    if as_json:
        emit_json({**result.to_dict(), **({} if sent is None else {"bundle": {"file": str(bundle), **sent}})})
        return
    show(console, result, lang)
    if sent is not None:
        console.print(f"{word('bundle', lang)}: {bundle} ({sent['centre']}, {sent['snapshot_id']})",
                      soft_wrap=True, highlight=False, markup=False)


def _bundle(to: str | None, out: Path, centre: Any, recipient: Any, signing_key: Any) -> dict[str, Any]:
    from oncobank.deid.bundle import BundleError
    from oncobank.deid.node import bundle_snapshot
    from oncobank.engine.errors import EngineError

    try:
        return bundle_snapshot(to, out, centre=centre, recipient_key=recipient, signing_key=signing_key).describe()
    except (BundleError, EngineError) as exc:
        raise fail(str(exc)) from None


def show(out: Console, result: Any, lang: str) -> None:
    """The publish's result: rows written per table, patients, why it was full or incremental, where it went."""
    if not result.changed:
        out.print(word("nothing", lang))
        out.print(f"{word('where', lang)}: {result.target}", soft_wrap=True, highlight=False)
        return
    kind = word("full" if result.full else "incremental", lang)
    table = Table(title=word("title", lang).format(number=result.number, kind=kind))
    table.add_column(word("table", lang))
    table.add_column(word("rows", lang), justify="right")
    for name, rows in sorted(result.rows.items()):
        table.add_row(name, f"{rows:,}".replace(",", " " if lang == "ru" else ","))
    out.print(table)
    if result.k_report is not None:
        out.print(result.k_report.table(lang))
    for key, value in (("patients", result.patients_changed), ("retracted", result.entries_retracted),
                       ("reason", reason_text(result.reason, lang)), ("where", result.target)):
        out.print(f"{word(key, lang)}: {value}", soft_wrap=True, highlight=False)
