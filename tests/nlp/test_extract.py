"""Structuring: dates, negation, and field-level scores on hand-written reports and on a synthetic hospital."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncobank.cli.main import app
from oncobank.dictionary.loader import load_module
from oncobank.nlp.context import assess
from oncobank.nlp.dates import find_dates, find_ranges
from oncobank.nlp.evaluate import GoldReport, hand_corpus, score
from oncobank.nlp.extract import Extractor

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor("thyroid", load_module("thyroid").units)


@pytest.mark.parametrize(("text", "day", "precision"), [
    ("29.03.2021", date(2021, 3, 29), "day"), ("2021-03-29", date(2021, 3, 29), "day"),
    ("в марте 2021 г.", date(2021, 3, 1), "month"), ("29 марта 2021 г.", date(2021, 3, 29), "day"),
    ("12 Mar 2021", date(2021, 3, 12), "day"), ("March 3, 2021", date(2021, 3, 3), "day"),
    ("01.02.21", date(2021, 2, 1), "day"),
])
def test_dates(text: str, day: date, precision: str) -> None:
    [found] = find_dates(text)
    assert (found.day, found.precision) == (day, precision)


def test_a_month_ends_on_its_last_day_and_impossible_dates_are_skipped() -> None:
    assert find_dates("в феврале 2020 г.")[0].last == date(2020, 2, 29)  # 2020 is a leap year
    assert find_dates("31.02.2021") == []
    assert find_ranges("с 20.12.2021 по 24.12.2021") == [(0, 26, date(2021, 12, 20), date(2021, 12, 24))]


@pytest.mark.parametrize(("sentence", "target", "negated", "uncertain"), [
    ("Ангиоинвазии не выявлено.", "Ангиоинвазии", True, False),
    ("Без признаков ангиоинвазии.", "ангиоинвазии", True, False),
    ("No extrathyroidal extension, multifocal.", "multifocal", False, False),
    ("Vascular invasion: not identified.", "Vascular invasion", True, False),
    ("Подозрение на папиллярную карциному.", "папиллярную карциному", False, True),
    ("Метастазы в лёгких не исключены.", "Метастазы", False, True),
    ("Без динамики, метастазы в лёгких.", "метастазы", False, False),
    ("Предположительно метастаз в печени.", "метастаз", False, True),
    ("Findings suggestive of nodal metastasis.", "nodal metastasis", False, True),
    ("Lung nodule may represent a metastasis.", "metastasis", False, True),
])
def test_negation_and_uncertainty(sentence: str, target: str, negated: bool, uncertain: bool) -> None:
    i = sentence.index(target)
    assert assess(sentence, i, i + len(target)) == (negated, uncertain)


def test_every_fact_points_at_its_text(extractor: Extractor) -> None:
    text = "Гистологическое заключение. В левой доле узел 1,2 см. Папиллярный рак. Ангиоинвазии нет."
    result = extractor.extract(text)
    assert result.kind == "pathology"
    spans = {f.field: text[f.start:f.end] for f in result.facts}
    assert spans["dominant_tumour_size_mm"].endswith("1,2 см")
    assert spans["histology_type"] == "Папиллярный рак"
    values = {f.field: f.value for f in result.facts}
    assert values["dominant_tumour_size_mm"] == 12 and values["angioinvasion"] == "no"


def test_a_hedged_finding_keeps_less_confidence(extractor: Extractor) -> None:
    [fact] = [f for f in extractor.extract("Histopathology report. Possible vascular invasion.").facts
              if f.field == "angioinvasion"]
    assert fact.value == "yes" and fact.uncertain and fact.confidence == pytest.approx(0.95 * 0.5)


def test_hand_written_corpus(extractor: Extractor) -> None:
    result = score(extractor, hand_corpus(HERE / "corpus"))
    assert result.misclassified == 0, result.errors
    assert result.overall.f1 >= 0.97, result.errors


def test_scores_count_a_wrong_value_as_a_miss_and_a_false_positive(extractor: Extractor) -> None:
    # gold 2 facts; the text states bethesda IV, gold says V: 0 TP, 1 FP, 1 FN on bethesda
    report = GoldReport("x", "Cytology report. Follicular neoplasm (Bethesda IV).", "cytology", {"bethesda": "V"})
    result = score(extractor, [report])
    assert (result.overall.tp, result.overall.fp, result.overall.fn) == (0, 1, 1)


def test_evaluate_a_synthetic_hospital(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["synth", "--out", str(tmp_path / "h"), "--patients", "12", "--seed", "5",
                               "--only", "reports", "--only", "pdf", "--json"])
    assert made.exit_code == 0, made.output
    out = runner.invoke(app, ["structure", "evaluate", str(tmp_path / "h"), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["reports"] == sum(1 for _ in (tmp_path / "h" / "report_truth.jsonl").open())
    assert data["f1"] >= 0.99 and {"precision", "recall", "f1"} <= data["fields"]["bethesda"].keys()


def test_bad_corpus_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("- {kind: cytology}\n", encoding="utf-8")
    out = CliRunner().invoke(app, ["structure", "evaluate", str(tmp_path / "c.yaml")])
    assert out.exit_code == 1 and "needs kind, text and facts" in out.output


def test_a_wrapped_line_inside_a_phrase_still_matches(extractor: Extractor) -> None:
    text = "Сцинтиграфия всего тела: накопление РФП в ложе щитовидной\nжелезы."
    [fact] = [f for f in extractor.extract(text).facts if f.field == "uptake_sites"]
    assert fact.value == "thyroid_bed" and text[fact.start : fact.end] == "ложе щитовидной\nжелезы"
