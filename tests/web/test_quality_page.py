"""The data-quality pages: the last run's scores, failed checks with suggestions, trends, and problem records within
the user's reach (a centre's users see their centre's patients only; a researcher sees none from the clinical store)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.deid.publishing import build
from tests.web.conftest import Client

from oncobank.deid.keys import publish_secret
from oncobank.deid.policy import KAnonymitySettings, Policy
from oncobank.engine import connect
from oncobank.engine.sinks import open_sink
from oncobank.quality.clinical import identify
from oncobank.quality.compile import Context
from oncobank.quality.history import save_run
from oncobank.quality.service import assess, checks_for, history_folder
from oncobank.store import accounts
from oncobank.store.access import AccessDenied
from oncobank.store.clinical import ClinicalStore

CHECK = "rule:thyroid.death_date_when_dead"


def _checked(web_store: ClinicalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: Policy) -> None:
    """Two dead patients without a date of death, TH-000003 at C01 and TH-000004 at C02, published and checked."""
    monkeypatch.setenv("ONCOBANK_PUBLISH_KEY", "ab" * 32)
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    url = str(tmp_path / "analysis.duckdb")
    monkeypatch.setenv("ONCOBANK_ANALYSIS", url)
    for rid, centre in (("TH-000003", "C01"), ("TH-000004", "C02")):
        web_store.create_patient(rid, centre, "admin", {})
        web_store.add_entry(rid, "follow_up", {"last_contact_date": "2023-02-01", "vital_status": "dead"},
                            user="admin", entry_date="2023-02-01")
    _, delta = build(web_store, policy, secret=publish_secret(web_store.engine.url))
    open_sink(url).apply(delta)
    with connect(url) as analysis:
        save_run(history_folder(), assess(analysis, checks_for(["thyroid"]), Context(dt.date(2024, 1, 1), 365)))


@pytest.fixture
def quality_run(web_store: ClinicalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Published under small_cell 0 (k-anonymity over the module, one class): the hand-counted counts are shown
    exact."""
    policy = Policy(k_anonymity=KAnonymitySettings(k=2, quasi_identifiers=["module"], small_cell=0))
    _checked(web_store, tmp_path, monkeypatch, policy)


@pytest.fixture
def masked_run(web_store: ClinicalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Published under the default policy: no threshold in the store, so counts of 1 to 5 are masked."""
    _checked(web_store, tmp_path, monkeypatch, Policy())


def test_small_counts_are_masked(masked_run: None, web_client: Callable[[str], Client]) -> None:
    # the check's 2 violated follow-ups are a small count: "≤ 5" in the table and in the suggestion, never the 2
    page = web_client("researcher").get("/quality?lang=en").text
    assert CHECK in page and "≤ 5 follow-up entries say the patient died but give no date" in page
    assert "2 follow-up entries" not in page
    assert "≤ 5" in web_client("researcher").get("/quality?lang=ru").text


def test_scores_failed_checks_and_suggestions(quality_run: None, web_client: Callable[[str], Client]) -> None:
    page = web_client("dm_c01").get("/quality?lang=en")
    assert page.status_code == 200
    assert CHECK in page.text and "Dead without a date of death" in page.text
    # both follow-ups say "dead" and give no date: 2 of 2, in the suggestion's own words
    assert "2 follow-up entries say the patient died but give no date" in page.text
    assert f"/quality/issues?check={CHECK.replace(':', '%3A')}" in page.text
    assert "<td>C01</td>" in page.text and "<td>C02</td>" not in page.text  # her centre's score only
    assert "<td>C02</td>" in web_client("admin").get("/quality?lang=en").text
    russian = web_client("dm_c01").get("/quality?lang=ru").text
    assert "Качество данных" in russian and "Умер, но нет даты смерти" in russian and "Оценки по запускам" in russian
    researcher = web_client("researcher").get("/quality?lang=en").text
    assert CHECK in researcher and "/quality/issues" not in researcher


def test_problem_records_within_reach(quality_run: None, web_client: Callable[[str], Client],
                                     web_store: ClinicalStore) -> None:
    url = f"/quality/issues?check={CHECK}&lang=en"
    own = web_client("dm_c01").get(url)
    assert own.status_code == 200 and "TH-000003" in own.text and "TH-000004" not in own.text
    other = web_client("dr_sidorov").get(url)  # a clinician of C02
    assert other.status_code == 200 and "TH-000004" in other.text and "TH-000003" not in other.text
    everyone = web_client("admin").get(url).text
    assert "TH-000003" in everyone and "TH-000004" in everyone
    assert web_client("researcher").get(url).status_code == 403
    with pytest.raises(AccessDenied):  # refused by the service itself, not only by the page
        identify(web_store, [], CHECK, accounts.acting(web_store, "researcher"))
    assert web_client("dm_c01").get("/quality/issues?check=no:such").status_code == 404


def test_no_run_yet(web_client: Callable[[str], Client], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path))
    page = web_client("dm_c01").get("/quality?lang=en")
    assert page.status_code == 200 and "No stored runs yet" in page.text
