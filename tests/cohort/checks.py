"""Checks every backend's cohort tests share: the suite's members, attrition and evidence against hand counts."""

from __future__ import annotations

import datetime as dt

from oncobank.cohort import run
from oncobank.deid.keys import Keys
from oncobank.engine import connect

from .conftest import SECRET
from .definitions import ATTRITION, ATTRITION_MEMBERS, ATTRITION_TABLE, SUITE
from .registry import DIAGNOSES, THERAPIES

KEYS = Keys(SECRET)


def pseudonyms(numbers: set[int]) -> list[str]:
    return sorted(KEYS.pseudonym(f"TH-{n:06d}") for n in numbers)


def check_suite(url: str) -> dict[str, list[str]]:
    """Run every definition of the suite on `url`; return the member pseudonyms by name."""
    found = {}
    with connect(url) as store:
        for name, (definition, expected) in SUITE.items():
            members = run(definition, store, evidence=False, people=False).members.column("pseudonym").to_pylist()
            assert members == pseudonyms(expected), name
            found[name] = members
    return found


def check_attrition(url: str) -> None:
    """The five-rule attrition table, the members' index dates and the entries that made each rule hold."""
    with connect(url) as store:
        result = run(ATTRITION, store)
        members_only = run(ATTRITION, store, evidence=False, people=False)  # the counts as window aggregates
    assert result.attrition.to_dict() == members_only.attrition.to_dict() == ATTRITION_TABLE
    assert members_only.members == result.members
    assert result.count == 2
    assert result.members.to_pylist() == sorted(
        ({"pseudonym": KEYS.pseudonym(f"TH-{n:06d}"), "index_date": dt.date.fromisoformat(DIAGNOSES[f"TH-{n:06d}"][0])}
         for n in ATTRITION_MEMBERS), key=lambda r: r["pseudonym"])
    first = KEYS.pseudonym("TH-000001")
    rows = [r for r in result.evidence.to_pylist() if r["pseudonym"] == first]
    courses = [r["date"] for r in rows if r["rule"] == "I-131 therapy"]
    assert courses == [dt.date.fromisoformat(day) for day, _ in THERAPIES["TH-000001"]]
    assert [r["date"] for r in rows if r["rule"] == "PD after diagnosis"] == [dt.date(2021, 1, 15)]
    assert [r["date"] for r in rows if r["rule"] == "index"] == [dt.date(2019, 1, 10)]
    # rules on entries name them; rules on one-row-per-person tables (total activity, sex) have no entry key
    assert all(r["entry_key"] for r in rows if r["rule"] not in ("total at least 100 mCi", "women"))
    assert [r["entry_key"] is None for r in rows if r["rule"] == "women"] == [True]
    # patient 4 (medullary, male, no radioiodine, no imaging) holds none of the five rules
    fourth = KEYS.pseudonym("TH-000004")
    held = next(r for r in result.people.to_pylist() if r["pseudonym"] == fourth)
    assert [held[f"rule_{i}"] for i in range(1, 6)] == [False, False, False, False, False]
