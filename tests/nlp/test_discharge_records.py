"""Discharge summaries: every radioiodine course and drug period with its dose changes, adverse events, the stay."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from oncobank.dictionary.loader import load_module
from oncobank.nlp.dates import find_dates
from oncobank.nlp.extract import Extractor
from oncobank.nlp.rules import read_report_types


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor("thyroid", load_module("thyroid").units)


def _values(extractor: Extractor, text: str) -> dict[str, object]:
    return {f: v for (_, f), v in extractor.extract(text, "discharge").values().items()}


@pytest.mark.parametrize(("text", "day", "last"), [
    ("с 05.2019.", date(2019, 5, 1), date(2019, 5, 31)),
    ("stopped 12/2020 for progression", date(2020, 12, 1), date(2020, 12, 31)),
    ("в 02.2024 г.", date(2024, 2, 1), date(2024, 2, 29)),  # a leap year's February
])
def test_a_month_written_in_numbers(text: str, day: date, last: date) -> None:
    [found] = find_dates(text)
    assert (found.day, found.precision, found.last) == (day, "month", last)


@pytest.mark.parametrize("text", ["VI уровня: 1/5", "Tg 1.2020 нг/мл", "13/2020", "SUVmax 12.20"])
def test_fractions_and_numbers_are_no_month(text: str) -> None:
    assert find_dates(text) == []


def test_every_course_of_a_history(extractor: Extractor) -> None:
    v = _values(extractor, "Анамнез: 1-й курс РЙТ 29.03.2021 — 3,7 ГБк; 2-й курс 15.11.2021 — 5,55 ГБк (150 мКи).")
    # 3.7 GBq = 3700 MBq; 5.55 GBq = 5550 MBq, the same as 150 mCi x 37 MBq: one course, not two
    assert (v["rai_1_course_number"], v["rai_1_therapy_date"], v["rai_1_activity"]) == ("1", "2021-03-29", 3700)
    assert (v["rai_2_course_number"], v["rai_2_therapy_date"], v["rai_2_activity"]) == ("2", "2021-11-15", 5550)
    assert "rai_3_activity" not in v


def test_a_table_of_courses_flattened_to_text(extractor: Extractor) -> None:
    v = _values(extractor, "Course | Date | Activity\n1 | 14.02.2020 | 3.7 GBq\n2 | 21.09.2020 | 100 mCi\n")
    assert (v["rai_1_therapy_date"], v["rai_1_activity"]) == ("2020-02-14", 3700)
    assert (v["rai_2_therapy_date"], v["rai_2_activity"]) == ("2020-09-21", 3700)  # 100 mCi x 37


def test_a_drug_period_with_a_dose_change_and_a_stop(extractor: Extractor) -> None:
    text = ("Sorafenib 400 mg bid from March 2020, reduced to 200 mg bid in June 2020 due to grade 3 hand-foot "
            "skin reaction, stopped 12/2020 for progression.\nLenvatinib 24 mg daily started 01/2021.")
    v = _values(extractor, text)
    assert (v["drug_1_drug"], v["drug_1_daily_dose"], v["drug_1_start_date"]) == ("sorafenib", 800, "2020-03-01")
    assert (v["drug_1_dose_correction_date"], v["drug_1_corrected_daily_dose"]) == ("2020-06-01", 400)
    assert (v["drug_1_withdrawal_date"], v["drug_1_withdrawal_reason"]) == ("2020-12-01", "progression")
    assert (v["drug_2_drug"], v["drug_2_daily_dose"], v["drug_2_start_date"]) == ("lenvatinib", 24, "2021-01-01")
    assert v["rash_hand_foot_grade"] == "3"


def test_a_dose_change_for_an_adverse_event(extractor: Extractor) -> None:
    v = _values(extractor, "Ленватиниб 24 мг/сут с 01.02.2022, с 15.03.2022 доза снижена до 14 мг в связи с АГ 3 ст.\n"
                           "Рекомендовано продолжить приём ленватиниба 14 мг/сут.")
    assert (v["drug_1_start_date"], v["drug_1_daily_dose"]) == ("2022-02-01", 24)
    assert (v["drug_1_dose_correction_date"], v["drug_1_corrected_daily_dose"]) == ("2022-03-15", 14)
    assert v["hypertension_grade"] == "3"
    assert "drug_2_drug" not in v  # the drug named again is the same period


def test_sentences_going_on_about_the_last_drug(extractor: Extractor) -> None:
    v = _values(extractor, "Lenvatinib started on 14.07.2021 at 24 mg/day. Dose reduced to 20 mg on 01.09.2021. "
                           "Discontinued on 30.03.2022 due to toxicity.")
    assert (v["drug_1_start_date"], v["drug_1_corrected_daily_dose"]) == ("2021-07-14", 20)
    assert (v["drug_1_withdrawal_date"], v["drug_1_withdrawal_reason"]) == ("2022-03-30", "toxicity")


def test_a_negated_adverse_event_has_no_grade(extractor: Extractor) -> None:
    v = _values(extractor, "Ленватиниб 24 мг/сут. Диареи 2 ст. нет, без артериальной гипертензии.")
    assert "diarrhoea_grade" not in v and "hypertension_grade" not in v


def test_the_stay_dates_the_summary_and_its_undated_course(extractor: Extractor) -> None:
    result = extractor.extract("Выписка\nНаходилась на стац. лечении с 05.09.2022 по 09.09.2022. "
                               "Проведена РЙТ (131I, 3,7 ГБк).")
    facts = {(f.section, f.field): f for f in result.facts}
    assert facts[("documents", "entry_date")].value == "2022-09-09"
    borrowed = facts[("radioiodine", "rai_1_therapy_date")]
    # the course's date is the stay's first day, at half the rule's 0.95: a person confirms it
    assert (borrowed.value, borrowed.confidence, borrowed.uncertain) == ("2022-09-05", 0.475, True)
    assert facts[("radioiodine", "therapy_date")].value == "2022-09-05"
    assert not any(f.field == "stay_start" for f in result.facts)  # a stand-in is not a fact of its own
    assert ("surgery", "surgery_date") not in facts  # no operation stated: nothing to date


def test_courses_of_a_history_are_not_dated_by_the_stay(extractor: Extractor) -> None:
    v = _values(extractor, "Госпитализирован 14.03.2024, выписан 18.03.2024.\n"
                           "Курсы: №1 - 2016 г. (3 ГБк), №2 - 03.2018 (4,5 ГБк).")
    assert v["entry_date"] == "2024-03-18"
    assert "rai_1_therapy_date" not in v and v["rai_2_therapy_date"] == "2018-03-01"


def test_a_fallback_must_name_a_stand_in(tmp_path: Path) -> None:
    rules = [{"id": "day", "type": "date", "field": "therapy_date", "pattern": "(?P<date>{DATE})",
              "fallback": "stay"}]
    (tmp_path / "dis.yaml").write_text(
        yaml.safe_dump({"kind": "dis", "section": "radioiodine", "detect": ["x"], "rules": rules}), encoding="utf-8"
    )
    with pytest.raises(ValueError, match=r"dis\.yaml: rule 'day': fallback 'stay' is not a stand-in date rule"):
        read_report_types(tmp_path)


@pytest.mark.parametrize(("rule", "part", "domain"), [
    ("drug_periods", None, "targeted_drug"),
    ("drug_periods", "withdrawal_reason", "withdrawal_reason"),
    ("rai_courses", None, "rai_procedure"),
    ("rai_courses", "isotope", "isotope"),
    ("adverse_events", "grade", "ctcae_grade"),
])
def test_course_and_drug_codes_are_the_dictionarys(
    extractor: Extractor, rule: str, part: str | None, domain: str
) -> None:
    [found] = [r for r in extractor.by_kind["discharge"].rules if r.id == rule]
    terms = found.parts[part].terms if part else found.terms
    assert isinstance(terms, dict)
    codes = {c.code for c in load_module("thyroid").domains[domain].codes}
    assert set(terms) <= codes, set(terms) - codes


def test_record_fields_are_the_dictionarys_sections(extractor: Extractor) -> None:
    module = load_module("thyroid")
    rules = {r.id: r for r in extractor.by_kind["discharge"].rules}
    for rule_id, section in [("rai_courses", "radioiodine"), ("drug_periods", "targeted_therapy")]:
        fields = {f.name for f in module.sections[section].fields}
        parts = set(rules[rule_id].parts) - {"course_number", "therapy_date"}  # the course's number and date
        assert parts | {rules[rule_id].key} <= fields, (parts | {rules[rule_id].key}) - fields
    events = rules["adverse_events"]
    assert isinstance(events.terms, dict)
    ae_fields = {f.name for f in module.sections["adverse_events"].fields}
    assert {f"{event}_grade" for event in events.terms} <= ae_fields
