"""Benchmark of report structuring: reports per second, OCR pages per second, each against a baseline in-process.

Run `python benchmarks/structure.py` (defaults: a synthetic hospital of 820 patients, about 10,000 reports and
discharge PDFs, and 40 scanned lab sheets). Two measurements, one core:

- extraction: `Extractor.extract` (report type, sentences, every rule, negation, dates, units) over the synthetic
  hospital's report texts (PDF text layers read beforehand, not timed), against a plain regular-expression pass
  over the same texts (sentence split plus one search for numbers with units): how many times that floor it costs;
- OCR: `ocr.image_text` (decode, median filter, deskew, Tesseract rus+eng) on scanned-looking lab sheets
  (`oncobank.synth.scans`: turned ±2°, noise, specks, JPEG at quality 35), against Tesseract's own call on the
  same image undecorated; and how many of the typed values the lab-sheet reader gets back exactly from each.

It prints the numbers and writes the "## Report structuring" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

import pytesseract
from PIL import Image

from oncobank.dictionary.loader import load_module
from oncobank.nlp import ocr
from oncobank.nlp.evaluate import synthetic_corpus
from oncobank.nlp.extract import Extractor, sentences
from oncobank.nlp.labs import LabReader
from oncobank.synth import generate
from oncobank.synth.scans import scan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_section

_QUANTITY = re.compile(r"\d+(?:[.,]\d+)?\s*(?:мм|см|mm|cm|МБк|MBq|мКи|mCi|ГБк|GBq)", re.IGNORECASE)
# Analytes typed on the sheets: (Russian name, English name, unit, low, high, typical values).
SHEET = [
    ("ТТГ", "TSH", "мкМЕ/мл", "uIU/mL", 0.4, 4.0),
    ("Тиреоглобулин", "Thyroglobulin", "нг/мл", "ng/mL", 0, 55),
    ("АТ-ТГ", "TgAb", "МЕ/мл", "IU/mL", 0, 115),
    ("РЭА", "CEA", "нг/мл", "ng/mL", 0, 5),
]


def _baseline(texts: list[str]) -> int:
    found = 0
    for text in texts:
        for _, sentence in sentences(text):
            found += len(_QUANTITY.findall(sentence))
    return found


def extraction(patients: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="oncobank-bench-") as folder:
        generate(patients, seed, Path(folder), formats={"reports", "pdf"}, progress=False)
        texts = [r.text for r in synthetic_corpus(Path(folder))]
    extractor = Extractor("thyroid", load_module("thyroid").units)
    extractor.extract(texts[0])  # patterns compiled, caches warm
    started = time.perf_counter()
    facts = sum(len(extractor.extract(t).facts) for t in texts)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    _baseline(texts)
    floor = time.perf_counter() - started
    return {
        "reports": len(texts),
        "facts": facts,
        "seconds": ours,
        "per_second": len(texts) / ours,
        "baseline_seconds": floor,
        "ratio": ours / floor,
        "characters": sum(map(len, texts)),
    }


def _sheet(rng: random.Random, english: bool) -> tuple[list[str], dict[str, float]]:
    lines = ["Laboratory results" if english else "Результаты анализов"]
    typed: dict[str, float] = {}
    for ru, en, unit_ru, unit_en, low, high in SHEET:
        value = round(rng.uniform(0.1, 3 * high), 2)
        typed[en] = value
        shown = f"{value}" if english else f"{value}".replace(".", ",")
        limits = f"{low} - {high}" if english else f"{low} - {high}".replace(".", ",")
        lines.append(f"{en if english else ru} {shown} {unit_en if english else unit_ru} {limits}")
    return lines, typed


def ocr_pages(pages: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    reader = LabReader(load_module("thyroid"))
    fields = {"TSH": "tsh", "Thyroglobulin": "tg", "TgAb": "tgab", "CEA": "cea"}
    sheets = []
    for n in range(pages):
        lines, typed = _sheet(rng, english=n % 2 == 1)
        sheets.append((scan(lines, angle=rng.uniform(-2, 2), seed=n), typed))
    ours = raw = 0.0
    right = raw_right = total = 0

    def hits(text: str, typed: dict[str, float]) -> int:
        read = {f.field: f.value["value"] for f in reader.read(text)}
        return sum(read.get(fields[name]) == value for name, value in typed.items())

    for data, typed in sheets:
        started = time.perf_counter()
        text = ocr.image_text(data)
        ours += time.perf_counter() - started
        started = time.perf_counter()
        plain = pytesseract.image_to_string(Image.open(io.BytesIO(data)), lang=ocr.LANGUAGES)
        raw += time.perf_counter() - started
        total += len(typed)
        right += hits(text, typed)
        raw_right += hits(plain, typed)
    return {
        "pages": pages,
        "per_second": pages / ours,
        "raw_per_second": pages / raw,
        "ratio": ours / raw,
        "values": total,
        "read": right,
        "raw_read": raw_right,
    }


def main() -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # Tesseract on one core, as the extraction runs
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=820)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    ex = extraction(args.patients, args.seed)
    oc = ocr_pages(args.pages, args.seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    body = f"""
`python benchmarks/structure.py --patients {args.patients} --pages {args.pages}`, one core. The machine is shared
with other jobs, so the times are indicative; the ratios are measured in the same process, back to back.

| measure | value |
| --- | --- |
| reports (synthetic hospital, {args.patients} patients, seed {args.seed}) | {ex["reports"]:,} \
({ex["characters"] / 1e6:.1f} M characters) |
| facts extracted | {ex["facts"]:,} |
| extraction | {ex["per_second"]:.0f} reports/s ({ex["seconds"]:.1f} s) |
| baseline: sentence split + one regex for numbers with units | {ex["baseline_seconds"]:.2f} s |
| extraction / baseline | {ex["ratio"]:.1f} × |
| OCR (clean, deskew, Tesseract rus+eng), scanned lab sheets | {oc["per_second"]:.2f} pages/s ({oc["pages"]} pages) |
| baseline: Tesseract's own call on the same images | {oc["raw_per_second"]:.2f} pages/s |
| OCR / baseline time | {oc["ratio"]:.2f} × |
| typed values read back exactly, our OCR | {oc["read"]} of {oc["values"]} ({oc["read"] / oc["values"]:.1%}) |
| typed values read back exactly, Tesseract's own call | {oc["raw_read"]} of {oc["values"]} \
({oc["raw_read"] / oc["values"]:.1%}) |
| peak resident memory of the run | {peak:.0f} MiB |
"""
    print(body)
    if not args.no_write:
        write_section("Report structuring", body)


if __name__ == "__main__":
    main()
