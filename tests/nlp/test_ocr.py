"""OCR: scanned-looking lab sheets (rendered text, noise, specks, a turned page, JPEG artefacts) read back into values.

Every expected value below is the one typed on the page; conversions are worked by hand (1 ng/dL of free T4 is
12.87 pmol/L: 10 dL/L × 1 g/776.87 g/mol, the dictionary's molar mass of thyroxine).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fpdf import FPDF

from oncobank.dictionary.loader import load_module
from oncobank.dictionary.validate import Validator
from oncobank.ingest.documents import document_rows, extract_text
from oncobank.ingest.mapping import Source
from oncobank.nlp import ocr
from oncobank.nlp.labs import LabReader
from oncobank.synth.scans import page, scan

RUSSIAN = [
    "Клинико-диагностическая лаборатория",
    "Результаты анализов от 12.03.2024",
    "ТТГ 2,15 мкМЕ/мл 0,4 - 4,0",
    "Т4 свободный 1,2 нг/дл 0,8 - 1,8",
    "Тиреоглобулин 12,5 нг/мл до 55",
    "АТ-ТГ 18 МЕ/мл до 115",
    "РЭА 3,1 нг/мл 0 - 5",
]
ENGLISH = [
    "Laboratory results, 14 Mar 2024",
    "TSH 0.35 uIU/mL 0.4 - 4.0",
    "Thyroglobulin 0.8 ng/mL 0 - 55",
    "TgAb 25 IU/mL 0 - 115",
    "CEA 2.4 ng/mL 0 - 5",
]


@pytest.fixture(scope="module")
def reader() -> LabReader:
    return LabReader(load_module("thyroid"))


def _values(reader: LabReader, text: str) -> dict[str, dict[str, object]]:
    return {f.field: f.value for f in reader.read(text)}


def test_a_turned_speckled_russian_jpeg_reads_back_into_values(reader: LabReader) -> None:
    data = scan(RUSSIAN, angle=2.0, seed=1)
    assert ocr.image_type(data) == "image/jpeg"
    values = _values(reader, extract_text(data))
    assert values == {
        "tsh": {"value": 2.15, "unit": "мкМЕ/мл", "ref_low": 0.4, "ref_high": 4.0},
        "free_t4": {"value": 1.2, "unit": "нг/дл", "ref_low": 0.8, "ref_high": 1.8},
        "tg": {"value": 12.5, "unit": "нг/мл", "ref_low": None, "ref_high": 55},
        "tgab": {"value": 18, "unit": "МЕ/мл", "ref_low": None, "ref_high": 115},
        "cea": {"value": 3.1, "unit": "нг/мл", "ref_low": 0, "ref_high": 5},
    }


def test_an_english_png_turned_the_other_way_reads_back(reader: LabReader) -> None:
    data = scan(ENGLISH, fmt="PNG", angle=-1.5, seed=2)
    values = _values(reader, extract_text(data))
    assert values == {
        "tsh": {"value": 0.35, "unit": "uIU/mL", "ref_low": 0.4, "ref_high": 4.0},
        "tg": {"value": 0.8, "unit": "ng/mL", "ref_low": 0, "ref_high": 55},
        "tgab": {"value": 25, "unit": "IU/mL", "ref_low": 0, "ref_high": 115},
        "cea": {"value": 2.4, "unit": "ng/mL", "ref_low": 0, "ref_high": 5},
    }


@pytest.mark.parametrize("angle", [3.0, -2.5, 0.0])
def test_deskew_finds_the_angle_the_page_was_turned_by(angle: float) -> None:
    found = ocr.skew(page(RUSSIAN, angle=angle, seed=3))
    assert found == pytest.approx(-angle, abs=0.5)  # the turn that undoes it, within two steps of the search


def test_an_image_only_pdf_is_rendered_and_read(reader: LabReader) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(scan(RUSSIAN, angle=1.0, seed=4)), x=10, y=10, w=190)
    data = bytes(pdf.output())
    text = extract_text(data)  # no text layer: the page is rendered and read
    assert _values(reader, text)["tsh"] == {"value": 2.15, "unit": "мкМЕ/мл", "ref_low": 0.4, "ref_high": 4.0}


def test_every_page_of_a_tiff_is_read(reader: LabReader) -> None:
    first, second = page(RUSSIAN[:4], seed=5), page(ENGLISH[:1] + ENGLISH[3:], seed=6)
    out = io.BytesIO()
    first.save(out, "TIFF", save_all=True, append_images=[second])
    values = _values(reader, extract_text(out.getvalue()))
    assert values["tsh"]["value"] == 2.15 and values["tgab"]["value"] == 25  # one from each page


def test_a_value_converts_through_the_dictionary_when_stored(reader: LabReader) -> None:
    # What the sheet says is kept as written; the dictionary's validator makes it canonical.
    [fact] = [f for f in reader.read(extract_text(scan(RUSSIAN, seed=7))) if f.field == "free_t4"]
    entry = Validator(load_module("thyroid")).validate("laboratory", {"free_t4": fact.value}, entry_date="2024-03-12")
    assert entry.values["free_t4"] == pytest.approx(1.2 * 12.87, rel=1e-3)  # 15.44 pmol/L
    assert entry.references["free_t4"] == pytest.approx([0.8 * 12.87, 1.8 * 12.87], rel=1e-3)


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("TTF 2,15 мкМЕ/мл 0,4 - 4,0", "tsh", {"value": 2.15, "unit": "мкМЕ/мл", "ref_low": 0.4, "ref_high": 4.0}),
        ("TSH 0.35 ulU/mL 0.4 - 4.0", "tsh", {"value": 0.35, "unit": "uIU/mL", "ref_low": 0.4, "ref_high": 4.0}),
        ("TgAb 163.15 1U/mL 0 - 115", "tgab", {"value": 163.15, "unit": "IU/mL", "ref_low": 0, "ref_high": 115}),
    ],
)
def test_what_ocr_misreads_in_names_and_units_is_read_as_meant(
    reader: LabReader, line: str, field: str, value: dict[str, object]
) -> None:
    # Seen in Tesseract's output on the rendered sheets: ТТГ as Latin TTF, the I of IU as l or 1.
    [fact] = reader.read(line)
    assert (fact.field, fact.value, line[fact.start : fact.end]) == (field, value, line)


def test_a_unit_that_does_not_convert_or_a_value_below_a_limit_is_not_read(reader: LabReader) -> None:
    assert reader.read("ТТГ 2,15 мг/сутки 0,4 - 4,0\nТиреоглобулин < 0,04 нг/мл до 55") == []


def test_a_broken_image_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="image cannot be read"):
        extract_text(b"\x89PNG\r\n\x1a\n" + b"not really a picture")


def test_a_scanned_document_becomes_text_at_ingest(tmp_path: Path) -> None:
    (tmp_path / "lab.png").write_bytes(scan(RUSSIAN, fmt="PNG", seed=8))
    (tmp_path / "index.csv").write_text("pid,file\nE1,lab.png\n", encoding="utf-8")
    source = Source(name="r", system="EMR", format="documents", files=["index.csv"], patient_id="pid", document="file")
    [row] = document_rows(source, tmp_path / "index.csv", "index.csv")
    assert row.problem is None
    assert row.fields["document_media_type"] == "image/png"
    assert "ТТГ 2,15" in row.fields["document_text"]
