"""Rich renderings for the terminal: patient card, load reconciliation and quarantine, audit log, dictionary.

Everything that comes from stored data or from a file goes through `printable` (and into `Text`, never markup):
a value can neither move the cursor, retitle the window nor style the table.
"""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.schema import FieldDef
from oncobank.dictionary.units import display_unit
from oncobank.numbers import number
from oncobank.reports.labels import label, label_or
from oncobank.reports.printable import printable
from oncobank.store.card import EntryView, PatientCard, VersionView
from oncobank.store.load import LoadReport


def progress(console: Console) -> Progress:
    """A progress bar for long jobs; shown on a terminal, or anywhere when ONCOBANK_PROGRESS is set."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal and "ONCOBANK_PROGRESS" not in os.environ,
    )


def load_table(report: LoadReport, lang: str = "en") -> Table:
    table = Table(title=label("load_title", lang))
    table.add_column("")
    for key in ("in", "loaded", "skipped", "quarantined"):
        table.add_column(label(key, lang), justify="right")
    table.add_row(
        label("patients", lang),
        str(report.patients_in),
        str(report.patients_loaded),
        str(report.patients_skipped),
        str(report.patients_quarantined),
    )
    table.add_row(
        label("entries", lang),
        str(report.entries_in),
        str(report.entries_loaded),
        str(report.entries_skipped),
        str(report.entries_quarantined),
    )
    rules = ", ".join(f"{rule} {n}" for rule, n in sorted(report.rules.items())) or "-"
    ok = label("yes" if report.balanced else "no", lang)
    table.caption = (
        f"{label('warnings', lang)}: {report.warnings} · {label('quarantined', lang)}: {rules} · "
        f"{label('balanced', lang)}: {ok}"
    )
    return table


def quarantine_table(rows: list[dict[str, Any]], lang: str = "en", *, shown: int | None = None) -> Table:
    """Quarantined problems, one a row: where (file line or source row), patient, section, field, value, rule.

    `rows` are a load report's `quarantined` list or `oncobank.store.load.quarantined` rows; at most `shown` are
    drawn, and the caption says how many more there are.
    """
    table = Table(title=label("quarantine_title", lang))
    for key in ("location", "patient", "section", "field", "value", "problem"):
        table.add_column(label(key, lang))
    for row in rows[:shown]:
        where = row.get("location") or f"{label('line', lang)} {row['line']}"
        value = "" if row.get("value") is None else row["value"]
        table.add_row(*(_text(x or "") for x in (where, row.get("patient"), row.get("section"), row.get("field"))),
                      _text(value), _text(f"{row.get('message') or ''} [{row.get('rule')}]"))
    more = len(rows) - len(rows[:shown])
    table.caption = label("quarantine_more", lang).format(n=more) if more else label("quarantine_fix", lang)
    return table


def _text(value: Any) -> Text:
    """A cell from stored or loaded data: control characters escaped, brackets shown as brackets."""
    return Text(printable(value))


def audit_table(events: list[dict[str, Any]], lang: str = "en") -> Table:
    table = Table(title=label("audit_title", lang))
    for key in ("when", "user", "action", "patient", "entry"):
        table.add_column(label(key, lang))
    table.add_column(label("details", lang))
    for e in events:
        details = ", ".join(f"{k}={v}" for k, v in (e["details"] or {}).items())
        action = label_or(f"action_{e['action']}", e["action"], lang)
        table.add_row(e["at"], _text(e["user"] or ""), action, _text(e["patient"] or ""), str(e["entry"] or ""),
                      _text(details))
    return table


def render_card(
    console: Console, card: PatientCard, dictionary: Dictionary, *, lang: str = "en", history: bool = True
) -> None:
    header = Text.assemble(
        (f"{label('patient', lang)} {printable(card.registry_id)}", "bold"),
        f"  ·  {label('centre', lang)} {printable(card.centre)}  ·  {dictionary.module.label.get(lang)}",
    )
    if card.identifiers:
        header.append(
            "\n"
            + label("identifiers", lang)
            + ": "
            + printable(", ".join(f"{k} {v}" for k, v in sorted(card.identifiers.items())))
        )
    console.print(Panel(header))
    for entry in card.entries:
        console.print(_entry_table(entry, dictionary, lang, history))
    if card.attachments:
        table = Table(title=label("attachments", lang), caption=label("attachment_hint", lang))
        for col in ("attachment_no", "entry", "type", "value"):
            table.add_column(label(col, lang))
        for a in card.attachments:
            size = f"{a.size} {label('bytes', lang)}"
            table.add_row(str(a.id), str(a.entry_id or ""), _text(a.media_type),
                          _text(f"{a.original_name} ({size}, {a.sha256[:12]}…)"))
        console.print(table)


def _entry_table(entry: EntryView, dictionary: Dictionary, lang: str, history: bool) -> Table:
    section = dictionary.section(entry.section)
    current = entry.current
    title = f"{section.label.get(lang)}"
    if current.entry_date:
        title += f" — {current.entry_date.isoformat()}"
    if current.facility:
        title += f" — {current.facility}"
    title += f"  [{label('entry', lang)} {entry.entry_id}, v{current.version}]"
    if entry.retracted:
        title += f"  {label('retracted', lang)}"
    table = Table(title=escape(printable(title)), title_justify="left", show_header=True, expand=False)
    table.add_column(label("field", lang))
    table.add_column(label("value", lang))
    for f in section.fields:
        if f.name in current.values:
            table.add_row(f.label.get(lang), _text(_value_text(f, current, dictionary, lang)))
    for w in current.warnings:
        table.add_row(Text(label("warning", lang), style="yellow"), _text(f"{w['field']}: {w['message']}"))
    if history and len(entry.versions) > 1:
        for v in entry.versions:
            table.add_row(
                f"{label('version', lang)} {v.version}",
                _text(
                    f"{v.created_at:%Y-%m-%d %H:%M} {v.author} {label_or(f'status_{v.status}', v.status, lang)}"
                    + (f" — {label('reason', lang)}: {v.reason}" if v.reason else "")
                ),
            )
    for r in entry.reviews:
        revised = ", ".join(f"{_field_label(section, k, lang)}: {_plain(v, lang)}" for k, v in r.revised_values.items())
        table.add_row(
            Text(label("review", lang), style="cyan"),
            _text(
                f"{r.review_date} {r.reviewer} (v{r.entry_version}): "
                f"{label_or(f'agreement_{r.agreement}', r.agreement, lang)}"
                + (f"; {revised}" if revised else "")
                + (f"; {r.comment}" if r.comment else "")
            ),
        )
    return table


def _value_text(f: FieldDef, version: VersionView, dictionary: Dictionary, lang: str) -> str:
    value = version.values[f.name]
    if f.domain:
        names = {c.code: c.label.get(lang) for c in dictionary.domains[f.domain].codes}
        items = value if isinstance(value, list) else [value]
        text = ", ".join(names.get(str(v), str(v)) for v in items)
    elif f.unit:
        text = f"{number(value, lang)} {display_unit(f.unit)}"
        entered = version.entered.get(f.name)
        if entered and entered["unit"] != f.unit:
            text += f" ({label('as_entered', lang)}: {number(entered['value'], lang)} {entered['unit']})"
        ref = version.reference_ranges.get(f.name)
        if ref:
            low, high = ("" if x is None else number(x, lang) for x in ref)
            text += f" [{label('reference', lang)} {low}–{high}]"
    else:
        text = _plain(value, lang)
    return text


def _range_text(bounds: Any, lang: str) -> str:
    if bounds is None:
        return "-"
    low = "-∞" if bounds.min is None else number(bounds.min, lang)
    high = "+∞" if bounds.max is None else number(bounds.max, lang)
    return f"[{low}; {high}]" if lang == "ru" else f"[{low}, {high}]"  # a comma is the Russian decimal mark


def _plain(value: Any, lang: str) -> str:
    """A value without a domain or unit: yes/no for booleans, numbers in the language's form."""
    if isinstance(value, bool):
        return label("yes" if value else "no", lang)
    if isinstance(value, int | float):
        return number(value, lang)
    if isinstance(value, list):
        return ", ".join(_plain(v, lang) for v in value)
    return str(value)


def _field_label(section: Any, name: str, lang: str) -> str:
    try:
        return section.field(name).label.get(lang)
    except KeyError:
        return name


def render_dictionary(console: Console, dictionary: Dictionary, *, lang: str = "en", only: str | None = None) -> None:
    for section in dictionary.sections.values():
        if only and section.name != only:
            continue
        flags = f" ({label('repeating', lang)})" if section.repeating else ""
        table = Table(title=f"{section.label.get(lang)} — {section.name}{flags}", title_justify="left")
        for key in ("field", "type", "unit", "units", "domain", "range", "required"):
            table.add_column(label(key, lang))
        for f in section.fields:
            ranges = " / ".join(_range_text(r, lang) for r in (f.hard_range, f.soft_range))
            table.add_row(
                f"{f.label.get(lang)}\n[dim]{f.name}[/dim]",
                label_or(f"type_{f.type.value}", f.type.value, lang) + (" ×n" if f.multiple else ""),
                display_unit(f.unit) if f.unit else "",
                ", ".join(display_unit(u) for u in f.units),
                f.domain or "",
                ranges if (f.hard_range or f.soft_range) else "",
                label("yes", lang) if f.required else "",
            )
        console.print(table)
