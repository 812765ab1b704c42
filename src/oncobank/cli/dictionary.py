"""`oncobank dictionary show | export | import`: show a module, write it as REDCap CSV, read REDCap CSV into YAML."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

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
    module: Annotated[str, typer.Argument(help="Module name, or a module YAML file (e.g. one `import` wrote).")],
    fmt: Annotated[str, typer.Option("--format", help="Export format: redcap.")] = "redcap",
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: standard output).")] = None,
    lang: LangOption = "en",
) -> None:
    """Export a module as a REDCap data dictionary (18-column CSV)."""
    from oncobank.dictionary.redcap import RedcapError, export_redcap

    if fmt != "redcap":
        raise fail(f"--format {fmt!r}: supported: redcap")
    dictionary = _module_file(Path(module)) if module.endswith((".yaml", ".yml")) else _module(module)
    try:
        text = export_redcap(dictionary.module, dictionary.domains, lang=lang)
    except RedcapError as exc:
        raise fail(f"{module}: {exc}") from None
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        err.print(f"Wrote {out}", highlight=False)


def _module_file(path: Path):  # type: ignore[no-untyped-def]
    from oncobank.dictionary import DictionaryError
    from oncobank.dictionary.loader import load_file

    if not path.is_file():
        raise fail(f"{path}: no such module file")
    try:
        return load_file(path)
    except DictionaryError as exc:
        raise fail(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{path}: cannot read it as UTF-8 text ({type(exc).__name__})") from None


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A REDCap data-dictionary CSV.")],
    name: Annotated[str | None, typer.Option("--module", help="Module name (default: the file's stem).")] = None,
    extends: Annotated[list[str] | None, typer.Option("--extends", help="Modules it extends.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="YAML file to write (default: standard output).")] = None,
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """Turn a REDCap data dictionary into a module YAML (validated before it is written); list what the module
    does not keep or does not apply."""
    from oncobank.dictionary import DictionaryError
    from oncobank.dictionary.loader import resolve_module
    from oncobank.dictionary.redcap import RedcapError, module_to_yaml, read_redcap

    module_name = name or file.stem.lower().replace("-", "_")
    try:
        result = read_redcap(file.read_text(encoding="utf-8-sig"), module_name, extends=extends)
        resolve_module(result.module)
    except (RedcapError, DictionaryError) as exc:
        raise fail(f"{file}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{file}: cannot read it as UTF-8 text ({type(exc).__name__})") from None
    text = module_to_yaml(result.module)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    fields = sum(len(s.fields) for s in result.module.sections)
    if as_json:
        emit_json({"file": str(file), "out": str(out) if out else None, "module": result.module.module,
                   "sections": len(result.module.sections), "fields": fields,
                   "losses": [loss.as_json() for loss in result.losses], "warnings": result.warnings,
                   **({} if out else {"yaml": text})})
        return
    if out is None:
        sys.stdout.write(text)
    _print_losses(result, lang)
    if out is not None:
        err.print(_IMPORT_LABELS["wrote"][lang == "ru"].format(out=out, sections=len(result.module.sections),
                                                               fields=fields), highlight=False)


_IMPORT_LABELS = {
    "title": ("What the module does not keep or does not apply", "Что модуль не сохранил или не применяет"),
    "row": ("Row", "Строка"),
    "variable": ("Variable", "Переменная"),
    "kind": ("What", "Что"),
    "status": ("Status", "Статус"),
    "detail": ("Detail", "Подробно"),
    "warning": ("warning", "предупреждение"),
    "summary": ("{dropped} dropped, {kept} kept but not applied", "{dropped} не загружено, {kept} сохранено, "
                "но не применяется"),
    "wrote": ("Wrote {out} ({sections} sections, {fields} fields)", "Записан {out} (разделов: {sections}, "
              "полей: {fields})"),
}


def _print_losses(result, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The loss list as a table on standard error (standard output may carry the YAML), then the warnings."""
    from rich.table import Table

    from oncobank.dictionary.redcap_format import LOSS_KINDS, LOSS_STATUS

    ru = lang == "ru"
    for warning in result.warnings:
        err.print(f"{_IMPORT_LABELS['warning'][ru]}: {escape(warning)}", highlight=False)
    if not result.losses:
        return
    table = Table(title=_IMPORT_LABELS["title"][ru])
    for key in ("row", "variable", "kind", "status", "detail"):
        table.add_column(_IMPORT_LABELS[key][ru], overflow="fold")
    for loss in result.losses:
        table.add_row("" if loss.row is None else str(loss.row), escape(loss.variable or ""),
                      LOSS_KINDS[loss.kind][ru], LOSS_STATUS[loss.kept][ru], escape(loss.text))
    err.print(table)
    kept = sum(loss.kept for loss in result.losses)
    err.print(_IMPORT_LABELS["summary"][ru].format(dropped=len(result.losses) - kept, kept=kept), highlight=False)
