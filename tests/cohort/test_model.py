"""The definition model refuses what cannot be meant, and keeps one digest per definition."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from oncobank.cohort.describe import sentence
from oncobank.cohort.model import Cohort, Leaf
from oncobank.dictionary import load_module

INDEX = {"field": "diagnosis.icd10", "op": "present"}


@pytest.mark.parametrize(("definition", "message"), [
    ({"schema_version": 3, "index": INDEX}, "schema_version"),
    ({"schema_version": 1, "index": INDEX, "rules": [{"name": "a", "criteria": {
        "kind": "leaf", **INDEX, "window": {"start": 0, "anchor": INDEX}}}]}, "anchored to another criterion needs"),
    ({"index": INDEX, "rules": [{"name": "a", "criteria": {"kind": "leaf", **INDEX, "window": {
        "start": 0, "anchor": {**INDEX, "occurrence": {"count": 2}}}}}]}, "anchor takes no occurrence"),
    ({"index": {**INDEX, "window": {"start": 0}}}, "window relative to itself"),
    ({"index": {**INDEX, "age_min": 18}}, "index event takes no age"),
    ({"index": INDEX, "rules": [{"name": "a", "criteria": {"kind": "not", "items": [
        {"kind": "leaf", **INDEX}, {"kind": "leaf", **INDEX}]}}]}, "not takes exactly one item"),
    ({"index": INDEX, "rules": [{"name": "a", "criteria": {"kind": "at_least", "items": [
        {"kind": "leaf", **INDEX}]}}]}, "at_least needs n"),
    ({"index": {"field": "diagnosis.icd10", "op": "between", "value": 3}}, "between needs two values"),
    ({"index": {"field": "diagnosis.icd10", "op": "missing", "value": 3}}, "takes no value"),
    ({"index": {**INDEX, "same_entry": [{"field": "genetics.gene", "op": "present"}]}}, "is not in section"),
    ({"index": INDEX, "rules": [{"name": "a", "criteria": {"kind": "leaf", **INDEX}},
                                {"name": "a", "criteria": {"kind": "leaf", **INDEX}}]}, "rule names must be unique"),
    ({"index": INDEX, "derived": [{"name": "b", "expr": "x", "band": {"edges": [1, 2], "labels": ["a"]}}]},
     "2 band edges need 3 labels"),
])
def test_refused(definition: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Cohort.model_validate(definition)


def test_the_digest_follows_the_definition_not_its_spelling() -> None:
    one = Cohort.model_validate({"index": INDEX})
    same = Cohort.model_validate_json('{"index": {"op": "present", "field": "diagnosis.icd10"}, "schema_version": 2}')
    other = Cohort.model_validate({"index": {**INDEX, "which": "last"}})
    assert one.digest() == same.digest() != other.digest()


def test_a_version_1_definition_still_reads() -> None:
    assert Cohort.model_validate({"schema_version": 1, "index": INDEX}).schema_version == 1


@pytest.mark.parametrize(("window", "en", "ru"), [
    ({"start": 12, "end": 16, "unit": "months", "anchor": {"field": "radioiodine.procedure", "op": "=",
                                                           "value": "therapy"}},
     "RECIST 1.1 response = progressive disease, 12–16 months after (Procedure (diagnostics / therapy) = "
     "radioiodine therapy)",
     "Ответ по RECIST 1.1 = прогрессирование, через 12–16 мес. после (Вид процедуры (РЙД / РЙТ) = "
     "радиойодтерапия (РЙТ))"),
    ({"end": -1}, "RECIST 1.1 response = progressive disease, 1 day or more before the index date",
     "Ответ по RECIST 1.1 = прогрессирование, не позднее чем за 1 дн. до даты индекса"),
    ({"start": -30, "end": 30}, "RECIST 1.1 response = progressive disease, from -30 to +30 days of the index date",
     "Ответ по RECIST 1.1 = прогрессирование, от -30 до +30 дн. от даты индекса"),
])
def test_a_window_reads_back_in_both_languages(window: dict, en: str, ru: str) -> None:
    leaf = Leaf(field="imaging.recist_response", op="=", value="PD", window=window)
    thyroid = load_module("thyroid")
    assert (sentence(leaf, thyroid, "en"), sentence(leaf, thyroid, "ru")) == (en, ru)


def test_the_cache_key_changes_with_the_dictionary() -> None:
    # a code list's new hierarchy changes who "stage IV" selects: a result cached under the old one is not reused
    from oncobank.cohort import saved

    definition = Cohort.model_validate({"index": {"field": "tumour_stage.stage_group", "op": "under", "value": "IV"}})
    keys = {saved.cache_key(definition, "duckdb:x", "s1", load_module(m)) for m in ("thyroid", "lung")}
    assert len(keys) == 2
    assert saved.cache_key(definition, "duckdb:x", "s1", load_module("thyroid")) in keys  # stable for one dictionary
