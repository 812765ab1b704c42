"""REDCap dictionaries of real projects' shapes: what loads, what is kept to write back, what the loss list says."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oncobank.cli import app
from oncobank.dictionary.loader import resolve_module
from oncobank.dictionary.logic import section_logic
from oncobank.dictionary.redcap import REDCAP_COLUMNS, RedcapError, export_redcap, import_redcap, read_redcap
from oncobank.dictionary.schema import FieldType
from oncobank.dictionary.validate import Validator

from .redcap_files import API_HEADER, DROPPED, TUMOUR_BANK, as_csv

ANNOTATION = len(REDCAP_COLUMNS) - 1


@pytest.fixture(scope="module")
def bank():
    return read_redcap(as_csv(TUMOUR_BANK), "tumour_bank")


def _fields(module):
    return {f.name: f for s in module.sections for f in s.fields}


def test_what_loads(bank) -> None:
    module = bank.module
    assert [(s.name, s.label.en) for s in module.sections] == [
        ("enrolment", "Enrolment"), ("contact", "Contact"), ("tumour", "Tumour"), ("qol", "Quality of life")]
    # the record ID keeps its own name, label, note, required flag and the header above it
    assert module.entry == {"name": "study_id", "label": "Study ID", "note": "Assigned by the bank",
                            "required": "y", "header": "Enrolment"}
    fields = _fields(module)
    assert "study_id" not in fields and not set(DROPPED) & set(fields)
    assert len(fields) == len(TUMOUR_BANK) - 1 - len(DROPPED)
    assert fields["bmi"].calculation == "round([weight]/(([height]/100)^2),1)"
    assert fields["pack_years"].show_if == "[smoker] = '1'"
    assert fields["narrative"].label.en == "Pathology narrative\nas dictated"
    assert [c.code for c in module.domains["histology_choices"].codes] == ["8260", "8330", "-9"]
    assert [c.code for c in module.domains["qol_mobility_choices"].codes] == ["1", "2", "3", "-99"]
    assert fields["consent_date"].type == FieldType.DATE and fields["consent_date"].entry == {"validation": "date_dmy"}
    assert fields["histology"].entry == {"type": "dropdown", "validation": "autocomplete"}
    assert fields["qol_mobility"].entry == {"matrix": "qol", "ranking": "y"}
    assert fields["pack_years"].entry == {"header": "Exposure"}


def test_what_the_loss_list_says(bank) -> None:
    found = [(loss.row, loss.kind, loss.kept) for loss in bank.losses]
    # counted by hand from TUMOUR_BANK (row 1 is the header)
    assert found == [
        (None, "language", False), (None, "repeating", False),
        (4, "validation", True),
        (10, "action_tag", True),  # bmi's calculation reads its own form's fields: applied, not a loss
        (11, "validation", True), (12, "validation", True), (13, "validation", True), (13, "action_tag", True),
        (14, "no_value", False),
        (15, "ontology", True),  # pack_years' branching logic (row 18) reads its own form's smoker: applied
        (22, "no_value", False), (23, "no_value", False),
        (24, "validation", True),
    ]
    text = {loss.row: str(loss) for loss in bank.losses if loss.kind == "no_value"}
    assert text[14] == "row 14, Field Type: descriptive field 'tumour_info' dropped (display text, holds no data); " \
                       "its section header 'Tumour' moved to 'diagnosis'"
    assert text[23].startswith("row 23, Field Type: signature field 'signature' dropped")
    assert bank.warnings == []


def test_branching_and_calculations_are_applied(bank) -> None:
    validator = Validator(resolve_module(bank.module))
    # BMI = 70 / 1.75² = 22.857…, rounded by REDCap's round(…, 1) to 22.9, whatever was typed
    consent = {"consent_date": "2020-01-01"}
    enrolment = validator.validate("enrolment", {**consent, "height": "175", "weight": "70", "bmi": "99"},
                                   entry_date="2020-01-01")
    assert enrolment.values["bmi"] == 22.9
    blank = validator.validate("enrolment", {**consent, "height": "175"}, entry_date="2020-01-01")
    assert "bmi" not in blank.values  # a blank input leaves it blank
    # pack_years is shown only to smokers: asked (and kept) for them, hidden for the others
    smoker = validator.validate("tumour", {"smoker": "yes", "pack_years": "20"}, entry_date="2020-01-01")
    assert smoker.values["pack_years"] == 20
    logic = section_logic(bank.module.sections[2])
    assert logic.hidden("pack_years", {"smoker": False}) and not logic.hidden("pack_years", {"smoker": True})


def test_written_back_as_it_came(bank) -> None:
    """Every kept row is exported with the cells it came with; only OncoBank's own tags are added."""
    exported = list(csv.reader(io.StringIO(export_redcap(bank.module, bank.module.domains))))
    assert exported[0] == list(REDCAP_COLUMNS)
    back = {row[0]: row for row in exported[1:]}
    kept = [row for row in TUMOUR_BANK if row[0] not in DROPPED]
    assert list(back) == [row[0] for row in kept]
    choice_rows = {"site", "age_band", "histology", "qol_mobility", "qol_selfcare"}
    for row in kept:
        expected = list(row)
        if row[0] == "diagnosis":
            expected[2] = "Tumour"  # the dropped descriptive field's header, now on the form's first field
        assert back[row[0]][:ANNOTATION] == expected[:ANNOTATION], row[0]
        annotation = back[row[0]][ANNOTATION]
        if row[0] == "study_id":
            assert annotation.startswith("@ONCOBANK-MODULE=")
        elif row[0] in choice_rows:
            assert annotation == f'@ONCOBANK-DOMAIN={{"name":"{row[0]}_choices"}}'
        else:
            assert annotation == row[ANNOTATION], row[0]
    kinds_in = Counter(row[3] for row in kept)
    kinds_out = Counter(row[3] for row in back.values())
    assert kinds_out == kinds_in and kinds_in["text"] == 13 and kinds_in["notes"] == 1
    # and the written file reads back to the same module
    assert import_redcap(export_redcap(bank.module, bank.module.domains)) == bank.module


def test_russian_export_keeps_the_record_id_label(bank) -> None:
    first = list(csv.reader(io.StringIO(export_redcap(bank.module, bank.module.domains, lang="ru"))))[1]
    assert first[:5] == ["study_id", "enrolment", "Enrolment", "text", "Study ID"]


# ----------------------------------------------------------------------------------- header shapes


def test_stray_first_header_cell_is_a_warning() -> None:
    text = as_csv(TUMOUR_BANK)
    # a byte-order mark read as Windows-1252 text by the spreadsheet that saved the file
    stray = "\u00ef\u00bb\u00bf" + text
    result = read_redcap(stray, "tumour_bank")
    assert result.module == read_redcap(text, "tumour_bank").module
    assert result.warnings == ["header column 1 is 'ï»¿Variable / Field Name'; read as 'Variable / Field Name'"]


def test_one_extra_empty_cell_is_a_warning() -> None:
    rows = [list(r) for r in TUMOUR_BANK]
    rows[3].append("")
    header = [*REDCAP_COLUMNS, ""]
    result = read_redcap(as_csv(rows, header), "tumour_bank")
    assert result.module == read_redcap(as_csv(TUMOUR_BANK), "tumour_bank").module
    assert result.warnings == ["the header has one extra empty cell after the 18 columns; it was ignored",
                               "1 row(s) have one extra empty cell after the 18 columns; it was ignored (rows 5)"]
    rows[3][-1] = "x"  # a nineteenth cell with something in it is not a spreadsheet's leftover
    with pytest.raises(RedcapError, match="row 5: has 19 cells, expected 18"):
        read_redcap(as_csv(rows, header), "tumour_bank")


def test_api_metadata_header_is_read() -> None:
    result = read_redcap(as_csv(TUMOUR_BANK, API_HEADER), "tumour_bank")
    assert result.module == read_redcap(as_csv(TUMOUR_BANK), "tumour_bank").module
    assert result.warnings == []
    wrong = list(API_HEADER)
    wrong[4] = "label"
    with pytest.raises(RedcapError, match="row 1, column 'Field Label', value 'label'"):
        read_redcap(as_csv(TUMOUR_BANK, wrong), "tumour_bank")


# ---------------------------------------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_prints_the_loss_list_and_exports_the_imported_file(tmp_path: Path) -> None:
    source = tmp_path / "tumour_bank.csv"
    source.write_text(as_csv(TUMOUR_BANK), encoding="utf-8")
    yaml_out = tmp_path / "tumour_bank.yaml"
    done = runner.invoke(app, ["dictionary", "import", str(source), "--out", str(yaml_out)])
    assert done.exit_code == 0, done.output
    shown = " ".join(done.stderr.replace("│", " ").replace("┃", " ").split())
    assert "What the module does not keep or does not apply" in shown
    assert "14 tumour_info field without a dropped" in shown and "15 diagnosis ontology look-up" in shown
    assert "pack_years" not in shown  # its branching logic is applied
    assert "5 dropped, 8 kept but not applied" in shown
    assert "Wrote" in shown and "(4 sections, 21 fields)" in shown
    russian = runner.invoke(app, ["dictionary", "import", str(source), "--out", str(yaml_out), "--lang", "ru"])
    assert "5 не загружено, 8 сохранено, но не применяется" in " ".join(russian.stderr.split())
    as_json = runner.invoke(app, ["dictionary", "import", str(source), "--json"])
    assert as_json.exit_code == 0
    report = json.loads(as_json.stdout)
    assert (report["sections"], report["fields"], len(report["losses"])) == (4, 21, 13)
    assert report["losses"][8] == {"kind": "no_value", "kept": False, "row": 14, "column": "Field Type",
                                   "variable": "tumour_info", "text": report["losses"][8]["text"]}
    assert report["yaml"] == yaml_out.read_text(encoding="utf-8")
    # a module file written by import exports straight from the CLI
    back = tmp_path / "back.csv"
    exported = runner.invoke(app, ["dictionary", "export", str(yaml_out), "--out", str(back)])
    assert exported.exit_code == 0, exported.output
    assert next(csv.reader(io.StringIO(back.read_text(encoding="utf-8").split("\n", 1)[1])))[0] == "study_id"
    missing = runner.invoke(app, ["dictionary", "export", str(tmp_path / "nosuch.yaml")])
    assert missing.exit_code == 1 and "no such module file" in missing.stderr
