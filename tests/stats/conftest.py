"""Shared data for the statistics tests: the CT 0–4 reference tables and published data sets, all in tests/stats/data.

Each CSV starts with `#` lines giving its source and codings; a missing file fails the test that needs it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = DATA / "reference"
REFERENCE_TABLES = ("ct04-transitions.csv", "ct04-two-by-two.csv", "ct04-forecast-models.csv")


def load_data(name: str) -> pd.DataFrame:
    """One of the data sets in tests/stats/data, read past its provenance header."""
    path = DATA / f"{name}.csv"
    if not path.is_file():
        pytest.fail(f"data set {name!r} missing: {path}", pytrace=False)
    return pd.read_csv(path, comment="#")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The CT 0–4 study's published tables; the study's tests fail, not skip, without them."""
    missing = [name for name in REFERENCE_TABLES if not (REFERENCE / name).is_file()]
    if missing:
        pytest.fail(f"reference tables missing from {REFERENCE}: {', '.join(missing)}", pytrace=False)
    return REFERENCE


@pytest.fixture(scope="session")
def lung() -> pd.DataFrame:
    """R survival's `lung` (NCCTG advanced lung cancer), status 0 = censored, 1 = dead."""
    return load_data("lung")


@pytest.fixture(scope="session")
def rossi() -> pd.DataFrame:
    """Rossi et al. recidivism data (Fox & Weisberg), 0/1 dummies."""
    return load_data("rossi")


@pytest.fixture(scope="session")
def dd() -> pd.DataFrame:
    """Cheibub, Gandhi & Vreeland's democracy–dictatorship leader spells, as lifelines ships them."""
    return load_data("dd")


@pytest.fixture(scope="session")
def asah() -> pd.DataFrame:
    """pROC's aSAH: 113 patients after aneurysmal subarachnoid haemorrhage, outcome Good / Poor."""
    return load_data("aSAH")
