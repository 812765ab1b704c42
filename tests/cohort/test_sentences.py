"""The sentence parser on the pair file: at least 95 % of sentences to exactly the expected tree; unplaced words."""

from __future__ import annotations

from pathlib import Path

from oncobank.cohort.checkset import score
from oncobank.cohort.sentence import parse
from oncobank.dictionary import load_module

PAIRS = Path(__file__).with_name("sentences.json")


def test_at_least_95_percent_of_the_pairs_parse_exactly() -> None:
    result = score(PAIRS, load_module("thyroid"))
    assert result.total >= 150
    assert result.share >= 0.95, [m["sentence"] for m in result.misses]


def test_words_it_cannot_place_are_reported_not_guessed() -> None:
    parsed = parse("женщины с папиллярным раком и синей аурой", load_module("thyroid"))
    assert parsed.unplaced == ["синей", "аурой"]
    assert not parsed.complete
