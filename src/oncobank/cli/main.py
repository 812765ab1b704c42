"""The `oncobank` command: the command groups in the order a registry team meets them, and the one error path."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from oncobank.cli import (
    ai,
    attachment,
    audit,
    central,
    cohort,
    demo,
    dictionary,
    entry,
    ingest,
    patient,
    quality,
    query,
    serve,
    stats,
    store,
    structure,
    thyroid,
    user,
)
from oncobank.cli import publish as publishing
from oncobank.cli.common import fail
from oncobank.cli.errors import GuardedGroup, run_guarded

SETUP, RECORDS, SOURCES, ANALYSIS = "Set-up", "Patient records", "Hospital sources", "Analysis and AI"

app = typer.Typer(help="OncoBank: multimodal oncology registries.", no_args_is_help=True, cls=GuardedGroup)


def _version(value: bool) -> None:
    if value:
        try:
            typer.echo(f"oncobank {version('oncobank')}")
        except PackageNotFoundError:
            raise fail("oncobank is not installed as a package (run `pip install -e .`)") from None
        raise typer.Exit()


@app.callback()
def main(
    _version_flag: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and stop.")
    ] = False,
) -> None:
    """OncoBank: multimodal oncology registries, their research copies, and the evaluation of diagnostic AI."""


app.command("demo", rich_help_panel=SETUP)(demo.demo)
app.command("init", rich_help_panel=SETUP)(store.init)
app.add_typer(store.keys_app, name="store", rich_help_panel=SETUP)
app.command("synth", rich_help_panel=SETUP)(demo.synth)
app.add_typer(user.app, name="user", rich_help_panel=SETUP)
app.add_typer(user.centre_app, name="centre", rich_help_panel=SETUP)
app.add_typer(dictionary.app, name="dictionary", rich_help_panel=SETUP)
app.command("load", rich_help_panel=RECORDS)(store.load)
app.add_typer(patient.app, name="patient", rich_help_panel=RECORDS)
app.add_typer(entry.app, name="entry", rich_help_panel=RECORDS)
app.command("attach", rich_help_panel=RECORDS)(entry.attach_command)
app.add_typer(attachment.app, name="attachment", rich_help_panel=RECORDS)
app.add_typer(query.app, name="query", rich_help_panel=RECORDS)
app.add_typer(audit.app, name="audit", rich_help_panel=RECORDS)
app.command("ingest", rich_help_panel=SOURCES)(ingest.ingest_command)
app.add_typer(ingest.quarantine_app, name="quarantine", rich_help_panel=SOURCES)
app.add_typer(structure.app, name="structure", rich_help_panel=SOURCES)
app.add_typer(ingest.linkage_app, name="linkage", rich_help_panel=SOURCES)
app.command("provenance", rich_help_panel=SOURCES)(ingest.provenance_command)
app.command("conflicts", rich_help_panel=SOURCES)(ingest.conflicts_command)
app.command("publish", rich_help_panel=ANALYSIS)(publishing.publish_command)
app.add_typer(central.app, name="central", rich_help_panel=ANALYSIS)
app.add_typer(cohort.app, name="cohort", rich_help_panel=ANALYSIS)
app.add_typer(thyroid.app, name="thyroid", rich_help_panel=ANALYSIS)
app.add_typer(stats.app, name="stats", rich_help_panel=ANALYSIS)
app.add_typer(quality.app, name="quality", rich_help_panel=ANALYSIS)
app.add_typer(ai.app, name="ai", rich_help_panel=ANALYSIS)
app.command("serve", rich_help_panel=SETUP)(serve.serve)


def run() -> None:
    """The console-script entry point: the app, with unexpected errors and closed pipes handled."""
    sys.exit(run_guarded(app))


if __name__ == "__main__":
    run()
