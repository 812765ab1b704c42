"""Bad input and faults at the command line: one `error:` line or a clean quarantine, never a traceback."""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.store.db import connect
from oncobank.store.models import Entry, Patient, Quarantine

runner = CliRunner()
MANIFEST = {"format": "oncobank-registry", "format_version": 1, "module": "thyroid", "seed": 0, "patients": 1,
            "centres": [{"code": "C01", "name": "Центр один"}]}
DEMOGRAPHICS = {"section": "demographics",
                "values": {"surname": "Соболева", "first_name": "Ольга", "birth_date": "1970-05-20", "sex": "F"}}
PATIENT = {"patient_id": "TH-1", "centre": "C01", "identifiers": [{"system": "EMR", "value": "E-1"}],
           "entries": [DEMOGRAPHICS]}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ONCOBANK_DB", f"sqlite:///{tmp_path / 'store.sqlite'}")
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ONCOBANK_USER", "dr_test")
    return tmp_path


def _registry(folder: Path, manifest: bytes | None = None, patients: bytes | None = None) -> Path:
    (folder / "registry").mkdir(parents=True, exist_ok=True)
    (folder / "registry" / "manifest.json").write_bytes(
        json.dumps(MANIFEST, ensure_ascii=False).encode() if manifest is None else manifest)
    if patients is not None:
        (folder / "registry" / "patients.jsonl").write_bytes(patients)
    return folder


def _line(patient: dict[str, Any]) -> bytes:
    return (json.dumps(patient, ensure_ascii=False) + "\n").encode()


def _one_error(result: Any) -> str:
    """The command failed cleanly: exit 1, one `error:` line, no traceback, no 'this is a bug'."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output and "this is a bug" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        (json.dumps(MANIFEST).encode()[:40], r"manifest.json:1: not valid JSON: .* \[rule: json\]"),
        (b"", r"manifest.json:1: not valid JSON: Expecting value .*\[rule: json\]"),
        (json.dumps(MANIFEST, ensure_ascii=False).encode("cp1251"), r"manifest.json:1: byte 0x.. .*\[rule: encoding\]"),
        (json.dumps(MANIFEST).encode("utf-16"), r"manifest.json:1: the file is UTF-16.*\[rule: encoding\]"),
        (b"[1, 2]", r"manifest.json:1: the manifest is a JSON object .*\[rule: type\]"),
        (json.dumps({**MANIFEST, "centres": None}, indent=1).encode(),
         r"manifest.json:\d+: centres: null: centres is a list .*\[rule: type\]"),
        (json.dumps({**MANIFEST, "centres": [{"name": "x"}]}).encode(),
         r"manifest.json:1: centres\[0\]\.code: null: a value is required \[rule: required\]"),
        (json.dumps({**MANIFEST, "centres": [{"code": "C" * 1000}]}).encode(),
         r"centres\[0\]\.code: \"CCC.*…: text is 1000 characters long, at most 32 allowed \[rule: max_length\]"),
        (json.dumps({**MANIFEST, "format_version": 2}).encode(), r"format: \"oncobank-registry\".*\[rule: format\]"),
    ],
    ids=["truncated", "empty", "cp1251", "utf-16", "list", "centres-null", "centre-without-code", "long-centre-code",
         "format-version"],
)
def test_a_bad_manifest_is_one_error_line_and_writes_nothing(env: Path, manifest: bytes, expected: str) -> None:
    folder = _registry(env / "hospital", manifest, _line(PATIENT))
    line = _one_error(runner.invoke(app, ["load", str(folder)]))
    assert re.search(expected, line), line
    assert _count(env, Patient) == 0


@pytest.mark.parametrize(
    ("patients", "expected"),
    [
        (_line(PATIENT).decode().encode("cp1251"), r"patients.jsonl:1: byte 0x.. at byte \d+ .*\[rule: encoding\]"),
        (_line(PATIENT).decode().encode("utf-16"), r"patients.jsonl:1: the file is UTF-16.*\[rule: encoding\]"),
        (_line(PATIENT).decode().encode("utf-16-le"), r"patients.jsonl:1: the file is UTF-16.*\[rule: encoding\]"),
        (None, r"patients.jsonl: not found.*\[rule: missing\]"),
    ],
    ids=["cp1251", "utf-16", "utf-16-without-bom", "missing"],
)
def test_a_patients_file_that_is_not_utf8_or_missing_is_one_error_line(
    env: Path, patients: bytes | None, expected: str
) -> None:
    folder = _registry(env / "hospital", None, patients)
    line = _one_error(runner.invoke(app, ["load", str(folder)]))
    assert re.search(expected, line), line
    assert _count(env, Patient) == 0


def test_a_bad_byte_after_patient_250_stops_before_anything_is_written(env: Path) -> None:
    lines = [_line({**PATIENT, "patient_id": f"TH-{n}", "identifiers": [{"system": "EMR", "value": f"E-{n}"}]})
             for n in range(1, 301)]
    lines[250] = lines[250].replace("Соболева".encode(), b"\xff\xfe")
    folder = _registry(env / "hospital", None, b"".join(lines))
    line = _one_error(runner.invoke(app, ["load", str(folder)]))
    assert "patients.jsonl:251: byte 0xff" in line
    assert _count(env, Patient) == 0
    lines[250] = _line({**PATIENT, "patient_id": "TH-251", "identifiers": [{"system": "EMR", "value": "E-251"}]})
    _registry(env / "hospital", None, b"".join(lines))
    result = runner.invoke(app, ["load", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["patients_loaded"] == 300


def test_a_load_stopped_by_the_database_prints_its_counts_then_one_error_line(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    import oncobank.store.load as load_module

    def broken(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT …", {"surname": "Соболева"}, Exception("disk I/O error"))

    lines = [_line({**PATIENT, "patient_id": f"TH-{n}", "identifiers": [{"system": "EMR", "value": f"E-{n}"}]})
             for n in range(1, 4)]
    folder = _registry(env / "hospital", None, b"".join(lines))
    monkeypatch.setattr(load_module, "_insert", broken)
    result = runner.invoke(app, ["load", str(folder), "--json"])
    line = _one_error(result)
    assert "stopped at line 1" in line and "disk I/O error" in line and "the 3 from it on are not" in line
    assert "Соболева" not in result.output
    report = json.loads(result.stdout)
    assert (report["patients_in"], report["lines"], report["balanced"]) == (0, 3, True)
    assert report["stopped"] == line.removeprefix("error: ")


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"identifiers": "E-1"}, "identifiers", "type"),
        ({"identifiers": [{"value": "E-1"}]}, "identifiers[0].system", "required"),
        ({"identifiers": [{"system": "EMR", "value": "E" * 1_000_000}]}, "identifiers[0].value", "max_length"),
        ({"identifiers": [{"system": "EMR", "value": "E\x001"}]}, "identifiers[0].value", "characters"),
        ({"identifiers": [{"system": "S" * 1000, "value": "E-1"}]}, "identifiers[0].system", "max_length"),
        ({"centre": ["C01"]}, "centre", "type"),
        ({"patient_id": "T" * 1_000_000}, "patient_id", "max_length"),
        ({"patient_id": "TH-\x00"}, "patient_id", "characters"),
        ({"patient_id": ["TH-1"]}, "patient_id", "type"),
        ({"entries": {"section": "demographics"}}, "entries", "type"),
    ],
    ids=["identifiers-string", "identifier-without-system", "1mb-identifier", "nul-identifier", "long-system",
         "centre-list", "1mb-patient-id", "nul-patient-id", "patient-id-list", "entries-object"],
)
def test_a_bad_patient_is_quarantined_with_its_field_and_rule(
    env: Path, change: dict[str, Any], field: str, rule: str
) -> None:
    folder = _registry(env / "hospital", None, _line({**PATIENT, **change}) + _line(
        {**PATIENT, "patient_id": "TH-2", "identifiers": [{"system": "EMR", "value": "E-2"}]}))
    result = runner.invoke(app, ["load", str(folder), "--json"])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    report = json.loads(result.stdout)
    assert (report["patients_loaded"], report["patients_quarantined"], report["balanced"]) == (1, 1, True)
    (problem,) = report["quarantined"]
    assert (problem["line"], problem["field"], problem["rule"]) == (1, field, rule)
    assert "E" * 100 not in result.stdout and "Соболева" not in result.stdout  # identifiers and names stay out
    assert len(result.stdout) < 5000  # a 1 MB value is not echoed


@pytest.mark.parametrize(
    ("entry", "field", "rule"),
    [
        ({"section": ["laboratory"], "date": "2019-01-01", "values": {"tsh": 1}}, None, "unknown_section"),
        ({"section": "laboratory", "date": "2019-01-01", "facility": {"name": "MF-1"}, "values": {"tsh": 1}},
         "facility", "type"),
        ({"section": "laboratory", "date": "2019-01-01", "facility": "F" * 1_000_000, "values": {"tsh": 1}},
         "facility", "max_length"),
        ({"section": "laboratory", "date": "2019-01-01", "values": {"tsh": {"value": 1, "unit": ["mIU/L"]}}},
         "tsh", "type"),
        ({"section": "laboratory", "date": "2019-01-01", "values": {"tsh": 1, "comment\x00": "x"}},
         "comment\x00", "unknown_field"),
        ({"section": "imaging", "date": "2019-01-01", "values": {"modality": "US", "findings": "a\x00b"}},
         "findings", "characters"),
        ("laboratory", None, "type"),
    ],
    ids=["section-list", "facility-object", "1mb-facility", "unit-list", "nul-field-name", "nul-text", "entry-string"],
)
def test_a_bad_entry_is_quarantined_and_the_rest_of_the_patient_loads(
    env: Path, entry: Any, field: str | None, rule: str
) -> None:
    folder = _registry(env / "hospital", None, _line({**PATIENT, "entries": [DEMOGRAPHICS, entry]}))
    result = runner.invoke(app, ["load", str(folder), "--json"])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    report = json.loads(result.stdout)
    assert (report["entries_loaded"], report["entries_quarantined"], report["balanced"]) == (1, 1, True)
    assert [(p["field"], p["rule"]) for p in report["quarantined"]] == [(field, rule)]
    with connect(f"sqlite:///{env / 'store.sqlite'}").connect() as c:
        payload = c.execute(select(Quarantine.payload)).scalar_one()
    assert "\x00" not in json.dumps(payload)


def test_a_utf8_byte_order_mark_does_not_quarantine_the_first_patient(env: Path) -> None:
    folder = _registry(env / "hospital", codecs.BOM_UTF8 + json.dumps(MANIFEST).encode(),
                       codecs.BOM_UTF8 + _line(PATIENT))
    result = runner.invoke(app, ["load", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["patients_loaded"] == 1


def test_a_load_names_quarantined_records_on_the_terminal(env: Path) -> None:
    bad = {"section": "laboratory", "date": "2019-01-01", "values": {"tsh": 5000}}
    folder = _registry(env / "hospital", None, _line({**PATIENT, "entries": [DEMOGRAPHICS, bad]}))
    result = runner.invoke(app, ["load", str(folder)], terminal_width=200)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.replace("│", " ").split())
    assert "line 1 TH-1 laboratory tsh 5000" in flat and "[hard_range]" in flat


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "error: the store URL (--db or ONCOBANK_DB) is not a URL"),
        ("postgresql://postgres@127.0.0.1:5999/test", "error: cannot open the store at postgresql://postgres@127.0.0.1:5999"),
        ("postgresql://postgres:secret@127.0.0.1:5999/test", "postgres:***@"),
        ("nosuchdriver://x/y", "no database driver for this kind of URL"),
    ],
    ids=["not-a-url", "server-down", "password-hidden", "unknown-driver"],
)
@pytest.mark.parametrize("command", [["init"], ["patient", "show", "TH-1"], ["load", "."]])
def test_a_store_that_cannot_be_reached_is_one_error_line(env: Path, command: list[str], url: str,
                                                          expected: str) -> None:
    line = _one_error(runner.invoke(app, [*command, "--db", url]))
    assert expected in line and "secret" not in line


def test_a_missing_database_or_a_file_that_is_not_one_is_one_error_line(env: Path, store_url: str) -> None:
    if store_url.startswith("sqlite"):
        junk = env / "notes.sqlite"
        junk.write_text("not a database", encoding="utf-8")
        line = _one_error(runner.invoke(app, ["patient", "show", "TH-1", "--db", f"sqlite:///{junk}"]))
        assert "file is not a database" in line
        return
    missing = store_url.rsplit("/", 1)[0] + "/oncobank_no_such_database"
    line = _one_error(runner.invoke(app, ["init", "--db", missing]))
    assert 'database "oncobank_no_such_database" does not exist' in line and "oncobank init" in line


def test_a_folder_as_the_sqlite_file_is_one_error_line(env: Path) -> None:
    folder = env / "a folder"
    folder.mkdir()
    for command in (["init"], ["patient", "show", "TH-1"]):
        line = _one_error(runner.invoke(app, [*command, "--db", f"sqlite:///{folder}"]))
        assert "is a folder" in line
    assert list(folder.iterdir()) == []


def test_entry_values_that_are_not_an_object_and_unknown_sections_are_refused(env: Path) -> None:
    folder = _registry(env / "hospital", None, _line({**PATIENT, "entries": [
        DEMOGRAPHICS, {"section": "hormone_therapy", "date": "2020-01-01", "values": {"levothyroxine_dose": 100}}]}))
    assert runner.invoke(app, ["load", str(folder)]).exit_code == 0
    card = json.loads(runner.invoke(app, ["patient", "show", "TH-1", "--json"]).stdout)
    entry = next(e["entry_id"] for e in card["entries"] if e["section"] == "hormone_therapy")
    line = _one_error(runner.invoke(app, ["entry", "edit", str(entry), "--version", "1", "--reason", "x",
                                          "--values", "[1,2]"]))
    assert "--values: expected a JSON object" in line
    line = _one_error(runner.invoke(app, ["entry", "add", "TH-1", "nosuchsection", "--set", "x=1"]))
    assert "no section 'nosuchsection'" in line and "laboratory" in line


def _count(env: Path, model: Any) -> int:
    path = env / "store.sqlite"
    if not path.exists():
        return 0
    engine = connect(f"sqlite:///{path}")
    with engine.connect() as c:
        n = c.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return int(n)


# --- random shapes -----------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
def _spoilt(good: st.SearchStrategy[dict[str, Any]], keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """`good` objects, some with one key given a random JSON value instead."""
    return st.one_of(good, st.tuples(good, st.sampled_from(keys), json_values).map(lambda t: {**t[0], t[1]: t[2]}))


lab = st.builds(lambda tsh, unit: {"section": "laboratory", "date": "2019-01-01",
                                   "values": {"tsh": {"value": tsh, "unit": unit}}},
                st.floats(-10, 2000) | json_values, st.sampled_from(["mIU/L", "uIU/mL", "kg"]) | json_values)
entries = st.one_of(st.just(DEMOGRAPHICS), _spoilt(lab, ["section", "date", "facility", "values"]), json_values)
patient = st.builds(lambda n, ident, items: {"patient_id": f"TH-{n}", "centre": "C01",
                                             "identifiers": [{"system": "EMR", "value": f"E-{ident}"}],
                                             "entries": items},
                    st.integers(1, 4), st.integers(1, 4), st.lists(entries, max_size=3))
patients = st.one_of(_spoilt(patient, ["patient_id", "centre", "identifiers", "entries"]), json_values)
# Mostly a good manifest, so that the patient lines get read.
manifests = st.integers(0, 9).flatmap(lambda n: st.just(MANIFEST) if n < 7 else st.one_of(
    _spoilt(st.just(MANIFEST), ["format", "module", "centres"]), json_values))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(manifest=manifests, lines=st.lists(patients, min_size=1, max_size=4), junk=st.sampled_from([b"", b"{\n"]))
def test_random_shapes_end_in_one_error_line_or_a_reconciled_load(
    store_url: str, tmp_path_factory: pytest.TempPathFactory, manifest: Any, lines: list[Any], junk: bytes
) -> None:
    folder = _registry(tmp_path_factory.mktemp("random"), json.dumps(manifest).encode(),
                       b"".join(_line(p) for p in lines) + junk)
    engine = connect(store_url)
    before = _totals(engine)
    result = runner.invoke(app, ["load", str(folder), "--db", store_url, "--json"])
    after = _totals(engine)
    engine.dispose()
    assert "Traceback" not in result.output and "this is a bug" not in result.stderr, result.output
    if result.exit_code == 1:
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
        assert after == before  # a refused file writes nothing
        return
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["balanced"] and report["patients_in"] == len(lines) + (1 if junk else 0)
    assert (after[0] - before[0], after[1] - before[1]) == (report["patients_loaded"], report["entries_loaded"])


def _totals(engine: Any) -> tuple[int, int]:
    with engine.connect() as c:
        return (c.execute(select(func.count()).select_from(Patient)).scalar_one(),
                c.execute(select(func.count()).select_from(Entry)).scalar_one())


# --- edits, reinstatement, terminal safety ----------------------------------------------------------------------

LAB = {"section": "laboratory", "date": "2020-01-15",
       "values": {"tsh": {"value": 2.1, "unit": "uIU/mL", "ref_low": 0.4, "ref_high": 4.0}}}
ESCAPES = "\x1b[2J\x1b]0;owned\x07\u202eevil\r"


def _entry_of(section: str) -> dict[str, Any]:
    card = json.loads(runner.invoke(app, ["patient", "show", "TH-1", "--json"]).stdout)
    return next(e for e in card["entries"] if e["section"] == section)


def test_an_edit_with_set_keeps_the_reference_range_and_a_retracted_entry_needs_reinstating(env: Path) -> None:
    folder = _registry(env / "hospital", None, _line({**PATIENT, "entries": [DEMOGRAPHICS, LAB]}))
    assert runner.invoke(app, ["load", str(folder)]).exit_code == 0
    entry = str(_entry_of("laboratory")["entry_id"])
    edited = runner.invoke(app, ["entry", "edit", entry, "--version", "1", "--reason", "re-read", "--set", "tsh=3.1"])
    assert edited.exit_code == 0, edited.output
    current = _entry_of("laboratory")["versions"][-1]
    assert current["values"]["tsh"] == 3.1 and current["reference_ranges"]["tsh"] == pytest.approx([0.4, 4.0])
    assert runner.invoke(app, ["entry", "retract", entry, "--version", "2", "--reason", "wrong"]).exit_code == 0
    line = _one_error(runner.invoke(app, ["entry", "edit", entry, "--version", "3", "--reason", "x",
                                          "--set", "tsh=4"]))
    assert "is retracted" in line and f"oncobank entry reinstate {entry} --version 3" in line
    back = runner.invoke(app, ["entry", "reinstate", entry, "--version", "3", "--reason", "right patient after all"])
    assert back.exit_code == 0 and "reinstated: entry" in back.stdout, back.output
    assert [v["status"] for v in _entry_of("laboratory")["versions"]] == ["active", "active", "retracted", "active"]


def test_a_review_dated_in_the_future_or_before_1900_is_refused(env: Path) -> None:
    folder = _registry(env / "hospital", None, _line({**PATIENT, "entries": [DEMOGRAPHICS, LAB]}))
    assert runner.invoke(app, ["load", str(folder)]).exit_code == 0
    entry = str(_entry_of("laboratory")["entry_id"])
    for when, rule in (("2099-01-01", "future_date"), ("1800-01-01", "earliest")):
        line = _one_error(runner.invoke(app, ["entry", "review", entry, "--agreement", "agree", "--date", when]))
        assert f"field review_date: value '{when}'" in line and f"[rule: {rule}]" in line


def test_stored_escape_sequences_are_printed_escaped(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    imaging = {"section": "imaging", "date": "2019-01-01", "values": {"modality": "US", "findings": ESCAPES}}
    folder = _registry(env / "hospital", None, _line({**PATIENT, "entries": [DEMOGRAPHICS, imaging]}))
    assert runner.invoke(app, ["load", str(folder)]).exit_code == 0
    entry = str(_entry_of("imaging")["entry_id"])
    assert runner.invoke(app, ["entry", "review", entry, "--agreement", "disagree", "--date", "2019-02-01",
                               "--comment", ESCAPES]).exit_code == 0
    assert runner.invoke(app, ["entry", "edit", entry, "--version", "1", "--reason", ESCAPES,
                               "--set", "findings=x"]).exit_code == 0
    for command in (["patient", "show", "TH-1"], ["audit"]):
        result = runner.invoke(app, command, terminal_width=300)
        assert result.exit_code == 0, result.output
        for raw in ("\x1b", "\x07", "\u202e", "\r"):
            assert raw not in result.stdout, (command, raw)
    shown = runner.invoke(app, ["patient", "show", "TH-1"], terminal_width=300).stdout
    assert "\\x1b[2J\\x1b]0;owned\\x07\\u202eevil\\x0d" in shown
    as_json = runner.invoke(app, ["patient", "show", "TH-1", "--json"]).stdout
    assert not any(raw in as_json for raw in ("\x1b", "\x07", "\u202e", "\r"))
    card = json.loads(as_json)  # the same data, escaped the JSON way
    assert any(e["section"] == "imaging" and e["versions"][0]["values"]["findings"] == ESCAPES.strip()
               for e in card["entries"])
    # A user name cannot carry escapes into the store, and the refusal prints it escaped.
    refused = runner.invoke(app, ["user", "add", "dr\x1b[31mred", "--role", "clinician", "--centre", "C01"])
    assert refused.exit_code == 1 and "\x1b" not in refused.output and "[rule: characters]" in refused.output
    monkeypatch.setenv("ONCOBANK_USER", "dr\x1b[31mred")
    refused = runner.invoke(app, ["patient", "show", "TH-1"])
    assert refused.exit_code == 1 and "\x1b" not in refused.output and "dr\\x1b[31mred" in refused.output


def test_the_command_line_keeps_statement_parameters_out_of_database_errors(env: Path) -> None:
    from oncobank.cli.common import open_store

    assert open_store(None, "thyroid", need=None, what="open the store").engine.hide_parameters


def test_printable_escapes_controls_but_keeps_lines_and_tabs() -> None:
    from oncobank.reports.printable import printable

    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("line\nnext\ttab") == "line\nnext\ttab"
    assert printable("\x9b31m\u2066x\u2069\x00") == "\\x9b31m\\u2066x\\u2069\\x00"
    assert printable("Соболева [bold]") == "Соболева [bold]"
