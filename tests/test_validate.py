"""Write-time validation generated from the dictionary: codes, units, ranges, dates, and no crash on junk."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncobank.dictionary import load_module
from oncobank.dictionary.validate import EntryRejected, Validator

TODAY = date(2026, 11, 21)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(load_module("thyroid"), today=TODAY)


def test_codes_are_matched_through_aliases(validator: Validator) -> None:
    entry = validator.validate("demographics", {"surname": "А", "first_name": "Б", "birth_date": "1980-01-01",
                                                "sex": "жен"})
    assert entry.values["sex"] == "F"


def test_multiple_codes_are_deduplicated_in_order(validator: Validator) -> None:
    entry = validator.validate("radioiodine", {"procedure": "therapy", "isotope": "I-131",
                                               "uptake_sites": ["lungs", "thyroid_bed", "lungs"]},
                               entry_date="2020-01-01")
    assert entry.values["uptake_sites"] == ["lungs", "thyroid_bed"]


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [
        ("мКи", 100, 3700.0),  # Russian spelling of mCi; 100 x 37
        ("GBq", 3.7, 3700.0),
        ("MBq", 1110, 1110.0),
        ("kBq", 1000, 1.0),
    ],
)
def test_activity_spellings(validator: Validator, unit: str, value: float, expected: float) -> None:
    entry = validator.validate("radioiodine", {"procedure": "therapy", "isotope": "I-131",
                                               "activity": {"value": value, "unit": unit}}, entry_date="2020-01-01")
    assert entry.values["activity"] == pytest.approx(expected)
    assert entry.entered["activity"] == {"value": value, "unit": unit}


@pytest.mark.parametrize("unit", ["×10⁹/л", "10^9/L", "x10*9/L", "1e9/L"])
def test_count_spellings(validator: Validator, unit: str) -> None:
    entry = validator.validate("laboratory", {"platelets": {"value": 250, "unit": unit}}, entry_date="2020-01-01")
    assert entry.values["platelets"] == pytest.approx(250)


def test_a_reference_range_in_words_is_kept_beside_the_value(validator: Validator) -> None:
    entry = validator.validate("laboratory", {"tg": {"value": "1,25", "ref_text": "<9: Acceptable background"}},
                               entry_date="2020-01-01")
    assert entry.values["tg"] == 1.25
    assert entry.entered["tg"] == {"value": 1.25, "ref_text": "<9: Acceptable background"}
    assert entry.references == {}
    with pytest.raises(EntryRejected, match="at most 200 characters"):
        validator.validate("laboratory", {"tg": {"value": 1, "ref_text": "x" * 201}}, entry_date="2020-01-01")


def test_decimal_comma_is_read(validator: Validator) -> None:
    entry = validator.validate("laboratory", {"tg": "1,25"}, entry_date="2020-01-01")
    assert entry.values["tg"] == 1.25


@pytest.mark.parametrize(
    ("values", "field", "rule"),
    [
        ({"foci_count": 2.5}, "foci_count", "type"),
        ({"tumour_size_mm": "big"}, "tumour_size_mm", "type"),
        ({"tumour_size_mm": True}, "tumour_size_mm", "type"),
        ({"tumour_size_mm": float("inf")}, "tumour_size_mm", "type"),
        ({"t_category": "T9"}, "t_category", "domain"),
        ({"tumour_characteristics": "x" * 100_000}, "tumour_characteristics", "max_length"),
        ({"tumour_size_mm": {"value": 5, "unit": "mm", "ref_low": 1}}, "tumour_size_mm", "reference_range"),
        ({"tumour_size_mm": {"value": 5, "ref_text": "< 10"}}, "tumour_size_mm", "reference_range"),
    ],
)
def test_type_errors_name_their_rule(validator: Validator, values: dict, field: str, rule: str) -> None:
    with pytest.raises(EntryRejected) as caught:
        validator.validate("tumour_stage", values, entry_date="2020-01-01", patient="TH-9")
    assert [(i.field, i.rule) for i in caught.value.issues] == [(field, rule)]


def test_dates(validator: Validator) -> None:
    with pytest.raises(EntryRejected, match="future_date"):
        validator.validate("hormone_therapy", {"levothyroxine_dose": 100}, entry_date="2026-11-22")
    with pytest.raises(EntryRejected, match="earliest"):
        validator.validate("hormone_therapy", {"levothyroxine_dose": 100}, entry_date="1899-12-31")
    with pytest.raises(EntryRejected, match="YYYY-MM-DD"):
        validator.validate("hormone_therapy", {"levothyroxine_dose": 100}, entry_date="31.12.2020")
    with pytest.raises(EntryRejected, match="the entry date is required"):
        validator.validate("hormone_therapy", {"levothyroxine_dose": 100})
    with pytest.raises(EntryRejected, match="carry no date"):
        validator.validate("history", {"neck_irradiation": "no"}, entry_date="2020-01-01")


@pytest.mark.parametrize(
    ("values", "facility", "field", "rule"),
    [
        ({"tg": {"value": 1, "unit": ["ng/mL"]}}, None, "tg", "type"),  # a unit as a list
        ({"tg": 1}, {"name": "MF-1"}, "facility", "type"),  # a facility as an object
        ({"tg": 1}, "MF-" + "x" * 400, "facility", "max_length"),
        ({"tg": 1}, "MF\x001", "facility", "characters"),
        ({"tg": 1}, "MF\n1", "facility", "characters"),
        ({"modality": "US", "findings": "a\x00b"}, None, "findings", "characters"),
        ({"modality": "US", "findings": "\ud800"}, None, "findings", "characters"),  # JSON's \ud800
    ],
)
def test_what_no_backend_can_store_is_rejected(values: dict, facility: object, field: str, rule: str) -> None:
    validator = Validator(load_module("thyroid"), today=TODAY, facility_length=300)
    section = "imaging" if "findings" in values else "laboratory"
    with pytest.raises(EntryRejected) as caught:
        validator.validate(section, values, entry_date="2020-01-01", facility=facility)  # type: ignore[arg-type]
    assert [(i.field, i.rule) for i in caught.value.issues] == [(field, rule)]


def test_a_multi_line_text_keeps_its_lines(validator: Validator) -> None:
    entry = validator.validate("imaging", {"modality": "US", "findings": "line one\nline two\ttab"},
                               entry_date="2020-01-01")
    assert entry.values["findings"] == "line one\nline two\ttab"


def test_identifying_values_are_never_put_into_a_message(validator: Validator) -> None:
    with pytest.raises(EntryRejected) as caught:
        validator.validate("demographics", {"surname": "Соболева" * 100, "first_name": "Ольга",
                                            "birth_date": "1800-01-01", "sex": "F", "nickname": "Оля"},
                           patient="TH-7")
    message = str(caught.value)
    assert "TH-7" in message and "surname" in message and "birth_date" in message and "nickname" in message
    for identifying in ("Соболева", "1800", "Оля"):
        assert identifying not in message
    assert all(i.value is None for i in caught.value.issues)


def test_a_long_value_is_cut_in_messages(validator: Validator) -> None:
    with pytest.raises(EntryRejected) as caught:
        validator.validate("laboratory", {"tg": "9" * 1_000_000}, entry_date="2020-01-01")
    assert len(str(caught.value)) < 200


def test_an_unknown_section_of_any_shape_is_a_rule_not_a_crash(validator: Validator) -> None:
    for section in (["laboratory"], {"a": 1}, None, "x" * 10_000):
        with pytest.raises(EntryRejected) as caught:
            validator.validate(section, {})  # type: ignore[arg-type]
        assert [i.rule for i in caught.value.issues] == ["unknown_section"]
        assert len(str(caught.value)) < 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(
    section=st.sampled_from(["demographics", "radioiodine", "laboratory", "tumour_stage", "surgery", "imaging"]),
    values=st.dictionaries(st.sampled_from(["activity", "tsh", "sex", "birth_date", "t_category", "uptake_sites",
                                            "lymph_node_levels", "free_t4", "target_lesion_1_mm", "junk"]),
                           json_values, max_size=4),
    entry_date=st.one_of(st.none(), st.text(max_size=12), st.dates().map(date.isoformat)),
)
def test_junk_is_rejected_cleanly_never_a_crash(validator: Validator, section: str, values: dict,
                                                  entry_date: str | None) -> None:
    try:
        entry = validator.validate(section, values, entry_date=entry_date, patient="TH-F")
    except EntryRejected as exc:
        assert exc.issues
        assert all(i.rule and i.section == section for i in exc.issues)
    else:
        assert set(entry.values) <= set(values)
