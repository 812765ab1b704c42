"""k-anonymity in the publish: the patient table generalised and masked under the policy, on all three engines.

The tiny registry: women born 1970, 1971, 1972; men born 1980, 1983, 1990, 1995 (dates in year mode, so the
birth years are the real ones). Policy: k = 2 over sex and birth year, up to 30 % of the rows left to masking.
Counted by hand (Datafly, as in docs/publish.md): every row is alone at first (k 1, 7 classes); masking sex leaves
7 failing rows, 5-year bands leave 2 (1990 and 1995 alone), so the bands are taken; 2 rows ≤ floor(0.3 × 7) = 2 may
be masked, so 1990 and 1995 become (*, *), a class of 2. Classes after: (F, 1970-1974) × 3, (M, 1980-1984) × 2,
(*, *) × 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.deid.policy import KAnonymitySettings, Policy, PolicyError, load_policy
from oncobank.deid.publish import publish
from oncobank.engine import connect as analysis
from oncobank.store.clinical import ClinicalStore

from .publishing import differences, other_engine

POLICY = Policy(dates="year", k_anonymity=KAnonymitySettings(k=2, quasi_identifiers=["sex", "birth_year"],
                                                             max_suppressed=0.3))
PEOPLE = {"TH-000011": ("ж", 1970), "TH-000012": ("ж", 1971), "TH-000013": ("ж", 1972), "TH-000014": ("м", 1980),
          "TH-000015": ("м", 1983), "TH-000016": ("м", 1990), "TH-000017": ("м", 1995)}
EXPECTED = {"TH-000011": ("F", "1970-1974"), "TH-000012": ("F", "1970-1974"), "TH-000013": ("F", "1970-1974"),
            "TH-000014": ("M", "1980-1984"), "TH-000015": ("M", "1980-1984"), "TH-000016": ("*", "*"),
            "TH-000017": ("*", "*")}


@pytest.fixture
def home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def add(store: ClinicalStore, registry_id: str, sex: str, year: int) -> None:
    store.create_patient(registry_id, "C01", "dr_ivanova", {"EMR": f"E-{registry_id[-4:]}"})
    store.add_entry(registry_id, "demographics", {"surname": "Смирнов", "first_name": "Олег",
                                                  "birth_date": f"{year}-06-15", "sex": sex, "region": "Тула"},
                    user="dr_ivanova")
    store.add_entry(registry_id, "follow_up", {"last_contact_date": "2023-06-01", "vital_status": "alive"},
                    user="dr_ivanova", entry_date="2023-06-01")


def patients(url: str, store: ClinicalStore) -> dict[str, tuple[str, str]]:
    """The published patient table as registry ID → (sex, birth year), through the pseudonyms of the secret."""
    from oncobank.deid.keys import Keys, publish_secret

    keys = Keys(publish_secret(store.engine.url))
    back = {keys.pseudonym(rid): rid for rid in [*PEOPLE, "TH-000018", "TH-000019"]}
    with analysis(url) as published:
        rows = published.to_arrow(published.table("patient")).to_pylist()
    return {back[r["pseudonym"]]: (r["sex"], r["birth_year"]) for r in rows}


def report(url: str) -> dict[tuple[str, str | None], tuple[float | None, float | None, str | None]]:
    with analysis(url) as published:
        rows = published.to_arrow(published.table("k_anonymity")).to_pylist()
    return {(r["measure"], r["column"]): (r["before"], r["after"], r["level"]) for r in rows}


def follow_ups(url: str) -> int:
    with analysis(url) as published:
        return published.to_arrow(published.table("follow_up")).num_rows


def test_the_patient_table_leaves_k_anonymous_on_every_engine(store: ClinicalStore, tmp_path: Path, home,
                                                              monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for rid, (sex, year) in PEOPLE.items():
        add(store, rid, sex, year)
    target = str(tmp_path / "analysis.duckdb")
    result = publish(store, target, POLICY)
    assert patients(target, store) == EXPECTED
    found = report(target)
    assert found["k", None][:2] == (1.0, 2.0)
    assert found["classes", None][:2] == (7.0, 3.0)
    assert found["masked_rows", None][1] == 2.0 and found["removed_rows", None][1] == 0.0
    assert found["generalisation", "birth_year"][2] == "band5"
    assert found["generalisation", "sex"][2] == "original"
    assert found["holds", None][1] == 1.0
    assert result.to_dict()["k_anonymity"]["k"] == {"before": 1, "after": 2}
    other = other_engine(store, tmp_path, monkeypatch)
    publish(store, other, POLICY)
    assert differences(target, other) == []


def test_incremental_publishes_keep_k_and_equal_a_full_rebuild(store: ClinicalStore, tmp_path: Path,
                                                               home) -> None:  # type: ignore[no-untyped-def]
    for rid, (sex, year) in PEOPLE.items():
        add(store, rid, sex, year)
    target = str(tmp_path / "analysis.duckdb")
    publish(store, target, POLICY)
    # A man born 1992 joins 1990 in (M, 1990-1994); 1995 is alone: 1 failing row ≤ floor(0.3 × 8) = 2, so no
    # further generalisation, and masked alone (*, *) it still fails: it is removed, from every table.
    add(store, "TH-000018", "м", 1992)
    second = publish(store, target, POLICY)
    assert (second.full, second.patients_changed) == (False, 1)  # the text columns kept the layout
    assert patients(target, store) == {**{r: EXPECTED[r] for r in list(PEOPLE)[:5]},
                                       "TH-000016": ("M", "1990-1994"), "TH-000018": ("M", "1990-1994")}
    assert report(target)["removed_rows", None][1] == 1.0
    assert follow_ups(target) == 7  # none for the removed patient
    rebuilt = str(tmp_path / "rebuilt.duckdb")
    publish(store, rebuilt, POLICY, full=True)
    assert differences(target, rebuilt) == []
    # A man born 1996 gives 1995 a class of two: every row in its 5-year band, the removed patient back.
    add(store, "TH-000019", "м", 1996)
    third = publish(store, target, POLICY)
    assert (third.full, third.patients_changed) == (False, 1)
    assert patients(target, store)["TH-000017"] == ("M", "1995-1999")
    assert follow_ups(target) == 9
    again = str(tmp_path / "again.duckdb")
    publish(store, again, POLICY, full=True)
    assert differences(target, again) == []
    assert publish(store, target, POLICY).number is None  # nothing changed: nothing written


def test_the_command_prints_and_returns_the_report(store: ClinicalStore, tmp_path: Path,
                                                   home) -> None:  # type: ignore[no-untyped-def]
    for rid, (sex, year) in PEOPLE.items():
        add(store, rid, sex, year)
    policy = tmp_path / "policy.yaml"
    policy.write_text("dates: year\nk_anonymity:\n  k: 2\n  quasi_identifiers: [sex, birth_year]\n"
                      "  max_suppressed: 0.3\n", encoding="utf-8")
    url = store.engine.url.render_as_string(hide_password=False)
    target = str(tmp_path / "analysis.duckdb")
    shown = CliRunner().invoke(app, ["publish", "--db", url, "--to", target, "--policy", str(policy), "--lang",
                                     "ru"])
    assert shown.exit_code == 0, shown.output
    assert "k-анонимность публикуемой таблицы пациентов" in shown.output
    assert "5-летние интервалы" in shown.output
    data = json.loads(CliRunner().invoke(app, ["publish", "--db", url, "--to", str(tmp_path / "b.duckdb"),
                                               "--policy", str(policy), "--json"]).output)
    assert data["k_anonymity"]["classes"] == {"before": 7, "after": 3}
    assert data["k_anonymity"]["masked_rows"] == 2


def test_a_policy_naming_no_patient_column_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("k_anonymity:\n  quasi_identifiers: [sex, region]\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="'region' is not a column of the patient table"):
        load_policy(bad)
    bad.write_text("age: age_group\nk_anonymity:\n  quasi_identifiers: [birth_year]\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="birth_year is not published with age: age_group"):
        load_policy(bad)


def test_suppression_masks_the_failing_rows_without_generalising(store: ClinicalStore, tmp_path: Path,
                                                                 home) -> None:  # type: ignore[no-untyped-def]
    # Every row is alone at first and nothing is generalised: all 7 are masked, one class (*, *) of 7.
    for rid, (sex, year) in PEOPLE.items():
        add(store, rid, sex, year)
    target = str(tmp_path / "analysis.duckdb")
    policy = Policy(dates="year", k_anonymity=KAnonymitySettings(k=2, quasi_identifiers=["sex", "birth_year"],
                                                                 method="suppress"))
    publish(store, target, policy)
    assert patients(target, store) == dict.fromkeys(PEOPLE, ("*", "*"))
    found = report(target)
    assert found["masked_rows", None][1] == 7.0 and found["classes", None][1] == 1.0
    assert found["generalisation", "birth_year"][2] == "original"
