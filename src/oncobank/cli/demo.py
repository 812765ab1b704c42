"""`oncobank synth` and `oncobank demo`: a synthetic hospital, and the demo that loads it and says what to try next."""

from __future__ import annotations

import shlex
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from oncobank.cli.common import JsonOption, console, current_user, emit_json, fail

MAPPING = "synthetic_hospital.yaml"


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


def demo(
    home: Annotated[Path, typer.Option("--home", help="Folder for the demo's store and files.")] = Path(
        "oncobank-demo"
    ),
    patients: Annotated[int, typer.Option("--patients", min=1, help="Number of synthetic patients.")] = 500,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same hospital).")] = 1,
) -> None:
    """Generate a synthetic hospital, load it into an embedded store, summarise it and say what to try next."""
    run_demo(console, home, patients=patients, seed=seed, user=current_user())


def run_demo(console: Console, home: Path, *, patients: int, seed: int, user: str) -> Path:
    """Generate, load and summarise a synthetic thyroid registry under `home`; returns the store file."""
    from oncobank.cli.publish import show
    from oncobank.deid.publish import publish
    from oncobank.dictionary import load_module
    from oncobank.reports.terminal import load_table, progress
    from oncobank.store import accounts
    from oncobank.store.clinical import ClinicalStore
    from oncobank.store.db import connect
    from oncobank.store.load import load_registry
    from oncobank.store.migrate import upgrade
    from oncobank.synth import generate

    home = home.resolve()
    hospital = home / "hospital"
    db_file = home / "oncobank.sqlite"
    console.rule("OncoBank demo")
    console.print(f"1/4 Generating a synthetic hospital of {patients} patients (seed {seed}) …")
    generate(patients, seed, hospital, progress=console.is_terminal)
    mapping = hospital / "mapping.yaml"
    # The mapping that fits these exports, beside them, so that the ingest command below runs as printed.
    mapping.write_bytes((resources.files("oncobank.diseases.thyroid") / "mappings" / MAPPING).read_bytes())
    console.print("2/4 Creating the clinical store …")
    engine = connect(f"sqlite:///{db_file}")
    upgrade(engine)
    store = ClinicalStore(engine, load_module("thyroid"))
    accounts.set_up(store, user)  # whoever runs the demo administers its store
    console.print("3/4 Loading the registry JSON …")
    with progress(console) as bar:
        task = bar.add_task("Loading patients", total=patients)
        report = load_registry(store, hospital, user=user, on_patient=lambda n: bar.advance(task, n))
    console.print(load_table(report))
    console.print(_section_counts(store))
    analysis = home / "analysis.duckdb"
    console.print("4/4 Publishing the de-identified analysis store …")
    with progress(console) as bar:
        task = bar.add_task("Publishing patients", total=None)
        published = publish(store, str(analysis), user=user,
                            on_plan=lambda plan: bar.update(task, total=len(plan.patients)),
                            on_batch=lambda n: bar.advance(task, n))
    show(console, published, "en")
    engine.dispose()
    console.rule("Where things are")
    for what, where in (
        ("Clinical store (SQLite)", db_file),
        ("Analysis store, de-identified (DuckDB)", analysis),
        ("Attachments", store.attachments),
        ("Registry JSON (loaded above)", hospital / "registry"),
        ("Hospital exports (EMR, LIS, HL7, PACS, reports, PDFs)", hospital / "exports"),
        ("Mapping of those exports", mapping),
        ("Ground truth", hospital / "ground_truth.json"),
    ):
        # Paths are printed whole (no table cell to truncate them) so they can be copied.
        console.print(f"{what}: {where}", soft_wrap=True, highlight=False)
    console.rule("Try next")
    for line in next_steps(home):
        console.print(line, soft_wrap=True, highlight=False, markup=False)
    return db_file


def next_steps(home: Path) -> list[str]:
    """The commands to run after the demo, exactly as printed (and as the README lists them)."""
    hospital = home / "hospital"
    q = shlex.quote
    return [
        f"export ONCOBANK_HOME={q(str(home))}   # the demo's store: {home / 'oncobank.sqlite'}",
        "oncobank patient show TH-000001 --lang ru",
        "oncobank thyroid rair",
        "oncobank thyroid rair TH-000001 --lang ru",
        f"oncobank thyroid report --out {q(str(home / 'reports' / 'thyroid-cohort.html'))}",
        f"oncobank ingest {q(str(hospital))} --mapping {q(str(hospital / 'mapping.yaml'))}"
        f" --db {q('sqlite:///' + str(home / 'ingested.sqlite'))}",
    ]


def _section_counts(store: object) -> Table:
    from sqlalchemy import func, select

    from oncobank.store.models import Entry, EntryVersion, Patient

    with store.session() as s:  # type: ignore[attr-defined]
        n_patients = s.scalar(select(func.count()).select_from(Patient))
        rows = s.execute(
            select(Entry.section, func.count(), func.count(func.distinct(Entry.patient_id)))
            .join(EntryVersion, (EntryVersion.entry_id == Entry.id) & (EntryVersion.version == Entry.current_version))
            .where(EntryVersion.status == "active")
            .group_by(Entry.section)
            .order_by(Entry.section)
        ).all()
    table = Table(title=f"Registry: {n_patients} patients / Регистр: пациентов {n_patients}")
    for column in ("Section / Раздел", "Entries / Записи", "Patients with any / Пациентов с записями"):
        table.add_column(column, justify="left" if column.startswith("Section") else "right")
    for section, entries, with_any in rows:
        label = store.dictionary.section(section).label  # type: ignore[attr-defined]
        table.add_row(f"{label.en} / {label.ru}", str(entries), str(with_any))
    return table
