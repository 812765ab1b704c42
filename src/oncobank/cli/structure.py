"""The `oncobank structure` commands: extract facts from a report, score the extractor on a corpus, and review the
facts the store's documents state (run, review, accept, reject)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from oncobank.cli.common import (
    DbOption,
    JsonOption,
    LangOption,
    ModuleOption,
    emit_json,
    err,
    fail,
    friendly,
    open_store,
)
from oncobank.reports.printable import printable

app = typer.Typer(
    help="Report structuring: facts with their source spans from Russian and English reports.", no_args_is_help=True
)


def _extractor(module: str):
    from oncobank.dictionary.loader import DictionaryError, load_module
    from oncobank.nlp.extract import Extractor

    try:
        return Extractor(module, load_module(module).units)
    except (DictionaryError, ValueError) as exc:
        raise fail(f"module {module!r}: {exc}") from None


@app.command("extract")
def extract_command(
    file: Annotated[Path, typer.Argument(help="A report: UTF-8 text, PDF, or a scan (PNG, JPEG, TIFF) read by OCR.")],
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
        table.add_row(
            f"{f.section}.{f.field}", _shown(f.value), _shown(text[f.start : f.end]), f.rule, f"{f.confidence:.2f}"
        )
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
        table.add_row(
            label("overall", lang),
            f"{data['precision']:.3f}",
            f"{data['recall']:.3f}",
            f"{data['f1']:.3f}",
            style="bold",
        )
        Console().print(table)


ProposalArgument = Annotated[int, typer.Argument(help="Proposal number (shown by `oncobank structure review`).")]


def _open(db: str | None, module: str, what: str):
    from oncobank.store.access import Permission

    return open_store(db, module, need=Permission.STRUCTURE, what=what)


@app.command("run")
@friendly()
def run_command(
    db: DbOption = None,
    module: ModuleOption = "thyroid",
    auto_accept: Annotated[
        float | None,
        typer.Option("--auto-accept", help="Accept proposals whose every fact has at least this confidence (0-1)."),
    ] = None,
    json_out: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """Read every document of the store within your reach and propose the facts it states; re-running adds nothing
    new unless the documents or the rules changed, and never touches what a person decided."""
    from dataclasses import asdict

    from oncobank.nlp import review
    from oncobank.nlp.labels import label
    from oncobank.reports.terminal import progress

    store = _open(db, module, "structure documents")
    with progress(err) as bar:
        task = bar.add_task(label("documents", lang), total=None)
        report = review.run(store, store.actor, auto_accept=auto_accept, on_document=lambda: bar.advance(task))
    if json_out:
        emit_json(asdict(report))
        return
    table = Table(title=label("run", lang))
    table.add_column("")
    table.add_column("", justify="right")
    for key in ("documents", "proposed", "unchanged", "superseded", "auto_accepted"):
        table.add_row(label(key, lang), str(getattr(report, key)))
    Console().print(table)
    for line in report.refused:
        err.print(f"{label('refused', lang)}: {escape(printable(line))}", highlight=False)


@app.command("review")
@friendly()
def review_command(
    patient: Annotated[str | None, typer.Option("--patient", help="Registry ID of one patient.")] = None,
    status: Annotated[
        str, typer.Option(help="pending, accepted, corrected, rejected, superseded, or all.")
    ] = "pending",
    db: DbOption = None,
    module: ModuleOption = "thyroid",
    json_out: JsonOption = False,
    lang: LangOption = "en",
) -> None:
    """List proposed entries: each field with its value, the text it was read from and the rule's confidence."""
    from oncobank.nlp import review
    from oncobank.nlp.labels import label

    store = _open(db, module, "review structured facts")
    found = review.proposals(store, store.actor, status=None if status == "all" else status, registry_id=patient)
    if json_out:
        emit_json(found)
        return
    if not found:
        Console().print(label("none_found", lang))
        return
    table = Table(title=label("proposals", lang))
    for key in ("proposal", "patient", "field", "value", "span", "confidence", "status"):
        table.add_column(label(key, lang))
    for p in found:
        for item in p["items"]:
            table.add_row(
                str(p["id"]),
                p["patient"],
                _field_shown(p, item, lang),
                _shown(item["value"]),
                _shown(" … ".join(item["text"])),
                f"{item['confidence']:.2f}",
                p["status"],
            )
    Console().print(table)


def _field_shown(proposal: dict[str, Any], item: dict[str, Any], lang: str) -> str:
    """`section.field`, `section[k].field` for the k-th record, with the entry date and a value not kept named."""
    from oncobank.nlp.labels import label

    record = f"[{proposal['record']}]" if proposal.get("record") else ""
    role = {"date": f" ({label('entry_date', lang)})", "not kept": f" ({label('not_kept', lang)})"}
    return f"{proposal['section']}{record}.{item['field']}{role.get(item.get('role', 'value'), '')}"


@app.command("accept")
@friendly()
def accept_command(
    proposal: ProposalArgument,
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="field=value to correct a fact, repeatable; 'field=' leaves the field out."),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (kept with the entry's version).")] = None,
    db: DbOption = None,
    module: ModuleOption = "thyroid",
    lang: LangOption = "en",
) -> None:
    """Accept a proposal (corrected with --set) into the registry: a new entry, or a new version of the entry this
    document's facts went to before."""
    from oncobank.cli.entry import parse_values
    from oncobank.nlp import review
    from oncobank.nlp.labels import label

    store = _open(db, module, "accept structured facts")
    section = review.section_of(store, store.actor, proposal)
    corrections = {
        k: (None if v in ("", []) else v) for k, v in parse_values(store.dictionary, section, assignments, None).items()
    }
    ref = review.accept(store, store.actor, proposal, corrections, reason=reason)
    Console().print(
        f"{label('proposal', lang)} {proposal}: {label('accepted', lang)} {ref.entry_id}, "
        f"{label('version', lang)} {ref.version}"
    )


@app.command("reject")
@friendly()
def reject_command(
    proposal: ProposalArgument,
    reason: Annotated[str, typer.Option(help="Why the facts are wrong (required).")],
    db: DbOption = None,
    module: ModuleOption = "thyroid",
    lang: LangOption = "en",
) -> None:
    """Reject a proposal; the values it holds are not proposed again for its document."""
    from oncobank.nlp import review
    from oncobank.nlp.labels import label

    store = _open(db, module, "reject structured facts")
    review.reject(store, store.actor, proposal, reason=reason)
    Console().print(f"{label('proposal', lang)} {proposal}: {label('rejected', lang)}")


def _shown(value: object) -> str:
    """A value or a span as one line of escaped text: line breaks and control characters written as escapes."""
    return escape(printable(str(value).replace("\n", "\\n")))
