"""Adapters stream CSV (cp1251, ';', decimal comma), XLSX and HL7 batches; malformed files fail clearly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncobank.ingest.adapters import AdapterError, read_rows
from oncobank.ingest.mapping import Source

CSV = Source(name="lab", system="LIS", format="csv", files=["x.csv"], encoding="cp1251", delimiter=";",
             decimal=",", patient_id="Код пациента")
HL7 = Source(name="hl7", system="LIS", format="hl7", files=["x.hl7"], patient_id="PID-3:LIS")

MESSAGE = (
    "FHS|^~\\&|LIS\rBHS|^~\\&|LIS\r"
    "MSH|^~\\&|LIS|CDL|ONCOBANK|C01|20120319233000||ORU^R01^ORU_R01|A1|P|2.5\r"
    "PID|1||L1^^^LIS^PI~E1^^^EMR^MR||Иванова^Мария^Петровна||19700520|F\r"
    "OBR|1|ORD1|ORD1L|LABPANEL|||201203190730\r"
    "OBX|1|NM|3016-3^TSH^LN||0.420|mIU/L|0.400-4.000||||F\r"
    "OBX|2|ST|3013-0^Thyroglobulin^LN||<0.20|ng/mL|1.40-78.00||||F\r"
    "BTS|1\rFTS|1\r"
)


def test_csv_in_cp1251_with_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("Код пациента;Результат\nL1;1,70\nL2;2,5;лишнее\n\n".encode("cp1251"))
    rows = list(read_rows(CSV, path, tmp_path))
    assert [r.fields for r in rows] == [{"Код пациента": "L1", "Результат": "1,70"},
                                        {"Код пациента": "L2", "Результат": "2,5"}]
    assert rows[0].location == "line 2" and rows[0].problem is None
    assert rows[1].problem == "row has 3 fields, the header has 2"


def test_csv_in_the_wrong_encoding_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("Код пациента;Результат\nL1;1,70\n".encode("cp1251"))
    utf8 = CSV.model_copy(update={"encoding": "utf-8"})
    with pytest.raises(AdapterError, match=r"x\.csv.*not valid utf-8"):
        list(read_rows(utf8, path, tmp_path))


def test_hl7_batch_gives_one_row_per_obx(tmp_path: Path) -> None:
    path = tmp_path / "x.hl7"
    path.write_bytes(MESSAGE.encode())
    rows = list(read_rows(HL7, path, tmp_path))
    assert len(rows) == 2
    first = rows[0].fields
    assert first["PID-3:LIS"] == "L1" and first["PID-3:EMR"] == "E1"
    assert first["PID-5.1"] == "Иванова" and first["PID-7"] == "19700520"
    assert first["OBR-2"] == "ORD1" and first["OBX-3.1"] == "3016-3" and first["OBX-5"] == "0.420"
    assert rows[1].fields["OBX-5"] == "<0.20" and rows[1].location == "message 1, OBX 2"


def test_xlsx_rows(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ИД пациента", "Фамилия", "Дата рождения"])
    sheet.append([166352, "Иванова", "20.05.1970"])
    book.save(tmp_path / "x.xlsx")
    source = CSV.model_copy(update={"format": "xlsx", "patient_id": "ИД пациента"})
    rows = list(read_rows(source, tmp_path / "x.xlsx", tmp_path))
    assert rows[0].fields == {"ИД пациента": "166352", "Фамилия": "Иванова", "Дата рождения": "20.05.1970"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_malformed_files_never_crash(
    tmp_path: Path, rows_or_clear_error: Callable[[Source, str, Path, bytes], None], data: bytes
) -> None:
    for source, name in ((CSV, "x.csv"), (HL7, "x.hl7"), (CSV.model_copy(update={"format": "xlsx"}), "x.xlsx")):
        rows_or_clear_error(source, name, tmp_path, data)
