"""OCR of scanned documents: images (PNG, JPEG, TIFF) and image-only PDFs to text, with Tesseract (Russian, English).

Each page is cleaned before Tesseract reads it: grey levels, a median filter against speckle, and deskewing — the
angle (within ±`MAX_SKEW` degrees) at which the rows of dark pixels are sharpest, i.e. the row-sum profile has the
largest variance, as text lines are horizontal there. PDF pages are rendered with pdfium at `DPI`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

LANGUAGES = "rus+eng"
DPI = 300  # rendering of PDF pages; Tesseract reads best at about 300 dpi
MAX_SKEW = 6.0  # degrees searched either way
_STEP = 0.25  # degrees, the finer search
_PROBE = 800  # width (px) of the copy the skew is measured on
MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"II*\x00": "image/tiff",
    b"MM\x00*": "image/tiff",
}


def image_type(data: bytes) -> str | None:
    """The media type of a PNG, JPEG or TIFF file (None for anything else)."""
    return next((media for magic, media in MAGIC.items() if data.startswith(magic)), None)


def image_text(data: bytes) -> str:
    """Text of every frame of an image file (a TIFF may hold several pages); ValueError when it cannot be read."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return "\n".join(page_text(frame.copy()) for frame in ImageSequence.Iterator(image))
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"image cannot be read: {exc.__class__.__name__}") from None


def pdf_text(data: bytes) -> str:
    """Text of an image-only PDF: each page rendered at `DPI` and read; ValueError when it cannot be rendered."""
    return "\n".join(page_text(page) for page in _pdf_pages(data))


def _pdf_pages(data: bytes) -> Iterator[Any]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ValueError(f"PDF cannot be rendered: {exc}") from None
    try:
        for page in document:
            yield page.render(scale=DPI / 72).to_pil()
            page.close()
    finally:
        document.close()


def page_text(image: Any) -> str:
    """Text of one page image, cleaned and deskewed first."""
    import pytesseract

    try:
        return pytesseract.image_to_string(clean(image), lang=LANGUAGES)
    except pytesseract.TesseractNotFoundError:
        raise ValueError(
            "OCR is not available: Tesseract (tesseract-ocr with rus and eng data) is not installed"
        ) from None
    except pytesseract.TesseractError as exc:
        raise ValueError(f"OCR failed: {exc.message or exc.status}") from None


def clean(image: Any) -> Any:
    """The page in grey levels, speckle removed, turned straight."""
    from PIL import Image, ImageFilter

    grey = image.convert("L").filter(ImageFilter.MedianFilter(3))
    angle = skew(grey)
    if angle == 0:
        return grey
    return grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def skew(grey: Any) -> float:
    """The rotation (degrees, counter-clockwise) that makes the page's text lines horizontal: whole degrees across
    ±`MAX_SKEW` first, then `_STEP` steps within a degree of the best."""
    import numpy as np
    from PIL import Image

    scale = min(1.0, _PROBE / grey.width)
    probe = grey.resize((max(1, int(grey.width * scale)), max(1, int(grey.height * scale))))
    ink = Image.fromarray(((np.asarray(probe) < 128) * 255).astype(np.uint8))

    def sharpness(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, expand=True)).sum(axis=1)
        return float(np.var(rows.astype(np.float64)))

    coarse = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.5, 1.0), key=lambda a: (sharpness(float(a)), -abs(a)))
    fine = np.arange(coarse - 1.0, coarse + 1.0 + _STEP / 2, _STEP)
    return round(float(max(fine, key=lambda a: (sharpness(float(a)), -abs(a)))), 2)
