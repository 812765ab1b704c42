"""Simulated AI services (good, drifting, slow, failing): months of per-study results, feedback, SRs, seeded."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

UID_ROOT = "2.25."  # UUID-derived DICOM UIDs need no registered root


@dataclass(frozen=True)
class Profile:
    """How a simulated service behaves: accuracy (and its drift per month), speed and failures."""

    auc: float
    auc_drift_per_month: float
    minutes_median: float
    fail_rate: float
    duplicate_rate: float = 0.01
    # what the simulated reviewers and radiologists find
    defect_ce_rate: float = 0.01  # reviewed studies with a defect of group (c), (d) or (e)
    incorrect_rate: float = 0.05  # true positives whose conclusion details the expert rates incorrect
    localisation_error: float = 0.05  # true positives marked in the wrong place
    feedback_rate: float = 0.06  # processed studies a radiologist gives feedback on
    functional_nonconformity: str | None = None  # a checklist criterion the service fails on one study


PROFILES = {
    "good": Profile(auc=0.93, auc_drift_per_month=0.0, minutes_median=2.0, fail_rate=0.01),
    "drifting": Profile(auc=0.92, auc_drift_per_month=-0.03, minutes_median=2.5, fail_rate=0.02,
                        localisation_error=0.15),
    "slow": Profile(auc=0.90, auc_drift_per_month=0.0, minutes_median=6.0, fail_rate=0.02, feedback_rate=0.03),
    "failing": Profile(auc=0.88, auc_drift_per_month=0.0, minutes_median=3.0, fail_rate=0.15, defect_ce_rate=0.05,
                       functional_nonconformity="warning_sr"),
}
CT_CATEGORIES = ("CT-0", "CT-1", "CT-2", "CT-3", "CT-4")
# Reported severity without and with AI: with AI fewer CT-0 and fewer CT-3–4, as the population study found.
CT_SHARES = {False: (0.30, 0.35, 0.20, 0.10, 0.05), True: (0.25, 0.42, 0.21, 0.08, 0.04)}


def study_uids(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct DICOM UIDs of the 2.25 (UUID) form."""
    high = rng.integers(0, 2**63, size=n, dtype=np.uint64).astype(object)
    low = rng.integers(0, 2**63, size=n, dtype=np.uint64).astype(object)
    return np.array([f"{UID_ROOT}{(int(h) << 64) | int(lo)}" for h, lo in zip(high, low, strict=True)])


def _scores(rng: np.random.Generator, truth: np.ndarray, auc: float) -> np.ndarray:
    """Binormal scores with the given AUC (AUC = Φ(d/√2)) squashed into probabilities."""
    d = math.sqrt(2) * norm.ppf(min(max(auc, 0.51), 0.999))
    latent = rng.normal(size=truth.size) + d * truth
    return 1 / (1 + np.exp(-(latent - d / 2) * 1.5))


def simulate_results(profile: Profile, version: str, start: datetime, months: int, per_month: int,
                     prevalence: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-study results over `months` (with duplicates and failures) and the hidden truth of each study."""
    rng = np.random.default_rng(seed)
    frames, truths = [], []
    for month in range(months):
        n = per_month
        first = (start.replace(day=1) + pd.DateOffset(months=month)).to_pydatetime()
        seconds = rng.uniform(0, 28 * 86400, size=n)
        sent = pd.to_datetime(first) + pd.to_timedelta(np.sort(seconds), unit="s")
        truth = rng.random(n) < prevalence
        prob = _scores(rng, truth, profile.auc + profile.auc_drift_per_month * month)
        minutes = rng.lognormal(math.log(profile.minutes_median), 0.35, size=n)
        failed = rng.random(n) < profile.fail_rate
        received = (sent + pd.to_timedelta(minutes * 60, unit="s")).to_series(index=range(n))
        received[failed] = pd.NaT
        uids = study_uids(rng, n)
        frame = pd.DataFrame({"study_uid": uids, "service_version": version, "sent_at": sent,
                              "received_at": received.to_numpy(), "probability": np.where(failed, np.nan, prob)})
        frame["category"] = np.where(frame["probability"].isna(), None,
                                     np.where(frame["probability"] >= 0.5, "abnormal", "normal"))
        dup = frame.sample(frac=profile.duplicate_rate, random_state=seed + month)
        dup = dup.assign(sent_at=dup["sent_at"] + pd.Timedelta(minutes=30),
                         received_at=dup["received_at"] + pd.Timedelta(minutes=30))
        frames.append(pd.concat([frame, dup], ignore_index=True))
        truths.append(pd.DataFrame({"study_uid": uids, "truth": truth}))
    results = pd.concat(frames, ignore_index=True).sort_values("sent_at", kind="stable", ignore_index=True)
    return results, pd.concat(truths, ignore_index=True)


def calibration_set(profile: Profile, version: str, start: datetime, seed: int, n: int = 100
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The calibration test: `n` studies, half with the target abnormality, sent on one day."""
    rng = np.random.default_rng(seed)
    truth = np.arange(n) < n // 2
    rng.shuffle(truth)
    uids = study_uids(rng, n)
    sent = pd.Timestamp(start) + pd.to_timedelta(np.arange(n) * 120, unit="s")
    minutes = rng.lognormal(math.log(profile.minutes_median), 0.35, size=n)
    failed = rng.random(n) < profile.fail_rate
    received = pd.Series(sent + pd.to_timedelta(minutes * 60, unit="s"))
    received[failed] = pd.NaT
    prob = np.where(failed, np.nan, _scores(rng, truth, profile.auc))
    results = pd.DataFrame({"study_uid": uids, "service_version": version, "sent_at": sent,
                            "received_at": received.to_numpy(), "probability": prob})
    results["category"] = np.where(results["probability"].isna(), None,
                                   np.where(results["probability"] >= 0.5, "abnormal", "normal"))
    return results, pd.DataFrame({"study_uid": uids, "truth": truth.astype(int)})


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    for col in ("sent_at", "received_at"):
        if col in out:
            out[col] = out[col].map(lambda t: "" if pd.isna(t) else t.isoformat())
    out.to_csv(path, index=False)


def feedback_entries(profile: Profile, results: pd.DataFrame, truth: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Radiologists' answers on a `feedback_rate` share of processed studies: disagreement when the AI is wrong."""
    from oncobank.aieval.sample import uid_keys

    done = results[results["received_at"].notna()].drop_duplicates("study_uid").merge(truth, on="study_uid")
    u = uid_keys(done["study_uid"], seed) / 2.0**64
    picked = done[u < profile.feedback_rate]
    wrong = (picked["category"] == "abnormal") != picked["truth"]
    slow = (picked["received_at"] - picked["sent_at"]).dt.total_seconds() > 6.5 * 60
    reason = np.where(wrong, "diagnostic_inaccuracy", np.where(slow, "technological_defect", ""))
    return pd.DataFrame({"study_uid": picked["study_uid"], "agrees": (reason == "").astype(int), "reason": reason,
                         "radiologist": [f"R{int(k % 12) + 1:02d}" for k in uid_keys(picked["study_uid"], seed + 1)]})


def survey_answers(seed: int, respondents: int = 12) -> pd.DataFrame:
    """The radiologists' satisfaction survey: one score of 1–5 per respondent (mostly satisfied)."""
    rng = np.random.default_rng(seed)
    scores = rng.choice((2, 3, 4, 5), size=respondents, p=(0.1, 0.2, 0.45, 0.25))
    return pd.DataFrame({"respondent": [f"R{i + 1:02d}" for i in range(respondents)], "score": scores})


def impact_data(services: list[str], start: datetime, months: int, per_month: int, seed: int) -> pd.DataFrame:
    """Severity categories (CT-0…CT-4) reported with and without AI, per service and month."""
    rng = np.random.default_rng(seed)
    frames = []
    for service in services:
        for month in range(months):
            period = (start.replace(day=1) + pd.DateOffset(months=month)).strftime("%Y-%m")
            with_ai = rng.random(per_month) < 0.5
            category = np.where(with_ai, rng.choice(CT_CATEGORIES, per_month, p=CT_SHARES[True]),
                                rng.choice(CT_CATEGORIES, per_month, p=CT_SHARES[False]))
            frames.append(pd.DataFrame({"service": service, "period": period, "with_ai": with_ai.astype(int),
                                        "category": category}))
    return pd.concat(frames, ignore_index=True)


def write_srs(results: pd.DataFrame, name: str, supplier: str, folder: Path, count: int) -> list[Path]:
    """Result SRs of the first `count` processed studies (a finding with its place for the abnormal ones)."""
    from oncobank.aieval.sr_build import SrContent, SrFinding, write_sr

    done = results[results["received_at"].notna()].drop_duplicates("study_uid").head(count)
    paths = []
    for i, r in enumerate(done.itertuples(index=False), start=1):
        abnormal = r.category == "abnormal"
        findings = (SrFinding("nodule", (-60.0 + i, 20.0, -110.0 + 2 * i), float(r.probability),
                              ("45653009", "SCT", "Upper lobe of right lung")),) if abnormal else ()
        content = SrContent(r.study_uid, name, supplier, r.service_version, r.sent_at.to_pydatetime(warn=False),
                            r.received_at.to_pydatetime(warn=False), float(r.probability), r.category,
                            "Nodule of the right upper lobe" if abnormal else "No nodules found", findings)
        paths.append(write_sr(content, folder / f"{i:04d}.dcm"))
    return paths


def simulate(out: Path, months: int = 6, per_month: int = 2000, seed: int = 1,
             profiles: tuple[str, ...] = ("good", "drifting", "slow", "failing"), sr: int = 0) -> dict[str, object]:
    """Write one folder per simulated service: calibration set, monitoring results, hidden truth, feedback,
    `sr` result SRs, and the with/without-AI reading categories of all services (impact.csv)."""
    out.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    manifest: dict[str, object] = {"format": "oncobank-ai-simulation", "seed": seed, "months": months,
                                   "per_month": per_month, "services": []}
    for i, name in enumerate(profiles):
        profile = PROFILES[name]
        code, version = f"sim-{name}", "1.0"
        folder = out / code
        folder.mkdir(exist_ok=True)
        cal_results, cal_truth = calibration_set(profile, version, start, seed * 100 + i)
        write_csv(cal_results, folder / "calibration_results.csv")
        write_csv(cal_truth, folder / "calibration_truth.csv")
        results, truth = simulate_results(profile, version, start + timedelta(days=30), months, per_month,
                                          prevalence=0.3, seed=seed * 1000 + i)
        results.to_parquet(folder / "results.parquet", index=False)
        truth.to_parquet(folder / "hidden_truth.parquet", index=False)
        feedback_entries(profile, results, truth, seed * 10 + i).to_csv(folder / "feedback.csv", index=False)
        survey_answers(seed * 10 + i).to_csv(folder / "survey.csv", index=False)
        if sr:
            write_srs(results, f"Simulated {name} service", "Sim LLC", folder / "sr", sr)
        manifest["services"].append({  # type: ignore[attr-defined]
            "code": code, "version": version, "profile": name, **asdict(profile),
            "declared": {"auc": 0.90, "sensitivity": 0.75, "specificity": 0.85, "minutes": 3.0},
        })
    impact_data([f"sim-{n}" for n in profiles], start + timedelta(days=30), months, per_month // 2,
                seed).to_csv(out / "impact.csv", index=False)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest
