"""The `oncobank` command line: set up a store, generate and load data, inspect patients and the dictionary."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from oncobank.aieval.cli import app as ai_app
from oncobank.dictionary import DictionaryError, load_module
from oncobank.diseases.thyroid.cli import app as thyroid_app
from oncobank.entry_cli import app as entry_app
from oncobank.entry_cli import attach_command
from oncobank.ingest.cli import conflicts_command, ingest_command, linkage_app, provenance_command, quarantine_app
from oncobank.stats.cli import app as stats_app
from oncobank.store.errors import StoreError

app = typer.Typer(help="OncoBank: multimodal oncology registries.", no_args_is_help=True)
dictionary_app = typer.Typer(help="Show, export and import data-dictionary modules.", no_args_is_help=True)
patient_app = typer.Typer(help="Read patient records (every read is audited).", no_args_is_help=True)
app.add_typer(dictionary_app, name="dictionary")
app.add_typer(patient_app, name="patient")
app.add_typer(entry_app, name="entry")
app.command("attach")(attach_command)
app.add_typer(stats_app, name="stats")
app.add_typer(ai_app, name="ai")
app.add_typer(thyroid_app, name="thyroid")
app.command("ingest")(ingest_command)
app.command("provenance")(provenance_command)
app.command("conflicts")(conflicts_command)
app.add_typer(linkage_app, name="linkage")
app.add_typer(quarantine_app, name="quarantine")

console = Console()
err = Console(stderr=True)

DbOption = Annotated[str | None, typer.Option("--db", help="Store URL (default: ONCOBANK_DB or a SQLite file).")]
ModuleOption = Annotated[str, typer.Option("--module", help="Disease module of the registry.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
LangOption = Annotated[str, typer.Option("--lang", help="Label language: en or ru.")]


def current_user() -> str:
    """Who is acting: ONCOBANK_USER, else the login name (recorded in the audit log)."""
    return os.environ.get("ONCOBANK_USER") or getpass.getuser() or "unknown"


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def open_store(db: str | None, module: str) -> Any:
    from oncobank.store.clinical import ClinicalStore
    from oncobank.store.db import connect

    try:
        store = ClinicalStore(connect(db), load_module(module))
    except (StoreError, DictionaryError) as exc:
        raise fail(str(exc)) from None
    store.ensure_user(current_user())
    return store


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
def init(db: DbOption = None) -> None:
    """Create the clinical store (or upgrade it to this version's schema)."""
    from oncobank.store.db import connect, default_url, safe_url
    from oncobank.store.migrate import head_revisions, upgrade

    url = db or default_url()
    engine = connect(url)
    upgrade(engine)
    from oncobank.store.clinical import ClinicalStore

    store = ClinicalStore(engine, load_module("core"))
    store.ensure_user("system", role="system")
    schema = ", ".join(sorted(head_revisions()))
    console.print(f"Store ready at {safe_url(url)} (schema {schema}).", highlight=False)


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the synthetic hospital into.")],
    patients: Annotated[int, typer.Option("--patients", min=1, help="Number of patients.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 1,
    rair_share: Annotated[
        list[str] | None, typer.Option("--rair-share", help="criterion=fraction, repeatable (e.g. flip_flop=0.02).")
    ] = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Write only these outputs (repeatable).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Generate a synthetic thyroid-cancer hospital: registry JSON, messy exports, ground truth."""
    from oncobank.synth import generate

    shares: dict[str, float] = {}
    for item in rair_share or []:
        name, _, value = item.partition("=")
        try:
            shares[name.strip()] = float(value)
        except ValueError:
            raise fail(f"--rair-share {item!r}: expected criterion=fraction") from None
    try:
        summary = generate(
            patients, seed, out, rair_shares=shares or None, formats=set(only) if only else None, progress=not as_json
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    if as_json:
        emit_json(summary.to_dict() if hasattr(summary, "to_dict") else summary.__dict__)
    else:
        console.print(summary)


@app.command()
def load(
    directory: Annotated[Path, typer.Argument(help="Folder holding registry/manifest.json and patients.jsonl.")],
    db: DbOption = None,
    module: ModuleOption = "thyroid",
    as_json: JsonOption = False,
) -> None:
    """Load canonical registry JSON into the store; rejected entries are quarantined with their reason."""
    from oncobank.store.load import load_registry, read_manifest

    store = open_store(db, module)
    try:
        total = read_manifest(directory).get("patients")
    except StoreError as exc:
        raise fail(str(exc)) from None
    from oncobank.reports.terminal import progress

    with progress(err) as bar:
        task = bar.add_task("Loading patients", total=total)
        try:
            report = load_registry(store, directory, user=current_user(), on_patient=lambda n: bar.advance(task, n))
        except StoreError as exc:
            raise fail(str(exc)) from None
    if as_json:
        emit_json(report.to_dict())
    else:
        from oncobank.reports.terminal import load_table

        console.print(load_table(report))
    if not report.balanced:
        raise fail("counts do not reconcile: some records are unaccounted for", 2)


@patient_app.command("show")
def patient_show(
    registry_id: Annotated[str, typer.Argument(help="Registry ID of the patient, e.g. TH-000001.")],
    db: DbOption = None,
    module: ModuleOption = "thyroid",
    lang: LangOption = "en",
    history: Annotated[bool, typer.Option("--history/--current", help="Show every version.")] = True,
    as_json: JsonOption = False,
) -> None:
    """All of a patient's entries in date order, with their versions and second-opinion reviews."""
    from oncobank.store.card import read_card

    store = open_store(db, module)
    try:
        card = read_card(store, registry_id, user=current_user())
    except StoreError as exc:
        raise fail(str(exc)) from None
    if as_json:
        emit_json(card.to_dict())
        return
    from oncobank.reports.terminal import render_card

    render_card(console, card, store.dictionary, lang=lang, history=history)


@app.command("audit")
def audit_show(
    patient: Annotated[str | None, typer.Option("--patient", help="Only this patient's events.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The newest audit-log events: who read or wrote which patient's data, when."""
    from oncobank.store import audit

    store = open_store(db, "core")
    with store.session() as s:
        events = audit.trail(s, patient, limit)
    if as_json:
        emit_json(events)
        return
    from oncobank.reports.terminal import audit_table

    console.print(audit_table(events))


@dictionary_app.command("show")
def dictionary_show(
    module: Annotated[str, typer.Argument(help="Module name, e.g. thyroid, lung, core.")],
    lang: LangOption = "en",
    section: Annotated[str | None, typer.Option("--section", help="Only this section.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The sections and fields of a module, with types, units, domains and ranges."""
    try:
        dictionary = load_module(module)
    except DictionaryError as exc:
        raise fail(str(exc)) from None
    if as_json:
        emit_json({m.module: m.model_dump(mode="json", exclude_defaults=True) for m in dictionary.modules})
        return
    from oncobank.reports.terminal import render_dictionary

    render_dictionary(console, dictionary, lang=lang, only=section)


@dictionary_app.command("export")
def dictionary_export(
    module: Annotated[str, typer.Argument(help="Module name.")],
    fmt: Annotated[str, typer.Option("--format", help="Export format: redcap.")] = "redcap",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).")] = None,
    lang: LangOption = "en",
) -> None:
    """Export a module as a REDCap data dictionary (18-column CSV)."""
    from oncobank.dictionary.redcap import export_redcap

    if fmt != "redcap":
        raise fail(f"unknown format {fmt!r}; supported: redcap")
    try:
        dictionary = load_module(module)
    except DictionaryError as exc:
        raise fail(str(exc)) from None
    text = export_redcap(dictionary.module, dictionary.domains, lang=lang)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"Wrote {out}", highlight=False)


@dictionary_app.command("import")
def dictionary_import(
    file: Annotated[Path, typer.Argument(help="A REDCap data-dictionary CSV.")],
    name: Annotated[str | None, typer.Option("--module", help="Module name (default: the file's stem).")] = None,
    extends: Annotated[list[str] | None, typer.Option("--extends", help="Modules it extends.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="YAML file to write (default: standard output).")] = None,
) -> None:
    """Turn a REDCap data dictionary into a module YAML (validated before it is written)."""
    from oncobank.dictionary.loader import resolve_module
    from oncobank.dictionary.redcap import RedcapError, import_redcap, module_to_yaml

    module_name = name or file.stem.lower().replace("-", "_")
    try:
        module = import_redcap(file.read_text(encoding="utf-8-sig"), module_name, extends=extends)
        resolve_module(module)
    except (RedcapError, DictionaryError) as exc:
        raise fail(f"{file}: {exc}") from None
    text = module_to_yaml(module)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"Wrote {out} ({len(module.sections)} sections)", highlight=False)


@app.command()
def demo(
    home: Annotated[Path, typer.Option("--home", help="Folder for the demo's store and files.")] = Path(
        "oncobank-demo"
    ),
    patients: Annotated[int, typer.Option("--patients", min=1)] = 500,
    seed: Annotated[int, typer.Option("--seed")] = 1,
) -> None:
    """Generate a synthetic hospital, load it into an embedded store and summarise it."""
    from oncobank.demo import run_demo

    run_demo(console, home, patients=patients, seed=seed, user=current_user())
