"""The simulated reviewers: fill a technological, clinical or functional form from a simulation's hidden truth.

Each rating depends only on the seed, the study UID and the service's profile, so a filled form is
reproducible. Cells already filled (e.g. the checklist cells taken from the SRs) are left as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from oncobank.aieval.errors import InputFileError, Issue
from oncobank.aieval.review_form import SHEET, form_kind
from oncobank.aieval.sample import uid_keys
from oncobank.aieval.simulate import PROFILES, Profile


def _profile(sim: Path) -> Profile:
    """The profile of the simulated service in folder `sim` (from the simulation's manifest)."""
    manifest = json.loads((sim.parent / "manifest.json").read_text(encoding="utf-8"))
    for service in manifest["services"]:
        if service["code"] == sim.name:
            return PROFILES[service["profile"]]
    raise InputFileError([Issue("manifest.json", None, "code", sim.name, "simulation",
                                "the folder is not a service of this simulation")])


def _truth(sim: Path, uids: list[str]) -> pd.DataFrame:
    """AI category and hidden truth of the form's studies, in the form's order."""
    results = pd.read_parquet(sim / "results.parquet", columns=["study_uid", "category"])
    truth = pd.read_parquet(sim / "hidden_truth.parquet")
    known = results.drop_duplicates("study_uid").merge(truth, on="study_uid")
    frame = pd.DataFrame({"study_uid": uids}).merge(known, on="study_uid", how="left")
    missing = frame.loc[frame["truth"].isna(), "study_uid"].tolist()
    if missing:
        raise InputFileError([Issue(sim.name, None, "study_uid", u, "simulation",
                                    "the study is not one of the simulated service's") for u in missing])
    return frame


def _ratings(profile: Profile, frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Per study: AI positive, truth, and the uniform draws that decide the reviewer's findings."""
    out = frame.assign(positive=frame["category"] == "abnormal", truth=frame["truth"].astype(bool))
    for i in range(3):
        out[f"u{i}"] = uid_keys(out["study_uid"], seed + i) / 2.0**64
    out["loc_error"] = out["positive"] & out["truth"] & (out["u1"] < profile.localisation_error)
    return out


def _clinical(profile: Profile, r: pd.Series) -> tuple[str, str]:
    if r.positive and not r.truth:
        return "false_positive", "false_positive"
    if r.truth and not r.positive:
        return "false_negative", "false_negative"
    if not r.truth:
        return "full", "full"
    return ("incorrect" if r.u0 < profile.incorrect_rate else "full"), ("incorrect" if r.loc_error else "full")


def fill_form(form: Path, sim: Path, seed: int = 1) -> str:
    """Fill `form` in place as the simulated reviewer of service folder `sim` would; returns the form's kind."""
    from openpyxl import load_workbook

    kind = form_kind(form)
    profile = _profile(sim)
    wb = load_workbook(form)
    if kind == "functional":
        ws = wb["checklist"]
        fields = [c.value for c in ws[2]]
        studies = [i for i, f in enumerate(fields, start=1) if str(f).startswith("study:")]
        for row in range(3, ws.max_row + 1):
            for n, col in enumerate(studies):
                cell = ws.cell(row, col)
                if cell.value is None:
                    failed = n == 0 and ws.cell(row, 1).value == profile.functional_nonconformity
                    cell.value = 0 if failed else 1
    else:
        ws = wb[SHEET]
        fields = [c.value for c in ws[2]]
        col = {f: i for i, f in enumerate(fields, start=1)}
        uids = [str(ws.cell(r, 1).value) for r in range(3, ws.max_row + 1)]
        rated = _ratings(profile, _truth(sim, uids), seed)
        for row, r in enumerate(rated.itertuples(index=False), start=3):
            if kind == "clinical":
                ws.cell(row, col["conclusion"]).value, ws.cell(row, col["localisation"]).value = _clinical(profile, r)
                continue
            if r.u2 < profile.defect_ce_rate:
                ws.cell(row, col[("defect_c", "defect_d", "defect_e")[int(r.u0 * 3)]]).value = 1
            correct = bool(r.positive == r.truth)
            # as the published form asks: 1 when agreeing, the cell left empty otherwise
            ws.cell(row, col["agree_conclusion"]).value = 1 if correct else None
            ws.cell(row, col["agree_localisation"]).value = 1 if correct and not r.loc_error else None
    wb.save(form)
    return kind


