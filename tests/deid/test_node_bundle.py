"""A hospital node's publish sent as a bundle: `publish --bundle` → `central import`, the same rows centrally."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.engine import connect as analysis
from oncobank.store.clinical import ClinicalStore

from .publishing import add_other_patient, add_patient_data

runner = CliRunner()


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The central platform's recipient pair, the node's signing pair, and the node trusted as C01."""
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ONCOBANK_CENTRAL", str(tmp_path / "central"))
    central = json.loads(runner.invoke(app, ["central", "keygen", "--json"]).stdout)
    node = tmp_path / "node" / "signing.key"
    assert runner.invoke(app, ["central", "keygen", "--signing", "--out", str(node)]).exit_code == 0
    assert runner.invoke(app, ["central", "trust", "C01", f"{node}.pub"]).exit_code == 0
    return {"recipient": Path(central["public_key"]), "signing": node}


def test_a_publish_travels_as_a_bundle_and_arrives_whole(store: ClinicalStore, patient: str, tmp_path: Path,
                                                         keys: dict[str, Path], store_url: str) -> None:
    add_patient_data(store, patient)
    add_other_patient(store)
    node, bundle = str(tmp_path / "node.duckdb"), tmp_path / "c01.bundle"
    sent = runner.invoke(app, ["publish", "--db", store_url, "--to", node, "--bundle", str(bundle), "--centre", "C01",
                               "--recipient", str(keys["recipient"]), "--signing-key", str(keys["signing"]),
                               "--json"])
    assert sent.exit_code == 0, sent.output
    header = json.loads(sent.stdout)["bundle"]
    assert header["centre"] == "C01" and header["tables"]["patient"] == 2
    assert b"PAR1" not in bundle.read_bytes()  # the Parquet tables inside are encrypted, not merely packed
    central = str(tmp_path / "central.duckdb")
    done = runner.invoke(app, ["central", "import", str(bundle), "--to", central, "--json"])
    assert done.exit_code == 0, done.output
    with analysis(node) as here, analysis(central) as there:
        mine = here.to_arrow(here.table("patient")).to_pylist()
        theirs = there.to_arrow(there.table("patient")).to_pylist()
        assert sorted(f"C01:{p['pseudonym']}" for p in mine) == sorted(p["pseudonym"] for p in theirs)
        assert {p["centre"] for p in theirs} == {"C01"}
        for name in ("thyroid_imaging", "thyroid_laboratory"):
            assert there.to_arrow(there.table(name)).num_rows == here.to_arrow(here.table(name)).num_rows


def test_a_bundle_needs_its_keys_and_centre(store: ClinicalStore, patient: str, tmp_path: Path,
                                            keys: dict[str, Path], store_url: str) -> None:
    out = tmp_path / "x.bundle"
    missing = runner.invoke(app, ["publish", "--db", store_url, "--to", str(tmp_path / "a.duckdb"),
                                  "--bundle", str(out), "--recipient", str(keys["recipient"])])
    assert missing.exit_code == 1 and missing.output.strip() == "error: --bundle needs --centre, --signing-key"
    assert not out.exists() and not (tmp_path / "a.duckdb").exists()  # refused before anything was published
