"""The synthetic reports' wording: its own random stream, three layouts per type and language, gold the rules read."""

from __future__ import annotations

import random
import re
from datetime import date
from typing import Any

import pytest

from oncobank.dictionary.loader import load_module
from oncobank.diseases.thyroid import report_templates
from oncobank.nlp.evaluate import GoldReport, score
from oncobank.nlp.extract import Extractor
from oncobank.synth.model import Report

FACTS: dict[str, dict[str, Any]] = {
    "pathology": {"histology_type": "papillary", "histological_variant": "classic", "dominant_tumour_size_mm": 17,
                  "dominant_tumour_location": "right_lobe", "extrathyroidal_extension": "no",
                  "multifocality": "yes", "angioinvasion": "no", "nodes": {"VI": (6, 2), "III": (9, 0)},
                  "exam_number": "2021-100/3"},
    "cytology": {"bethesda": "V", "location": "left_lobe", "size_mm": 14},
    "ultrasound": {"context": "primary", "nodule_mm": 18, "location": "isthmus", "tirads": 5, "nodes_mm": [12, 9]},
    "ct": {"sites": ["lungs", "bones"], "targets": [("lungs", 14), ("bones", 22)], "sum": 36, "response": "PD",
           "new": False},
    "scintigraphy": {"mci": 100, "procedure": "therapy", "isotope": "I-131", "scan": "SPECT_CT",
                     "sites": ["thyroid_bed", "lungs"]},
    "pet_ct": {"avid": True, "suv_max": 7.4, "sites": ["lungs", "mediastinal_lymph_nodes"]},
}
# abbreviations and the "field: value" shorthand of a telegraphic report
TELEGRAPHIC = re.compile(r"ЩЖ|[Лл]/у|р-р|[всн]/3|Закл\.|СВТ|РЙТ|SLD|RECIST 1\.1:|Dx:|ETE|LVI|\bLN\b|\bbx\b|TL#|"
                         r"Uptake:|foci:|очаги:|Thyroid:|Thyroid bed:")


def _report(kind: str) -> Report:
    return Report(f"R{kind}", kind, date(2021, 3, 29), "PACS", FACTS[kind])


def _plain(text: Any) -> str:
    return "\n".join([text.title, "", *(f"{heading}: {body}" for heading, body in text.paragraphs)])


def _layout(text: str) -> str:
    if re.search(r"^[^\n|]+ \| ", text, re.MULTILINE):
        return "table"
    return "telegraphic" if TELEGRAPHIC.search(text) else "narrative"


def test_wording_draws_nothing_from_the_callers_stream() -> None:
    for kind in FACTS:
        rng = random.Random(11)
        before = rng.getstate()
        first = report_templates.render_report(_report(kind), "ru", rng)
        assert rng.getstate() == before  # the caller's next draws (language, layout of the file) are unchanged
        assert report_templates.render_report(_report(kind), "ru", rng) == first  # and the wording is fixed by it
    rng = random.Random(11)
    other = random.Random(12)
    texts = {_plain(report_templates.render_report(_report("pathology"), "ru", r)) for r in (rng, other)}
    assert len(texts) == 2  # another state of the caller's stream words the report differently


@pytest.mark.parametrize("language", ["ru", "en"])
def test_three_layouts_per_type_and_the_rules_read_every_gold_fact(language: str) -> None:
    extractor = Extractor("thyroid", load_module("thyroid").units)
    for kind in FACTS:
        texts = [report_templates.render_report(_report(kind), language, random.Random(seed)) for seed in range(40)]
        assert {_layout(_plain(t)) for t in texts} == {"narrative", "telegraphic", "table"}, kind
        for t in texts:
            cyrillic = re.search(r"[А-Яа-яЁё]", _plain(t)) is not None
            assert cyrillic == (language == "ru"), _plain(t)
        result = score(extractor, [GoldReport(f"{kind}/{n}", _plain(t), kind, t.stated) for n, t in enumerate(texts)])
        assert result.misclassified == 0 and result.overall.fn == 0 and result.overall.fp == 0, result.errors[:5]


def test_the_gold_is_what_the_facts_say() -> None:
    stated = report_templates.render_report(_report("pathology"), "en", random.Random(3)).stated
    assert stated["dominant_tumour_size_mm"] == 17 and stated["ln_removed_level_vi"] == 6
    assert stated["ln_metastatic_level_vi"] == 2 and stated["multifocality"] == "yes"  # a multifocal tumour is said
    ct = report_templates.render_report(_report("ct"), "ru", random.Random(3)).stated
    assert ct["target_lesion_2_site"] == "bones" and ct["sum_of_diameters_mm"] == 36 and ct["recist_response"] == "PD"
    activity = report_templates.render_report(_report("scintigraphy"), "en", random.Random(3)).stated["activity"]
    assert activity in (3700, 3700.0)  # 100 mCi × 37 MBq/mCi, as MBq, mCi or 3.7 GBq


def test_typos_touch_one_long_word_never_a_number_or_unit() -> None:
    phrase = "узел 12 мм, контурами неровными, TI-RADS 4"
    for seed in range(200):
        typed = report_templates._typo(random.Random(seed), phrase, share=1.0)
        assert typed != phrase and abs(len(typed) - len(phrase)) == 1
        assert "12 мм" in typed and "TI-RADS 4" in typed
