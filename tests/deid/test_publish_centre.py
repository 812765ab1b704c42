"""Every published table carries the patient table's centre, also where k-anonymity masked it, incremental included.

The registry: women at C01 (two), men at C01 (two), one woman at C02, one at C03. Policy: k = 2 over sex and
centre, the centre generalisable, up to half the rows left to masking (dates in year mode). Counted by hand (as in
docs/publish.md): (F, C02) and (F, C03) are alone, 2 failing rows ≤ floor(0.5 × 6) = 3, so nothing is generalised
and both are masked to (*, *), a class of 2: their centre leaves as "*", on every table.
Then a second woman at C02: (F, C02) is a class of 2, C02's first woman (unchanged herself) gets her centre back;
(F, C03) alone, 1 ≤ floor(0.5 × 7) = 3, masked alone still fails: removed. Then a second woman at C03 brings her back.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from oncobank.deid.keys import Keys, publish_secret
from oncobank.deid.policy import KAnonymitySettings, Policy
from oncobank.deid.publish import publish
from oncobank.engine import connect as analysis
from oncobank.store.clinical import ClinicalStore

from .publishing import differences, other_engine

POLICY = Policy(dates="year", k_anonymity=KAnonymitySettings(k=2, quasi_identifiers=["sex", "centre"],
                                                             max_suppressed=0.5, generalise_centre=True))
PEOPLE = {"TH-000021": ("ж", "C01"), "TH-000022": ("ж", "C01"), "TH-000023": ("м", "C01"),
          "TH-000024": ("м", "C01"), "TH-000025": ("ж", "C02"), "TH-000026": ("ж", "C03")}
LATER = {"TH-000027": ("ж", "C02"), "TH-000028": ("ж", "C03")}


@pytest.fixture
def home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def add(store: ClinicalStore, registry_id: str, sex: str, centre: str) -> None:
    """Demographics, a follow-up and a radioiodine course (rows of a section and of a derived table)."""
    store.ensure_centre(centre)
    store.create_patient(registry_id, centre, "dr_ivanova", {"EMR": f"E-{registry_id[-4:]}"})
    store.add_entry(registry_id, "demographics", {"surname": "Смирнова", "first_name": "Анна",
                                                  "birth_date": "1975-06-15", "sex": sex, "region": "Тула"},
                    user="dr_ivanova")
    store.add_entry(registry_id, "follow_up", {"last_contact_date": "2023-06-01", "vital_status": "alive"},
                    user="dr_ivanova", entry_date="2023-06-01")
    store.add_entry(registry_id, "radioiodine", {"procedure": "therapy", "isotope": "I-131",
                                                 "activity": {"value": 3700, "unit": "MBq"}},
                    user="dr_ivanova", entry_date="2021-01-20")


def centres(url: str, store: ClinicalStore) -> dict[str, dict[str, set[str | None]]]:
    """Per table with a centre column, registry ID → the centres its rows carry (the patient table's included)."""
    keys = Keys(publish_secret(store.engine.url))
    back = {keys.pseudonym(rid): rid for rid in [*PEOPLE, *LATER]}
    found: dict[str, dict[str, set[str | None]]] = {}
    with analysis(url) as published:
        for name in published.tables():
            table: pa.Table = published.to_arrow(published.table(name))
            if "centre" not in table.column_names or "pseudonym" not in table.column_names:
                continue
            rows = found.setdefault(name, {})
            for pseudonym, centre in zip(table["pseudonym"].to_pylist(), table["centre"].to_pylist(), strict=True):
                rows.setdefault(back[pseudonym], set()).add(centre)
    return found


def agree(found: dict[str, dict[str, set[str | None]]], expected: dict[str, str]) -> None:
    """The patient table holds `expected`; every other table's rows carry their patient's centre from it."""
    assert {rid: c for rid, (c,) in found["patient"].items()} == expected
    for name, rows in found.items():
        for rid, held in rows.items():
            assert held == {expected[rid]}, (name, rid)
    for name in ("follow_up", "thyroid_radioiodine", "thyroid_activity"):  # a section's and a derived table
        assert set(found[name]) == set(expected), name


def test_masked_centres_leave_masked_on_every_table_and_engine(store: ClinicalStore, tmp_path: Path, home,
                                                               monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for rid, (sex, centre) in PEOPLE.items():
        add(store, rid, sex, centre)
    target = str(tmp_path / "analysis.duckdb")
    publish(store, target, POLICY)
    expected = {**{rid: "C01" for rid in list(PEOPLE)[:4]}, "TH-000025": "*", "TH-000026": "*"}
    agree(centres(target, store), expected)
    other = other_engine(store, tmp_path, monkeypatch)
    publish(store, other, POLICY)
    assert differences(target, other) == []


def test_incremental_publishes_move_an_unchanged_patients_centre_on_every_table(
        store: ClinicalStore, tmp_path: Path, home) -> None:  # type: ignore[no-untyped-def]
    for rid, (sex, centre) in PEOPLE.items():
        add(store, rid, sex, centre)
    target = str(tmp_path / "analysis.duckdb")
    publish(store, target, POLICY)
    add(store, "TH-000027", *LATER["TH-000027"])
    second = publish(store, target, POLICY)
    assert (second.full, second.patients_changed) == (False, 1)
    kept = {**{rid: "C01" for rid in list(PEOPLE)[:4]}, "TH-000025": "C02", "TH-000027": "C02"}
    agree(centres(target, store), kept)  # TH-000026 removed
    rebuilt = str(tmp_path / "rebuilt.duckdb")
    publish(store, rebuilt, POLICY, full=True)
    assert differences(target, rebuilt) == []
    add(store, "TH-000028", *LATER["TH-000028"])
    third = publish(store, target, POLICY)
    assert (third.full, third.patients_changed) == (False, 1)
    agree(centres(target, store), {**kept, "TH-000026": "C03", "TH-000028": "C03"})
    again = str(tmp_path / "again.duckdb")
    publish(store, again, POLICY, full=True)
    assert differences(target, again) == []
