"""Protocols and reports as HTML (Jinja2) and PDF (headless Chromium print-to-PDF, no network)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oncobank.aieval.labels import interval, label, number, p_value, percent
from oncobank.aieval.rules import source_label

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def render_html(template: str, context: dict[str, Any], lang: str = "en") -> str:
    """Fill a template of `oncobank/aieval/templates` with `context`; `t(key)` gives labels in `lang`.

    Numbers go through the filters `num(digits)` (None: 3 significant digits), `pct(digits)` (a share as a
    percentage), `p` (a p-value) and `ci(digits)` (an estimate with its interval), each written as `lang`
    writes numbers (a decimal comma in Russian).
    """
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("oncobank.aieval", "templates"), autoescape=select_autoescape(),
                      undefined=StrictUndefined)
    env.globals["t"] = lambda key: label(key, lang)
    env.globals["source"] = lambda rule: source_label(rule, lang)
    env.filters["num"] = lambda v, d=3: number(v, d, lang)
    env.filters["pct"] = lambda v, d=1: percent(v, d, lang)
    env.filters["p"] = lambda v: p_value(v, lang)
    env.filters["ci"] = lambda v, d=3: interval(v, d, lang)
    return env.get_template(template).render(lang=lang, **context)


def write_pdf(html: str, path: Path) -> Path:
    """Print `html` to PDF with Debian's Chromium; network requests are blocked (the page is self-contained)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise FileNotFoundError(f"PDF output needs Chromium at {CHROMIUM}; install the 'chromium' package")
    path.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("data:")
                       else route.continue_())
            page.set_content(html, wait_until="load")
            page.pdf(path=str(path), format="A4", print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "15mm", "right": "15mm"})
        finally:
            browser.close()
    return path


def write_outputs(html: str, out: Path) -> list[Path]:
    """Write `out` as .html, or as .pdf (printed) — by its suffix."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        return [write_pdf(html, out)]
    out.write_text(html, encoding="utf-8")
    return [out]


@contextmanager
def staged(*paths: Path) -> Iterator[list[Path]]:
    """Temporary files beside `paths` for the block to write: they take their names when it ends, or go if it fails.

    A command's files then appear only after what it stores is committed, and a failed command leaves no
    file behind (nor a half-written one over an older file of the same name).
    """
    temps = [p.with_name(f".{p.stem}.{secrets.token_hex(4)}.partial{p.suffix}") for p in paths]
    try:
        yield temps
    except BaseException:
        for temp in temps:
            temp.unlink(missing_ok=True)
        raise
    for temp, path in zip(temps, paths, strict=True):
        os.replace(temp, path)
