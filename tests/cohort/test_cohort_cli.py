"""`oncobank cohort` end to end on the hand-built registry's analysis store: create, run (then from the cache),
attrition, members, versions, bad input refused with one error line, and only roles that may read the analysis store
(GRANTS: researcher, data manager, administrator) run cohorts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pcsv
import pytest
from typer.testing import CliRunner

from oncobank.cli.main import app
from oncobank.cohort.model import Cohort
from oncobank.dictionary import load_module
from oncobank.engine.delta import PublishDelta
from oncobank.engine.sinks import open_sink
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect

from .checks import pseudonyms
from .definitions import ATTRITION, ATTRITION_TABLE

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path,
         register_accounts: Callable[[str], None]) -> Path:
    """A data home whose registry store holds the accounts: admin, a researcher and a clinician."""
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ONCOBANK_DB", raising=False)
    (tmp_path / "home").mkdir()
    registry = tmp_path / "home" / "oncobank.sqlite"
    shutil.copy(sqlite_template, registry)
    register_accounts(f"sqlite:///{registry}")
    engine = connect(f"sqlite:///{registry}")
    store = ClinicalStore(engine, load_module("core"))
    store.ensure_centre("C01", "Centre one")
    store.ensure_user("dr_petrova", role="clinician", centre="C01")
    store.ensure_user("analyst", role="researcher")
    engine.dispose()
    return tmp_path


def _saved_five(home: Path) -> None:
    source = home / "attrition.json"
    source.write_text(ATTRITION.model_dump_json())
    assert runner.invoke(app, ["cohort", "create", "five", "--from", str(source)]).exit_code == 0


def test_a_researcher_runs_cohorts(home: Path, analysis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _saved_five(home)
    monkeypatch.setenv("ONCOBANK_USER", "analyst")
    result = runner.invoke(app, ["cohort", "run", "five", "--analysis", analysis_url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["count"] == 2


@pytest.mark.parametrize("command", [["run", "five"], ["attrition", "five"], ["members", "five", "--out", "m.csv"]])
def test_a_clinician_may_not_run_cohorts(home: Path, analysis_url: str, monkeypatch: pytest.MonkeyPatch,
                                         command: list[str]) -> None:
    # GRANTS gives a clinician no READ_ANALYSIS: no count, no attrition, no members file, and nothing cached
    _saved_five(home)
    monkeypatch.chdir(home)
    result = runner.invoke(app, ["cohort", *command, "--analysis", analysis_url, "--user", "dr_petrova"])
    assert result.exit_code == 1
    assert "user dr_petrova (clinician) may not run cohorts on the analysis store" in result.output
    assert "Traceback" not in result.output
    assert not (home / "m.csv").exists()
    assert not list((home / "home" / "cohorts" / ".cache").glob("*"))


def test_an_unregistered_user_or_no_accounts_is_refused(home: Path, analysis_url: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _saved_five(home)
    stranger = runner.invoke(app, ["cohort", "run", "five", "--analysis", analysis_url, "--user", "nobody"])
    assert stranger.exit_code == 1
    assert "nobody" in stranger.output
    monkeypatch.setenv("ONCOBANK_DB", f"sqlite:///{home / 'elsewhere.sqlite'}")
    missing = runner.invoke(app, ["cohort", "run", "five", "--analysis", analysis_url])
    assert missing.exit_code == 1
    assert "no registry accounts at" in missing.output
    assert not (home / "elsewhere.sqlite").exists()  # not created, so nobody became its administrator


def test_sentence_cohort_runs_then_comes_from_the_cache(home: Path, analysis_url: str) -> None:
    # women over 55 (ages at diagnosis 59, 63, 32: patients 1 and 2) with papillary carcinoma (1): one person
    created = runner.invoke(app, ["cohort", "create", "older_ptc", "--sentence",
                                  "женщины старше 55 лет с папиллярным раком", "--json"])
    assert created.exit_code == 0, created.output
    assert json.loads(created.output)["version"] == 1
    first = runner.invoke(app, ["cohort", "run", "older_ptc", "--analysis", analysis_url, "--json"])
    assert first.exit_code == 0, first.output
    result = json.loads(first.output)
    assert (result["count"], result["cached"]) == (1, False)
    assert [r["remaining"] for r in result["attrition"]["rules"]] == [3, 2, 1]
    again = json.loads(runner.invoke(app, ["cohort", "run", "older_ptc", "--analysis", analysis_url,
                                           "--json"]).output)
    assert (again["count"], again["cached"]) == (1, True)
    out, why = home / "members.csv", home / "evidence.csv"
    written = runner.invoke(app, ["cohort", "members", "older_ptc", "--analysis", analysis_url, "--out", str(out),
                                  "--evidence", str(why)])
    assert written.exit_code == 0, written.output
    # patient 1: sex from the patient table (no date), age derived at the index date, papillary in the diagnosis
    # entry of 2019-01-10, which is also the index entry
    rows = pcsv.read_csv(why).to_pylist()
    mine = sorted((r["rule"], str(r["date"] or "")) for r in rows if r["pseudonym"] == pseudonyms({1})[0])
    assert mine == [("1. sex = female", ""), ("2. age at index, years > 55", "2019-01-10"),
                    ("3. Histological type of carcinoma = papillary thyroid carcinoma", "2019-01-10"),
                    ("index", "2019-01-10")]
    lines = out.read_text().splitlines()
    assert lines[0].replace('"', "") == "pseudonym,index_date,age_at_index"
    assert lines[1].replace('"', "") == f"{pseudonyms({1})[0]},2019-01-10,59"


def test_a_new_publish_invalidates_the_cache(home: Path, analysis_url: str, cohort_delta: PublishDelta) -> None:
    url = str(home / "copy.duckdb")
    shutil.copy(analysis_url, url)
    source = home / "attrition.json"
    source.write_text(ATTRITION.model_dump_json())
    assert runner.invoke(app, ["cohort", "create", "five", "--from", str(source)]).exit_code == 0
    assert json.loads(runner.invoke(app, ["cohort", "attrition", "five", "--analysis", url, "--json"]).output) == \
        ATTRITION_TABLE
    open_sink(url).apply(cohort_delta)  # the same rows published again: a new snapshot
    rerun = json.loads(runner.invoke(app, ["cohort", "run", "five", "--analysis", url, "--json"]).output)
    assert (rerun["count"], rerun["cached"]) == (2, False)
    # the same definition saved again is no new version; a changed one is version 2
    assert json.loads(runner.invoke(app, ["cohort", "create", "five", "--from", str(source),
                                          "--json"]).output)["new"] is False
    changed = Cohort.model_validate({**ATTRITION.model_dump(), "rules": ATTRITION.model_dump()["rules"][:2]})
    source.write_text(changed.model_dump_json())
    assert json.loads(runner.invoke(app, ["cohort", "create", "five", "--from", str(source),
                                          "--json"]).output)["version"] == 2
    listed = json.loads(runner.invoke(app, ["cohort", "list", "--json"]).output)
    assert listed == [{"name": "five", "versions": [1, 2]}]


@pytest.mark.parametrize(("args", "message"), [
    (["cohort", "create", "x", "--sentence", "женщины с синей аурой"], "words not placed: синей, аурой"),
    (["cohort", "run", "nothing"], "no saved cohort nothing"),
    (["cohort", "parse", "--check", "missing.json"], "missing.json: not a sentence pair file"),
])
def test_bad_input_is_one_error_line(home: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_definition_file_with_an_unknown_comparator_is_refused(home: Path) -> None:
    source = home / "bad.json"
    source.write_text(json.dumps({"index": {"field": "diagnosis.icd10", "op": "like"}}))
    result = runner.invoke(app, ["cohort", "create", "bad", "--from", str(source)])
    assert result.exit_code == 1
    assert "bad.json: index.op" in result.output
