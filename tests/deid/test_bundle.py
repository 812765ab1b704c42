"""Signed, encrypted bundles and their import: round trip, every refusal leaves the store as it was, per-centre data."""

from __future__ import annotations

import json
import os
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.deid.bundle import SIGNATURE_BYTES, BundleError, parse_header, read_bundle, write_bundle
from oncobank.deid.central import IMPORTS, import_bundle
from oncobank.engine import connect
from oncobank.engine.sinks import open_sink

PG_URL = os.environ.get("ONCOBANK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test").replace("+psycopg", "")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Keys:
    central: X25519PrivateKey
    c01: Ed25519PrivateKey
    c02: Ed25519PrivateKey

    @property
    def trusted(self) -> dict:
        return {"C01": self.c01.public_key(), "C02": self.c02.public_key()}


@pytest.fixture
def keys() -> Keys:
    return Keys(X25519PrivateKey.generate(), Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate())


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = f"central_t_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable: {exc.__class__.__name__}")
    try:
        yield f"{PG_URL}?schema={schema}"
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return str(tmp_path / "central.duckdb") if request.param == "duckdb" else request.getfixturevalue("pg_url")


def snapshot(ids: list[str], values: list[int], *, with_meta: bool = True) -> dict[str, pa.Table]:
    tables = {"patient": pa.table({"pseudonym": ids, "stage": values}),
              "tumour": pa.table({"pseudonym": ids[:1], "size_mm": [12.5]})}
    if with_meta:
        tables["publish_meta"] = pa.table({"policy": ["shift"]})
    return tables


def make(tmp: Path, keys: Keys, tables: dict[str, pa.Table], *, centre: str = "C01", snap: str = "s1",
         when: datetime = T0, signer: Ed25519PrivateKey | None = None,
         recipient: X25519PrivateKey | None = None) -> Path:
    out = tmp / f"{centre}-{snap}-{uuid.uuid4().hex[:6]}.bundle"
    signer = signer or {"C01": keys.c01, "C02": keys.c02}.get(centre) or Ed25519PrivateKey.generate()
    write_bundle(tables, centre=centre, snapshot_id=snap, recipient_public=(recipient or keys.central).public_key(),
                 signing_private=signer, out=out, created_at=when)
    return out


def rows(url: str, table: str) -> list[dict]:
    with connect(url) as store:
        found = store.to_arrow(store.table(table)).to_pylist()
    return sorted(found, key=lambda r: json.dumps(r, default=str, sort_keys=True))


def run_import(path: Path, keys: Keys, url: str):  # type: ignore[no-untyped-def]
    return import_bundle(path, recipient=keys.central, trusted=keys.trusted, url=url)


def test_round_trip(tmp_path: Path, keys: Keys):
    tables = snapshot(["P1-7f3a9c", "P2-b81e04"], [1, 3])
    path = make(tmp_path, keys, tables)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    header, read = read_bundle(path, trusted=keys.trusted, recipient=keys.central)
    assert (header.centre, header.snapshot_id, header.created_at) == ("C01", "s1", T0)
    assert header.tables == {"patient": 2, "publish_meta": 1, "tumour": 1}
    assert set(read) == set(tables) and all(read[n].equals(tables[n]) for n in tables)
    # The pseudonyms are inside the ciphertext only (long enough not to turn up in random bytes by chance).
    assert b"P1-7f3a9c" not in path.read_bytes() and b"PAR1" not in path.read_bytes()


def test_a_bundle_is_never_written_over_a_file(tmp_path: Path, keys: Keys):
    path = make(tmp_path, keys, snapshot(["P1"], [1]))
    before = path.read_bytes()
    with pytest.raises(BundleError, match="exists"):
        write_bundle({}, centre="C01", snapshot_id="s2", recipient_public=keys.central.public_key(),
                     signing_private=keys.c01, out=path)
    assert path.read_bytes() == before


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _where(path: Path, part: str) -> int:
    data = path.read_bytes()
    _, start = parse_header(data, "x")
    return {"magic": 0, "length": 11, "header": data.index(b'"snapshot_id":"s2"') + 16, "ciphertext": start + 5,
            "tag": len(data) - SIGNATURE_BYTES - 1, "signature": len(data) - 10}[part]


@pytest.mark.parametrize(("part", "message"), [
    ("magic", "not an OncoBank bundle"),
    ("length", "header length does not fit|header is not readable|does not have the fields|length does not match"),
    ("header", "signature does not verify"),
    ("ciphertext", "signature does not verify"),
    ("tag", "signature does not verify"),
    ("signature", "signature does not verify"),
])
def test_a_changed_byte_anywhere_is_refused_and_nothing_imported(tmp_path: Path, keys: Keys, url: str, part: str,
                                                                 message: str):
    run_import(make(tmp_path, keys, snapshot(["P1"], [1])), keys, url)
    before = (open_sink(url).snapshot, rows(url, "patient"))
    path = make(tmp_path, keys, snapshot(["P9"], [4]), snap="s2", when=T0 + timedelta(days=1))
    _flip(path, _where(path, part))
    with pytest.raises(BundleError, match=message):
        run_import(path, keys, url)
    assert (open_sink(url).snapshot, rows(url, "patient")) == before


def test_a_changed_ciphertext_resigned_by_the_node_fails_its_tag(tmp_path: Path, keys: Keys):
    # Even with a valid signature (the trusted node's key), a changed ciphertext never decrypts.
    path = make(tmp_path, keys, snapshot(["P1"], [1]))
    data = bytearray(path.read_bytes()[:-SIGNATURE_BYTES])
    _, start = parse_header(path.read_bytes(), "x")
    data[start + 3] ^= 0x01
    path.write_bytes(bytes(data) + keys.c01.sign(bytes(data)))
    with pytest.raises(BundleError, match="authentication tag"):
        read_bundle(path, trusted=keys.trusted, recipient=keys.central)


def test_nothing_is_created_when_the_first_bundle_is_refused(tmp_path: Path, keys: Keys):
    url = str(tmp_path / "central.duckdb")
    path = make(tmp_path, keys, snapshot(["P1"], [1]))
    _flip(path, len(path.read_bytes()) - 1)
    with pytest.raises(BundleError):
        run_import(path, keys, url)
    assert not Path(url).exists()


def test_wrong_signer(tmp_path: Path, keys: Keys):
    path = make(tmp_path, keys, snapshot(["P1"], [1]), signer=keys.c02)  # says C01, signed with C02's key
    with pytest.raises(BundleError, match="not centre C01's trusted key"):
        read_bundle(path, trusted=keys.trusted, recipient=keys.central)


def test_untrusted_signer(tmp_path: Path, keys: Keys):
    path = make(tmp_path, keys, snapshot(["P1"], [1]), centre="C03")
    with pytest.raises(BundleError, match="centre C03 is not trusted here"):
        read_bundle(path, trusted=keys.trusted, recipient=keys.central)


def test_wrong_recipient(tmp_path: Path, keys: Keys):
    path = make(tmp_path, keys, snapshot(["P1"], [1]), recipient=X25519PrivateKey.generate())
    with pytest.raises(BundleError, match="addressed to another recipient"):
        read_bundle(path, trusted=keys.trusted, recipient=keys.central)


def test_replay_of_an_older_bundle_is_refused(tmp_path: Path, keys: Keys, url: str):
    older = make(tmp_path, keys, snapshot(["P1"], [1]), snap="s1", when=T0)
    newer = make(tmp_path, keys, snapshot(["P2"], [2]), snap="s2", when=T0 + timedelta(hours=1))
    run_import(newer, keys, url)
    before = (open_sink(url).snapshot, rows(url, "patient"))
    with pytest.raises(BundleError, match="an older bundle is refused"):
        run_import(older, keys, url)
    assert (open_sink(url).snapshot, rows(url, "patient")) == before


def test_the_same_bundle_twice_changes_nothing(tmp_path: Path, keys: Keys, url: str):
    path = make(tmp_path, keys, snapshot(["P1", "P2"], [1, 2]))
    assert run_import(path, keys, url).status == "imported"
    before = (open_sink(url).snapshot, rows(url, "patient"), rows(url, IMPORTS))
    assert run_import(path, keys, url).status == "unchanged"
    assert (open_sink(url).snapshot, rows(url, "patient"), rows(url, IMPORTS)) == before


def test_same_snapshot_id_with_other_content_is_refused(tmp_path: Path, keys: Keys, url: str):
    run_import(make(tmp_path, keys, snapshot(["P1"], [1]), snap="s1"), keys, url)
    with pytest.raises(BundleError, match="imported already with other content"):
        run_import(make(tmp_path, keys, snapshot(["P1"], [2]), snap="s1", when=T0 + timedelta(days=1)), keys, url)


def test_newer_bundle_replaces_the_centre_rows_only(tmp_path: Path, keys: Keys, url: str):
    run_import(make(tmp_path, keys, snapshot(["P1", "P2"], [1, 2])), keys, url)
    run_import(make(tmp_path, keys, snapshot(["Q1"], [3]), centre="C02"), keys, url)
    newer = snapshot(["P3"], [4], with_meta=False)  # P1, P2 gone; publish_meta no longer sent
    result = run_import(make(tmp_path, keys, newer, snap="s2", when=T0 + timedelta(days=1)), keys, url)
    assert result.removed == ("publish_meta",)
    assert rows(url, "patient") == [{"centre": "C01", "pseudonym": "C01:P3", "stage": 4},
                                    {"centre": "C02", "pseudonym": "C02:Q1", "stage": 3}]
    assert rows(url, "tumour") == [{"centre": "C01", "pseudonym": "C01:P3", "size_mm": 12.5},
                                   {"centre": "C02", "pseudonym": "C02:Q1", "size_mm": 12.5}]
    assert rows(url, "publish_meta") == [{"centre": "C02", "policy": "shift"}]
    log = sorted((r["centre"], r["snapshot_id"]) for r in rows(url, IMPORTS))
    assert log == [("C01", "s1"), ("C01", "s2"), ("C02", "s1")]


def test_two_centres_pseudonyms_stay_distinct(tmp_path: Path, keys: Keys, url: str):
    # Both nodes happen to give a patient the same pseudonym: in the store they are two patients.
    run_import(make(tmp_path, keys, snapshot(["P1"], [1])), keys, url)
    run_import(make(tmp_path, keys, snapshot(["P1"], [2]), centre="C02"), keys, url)
    assert [(r["centre"], r["pseudonym"], r["stage"]) for r in rows(url, "patient")] == [
        ("C01", "C01:P1", 1), ("C02", "C02:P1", 2)]


def test_a_new_column_rewrites_the_table_keeping_other_centres(tmp_path: Path, keys: Keys, url: str):
    run_import(make(tmp_path, keys, snapshot(["P1"], [1])), keys, url)
    run_import(make(tmp_path, keys, snapshot(["Q1"], [3]), centre="C02"), keys, url)
    wider = snapshot(["P2"], [5])
    wider["patient"] = wider["patient"].append_column("grade", pa.array(["G2"]))
    run_import(make(tmp_path, keys, wider, snap="s2", when=T0 + timedelta(days=1)), keys, url)
    assert rows(url, "patient") == [{"centre": "C01", "pseudonym": "C01:P2", "stage": 5, "grade": "G2"},
                                    {"centre": "C02", "pseudonym": "C02:Q1", "stage": 3, "grade": None}]


def test_cli_keygen_trust_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ONCOBANK_CENTRAL", str(tmp_path / "central"))
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    made = runner.invoke(app, ["central", "keygen", "--json"])
    assert made.exit_code == 0, made.output
    recipient = Path(json.loads(made.output)["private_key"])
    assert stat.S_IMODE(recipient.stat().st_mode) == 0o600 and recipient.read_bytes().startswith(b"-----BEGIN")
    node = runner.invoke(app, ["central", "keygen", "--signing", "--out", str(tmp_path / "node.key"), "--json"])
    assert node.exit_code == 0, node.output
    assert runner.invoke(app, ["central", "trust", "C01", str(tmp_path / "node.key.pub")]).exit_code == 0

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    from oncobank.deid.bundle_keys import load_private, load_public

    out = tmp_path / "c01.bundle"
    write_bundle(snapshot(["P1"], [1]), centre="C01", snapshot_id="s1",
                 recipient_public=load_public(recipient.with_name("recipient.key.pub"), X25519PublicKey),
                 signing_private=load_private(tmp_path / "node.key", Ed25519PrivateKey), out=out)
    store = str(tmp_path / "central.duckdb")
    done = runner.invoke(app, ["central", "import", str(out), "--to", store, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["status"] == "imported"
    again = runner.invoke(app, ["central", "import", str(out), "--to", store, "--lang", "ru"])
    assert again.exit_code == 0 and "уже импортирован" in again.output

    _flip(out, len(out.read_bytes()) - 3)
    refused = runner.invoke(app, ["central", "import", str(out), "--to", store])
    assert refused.exit_code == 1
    lines = refused.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "signature does not verify" in lines[0]
