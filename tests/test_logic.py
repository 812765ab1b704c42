"""REDCap's branching logic and calculations: parsed, evaluated by hand-worked examples, applied by the validator."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from oncobank.dictionary.loader import load_module, resolve_module
from oncobank.dictionary.logic import LogicError, parse, rename, section_logic
from oncobank.dictionary.schema import Module
from oncobank.dictionary.validate import EntryRejected, Validator


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("round([weight]/(([height]/100)^2),1)", {"weight": 70, "height": 175}, 22.9),  # 70 / 1.75² = 22.857
        ("round([weight]/(([height]/100)^2),1)", {"weight": 70}, None),  # a blank operand: blank
        ("2 + 3 * 4", {}, 14.0),
        ("2^3^2", {}, 512.0),  # ^ binds to the right: 2^(3^2)
        ("(2 + 3) * 4", {}, 20.0),
        ("-[x] + 1", {"x": 4}, -3.0),
        ("[a] / [b]", {"a": 1, "b": 0}, None),  # REDCap leaves a division by zero blank
        ("round(2.5)", {}, 3.0),  # halves away from zero
        ("round(-2.5)", {}, -3.0),
        ("roundup(2.01, 1)", {}, 2.1),
        ("rounddown(2.09, 1)", {}, 2.0),
        ("abs(-3) + sqrt(16)", {}, 7.0),
        ("sum([a], [b], [c])", {"a": 1, "c": 2}, 3.0),  # blanks are left out
        ("mean([a], [b], [c])", {"a": 1, "b": 2, "c": 6}, 3.0),
        ("min([a], [b])", {"a": 5, "b": -1}, -1.0),
        ("if([x] > 1, 10, 20)", {"x": 2}, 10.0),
        ("if([x] > 1, 10, 20)", {"x": 1}, 20.0),
        ('datediff([d1], [d2], "d")', {"d1": date(2020, 1, 1), "d2": date(2020, 3, 1)}, 60.0),  # 31 + 29
        ('datediff([d2], [d1], "d")', {"d1": date(2020, 1, 1), "d2": date(2020, 3, 1)}, 60.0),  # unsigned
        ('datediff([d2], [d1], "d", "ymd", true)', {"d1": date(2020, 1, 1), "d2": date(2020, 3, 1)}, -60.0),
    ],
)
def test_values(text: str, values: dict, expected: float | None) -> None:
    assert parse(text).evaluate(values) == expected


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("[smoker] = '1'", {"smoker": True}, True),  # a yes/no field is 1 or 0, as in REDCap
        ("[smoker] = '1'", {"smoker": False}, False),
        ("[smoker] = '1'", {}, False),
        ("[x] <> ''", {}, False),
        ("[x] <> ''", {"x": "a"}, True),
        ("[x] != \"\"", {"x": "a"}, True),
        ("[age] >= 18 and [age] < 65", {"age": 18}, True),
        ("[age] >= 18 and [age] < 65", {"age": 65}, False),
        ("[age] = '18'", {"age": 18.0}, True),  # numbers compare as numbers, however written
        ("[a] = 1 or [b] = 1 and [c] = 1", {"a": 1}, True),  # and binds tighter than or
        ("([a] = 1 or [b] = 1) and [c] = 1", {"a": 1}, False),
        ("not [a] = 1", {"a": 2}, True),
        ("[comorbid(2)] = '1'", {"comorbid": ["1", "2"]}, True),  # a checkbox's option
        ("[comorbid(3)] = '1'", {"comorbid": ["1", "2"]}, False),
        ("[modality] = 'other'", {"modality": "other"}, True),
        ("[tg] > 1", {"tg": {"value": 2.5, "qualifier": None}}, True),  # a lab value compares by its number
        ("[x] > 1", {"x": {"missing": "unknown"}}, False),  # a missing-data code is blank
    ],
)
def test_conditions(text: str, values: dict, expected: bool) -> None:
    assert parse(text).holds(values) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty logic"),
        ("[a] = ", "the logic ends too early"),
        ("[a] === 1", "unexpected '=' at character 7"),
        ("frobnicate(1)", "unknown function 'frobnicate' at character 1"),
        ("(1 + 2", "the logic ends too early"),
        ("[a] 'x'", "unexpected \"'x'\" at character 5"),
        ("[a] = 1 ; drop", "cannot read '; drop' at character 9"),
    ],
)
def test_unreadable_logic_says_where(text: str, message: str) -> None:
    with pytest.raises(LogicError, match=message.replace("(", r"\(")):
        parse(text)


def test_fields_read_and_renamed() -> None:
    logic = parse("[a] = '1' and [chk(2)] = '1' or [b] > round([a], 1)")
    assert logic.fields == {"a", "b", "chk"}
    assert rename(logic.text, {"a": "form_a", "chk": "form_chk"}) == (
        "[form_a] = '1' and [form_chk(2)] = '1' or [b] > round([form_a], 1)")
    assert logic.to_json()[0] == "op"  # plain lists: the browser evaluates the same tree


STUDY = Module.model_validate({
    "module": "study", "version": 1, "label": {"ru": "Исследование", "en": "Study"}, "extends": ["core"],
    "domains": {"yn": {"label": {"ru": "Да/нет", "en": "Yes/no"}, "codes": [
        {"code": "1", "label": {"ru": "да", "en": "yes"}}, {"code": "0", "label": {"ru": "нет", "en": "no"}}]}},
    "sections": [{
        "name": "exposure", "label": {"ru": "Экспозиция", "en": "Exposure"}, "dated": False,
        "fields": [
            {"name": "smoker", "label": {"ru": "Курит", "en": "Smoker"}, "type": "enum", "domain": "yn",
             "required": True, "aliases": ["smoker"]},
            {"name": "packs", "label": {"ru": "Пачек в день", "en": "Packs a day"}, "type": "number",
             "required": True, "show_if": "[smoker] = '1'", "aliases": ["packs"]},
            {"name": "years", "label": {"ru": "Лет курения", "en": "Years smoked"}, "type": "number",
             "show_if": "[smoker] = '1'", "aliases": ["years"]},
            {"name": "pack_years", "label": {"ru": "Пачко-лет", "en": "Pack-years"}, "type": "number",
             "calculation": "[packs] * [years]", "hard_range": {"min": 0, "max": 150}, "aliases": ["pack years"]},
            {"name": "elsewhere", "label": {"ru": "Другое", "en": "Other"}, "type": "text",
             "show_if": "[weight] > 100", "aliases": ["other"]},
        ],
    }],
})


def test_the_validator_applies_branching_and_calculations() -> None:
    validator = Validator(resolve_module(STUDY))
    # a field the branching logic hides is not asked, so not required
    assert validator.validate("exposure", {"smoker": "0"}).values == {"smoker": "0"}
    with pytest.raises(EntryRejected, match="field packs: a value is required"):
        validator.validate("exposure", {"smoker": "1"})
    # computed whatever was typed: 1.5 packs × 20 years = 30 pack-years
    assert validator.validate("exposure", {"smoker": "1", "packs": "1,5", "years": "20", "pack_years": "7"}) \
        .values["pack_years"] == 30
    # a computed value is checked like a typed one: 10 × 20 = 200 is over the hard range of 150
    with pytest.raises(EntryRejected, match=r"field pack_years: value 200.0: calculated: 200 is outside the possible"):
        validator.validate("exposure", {"smoker": "1", "packs": "10", "years": "20"})


def test_logic_over_other_sections_is_kept_not_applied() -> None:
    logic = section_logic(STUDY.sections[0])
    assert set(logic.shown_if) == {"packs", "years"} and set(logic.calculated) == {"pack_years"}
    assert logic.skipped == [("elsewhere", "show_if",
                              "branching logic '[weight] > 100' reads fields outside its form: weight")]


def test_shipped_modules_apply_all_their_logic() -> None:
    for name in ("thyroid", "lung"):
        for section in load_module(name).sections.values():
            assert section_logic(section).skipped == [], (name, section.name)
    imaging = section_logic(load_module("thyroid").sections["imaging"])
    assert imaging.hidden("modality_other", {"modality": "CT"})
    assert not imaging.hidden("modality_other", {"modality": "other"})


def test_a_hidden_required_field_does_not_make_a_form_incomplete() -> None:
    from oncobank.store.card import EntryView, VersionView
    from oncobank.web.forms import section_status

    def entry(values: dict) -> EntryView:
        version = VersionView(1, "active", None, None, values, {}, {}, [], "dr", datetime(2020, 1, 1), None)
        return EntryView(1, "exposure", [version])

    section = STUDY.sections[0]
    # a non-smoker is not asked how many packs: her entry lacks nothing (it waits for a second opinion)
    assert section_status(section, [entry({"smoker": "0"})], "en").status == "unverified"
    # a smoker's entry without them does
    lacking = section_status(section, [entry({"smoker": "1"})], "en")
    assert (lacking.status, lacking.missing) == ("incomplete", ["Packs a day"])
