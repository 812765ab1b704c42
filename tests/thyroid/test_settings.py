"""The RAIR study settings: defaults that follow the study, checked files, and a changed file changing results.

Expected statuses come from the dates by hand (comments); the ground truth is run on the same patients to show
that it applies the same settings without the engine.
"""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.diseases.thyroid import derived, rair, synth_truth, wording
from oncobank.diseases.thyroid.settings import SettingsError, default_path, default_settings, load_settings
from thyroid.thyroid_cases import follow_up, imaging, status, therapy

LUNGS = ["thyroid_bed", "lungs"]


def _copy(tmp_path: Path, *changes: tuple[str, str], name: str = "study.yaml") -> Path:
    """The module's settings file with some text replaced (every key stays present)."""
    text = default_path().read_text(encoding="utf-8")
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


FLIP_90_DAYS = ("    within:\n      months: 12\n", "    within:\n      days: 90\n")
ACTIVITY_500 = ("      value: 600\n", "      value: 500\n")
PROGRESSION_6_9 = ("      earliest: {months: 12}\n      latest: {months: 16}\n",
                   "      earliest: {months: 6}\n      latest: {months: 9}\n")


def test_defaults_follow_the_study() -> None:
    s = default_settings()
    c = s.criteria
    assert (c.flip_flop.within.months, c.flip_flop.within.days) == (12, None)
    assert c.flip_flop.negative_scans.codes == ["SPECT_CT"]
    assert c.non_avid_lesion.within.days == 90
    assert "SPECT_CT" not in c.non_avid_lesion.not_lesion_imaging.codes
    assert (c.progression_despite_uptake.after_scan.earliest.months,
            c.progression_despite_uptake.after_scan.latest.months) == (12, 16)
    assert (c.high_activity_persistence.cumulative_activity.value,
            c.high_activity_persistence.cumulative_activity.unit) == (600, "mCi")
    assert s.population.histology.codes == ["papillary", "follicular", "oncocytic"]
    assert (s.population.age_at_diagnosis.min, s.population.age_at_diagnosis.max) == (18, 80)
    assert s.population.i131_therapy.required is True
    for key, setting in s.settings():
        assert setting.source.en and setting.source.ru and setting.source.refs, key
        assert key in wording.SETTINGS, key
    assert "study" in s.criteria.flip_flop.within.source.refs


def test_every_reason_and_role_has_words_in_both_languages() -> None:
    codes = {code for reasons in rair.REASONS.values() for code in reasons}
    assert codes == set(wording.REASONS)
    settings = default_settings()
    for code in codes:
        for lang in ("en", "ru"):
            assert "{" not in wording.reason(code, settings, lang), code
    assert wording.reason("total_below_threshold", settings, "ru") == (
        "суммарная активность 131I менее 600 мКи (22,2 ГБк)")
    assert wording.reason("no_flip_flop_pair", settings, "en") == (
        "no radioiodine scan without uptake (SPECT/CT) within 12 months of a positive FDG PET/CT")


@pytest.mark.parametrize(("old", "new", "message"), [
    (FLIP_90_DAYS[0], FLIP_90_DAYS[0].replace("12", "-1"),
     "criteria.flip_flop.within.months: value -1: Input should be greater than or equal to 0"),
    ("codes: [SPECT_CT]", "codes: [SPECT-CT]",
     "criteria.flip_flop.negative_scans.codes: 'SPECT-CT' is not a code of post_scan_modality"),
    ("      days: 90\n", "      days: 90\n      weeks: 3\n",
     "criteria.non_avid_lesion.within.weeks: not a known setting (value 3)"),
    ("      unit: mCi\n", "      unit: Ci\n",
     "criteria.high_activity_persistence.cumulative_activity.unit: value 'Ci'"),
    ("      earliest: {months: 12}\n", "      earliest: {days: 12}\n",
     "criteria.progression_despite_uptake.after_scan: earliest and latest must both be in days or both in months"),
    ("    min: 18\n", "", "population.age_at_diagnosis.min: missing"),
])
def test_wrong_settings_name_file_key_and_value(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _copy(tmp_path, (old, new))
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"settings {path}: ")
    assert message in str(caught.value)


def test_unreadable_settings(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"settings .*missing\.yaml: cannot be read"):
        load_settings(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("criteria: [", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"bad\.yaml: not valid YAML"):
        load_settings(tmp_path / "bad.yaml")


def _patients(build):  # type: ignore[no-untyped-def]
    spect = ("radioiodine", "2020-01-15", {"procedure": "diagnostic", "isotope": "I-123",
                                           "post_scan_modality": "SPECT_CT", "uptake": "absent"})
    entries = {
        # A negative SPECT/CT and a positive FDG PET/CT 11 months apart: met within 12 months, not within 90 days.
        "flip_11_months": (spect, imaging("2020-12-15", modality="PET_CT_FDG", fdg_avid="yes")),
        # 100 + 150 + 150 + 100 = 500 mCi, persistent disease at the next follow-up: met at 500, below 600.
        "activity_500": (*[therapy(f"{2015 + i}-06-01", activity=a) for i, a in enumerate((100, 150, 150, 100))],
                         follow_up("2019-01-10", "structural_incomplete")),
        # PD 7 months after an avid scan (2019-01-31 -> 2019-08-31): in a 6-9-month window, not in 12-16 months.
        "progression_7_months": (therapy("2019-01-31", sites=LUNGS), imaging("2019-08-31", recist_response="PD")),
    }
    return {name: (build(*rows), rows) for name, rows in entries.items()}


def test_a_changed_settings_file_changes_the_result(store, build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    patients = _patients(build)
    study = load_settings(_copy(tmp_path, FLIP_90_DAYS, ACTIVITY_500, PROGRESSION_6_9))
    assert study.digest != default_settings().digest
    derived.refresh(store.engine, ["rair"])
    default = derived.latest(store.engine, "rair")
    derived.refresh(store.engine, ["rair"], settings=study)
    changed = derived.latest(store.engine, "rair", settings=study)
    expected = {  # (default settings, changed settings)
        "flip_11_months": ("flip_flop", ("met", "2020-12-15"), ("not_met", None)),
        "activity_500": ("high_activity_persistence", ("not_met", None), ("met", "2019-01-10")),
        "progression_7_months": ("progression_despite_uptake", ("not_evaluable", None), ("met", "2019-08-31")),
    }
    for name, (criterion, under_default, under_study) in expected.items():
        rid, rows = patients[name]
        assert status(default[rid], criterion) == under_default, name
        assert status(changed[rid], criterion) == under_study, name
        # The ground truth reads the same settings and agrees, without the engine.
        entries = [{"section": s, "date": d, "values": v} for s, d, v in rows]
        assert synth_truth.evaluate(entries)["criteria"][criterion]["status"] == under_default[0], name
        assert synth_truth.evaluate(entries, study)["criteria"][criterion]["status"] == under_study[0], name
    # Both computations are kept; each settings file reads its own.
    rid = patients["flip_11_months"][0]
    assert [h["result"]["criteria"]["flip_flop"]["status"] for h in derived.history(store.engine, "rair", rid)] == [
        "met", "not_met"]
    assert derived.refresh(store.engine, ["rair"], settings=study).recomputed == {"rair": 0}


def test_the_ground_truth_does_not_use_the_engine() -> None:
    tree = ast.parse(inspect.getsource(synth_truth))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {m for m in imported if m and m.startswith("oncobank.") and not m.endswith((".settings",
                                                                                           ".synth_profile"))}


def test_cli_settings_option(store, store_url: str, build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rid = _patients(build)["flip_11_months"][0]
    runner = CliRunner()
    path = _copy(tmp_path, FLIP_90_DAYS)
    done = runner.invoke(app, ["thyroid", "rair", rid, "--db", store_url, "--json", "--settings", str(path)])
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["settings"]["file"] == "study.yaml"
    assert out["settings"]["criteria"]["flip_flop"]["within"]["days"] == 90
    assert out["patients"][rid]["criteria"]["flip_flop"]["status"] == "not_met"
    again = json.loads(runner.invoke(app, ["thyroid", "rair", rid, "--db", store_url, "--json"]).stdout)
    assert again["settings"]["file"] == "rair_settings.yaml"
    assert again["patients"][rid]["criteria"]["flip_flop"]["status"] == "met"
    done = runner.invoke(app, ["thyroid", "report", "--db", store_url, "--json", "--settings", str(path)])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["settings"]["criteria"]["flip_flop"]["within"]["days"] == 90
    wrong = _copy(tmp_path, ("unit: mCi\n", "unit: Ci\n"), name="wrong.yaml")
    for command in (["rair"], ["facts", rid], ["report", "--json"]):
        failed = runner.invoke(app, ["thyroid", *command, "--db", store_url, "--settings", str(wrong)])
        assert failed.exit_code == 1
        assert "cumulative_activity.unit: value 'Ci'" in failed.output and "wrong.yaml" in failed.output
