"""Scanned-looking pages for the OCR: text rendered in DejaVu Sans, turned, speckled and saved as a lossy image.

A page is what a flatbed scanner of a printed lab sheet gives: dark-grey type on white at about 300 dpi, turned by a
degree or two, Gaussian sensor noise, dust specks, and JPEG artefacts.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf"  # Latin and Cyrillic, shipped with matplotlib
SIZE = 34  # pixels: 10-11 pt at 300 dpi
LEADING = 60
MARGIN = 80
WIDTH = 1700


def page(
    lines: list[str], *, angle: float = 0.0, seed: int = 0, noise: float = 25.0, specks: float = 0.004
) -> Image.Image:
    """The lines typed on a page, turned by `angle` degrees (counter-clockwise), with noise and dust."""
    font = ImageFont.truetype(str(FONT), SIZE)
    image = Image.new("L", (WIDTH, 2 * MARGIN + LEADING * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((MARGIN, MARGIN + LEADING * i), line, font=font, fill=20)
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    rng = np.random.default_rng(seed)
    pixels = np.asarray(image).astype(np.float64) + rng.normal(0.0, noise, (image.height, image.width))
    pixels[rng.random(pixels.shape) < specks] = 0.0
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def scan(lines: list[str], *, fmt: str = "JPEG", quality: int = 35, **options: float) -> bytes:
    """The page saved as an image file (JPEG at a low `quality` shows block artefacts; PNG or TIFF keep it)."""
    out = io.BytesIO()
    image = page(lines, **options)
    image.save(out, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return out.getvalue()
