"""Stays from an admissions export, and records attached to a stay by admission ID or by date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from oncobank.ingest import admissions
from oncobank.ingest.adapters import SourceRow
from oncobank.ingest.mapping import AdmissionLayout, Source
from oncobank.ingest.models import IngestAdmission, IngestBatch
from oncobank.store.clinical import ClinicalStore

SOURCE = Source(name="adm", system="EMR", format="csv", files=["a.csv"], date_formats=["%d.%m.%Y"],
                patient_id="pid", admissions=AdmissionLayout(id="adm", admitted="in", discharged="out",
                                                            codes=["main", "other"]))


def _row(**fields: str) -> SourceRow:
    return SourceRow("a.csv", "line 2", {"pid": "E1", **fields})


def test_a_stay_is_read_with_latin_icd_codes_and_bad_rows_say_why() -> None:
    found, problem = admissions.stay(SOURCE, _row(adm="A1", **{"in": "01.02.2020", "out": "05.02.2020"},
                                                  main="С73", other="C77.0; E89.2"))
    assert problem is None and found is not None
    assert (found["admitted"], found["discharged"]) == (date(2020, 2, 1), date(2020, 2, 5))
    assert found["codes"] == ["C73", "C77.0", "E89.2"]  # the first C was Cyrillic
    assert admissions.stay(SOURCE, _row(adm="A1", **{"in": "05.02.2020", "out": "01.02.2020"}))[1] == (
        "the discharge date is before the admission date")
    assert "not a date" in admissions.stay(SOURCE, _row(adm="A1", **{"in": "2020-02-01"}))[1]
    assert admissions.stay(SOURCE, _row(adm="", **{"in": "01.02.2020"}))[1] == "column 'adm' (admission ID) is empty"


def test_records_attach_by_id_then_by_date_within_the_stay(store: ClinicalStore) -> None:
    store.ensure_centre("C01")
    store.ensure_user("tester", "data_manager")
    one = store.create_patient("P1", "C01", "tester")
    two = store.create_patient("P2", "C01", "tester")
    with store.session() as s:
        batch = s.execute(insert(IngestBatch).values(mapping="m", mapping_sha256="0" * 64, status="done", counts={})
                          .returning(IngestBatch.id)).scalar_one()
        stays = [
            {"system": "EMR", "admission_key": "A1", "admitted": date(2020, 2, 1), "discharged": date(2020, 2, 5),
             "department": None, "codes": [], "content_hash": "a", "patient_id": one},
            {"system": "EMR", "admission_key": "A2", "admitted": date(2020, 2, 4), "discharged": date(2020, 2, 9),
             "department": None, "codes": [], "content_hash": "b", "patient_id": one},
            {"system": "EMR", "admission_key": "A3", "admitted": date(2021, 1, 1), "discharged": None,
             "department": None, "codes": [], "content_hash": "c", "patient_id": two},
        ]
        assert admissions.store_stays(s, stays, batch) == {"loaded": 3, "unchanged": 0}
        assert admissions.store_stays(s, stays[:1], batch) == {"loaded": 0, "unchanged": 1}
        ids = dict(s.execute(select(IngestAdmission.admission_key, IngestAdmission.id)).all())
        got = admissions.match(s, [
            (one, "EMR", "A1", date(2020, 2, 7)),  # named stay wins over the date
            (one, "EMR", None, date(2020, 2, 2)),  # only A1 holds 2 Feb
            (one, "EMR", None, date(2020, 2, 5)),  # both hold 5 Feb: the later admission
            (one, "EMR", None, date(2020, 2, 10)),  # after both stays
            (one, "EMR", "A3", date(2020, 2, 3)),  # another patient's stay is never taken: by date, A1
            (two, "EMR", None, date(2021, 1, 1)),  # no discharge date: the admission day only
            (two, "EMR", None, date(2021, 1, 2)),
            (one, "LIS", "A2", None),  # an ID of another system names nothing
        ])
    assert got == [(ids["A1"], "id"), (ids["A1"], "date"), (ids["A2"], "date"), (None, None), (ids["A1"], "date"),
                   (ids["A3"], "date"), (None, None), (None, None)]
