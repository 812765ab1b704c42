"""A patient's Gantt-style timeline as server-rendered SVG: one track per section, drawn from entry dates.

Which sections are periods (start to end), which value is a line, and which field marks a death come from the
disease module's `timeline.yaml` (data, read generically); any other dated section is a row of points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml
from markupsafe import Markup, escape

from oncobank.dictionary.loader import Dictionary
from oncobank.dictionary.schema import FieldType, Section
from oncobank.dictionary.units import display_unit
from oncobank.store.card import EntryView, PatientCard

WIDTH, LEFT, ROW, TOP = 980, 230, 30, 28
LINE_ROW = 3  # a line track is this many rows tall


@dataclass(frozen=True)
class Track:
    """How one section is drawn: point, period, line or death, and the fields that say what."""

    section: str
    kind: str = "point"
    label_field: str | None = None
    value_field: str | None = None
    start_field: str | None = None
    end_field: str | None = None
    date_field: str | None = None
    marks: tuple[str, ...] = ()


@dataclass
class Mark:
    """One thing drawn: a point, a period (with its marks inside), a value of a line, or a death."""

    track: int
    start: date
    end: date | None = None
    open_end: bool = False
    text: str = ""
    value: float | None = None
    inner: list[date] = field(default_factory=list)
    tone: str = ""
    entry_id: int | None = None


@cache
def configured(module: str) -> tuple[Track, ...]:
    """The tracks a disease module declares in its timeline.yaml (none: every dated section is a point track)."""
    path = resources.files("oncobank.diseases") / module / "timeline.yaml"
    if not path.is_file():
        return ()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(Track(**{**t, "marks": tuple(t.get("marks", ()))}) for t in raw.get("tracks", []))


def tracks(dictionary: Dictionary, module: str) -> list[Track]:
    """The declared tracks of sections the dictionary has, then a point track for every other dated section."""
    declared = [t for t in configured(module) if t.section in dictionary.sections]
    named = {t.section for t in declared}
    rest = [Track(s.name) for s in dictionary.sections.values() if s.dated and s.name not in named]
    return declared + rest


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _shown(dictionary: Dictionary, section: Section, name: str | None, values: dict[str, Any], lang: str) -> str:
    if not name or values.get(name) in (None, "", []):
        return ""
    f = section.field(name)
    value = values[name]
    if f.domain is not None:
        labels = {c.code: c.label.get(lang) for c in dictionary.domains[f.domain].codes}
        items = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in items)
    if f.type in (FieldType.NUMBER, FieldType.INTEGER):
        return f"{value:g} {display_unit(f.unit)}" if f.unit else f"{value:g}"
    return str(value)


def marks(dictionary: Dictionary, card: PatientCard, chosen: list[Track], lang: str, today: date) -> list[Mark]:
    """Every active entry of the card as what its track draws."""
    found: list[Mark] = []
    for row, track in enumerate(chosen):
        section = dictionary.sections[track.section]
        for entry in card.section(track.section):
            if entry.retracted:
                continue
            found.extend(_marks_of(dictionary, section, track, row, entry, lang, today))
    return found


def _marks_of(dictionary: Dictionary, section: Section, track: Track, row: int, entry: EntryView, lang: str,
              today: date) -> list[Mark]:
    v = entry.current.values
    when = entry.current.entry_date
    text = _shown(dictionary, section, track.label_field, v, lang)
    value_text = _shown(dictionary, section, track.value_field, v, lang)
    if track.kind == "death":
        died = _day(v.get(track.date_field)) if track.date_field else None
        return [Mark(row, died, text=section.field(track.date_field).label.get(lang), tone="death",
                     entry_id=entry.entry_id)] if died else []
    if track.kind == "line":
        number = v.get(track.value_field) if track.value_field else None
        if when is None or not isinstance(number, int | float):
            return []
        return [Mark(row, when, value=float(number), text=value_text, entry_id=entry.entry_id)]
    if when is None:
        return []
    if track.kind == "period":
        start = _day(v.get(track.start_field)) or when
        end = _day(v.get(track.end_field)) if track.end_field else None
        inner = [d for d in (_day(v.get(m)) for m in track.marks) if d]
        return [Mark(row, start, end or today, open_end=end is None, text=text, inner=inner,
                     entry_id=entry.entry_id)]
    label = "; ".join(x for x in (text, value_text) if x)
    tone = str(v.get(track.label_field, "")) if track.label_field else ""
    return [Mark(row, when, text=label, tone=tone, entry_id=entry.entry_id)]


def render(dictionary: Dictionary, card: PatientCard, lang: str, today: date | None = None) -> Markup:
    """The timeline of `card` as an inline SVG element (an accessible title per mark); empty tracks are kept."""
    today = today or date.today()
    chosen = tracks(dictionary, card.module)
    drawn = marks(dictionary, card, chosen, lang, today)
    rows = [LINE_ROW if t.kind == "line" else 1 for t in chosen]
    tops = [TOP + sum(rows[:i]) * ROW for i in range(len(rows))]
    height = TOP + sum(rows) * ROW + 24
    days = [d for m in drawn for d in (m.start, m.end, *m.inner) if d]
    first, last = (min(days), max(days)) if days else (today, today)
    span = max((last - first).days, 30)
    pad = span * 0.03

    def x(day: date) -> float:
        return LEFT + 10 + ((day - first).days + pad) / (span + 2 * pad) * (WIDTH - LEFT - 20)

    out = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
           f'role="img" aria-label="{escape(_title(lang))}">']
    for year in range(first.year, last.year + 2):
        day = date(year, 1, 1)
        if first <= day <= last or year == first.year:
            px = x(max(day, first)) if year == first.year else x(day)
            out.append(f'<line class="tick" x1="{px:.1f}" y1="{TOP - 8}" x2="{px:.1f}" y2="{height - 20}"/>'
                       f'<text class="year" x="{px:.1f}" y="{TOP - 12}">{year if day >= first else first.year}</text>')
    for i, track in enumerate(chosen):
        label = dictionary.sections[track.section].label.get(lang)
        out.append(f'<g class="track" data-section="{track.section}" data-kind="{track.kind}">'
                   f'<text class="label" x="6" y="{tops[i] + 19}">{escape(_short(label))}<title>{escape(label)}'
                   f'</title></text><line class="lane" x1="{LEFT}" y1="{tops[i] + rows[i] * ROW}" x2="{WIDTH - 4}" '
                   f'y2="{tops[i] + rows[i] * ROW}"/>')
        mine = [m for m in drawn if m.track == i]
        out.extend(_draw(track, mine, tops[i], rows[i], x))
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def _draw(track: Track, mine: list[Mark], top: int, rows: int, x: Any) -> list[str]:
    mid = top + ROW / 2
    if track.kind == "line":
        return _line(mine, top, rows, x)
    parts = []
    for m in mine:
        tip = escape(f"{m.start.isoformat()}{' – ' + m.end.isoformat() if m.end else ''} {m.text}".strip())
        ref = f' data-entry="{m.entry_id}"'
        if track.kind == "period" and m.end:
            right = "" if not m.open_end else f'<polygon points="{x(m.end):.1f},{mid - 8} {x(m.end) + 8:.1f},{mid} ' \
                                              f'{x(m.end):.1f},{mid + 8}" class="open"/>'
            parts.append(f'<g class="period"{ref}><rect x="{x(m.start):.1f}" y="{mid - 8}" '
                         f'width="{max(x(m.end) - x(m.start), 3):.1f}" height="16" rx="3"/>{right}'
                         + "".join(f'<line class="dose" x1="{x(d):.1f}" y1="{mid - 10}" x2="{x(d):.1f}" '
                                   f'y2="{mid + 10}"/>' for d in m.inner)
                         + f'<text class="in" x="{x(m.start) + 4:.1f}" y="{mid + 4}">{escape(_short(m.text))}</text>'
                         f'<title>{tip}</title></g>')
        elif track.kind == "death":
            parts.append(f'<g class="death"{ref}><path d="M{x(m.start) - 7:.1f},{mid - 7} l14,14 m0,-14 l-14,14"/>'
                         f'<title>{tip}</title></g>')
        else:
            parts.append(f'<g class="point tone-{escape(m.tone)}"{ref}><circle cx="{x(m.start):.1f}" cy="{mid}" '
                         f'r="6"/><title>{tip}</title></g>')
    return parts


def _line(mine: list[Mark], top: int, rows: int, x: Any) -> list[str]:
    """A lab value over time; a logarithmic axis when the values span more than two orders of magnitude."""
    points = sorted((m for m in mine if m.value is not None), key=lambda m: m.start)
    if not points:
        return []
    values = [m.value or 0.0 for m in points]
    low, high = min(values), max(values)
    log = low >= 0 and high > 0 and (high / max(low, high / 1e6)) > 100

    def scale(v: float) -> float:
        return math.log10(v + 1) if log else v

    lo, hi = scale(low), scale(high)
    height = rows * ROW - 10

    def y(v: float) -> float:
        return top + 5 + height - (0.5 if hi == lo else (scale(v) - lo) / (hi - lo)) * height

    path = " ".join(f"{x(m.start):.1f},{y(m.value or 0.0):.1f}" for m in points)
    parts = [f'<polyline class="series" points="{path}"/>']
    for m in points:
        parts.append(f'<g class="value" data-entry="{m.entry_id}"><circle cx="{x(m.start):.1f}" '
                     f'cy="{y(m.value or 0.0):.1f}" r="3.5"/><title>{escape(m.start.isoformat() + " " + m.text)}'
                     f'</title></g>')
    return parts


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(lang: str) -> str:
    return "Линия времени пациента" if lang == "ru" else "The patient's timeline"
