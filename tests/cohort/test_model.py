"""The definition model refuses what cannot be meant, and keeps one digest per definition."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from oncobank.cohort.model import Cohort

INDEX = {"field": "diagnosis.icd10", "op": "present"}


@pytest.mark.parametrize(("definition", "message"), [
    ({"schema_version": 2, "index": INDEX}, "schema_version"),
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
    same = Cohort.model_validate_json('{"index": {"op": "present", "field": "diagnosis.icd10"}, "schema_version": 1}')
    other = Cohort.model_validate({"index": {**INDEX, "which": "last"}})
    assert one.digest() == same.digest() != other.digest()
