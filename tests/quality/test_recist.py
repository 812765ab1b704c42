"""RECIST 1.1 after progression: the engine's response of the sums and the synthetic hospital's recorded response agree.

RECIST 1.1 (Eisenhauer et al. 2009, section 4.3.1): progression is a 20 % (and 5 mm) increase over the smallest sum
on study, the baseline included; a scan with PD does not become the reference of the next. Only a new baseline
(here: a study recorded without a response, before a new line of treatment) starts a new series.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from oncobank.diseases.thyroid import recist
from oncobank.synth import generate


def _series(sums: list[float | None]) -> pd.DataFrame:
    """One patient's studies, one target lesion of the given size each, the first without a response."""
    rows = []
    for i, size in enumerate(sums, start=1):
        row = {"patient_id": 1, "entry_id": i, "date": pd.Timestamp(2020, i, 1), "sum_of_diameters_mm": None,
               "new_lesions": "no", "recist_response": None if i == 1 else "SD"}
        row |= {name: None for name in (*recist.TARGET_MM, *recist.TARGET_SITE)}
        row |= {"target_lesion_1_mm": size, "target_lesion_1_site": "lungs"}
        rows.append(row)
    return pd.DataFrame(rows)


def test_after_progression_the_nadir_stays_the_smallest_sum_so_far() -> None:
    r = recist.responses(_series([50, 40, 60, 52, 44]))
    # 40: -20 % of the baseline 50 -> SD. 60: +20 mm, +50 % over the nadir 40 -> PD.
    # 52: the nadir is still 40 (60 is no smaller): +12 mm, +30 % -> PD (against the PD scan's 60 it would be SD).
    # 44: +4 mm over 40, below the 5 mm rule -> SD.
    assert r["nadir_mm"].tolist()[1:] == [50.0, 40.0, 40.0, 40.0]
    assert r["response"].tolist()[1:] == ["SD", "PD", "PD", "SD"]


@pytest.fixture(scope="module")
def imaging(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("hospital")
    generate(300, 11, out, formats={"registry"}, progress=False)
    rows = []
    for line in (out / "registry" / "patients.jsonl").read_text(encoding="utf-8").splitlines():
        patient = json.loads(line)
        for k, entry in enumerate(patient["entries"]):
            if entry["section"] == "imaging":
                values = entry["values"]
                rows.append({"patient_id": patient["patient_id"], "entry_id": k, "date": pd.Timestamp(entry["date"]),
                             **{name: values.get(name) for name in recist.FIELDS}})
    return pd.DataFrame(rows)


def test_the_synthetic_hospital_records_the_response_of_its_sums(imaging: pd.DataFrame) -> None:
    r = recist.responses(imaging)
    followed = r[~r["is_baseline"]]
    assert (followed["recist_response"] == "PD").sum() > 10  # progressions, and scans after them, are there
    differ = followed[followed["response"] != followed["recist_response"]]
    assert differ.empty, differ[["patient_id", "date", "sum_mm", "nadir_mm", "recist_response", "response"]]
