"""The `oncobank structure` commands: extract facts from a report text, and score the extractor on a corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from oncobank.cli.common import JsonOption, LangOption, ModuleOption, emit_json, fail

app = typer.Typer(help="Report structuring: facts with their source spans from Russian and English reports.",
                  no_args_is_help=True)


def _extractor(module: str):
    from oncobank.dictionary.loader import DictionaryError, load_module
    from oncobank.nlp.extract import Extractor

    try:
        return Extractor(module, load_module(module).units)
    except (DictionaryError, ValueError) as exc:
        raise fail(f"module {module!r}: {exc}") from None


@app.command("extract")
def extract_command(
    file: Annotated[Path, typer.Argument(help="A report: UTF-8 text or PDF.")],
    module: ModuleOption = "thyroid",
    kind: Annotated[str | None, typer.Option(help="Report type (default: recognised from the text).")] = None,
    json_out: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Print the facts one report states, each with its character span, rule and confidence."""
    from oncobank.ingest.documents import extract_text
    from oncobank.nlp.labels import label

    if not file.is_file():
        raise fail(f"file {file.name!r} does not exist")
    try:
        text = extract_text(file.read_bytes())
    except ValueError as exc:
        raise fail(f"file {file.name!r}: {exc}") from None
    extractor = _extractor(module)
    if kind is not None and kind not in extractor.by_kind:
        raise fail(f"--kind {kind!r} is not a report type of {module!r} ({', '.join(sorted(extractor.by_kind))})")
    result = extractor.extract(text, kind)
    if json_out:
        emit_json({"kind": result.kind, "facts": [f.to_dict() for f in result.facts]})
        return
    if result.kind is None:
        Console().print(label("no_type", lang))
        return
    table = Table(title=f"{label('facts', lang)}: {result.kind}")
    for key in ("field", "value", "span", "rule", "confidence"):
        table.add_column(label(key, lang))
    for f in result.facts:
        table.add_row(f"{f.section}.{f.field}", str(f.value), text[f.start:f.end], f.rule, f"{f.confidence:.2f}")
    Console().print(table)


@app.command("evaluate")
def evaluate_command(
    corpus: Annotated[Path, typer.Argument(help="A synthetic hospital folder or a hand-written corpus (YAML).")],
    module: ModuleOption = "thyroid",
    json_out: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Precision, recall and F1 per field and per report type against the corpus's gold facts."""
    from oncobank.nlp.evaluate import corpus as read_corpus
    from oncobank.nlp.evaluate import score
    from oncobank.nlp.labels import label

    extractor = _extractor(module)
    try:
        result = score(extractor, read_corpus(corpus))
    except (ValueError, OSError) as exc:
        raise fail(f"corpus {corpus.name!r}: {exc}") from None
    data = result.as_dict()
    if json_out:
        emit_json(data)
        return
    for title, rows in ((label("kind", lang), data["kinds"]), (label("field", lang), data["fields"])):
        table = Table(title=f"{label('evaluation', lang)} ({data['reports']} {label('reports', lang)})")
        for i, name in enumerate((title, label("precision", lang), label("recall", lang), label("f1", lang))):
            table.add_column(name, justify="left" if i == 0 else "right")
        for name, s in rows.items():
            table.add_row(name, f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}")
        table.add_row(label("overall", lang), f"{data['precision']:.3f}", f"{data['recall']:.3f}", f"{data['f1']:.3f}",
                      style="bold")
        Console().print(table)
