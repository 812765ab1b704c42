"""Small, deterministic PDF documents (discharge summaries) with Cyrillic text, written with fpdf2."""

from __future__ import annotations

import hashlib
import tempfile
import textwrap
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import Any

import matplotlib
from fontTools import subset
from fontTools.ttLib import TTFont
from fpdf import FPDF

from oncobank.synth.model import Text

# Glyphs the documents use: Latin, Cyrillic and common typography. A font cut down to these loads and
# embeds several times faster than the full DejaVu Sans, which is what makes thousands of PDFs affordable.
CHARACTERS = (
    "".join(map(chr, range(0x20, 0x7F)))
    + "".join(map(chr, range(0x410, 0x450)))
    + "ёЁ№°µ×«»—–‘’“”„…≤≥±·"
)
WRAP = 95  # characters per line at 10 pt on A4
MAX_PENDING = 256


class PdfWriter:
    def __init__(self, created: datetime):
        self.created = created
        self._tmp = tempfile.TemporaryDirectory(prefix="oncobank-synth-font-")
        self.font = Path(self._tmp.name) / "DejaVuSans-subset.ttf"
        _subset_font(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf", self.font)
        self.count = 0

    def write(self, path: Path, text: Text, header: str) -> str:
        """Render `text` to `path`; returns the file's SHA-256."""
        pdf = FPDF(format="A4")
        pdf.set_creation_date(self.created)
        pdf.set_title(text.title)
        pdf.set_producer("oncobank synth")
        pdf.add_font("DejaVu", fname=str(self.font))
        for font in pdf.fonts.values():
            # The glyphs are embedded unchanged, so their bounding boxes need no recomputation; skipping it
            # spares fontTools from decoding and re-encoding every glyph outline (about half the time).
            if hasattr(font, "ttfont"):
                font.ttfont.recalcBBoxes = False
        pdf.add_page()
        pdf.set_font("DejaVu", size=9)
        pdf.cell(0, 5, header, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=13)
        pdf.cell(0, 10, text.title, new_x="LMARGIN", new_y="NEXT")
        for heading, body in text.paragraphs:
            pdf.set_font("DejaVu", size=11)
            pdf.cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", size=10)
            # Wrapped here, line by line: fpdf2's own paragraph breaking is quadratic in the text length.
            for line in textwrap.wrap(body, WRAP):
                pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        data = bytes(pdf.output())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.count += 1
        return hashlib.sha256(data).hexdigest()

    def close(self) -> None:
        self._tmp.cleanup()


def _subset_font(source: Path, target: Path) -> None:
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.glyph_names = True  # keeps glyph names so fpdf2 need not rebuild them from the cmap
    options.notdef_outline = True
    options.drop_tables += ["FFTM", "GPOS", "GSUB", "GDEF", "kern"]
    font = TTFont(str(source), recalcTimestamp=False)  # a stable "modified" date: byte-identical PDFs
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=CHARACTERS)
    subsetter.subset(font)
    font.save(str(target))


_worker: PdfWriter | None = None


def _start_worker(created: datetime) -> None:
    global _worker
    _worker = PdfWriter(created)


def _render(path: Path, text: Text, header: str) -> str:
    assert _worker is not None
    return _worker.write(path, text, header)


class PdfPool:
    """Renders PDFs in worker processes while the caller goes on; results come back in submission order."""

    def __init__(self, created: datetime, workers: int, on_done: Callable[[dict[str, Any], str], None]):
        self.on_done = on_done
        self.count = 0
        self._pending: deque[tuple[Future[str], dict[str, Any]]] = deque()
        self._local = PdfWriter(created) if workers <= 1 else None
        # A fork server where the platform has one: forking the caller itself crashed now and then (a child
        # forked while another thread of the caller, a database driver's or Spark's, held a native lock); the
        # server is a clean single-threaded process that forks the workers, and unlike spawn no worker re-imports
        # the calling script.
        method = "forkserver" if "forkserver" in get_all_start_methods() else "spawn"
        self._pool = None if workers <= 1 else ProcessPoolExecutor(
            workers, mp_context=get_context(method), initializer=_start_worker, initargs=(created,))

    def submit(self, path: Path, text: Text, header: str, row: dict[str, Any]) -> None:
        self.count += 1
        if self._local is not None:
            self.on_done(row, self._local.write(path, text, header))
            return
        assert self._pool is not None
        self._pending.append((self._pool.submit(_render, path, text, header), row))
        while len(self._pending) > MAX_PENDING:  # bounded: never the whole hospital in memory
            self._finish_one()

    def _finish_one(self) -> None:
        future, row = self._pending.popleft()
        self.on_done(row, future.result())

    def close(self) -> None:
        while self._pending:
            self._finish_one()
        if self._pool is not None:
            self._pool.shutdown()
        if self._local is not None:
            self._local.close()
