"""`oncobank dictionary show | export | import`: read a module, write it as REDCap CSV, turn REDCap CSV into YAML."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from oncobank.cli.common import JsonOption, LangOption, console, emit_json, err, fail

app = typer.Typer(help="Show, export and import data-dictionary modules.", no_args_is_help=True)


def _module(name: str):  # type: ignore[no-untyped-def]
    from oncobank.dictionary import DictionaryError, load_module

    try:
        return load_module(name)
    except DictionaryError as exc:
        raise fail(str(exc)) from None


@app.command("show")
def show(
    module: Annotated[str, typer.Argument(help="Module name, e.g. thyroid, lung, core.")],
    lang: LangOption = "en",
    section: Annotated[str | None, typer.Option("--section", help="Only this section.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The sections and fields of a module, with types, units, domains and ranges."""
    dictionary = _module(module)
    if section is not None and section not in dictionary.sections:
        known = ", ".join(dictionary.sections)
        raise fail(f"module {module} has no section {section!r}; its sections: {known}")
    if as_json:
        emit_json({m.module: m.model_dump(mode="json", exclude_defaults=True) for m in dictionary.modules})
        return
    from oncobank.reports.terminal import render_dictionary

    render_dictionary(console, dictionary, lang=lang, only=section)


@app.command("export")
def export(
    module: Annotated[str, typer.Argument(help="Module name.")],
    fmt: Annotated[str, typer.Option("--format", help="Export format: redcap.")] = "redcap",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).")] = None,
    lang: LangOption = "en",
) -> None:
    """Export a module as a REDCap data dictionary (18-column CSV)."""
    from oncobank.dictionary.redcap import export_redcap

    if fmt != "redcap":
        raise fail(f"--format {fmt!r}: supported: redcap")
    dictionary = _module(module)
    text = export_redcap(dictionary.module, dictionary.domains, lang=lang)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"Wrote {out}", highlight=False)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A REDCap data-dictionary CSV.")],
    name: Annotated[str | None, typer.Option("--module", help="Module name (default: the file's stem).")] = None,
    extends: Annotated[list[str] | None, typer.Option("--extends", help="Modules it extends.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="YAML file to write (default: standard output).")] = None,
) -> None:
    """Turn a REDCap data dictionary into a module YAML (validated before it is written)."""
    from oncobank.dictionary import DictionaryError
    from oncobank.dictionary.loader import resolve_module
    from oncobank.dictionary.redcap import RedcapError, import_redcap, module_to_yaml

    module_name = name or file.stem.lower().replace("-", "_")
    try:
        module = import_redcap(file.read_text(encoding="utf-8-sig"), module_name, extends=extends)
        resolve_module(module)
    except (RedcapError, DictionaryError) as exc:
        raise fail(f"{file}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{file}: cannot read it as UTF-8 text ({type(exc).__name__})") from None
    text = module_to_yaml(module)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"Wrote {out} ({len(module.sections)} sections)", highlight=False)
