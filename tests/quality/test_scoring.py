"""Statuses, thresholds in per cent and rows, and scores, on counts worked by hand (no store needed)."""

from __future__ import annotations

from oncobank.quality.history import changes
from oncobank.quality.scoring import Thresholds, rescore, score, scores, status


def test_status_precedence_and_thresholds() -> None:
    five = Thresholds(5)
    assert status(3, 0, five, error="boom", reason="no table") == "error"  # error first
    assert status(3, 10, five, reason="no column x") == "not_applicable"
    assert status(0, 0, five) == "not_applicable"  # an empty denominator is never a pass
    assert status(1, 20, five) == "passed"  # 5 % is not above 5 %
    assert status(2, 20, five) == "failed"  # 10 %
    assert status(2, 1000, Thresholds(5, rows=1)) == "failed"  # 0.2 %, but 2 rows > 1
    assert status(1, 1000, Thresholds(5, rows=1)) == "passed"


def _run() -> dict:
    def check(cid: str, kind: str, severity: str, dimension: str, pct: float) -> dict:
        return {"id": cid, "type": kind, "severity": severity, "dimension": dimension, "table": cid.split(":")[1],
                "threshold_pct": pct, "threshold_rows": None}

    def result(v: int, d: int, by_centre: dict, error: str | None = None) -> dict:
        return {"violated": v, "denominator": d, "by_centre": by_centre, "error": error, "reason": None}

    return {"checks": [check("required:a", "required", "fatal", "completeness", 0),
                       check("soft_range:a", "soft_range", "convention", "plausibility", 1),
                       check("soft_range:b", "soft_range", "convention", "plausibility", 1),
                       check("rule:c", "rule", "fatal", "correctness", 0)],
            "results": [result(0, 10, {"C1": [0, 4], "C2": [0, 6]}),
                        result(3, 100, {"C1": [3, 50], "C2": [0, 50]}),
                        result(0, 0, {}),
                        result(0, 5, {"C1": [0, 5]}, error="OperationalError")]}


def test_scores_and_rescoring_without_running() -> None:
    rows = rescore(_run())
    assert [r["status"] for r in rows] == ["passed", "failed", "not_applicable", "error"]
    assert rows[1]["pct"] == 3.0 and rows[1]["centre_status"] == {"C1": "failed", "C2": "passed"}  # 6 % and 0 %
    s = scores(rows)
    assert s["overall"] == {"score": 50.0, "passed": 1, "failed": 1, "not_applicable": 1, "error": 1}
    assert s["dimension"]["completeness"]["score"] == 100.0
    assert s["dimension"]["plausibility"]["score"] == 0.0
    assert s["dimension"]["correctness"]["score"] is None  # only an error: no score
    assert s["dimension"]["currency"]["score"] is None  # no check at all: no score, not 100
    assert s["centre"]["C1"]["score"] == 50.0 and s["centre"]["C2"]["score"] == 100.0
    # by type, then by ID (the most specific wins)
    loose = rescore(_run(), {"soft_range": Thresholds(5)})
    assert loose[1]["status"] == "passed"
    assert rescore(_run(), {"soft_range": Thresholds(5), "soft_range:a": Thresholds(2)})[1]["status"] == "failed"
    assert score([]) == {"score": None, "passed": 0, "failed": 0, "not_applicable": 0, "error": 0}


def test_changes_between_runs() -> None:
    def run(counts: list[tuple[int, int]]) -> dict:
        base = _run()
        base["results"] = [{"violated": v, "denominator": d, "by_centre": {}, "error": None, "reason": None}
                           for v, d in counts]
        return base

    # required:a 0 % threshold; soft_range:a, soft_range:b 1 %; rule:c 0 %
    before = run([(2, 10), (5, 100), (0, 50), (3, 5)])  # failed, failed, passed, failed
    after = run([(0, 10), (9, 100), (4, 50), (1, 5)])  # passed, failed (more), failed (new), failed (fewer)
    found = {c["id"]: c["change"] for c in changes(before, after)}
    assert found == {"required:a": "fixed", "soft_range:a": "worse", "soft_range:b": "new", "rule:c": "better"}
    assert {c["id"]: c["change"] for c in changes(None, before)} == {
        "required:a": "new", "soft_range:a": "new", "soft_range:b": "same", "rule:c": "new"}
