"""The `oncobank stats` commands, run through Typer's test runner, in table and JSON form."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oncobank.cli.stats import app

runner = CliRunner()
ESTIMATES = ("sensitivity", "specificity", "ppv", "npv", "accuracy", "youden", "lr_positive", "lr_negative")


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_accuracy_json_has_every_metric_with_its_interval() -> None:
    # CT 0–4 stage 1: TP 83, FN 17, FP 71, TN 381; the study's PPV/NPV at 9.63 % are 35.9 / 97.9.
    data = _json(["accuracy", "--tp", "83", "--fn", "17", "--fp", "71", "--tn", "381", "--prevalence", "0.0963"])
    for name in ESTIMATES:
        assert set(data[name]) == {"estimate", "ci_low", "ci_high"}
        assert data[name]["ci_low"] <= data[name]["estimate"] <= data[name]["ci_high"]
    assert data["sensitivity"]["estimate"] == pytest.approx(0.83)
    assert data["ppv"]["estimate"] == pytest.approx(0.359, abs=0.01)
    assert data["npv"]["estimate"] == pytest.approx(0.979, abs=0.01)
    assert data["fn_percent"]["estimate"] == pytest.approx(17.0)  # 17 of 100 missed
    assert data["fp_percent"]["estimate"] == pytest.approx(100 * 71 / 452)


def test_accuracy_table_in_russian_and_method_choice() -> None:
    result = runner.invoke(app, ["accuracy", "--tp", "8", "--fn", "2", "--fp", "1", "--tn", "9", "--lang", "ru",
                                 "--ci", "clopper-pearson"])
    assert result.exit_code == 0, result.output
    assert "Чувствительность" in result.output
    bad = runner.invoke(app, ["accuracy", "--tp", "8", "--fn", "2", "--fp", "1", "--tn", "9", "--ci", "exact"])
    assert bad.exit_code == 1
    assert "unknown CI method" in bad.output


def test_roc_command(tmp_path: Path) -> None:
    frame = pd.DataFrame({"y": [1, 1, 1, 0, 0, 0], "a": [0.9, 0.8, 0.4, 0.5, 0.3, 0.2],
                          "b": [0.7, 0.6, 0.5, 0.65, 0.55, 0.1]})
    path = tmp_path / "scores.parquet"
    frame.to_parquet(path)
    data = _json(["roc", str(path), "--truth", "y", "--score", "a", "--compare", "b"])
    assert data["auc"]["estimate"] == pytest.approx(8 / 9)  # see test_roc: placements by hand
    assert data["optimal"]["youden"]["threshold"] == 0.8
    assert data["comparison"]["z"] == pytest.approx(2**0.5)
    text = runner.invoke(app, ["roc", str(path), "--truth", "y", "--score", "a", "--plot", str(tmp_path / "roc.png")])
    assert text.exit_code == 0 and "AUC" in text.output
    assert (tmp_path / "roc.png").stat().st_size > 5000
    missing = runner.invoke(app, ["roc", str(path), "--truth", "y", "--score", "c"])
    assert missing.exit_code == 1 and "'c'" in missing.output


def test_survival_command_with_groups_and_cox(tmp_path: Path, lung: pd.DataFrame) -> None:
    path = tmp_path / "lung.csv"
    lung.to_csv(path, index=False)
    data = _json(["survival", str(path), "--time", "time", "--event", "status", "--group", "sex",
                  "--covariate", "age", "--covariate", "sex"])
    medians = {c["group"]: c["median"] for c in data["kaplan_meier"]["curves"]}
    assert medians["1"] == {"estimate": 270, "ci_low": 212, "ci_high": 310}  # R survfit, see test_survival
    assert data["kaplan_meier"]["logrank"]["chisq"] == pytest.approx(10.3, abs=0.05)
    assert {t["name"] for t in data["cox"]["terms"]} == {"age", "sex"}
    c_index = data["cox"]["concordance"]
    assert 0.5 < c_index["estimate"] < 1 and c_index["se"] > 0
    text = runner.invoke(app, ["survival", str(path), "--time", "time", "--event", "status", "--group", "sex",
                               "--plot", str(tmp_path / "km.svg")])
    assert text.exit_code == 0 and "Log-rank" in text.output
    with_cox = runner.invoke(app, ["survival", str(path), "--time", "time", "--event", "status",
                                   "--covariate", "age", "--covariate", "sex"])
    assert f"Concordance (Harrell's C) = {c_index['estimate']:.3f}" in with_cox.output
    assert (tmp_path / "km.svg").read_text().lstrip().startswith("<?xml")


def test_table1_command(tmp_path: Path, lung: pd.DataFrame) -> None:
    path = tmp_path / "lung.csv"
    lung.to_csv(path, index=False)
    data = _json(["table1", str(path), "--by", "sex", "--variable", "age", "--variable", "ph.ecog",
                  "--categorical", "ph.ecog"])
    assert data["sizes"] == {"overall": 228, "1": 138, "2": 90}
    kinds = {v["name"]: v["kind"] for v in data["variables"]}
    assert kinds == {"age": "continuous", "ph.ecog": "categorical"}
    text = runner.invoke(app, ["table1", str(path), "--by", "sex", "--variable", "age", "--lang", "ru"])
    assert text.exit_code == 0 and "Переменная" in text.output


def test_transitions_command(tmp_path: Path) -> None:
    # patients a: 0→1→3, b: 2→4, c: 3→3 (see test_serial for the stage logic)
    frame = pd.DataFrame({"pid": list("aaabbcc"), "visit": [1, 2, 3, 1, 2, 1, 2], "ct": [0, 1, 3, 2, 4, 3, 3]})
    path = tmp_path / "ct.csv"
    frame.to_csv(path, index=False)
    data = _json(["transitions", str(path), "--patient", "pid", "--order", "visit", "--score", "ct",
                  "--categories", "0,1,2,3,4"])
    assert data["positive_from"] == 3
    first = data["stages"][0]
    assert first["two_by_two"] == {"tp": 1, "fn": 0, "fp": 1, "tn": 1}
    assert first["counts"][2][4] == 1
    text = runner.invoke(app, ["transitions", str(path), "--patient", "pid", "--order", "visit", "--score", "ct",
                               "--plot", str(tmp_path / "t.png")])
    assert text.exit_code == 0, text.output
    assert (tmp_path / "t.png").exists()


def test_forecast_command(tmp_path: Path) -> None:
    t = np.arange(40)
    frame = pd.DataFrame({"day": pd.date_range("2020-10-01", periods=40).strftime("%Y-%m-%d"),
                          "cases": 100 + 2 * t + (-1) ** t})
    path = tmp_path / "cases.csv"
    frame.to_csv(path, index=False)
    args = ["forecast", str(path), "--date", "day", "--count", "cases", "--population", "1000000", "--horizon", "20",
            "--holdout", "7", "--model", "ARIMA(0,1,1)", "--model", "ETS(A,A,N)"]
    data = _json(args)
    assert data["horizon"] == 20 and len(data["forecast"]) == 20
    assert data["chosen"] in ("ARIMA(0,1,1)", "ETS(A,A,N)")
    assert 0 < data["prevalence"]["estimate"] < 1
    text = runner.invoke(app, args)
    assert text.exit_code == 0 and "MASE" in text.output


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    result = runner.invoke(app, ["table1", str(tmp_path / "nope.csv"), "--by", "x"])
    assert result.exit_code == 1
    assert "no such file" in result.output


def test_tables_in_russian_are_russian(tmp_path: Path, lung: pd.DataFrame) -> None:
    """Every statistics table a Russian reader gets: Russian words, decimal commas; codes, symbols and the data's
    own column names stay as they are."""
    from russian import problems

    path = tmp_path / "lung.csv"
    lung.assign(score=lung["age"] / 10, truth=(lung["status"] == 1).astype(int)).to_csv(path, index=False)
    runs = [
        ["survival", str(path), "--time", "time", "--event", "status", "--group", "sex", "--covariate", "age",
         "--covariate", "sex"],
        ["roc", str(path), "--truth", "truth", "--score", "score", "--compare", "age"],
        ["accuracy", "--tp", "8", "--fn", "2", "--fp", "1", "--tn", "9", "--prevalence", "0.1"],
        ["table1", str(path), "--by", "sex", "--variable", "age"],
    ]
    symbols = {"chi", "C", "df", "p", "z", "AUC", "DeLong", "Cox", "Efron", "rho", "J", "age", "sex", "score", "truth"}
    for args in runs:
        result = runner.invoke(app, [*args, "--lang", "ru"])
        assert result.exit_code == 0, (args[0], result.output)
        assert problems(result.output, symbols) == [], args[0]
