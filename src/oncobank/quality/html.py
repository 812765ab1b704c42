"""The HTML quality report (Russian or English): a score chart per dimension, a trend chart, failed checks with
their suggestions, and the command that lists each check's problem records. Self-contained: inline SVG, no assets."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from oncobank.quality.history import trend
from oncobank.quality.model import DIMENSIONS
from oncobank.quality.scoring import FAILED, Thresholds, count_text, rescore, scores, shown, suggestion_counts
from oncobank.quality.wording import kahn, label, suggestion, word

BAR_W, BAR_H, TREND_W, TREND_H = 480, 26, 480, 160
COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#d62728", "#8c564b")


def dimension_chart(summary: dict[str, Any], lang: str) -> str:
    """Horizontal bars, one per dimension; a dimension with no score is said to be not applicable."""
    rows = []
    for i, name in enumerate(DIMENSIONS):
        value = summary["dimension"][name]["score"]
        y = i * (BAR_H + 6)
        text = word("not_applicable", lang) if value is None else f"{value:g} %"
        width = 0 if value is None else value / 100 * (BAR_W - 160)
        rows.append(f'<text x="0" y="{y + 18}">{escape(word(name, lang))}</text>'
                    f'<rect x="130" y="{y + 4}" width="{width:.1f}" height="{BAR_H - 8}" fill="{COLOURS[i]}"/>'
                    f'<text x="{136 + width:.1f}" y="{y + 18}">{escape(text)}</text>')
    height = len(DIMENSIONS) * (BAR_H + 6)
    return f'<svg width="{BAR_W}" height="{height}" font-size="12" role="img">{"".join(rows)}</svg>'


def trend_chart(points: list[dict[str, Any]], lang: str) -> str:
    """The overall score and each dimension's over the runs, one polyline each (0 to 100 %)."""
    if not points:
        return ""
    step = (TREND_W - 40) / max(len(points) - 1, 1)
    lines = []
    for i, key in enumerate(("overall", *DIMENSIONS)):
        xy = [(30 + n * step, 10 + (100 - p[key]) / 100 * (TREND_H - 30)) for n, p in enumerate(points)
              if p[key] is not None]
        if xy:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            lines.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS[i % len(COLOURS)]}" '
                         f'stroke-width="2"><title>{escape(word(key, lang))}</title></polyline>')
    axis = (f'<text x="0" y="14">100</text><text x="8" y="{TREND_H - 18}">0</text>'
            f'<line x1="28" y1="{TREND_H - 20}" x2="{TREND_W}" y2="{TREND_H - 20}" stroke="#999"/>')
    return f'<svg width="{TREND_W}" height="{TREND_H}" font-size="11" role="img">{axis}{"".join(lines)}</svg>'


def render(runs: list[dict[str, Any]], overrides: dict[str, Thresholds] | None, lang: str) -> str:
    """The report of the last of `runs`, with the trend of all of them."""
    run = runs[-1]
    scored = rescore(run, overrides)
    summary = scores(scored)
    failed = [r for r in shown(scored, run) if r["status"] in (FAILED, "error")]
    head = "".join(f"<th>{escape(word(k, lang))}</th>" for k in
                   ("check", "dimension", "kahn", "severity", "violated", "denominator", "pct", "suggestion",
                    "problems"))
    body = "".join(
        f"<tr><td><code>{escape(r['id'])}</code><br>{escape(label(r, lang))}</td>"
        f"<td>{escape(word(r['dimension'], lang))}</td><td>{escape(kahn(r['kahn'], lang))}</td>"
        f"<td>{escape(word(r['severity'], lang))}</td><td>{escape(count_text(r, 'violated', lang))}</td>"
        f"<td>{escape(count_text(r, 'denominator', lang))}</td><td>{escape(count_text(r, 'pct', lang))}</td>"
        f"<td>{escape(r['error'] or suggestion(suggestion_counts(r, lang), lang))}</td>"
        f"<td><code>oncobank quality issues {escape(r['id'])}</code></td></tr>" for r in failed)
    table = (f"<table><tr>{head}</tr>{body}</table>" if failed else f"<p>{escape(word('none_failed', lang))}</p>")
    overall = summary["overall"]["score"]
    return (f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{escape(word("title", lang))}</title>'
            "<style>body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:4px;"
            "vertical-align:top}table{border-collapse:collapse}</style>"
            f"<h1>{escape(word('title', lang))}</h1><p>{escape(word('run', lang))} {escape(run['id'])} · "
            f"{escape(run['store'])} · {escape(word('overall', lang))}: "
            f"{escape(word('not_applicable', lang)) if overall is None else f'{overall:g} %'}</p>"
            f"<h2>{escape(word('scores', lang))}</h2>{dimension_chart(summary, lang)}"
            f"<h2>{escape(word('trend', lang))}</h2>{trend_chart(trend(runs, overrides)['runs'], lang)}"
            f"<h2>{escape(word('failed_checks', lang))}</h2>{table}</html>\n")


def write_html(path: Path, runs: list[dict[str, Any]], overrides: dict[str, Thresholds] | None, lang: str) -> None:
    path.write_text(render(runs, overrides, lang), encoding="utf-8")
