"""Records rules: PET-CT lesions matched between description and conclusion, gene tests, and the helpers they need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from oncobank.cli.main import app
from oncobank.dictionary.loader import load_module
from oncobank.nlp.extract import Extractor
from oncobank.nlp.rules import read_report_types

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor("thyroid", load_module("thyroid").units)


def _values(extractor: Extractor, text: str) -> dict[str, object]:
    return {f: v for (_, f), v in extractor.extract(text).values().items()}


def test_a_lesion_named_again_in_the_conclusion_is_the_same_lesion(extractor: Extractor) -> None:
    text = (
        "ПЭТ/КТ с 18F-ФДГ.\n"
        "В правом лёгком очаг 18 мм, SUVmax 9,1; в левом лёгком очаг 6 мм, SUVmax 1,8.\n"
        "Заключение: увеличение гиперметаболического очага правого лёгкого 18 мм (SUVmax 9,1)."
    )
    v = _values(extractor, text)
    # two lung lesions; the conclusion's (18 mm, 9.1) matches the first exactly and adds its tendency
    assert v["lesion_count"] == 2
    assert (v["lesion_1_mm"], v["lesion_1_suv_max"], v["lesion_1_tendency"]) == (18, 9.1, "increase")
    assert (v["lesion_2_mm"], v["lesion_2_suv_max"]) == (6, 1.8) and "lesion_2_tendency" not in v


@pytest.mark.parametrize(("conclusion_suv", "count"), [("4.6", 1), ("6.0", 2)])
def test_lesions_match_when_suvmax_is_within_a_fifth(extractor: Extractor, conclusion_suv: str, count: int) -> None:
    # |4.0 - 4.6| / 4.6 = 0.13 <= 0.2: the same lesion; |4.0 - 6.0| / 6.0 = 0.33 > 0.2: another one
    text = (
        "PET/CT FDG. Hypermetabolic nodule in the right lung, SUVmax 4.0.\n"
        f"Impression: avid lung nodule, SUVmax {conclusion_suv}."
    )
    assert _values(extractor, text)["lesion_count"] == count


def test_a_negated_site_is_no_lesion(extractor: Extractor) -> None:
    v = _values(extractor, "ПЭТ/КТ с ФДГ. Очаг в печени 10 мм, SUVmax 5,0. Очагов в лёгких не выявлено.")
    assert v["lesion_count"] == 1 and v["lesion_1_site"] == "liver"


def test_every_gene_tested_gets_its_own_result(extractor: Extractor) -> None:
    text = (
        "Молекулярно-генетическое исследование (ПЦР).\n"
        "Мутация BRAF V600E выявлена. Мутации в генах NRAS, HRAS, KRAS не обнаружены."
    )
    v = _values(extractor, text)
    assert (v["test_1_gene"], v["test_1_variant"], v["test_1_result"]) == ("BRAF", "V600E", "detected")
    assert [(v[f"test_{k}_gene"], v[f"test_{k}_result"]) for k in (2, 3, 4)] == [
        ("NRAS", "not_detected"),
        ("HRAS", "not_detected"),
        ("KRAS", "not_detected"),
    ]
    assert v["detection_method"] == "PCR"


def test_a_site_listed_with_a_negated_one_is_negated(extractor: Extractor) -> None:
    text = "Сцинтиграфия всего тела. Накопление РФП в ложе ЩЖ. Патологического накопления в лёгких и костях нет."
    assert _values(extractor, text)["uptake_sites"] == ["thyroid_bed"]


def test_node_level_ranges_and_doses_twice_a_day(extractor: Extractor) -> None:
    text = (
        "ВЫПИСНОЙ ЭПИКРИЗ\n"
        "Выполнена тиреоидэктомия, лимфодиссекция справа (уровни II–IV, VI).\n"
        "Сорафениб 400 мг 2 раза в сутки с 01.06.2023."
    )
    v = _values(extractor, text)
    assert v["lymph_node_levels"] == ["II", "III", "IV", "VI"]
    assert v["daily_dose"] == 800 and v["start_date"] == "2023-06-01"  # 2 x 400 mg


def test_a_records_rule_without_its_key_is_refused(tmp_path: Path) -> None:
    rule = {"id": "lesions", "type": "records", "field": "lesion_{k}_{part}", "terms": {"lungs": ["лёгк"]}}
    (tmp_path / "pet.yaml").write_text(
        yaml.safe_dump({"kind": "pet", "section": "imaging", "detect": ["ПЭТ"], "rules": [rule]}), encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"pet\.yaml: rule 'lesions': a records rule needs key"):
        read_report_types(tmp_path)


def test_the_corpus_folder_is_read_file_by_file() -> None:
    files = sorted(CORPUS.glob("*.yaml"))
    expected = sum(len(yaml.safe_load(f.read_text(encoding="utf-8"))) for f in files)
    out = CliRunner().invoke(app, ["structure", "evaluate", str(CORPUS), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert len(files) >= 3 and data["reports"] == expected >= 80
    assert data["f1"] >= 0.97 and {"genetics", "pet_ct", "discharge"} <= data["kinds"].keys()


@pytest.mark.parametrize(
    ("kind", "rule", "part", "domain"),
    [
        ("genetics", "tests", None, "gene"),
        ("genetics", "tests", "variant", "gene_variant"),
        ("genetics", "tests", "result", "genetic_result"),
        ("genetics", "method", None, "detection_method"),
        ("pet_ct", "lesions", None, "body_site"),
        ("pet_ct", "lesions", "tendency", "lesion_tendency"),
        ("pet_ct", "lesions", "fdg_avid", "yes_no"),
    ],
)
def test_record_codes_are_the_dictionarys(
    extractor: Extractor, kind: str, rule: str, part: str | None, domain: str
) -> None:
    [found] = [r for r in extractor.by_kind[kind].rules if r.id == rule]
    terms = found.parts[part].terms if part else found.terms
    assert isinstance(terms, dict)
    codes = {c.code for c in load_module("thyroid").domains[domain].codes}
    assert set(terms) <= codes, set(terms) - codes
