"""Runs as records: what was checked and found, saved one JSON file per run, and what changed between runs."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from oncobank.quality.model import Check
from oncobank.quality.run import Result, as_dict
from oncobank.quality.scoring import FAILED, PASSED, Thresholds, rescore, scores


def check_record(check: Check) -> dict[str, Any]:
    s = check.scoring
    return {"id": check.id, "type": check.type, "table": check.table, "column": check.column,
            "section": check.section, "field": check.field, "dimension": s.dimension, "kahn": s.kahn,
            "severity": s.severity, "threshold_pct": s.threshold_pct, "threshold_rows": s.threshold_rows,
            "label": s.label.model_dump(), "suggestion": s.suggestion.model_dump(),
            "unit": check.params.get("unit"), "earliest": check.params.get("earliest"),
            "section_label": check.params.get("section_label"), "field_label": check.params.get("field_label")}


def make_run(checks: list[Check], results: list[Result], *, store: str, snapshot: Any, as_of: dt.date,
             margin_days: int, started: dt.datetime) -> dict[str, Any]:
    """The record of one run: enough to re-score, list, suggest and compare without the store."""
    return {"id": started.strftime("%Y%m%dT%H%M%S%fZ"), "started_at": started.isoformat(), "store": store,
            "snapshot": None if snapshot is None else str(snapshot), "as_of": as_of.isoformat(),
            "margin_days": margin_days, "checks": [check_record(c) for c in checks],
            "results": [as_dict(r) for r in results]}


def save_run(folder: Path, run: dict[str, Any]) -> Path:
    """Write the run as `run-<id>.json`, whole or not at all (written beside, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{run['id']}.json"
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(run, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(partial, path)
    return path


def load_runs(folder: Path) -> list[dict[str, Any]]:
    """Every stored run, oldest first."""
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("run-*.json"))]


def changes(previous: dict[str, Any] | None, current: dict[str, Any],
            overrides: dict[str, Thresholds] | None = None) -> list[dict[str, Any]]:
    """Per check of `current`: fixed (failed before, passes now), new (fails now, did not before), worse or better
    (failed both times, more or fewer violated rows), same."""
    before = {r["id"]: r for r in rescore(previous, overrides)} if previous else {}
    found = []
    for row in rescore(current, overrides):
        old = before.get(row["id"])
        was = old["status"] if old else None
        if was == FAILED and row["status"] == PASSED:
            change = "fixed"
        elif row["status"] == FAILED and was != FAILED:
            change = "new"
        elif row["status"] == FAILED and old and row["violated"] > old["violated"]:
            change = "worse"
        elif row["status"] == FAILED and old and row["violated"] < old["violated"]:
            change = "better"
        else:
            change = "same"
        found.append({"id": row["id"], "change": change, "status": row["status"], "was": was,
                      "violated": row["violated"], "was_violated": old["violated"] if old else None})
    return found


def trend(runs: list[dict[str, Any]], overrides: dict[str, Thresholds] | None = None) -> dict[str, Any]:
    """Scores of every run, and the changes of the last run against the one before."""
    points = []
    for run in runs:
        s = scores(rescore(run, overrides))
        points.append({"run": run["id"], "started_at": run["started_at"], "overall": s["overall"]["score"],
                       **{d: v["score"] for d, v in s["dimension"].items()}})
    last = changes(runs[-2] if len(runs) > 1 else None, runs[-1], overrides) if runs else []
    return {"runs": points, "changes": [c for c in last if c["change"] != "same"]}
