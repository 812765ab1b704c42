"""Structuring review on SQLite and PostgreSQL: documents ingested, facts proposed, accepted, corrected, rejected.

Expected values are the ones the report texts state, in the dictionary's canonical units worked by hand
(1,8 см = 18 mm; TSH 2,15 мкМЕ/мл = 2.15 mIU/L).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update
from tests.ingest.small_hospital import DOCS_MAPPING
from typer.testing import CliRunner

from oncobank.cli.main import app
from oncobank.dictionary.loader import load_module
from oncobank.dictionary.validate import Validator
from oncobank.ingest.mapping import load_mapping
from oncobank.ingest.models import IngestDocument
from oncobank.ingest.pipeline import run_ingest
from oncobank.nlp import review
from oncobank.nlp.extract import Extractor
from oncobank.nlp.facts import Fact
from oncobank.nlp.models import StructureProposal
from oncobank.nlp.proposed import proposed
from oncobank.store import accounts
from oncobank.store.access import AccessDenied
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import NotFound, RuleViolation
from oncobank.store.models import AuditEvent, Entry, EntryVersion
from oncobank.synth.scans import scan

PATHOLOGY = (
    "Гистологическое заключение.\nВ правой доле узел 1,8 см. Папиллярный рак, фолликулярный вариант. "
    "Ангиоинвазии не выявлено."
)
DISCHARGE = (
    "Discharge summary.\nTotal thyroidectomy was performed with central neck dissection, levels VI and VII. "
    "Intraoperative neuromonitoring was used."
)
LAB = ["Результаты анализов", "ТТГ 2,15 мкМЕ/мл 0,4 - 4,0"]
@pytest.fixture
def documents(store: ClinicalStore, tmp_path: Path) -> ClinicalStore:
    """One patient of centre C01 with a pathology report, a discharge summary and a scanned lab sheet."""
    (tmp_path / "path.txt").write_text(PATHOLOGY, encoding="utf-8")
    (tmp_path / "dis.txt").write_text(DISCHARGE, encoding="utf-8")
    (tmp_path / "lab.png").write_bytes(scan(LAB, fmt="PNG", seed=11))
    (tmp_path / "index.csv").write_text(
        "pid;file;kind;date;surname;first;born;sex\n"
        "E1;path.txt;pathology_report;03.02.2020;Иванова;Мария;20.05.1970;Ж\n"
        "E1;dis.txt;discharge_summary;05.02.2020;Иванова;Мария;20.05.1970;Ж\n"
        "E1;lab.png;lab_report;10.03.2020;Иванова;Мария;20.05.1970;Ж\n",
        encoding="utf-8",
    )
    (tmp_path / "m.yaml").write_text(DOCS_MAPPING, encoding="utf-8")
    report = run_ingest(store, tmp_path, load_mapping(tmp_path / "m.yaml", store.dictionary), DOCS_MAPPING)
    assert report.loaded == 3
    return store


def _admin(store: ClinicalStore):  # type: ignore[no-untyped-def]
    return accounts.acting(store, "admin")


def _by_section(store: ClinicalStore, status: str | None = "pending") -> dict[str, dict]:
    return {p["section"]: p for p in review.proposals(store, _admin(store), status=status)}


def _table(store: ClinicalStore) -> list[tuple]:
    with store.session() as s:
        return [
            (p.id, p.section, p.status, p.digest, json.dumps(p.items, sort_keys=True))
            for p in s.scalars(select(StructureProposal).order_by(StructureProposal.id))
        ]


def test_run_proposes_each_documents_facts_with_their_spans_and_a_rerun_changes_nothing(
    documents: ClinicalStore,
) -> None:
    first = review.run(documents, _admin(documents))
    assert (first.documents, first.proposed, first.unchanged) == (3, 3, 0)
    found = _by_section(documents)
    assert set(found) == {"histology", "surgery", "laboratory"}
    items = {i["field"]: i for i in found["histology"]["items"]}
    assert items["histology_type"]["value"] == "papillary" and items["histology_type"]["text"] == ["Папиллярный рак"]
    assert items["dominant_tumour_size_mm"]["value"] == 18 and items["dominant_tumour_size_mm"]["text"] == [
        "узел 1,8 см"
    ]
    assert items["angioinvasion"]["value"] == "no"
    surgery = {i["field"]: i["value"] for i in found["surgery"]["items"]}
    assert surgery["thyroid_extent"] == "total_thyroidectomy" and surgery["lymph_node_levels"] == ["VI", "VII"]
    [tsh] = found["laboratory"]["items"]
    assert tsh["value"] == {"value": 2.15, "unit": "мкМЕ/мл", "ref_low": 0.4, "ref_high": 4.0}
    assert tsh["text"] == ["ТТГ 2,15 мкМЕ/мл 0,4 - 4,0"]  # the span in the OCR's text
    before = _table(documents)
    again = review.run(documents, _admin(documents))
    assert (again.documents, again.proposed, again.unchanged, again.superseded) == (3, 0, 3, 0)
    assert _table(documents) == before


def test_accepted_facts_become_an_entry_whose_provenance_is_the_document_span(documents: ClinicalStore) -> None:
    review.run(documents, _admin(documents))
    found = _by_section(documents)
    ref = review.accept(documents, _admin(documents), found["histology"]["id"])
    lab = review.accept(documents, _admin(documents), found["laboratory"]["id"])
    with documents.session() as s:
        version = s.scalars(select(EntryVersion).where(EntryVersion.entry_id == ref.entry_id)).one()
        tsh = s.scalars(select(EntryVersion).where(EntryVersion.entry_id == lab.entry_id)).one()
    assert version.values["histology_type"] == "papillary" and version.values["dominant_tumour_size_mm"] == 18
    assert version.entry_date == date(2020, 2, 3)  # the document's date
    assert f"proposal {found['histology']['id']}" in version.reason
    assert tsh.values["tsh"] == pytest.approx(2.15) and tsh.reference_ranges["tsh"] == pytest.approx([0.4, 4.0])
    [source] = review.spans_of(documents, _admin(documents), ref.entry_id)
    assert source["status"] == "accepted" and source["document"] == found["histology"]["document"]
    assert {i["field"]: i["text"] for i in source["items"]}["dominant_tumour_size_mm"] == ["узел 1,8 см"]
    with documents.session() as s:
        decisions = [e.details for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "structure"))]
        reads = [e.details for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "read"))]
    assert [d["decision"] for d in decisions].count("proposed") == 3
    assert [d["decision"] for d in decisions].count("accepted") == 2
    assert {"what": "structure proposals"} in reads and {"what": "structure provenance"} in reads
    with pytest.raises(RuleViolation, match="is accepted"):
        review.accept(documents, _admin(documents), found["histology"]["id"])


def test_a_corrected_or_rejected_fact_is_never_proposed_again(documents: ClinicalStore) -> None:
    review.run(documents, _admin(documents))
    found = _by_section(documents)
    ref = review.accept(documents, _admin(documents), found["histology"]["id"], {"dominant_tumour_size_mm": 20})
    review.reject(documents, _admin(documents), found["surgery"]["id"], reason="wrong patient's summary")
    assert review.run(documents, _admin(documents)).proposed == 0
    # The text is read anew (a better OCR, a fixed typo): the size now reads 2,5 cm and a new finding appears.
    with documents.session() as s:
        s.execute(
            update(IngestDocument)
            .where(IngestDocument.sha256 == found["histology"]["document"])
            .values(text=PATHOLOGY.replace("1,8 см", "2,5 см") + " Мультифокальный рост.")
        )
    rerun = review.run(documents, _admin(documents))
    assert rerun.proposed == 1  # histology only: the rejected discharge summary says nothing new
    new = _by_section(documents)["histology"]
    assert [i["field"] for i in new["items"]] == ["multifocality"]  # the corrected size is not offered again
    second = review.accept(documents, _admin(documents), new["id"])
    assert (second.entry_id, second.version) == (ref.entry_id, 2)  # a new version of the same entry
    with documents.session() as s:
        values = s.scalars(
            select(EntryVersion.values).where(EntryVersion.entry_id == ref.entry_id, EntryVersion.version == 2)
        ).one()
    assert values["dominant_tumour_size_mm"] == 20 and values["multifocality"] == "yes"
    assert _by_section(documents, "corrected")["histology"]["corrections"] == {"dominant_tumour_size_mm": 20}
    assert _by_section(documents, "rejected")["surgery"]["reason"] == "wrong patient's summary"


def test_a_pending_proposal_the_rules_no_longer_agree_with_is_superseded(documents: ClinicalStore) -> None:
    review.run(documents, _admin(documents))
    old = _by_section(documents)["histology"]
    with documents.session() as s:
        s.execute(
            update(IngestDocument)
            .where(IngestDocument.sha256 == old["document"])
            .values(text=PATHOLOGY.replace("1,8 см", "2,5 см"))
        )
    report = review.run(documents, _admin(documents))
    assert (report.proposed, report.superseded) == (1, 1)
    assert _by_section(documents, "superseded")["histology"]["id"] == old["id"]
    new = _by_section(documents)["histology"]
    assert {i["field"]: i["value"] for i in new["items"]}["dominant_tumour_size_mm"] == 25


def test_auto_accept_takes_only_proposals_at_or_above_the_threshold(documents: ClinicalStore) -> None:
    # The report rules state 0.95; a value read off a lab sheet 0.9 (labs.CONFIDENCE), so it waits for a person.
    report = review.run(documents, _admin(documents), auto_accept=0.95)
    assert (report.proposed, report.auto_accepted) == (3, 2)
    assert set(_by_section(documents)) == {"laboratory"}
    assert set(_by_section(documents, "accepted")) == {"histology", "surgery"}
    with documents.session() as s:
        sections = sorted(s.scalars(select(Entry.section).where(Entry.section != "documents")))
    assert sections == ["histology", "surgery"]
    with pytest.raises(ValueError, match="between 0 and 1"):
        review.run(documents, _admin(documents), auto_accept=95)


def test_the_centre_wall_and_the_permissions_hold(documents: ClinicalStore) -> None:
    review.run(documents, _admin(documents))
    proposal = _by_section(documents)["histology"]["id"]
    documents.ensure_centre("C02", "Centre two")
    documents.ensure_user("dr_other", "clinician", centre="C02")
    other = accounts.acting(documents, "dr_other")
    assert review.proposals(documents, other) == []
    assert review.run(documents, other).documents == 0
    with pytest.raises(NotFound, match=f"no proposal {proposal}"):
        review.accept(documents, other, proposal)
    with pytest.raises(NotFound, match=f"no proposal {proposal}"):
        review.reject(documents, other, proposal, reason="x")
    with pytest.raises(AccessDenied, match="may not review structured facts"):
        review.proposals(documents, accounts.acting(documents, "dr_petrov"))  # a reviewer gives second opinions
    clinician = accounts.acting(documents, "dr_ivanova")  # her own centre's patient
    assert review.accept(documents, clinician, proposal).version == 1


def test_structure_commands(documents: ClinicalStore, tmp_path: Path) -> None:
    url = documents.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    ran = runner.invoke(app, ["structure", "run", "--db", url, "--json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output)["proposed"] == 3
    listed = runner.invoke(app, ["structure", "review", "--db", url, "--json"])
    by_section = {p["section"]: p for p in json.loads(listed.output)}
    shown = runner.invoke(app, ["structure", "review", "--db", url, "--lang", "ru"], env={"COLUMNS": "300"})
    assert "Предложенные записи" in shown.output and "узел 1,8 см" in shown.output
    histology = by_section["histology"]["id"]
    refused = runner.invoke(app, ["structure", "accept", str(histology), "--db", url, "--set", "histology_type="])
    assert refused.exit_code == 1 and "histology_type" in refused.output and "required" in refused.output
    assert _by_section(documents)["histology"]["status"] == "pending"  # the refused accept left it to decide
    accepted = runner.invoke(
        app,
        [
            "structure",
            "accept",
            str(histology),
            "--db",
            url,
            "--set",
            "dominant_tumour_size_mm=2 cm",
            "--set",
            "histological_variant=",
        ],
    )
    assert accepted.exit_code == 0, accepted.output
    with documents.session() as s:
        values = s.scalars(
            select(EntryVersion.values)
            .join(Entry, Entry.id == EntryVersion.entry_id)
            .where(Entry.section == "histology")
        ).one()
    assert values["dominant_tumour_size_mm"] == 20 and "histological_variant" not in values
    no_reason = runner.invoke(app, ["structure", "reject", str(by_section["surgery"]["id"]), "--db", url])
    assert no_reason.exit_code == 2  # --reason is required
    rejected = runner.invoke(
        app, ["structure", "reject", str(by_section["surgery"]["id"]), "--db", url, "--reason", "not this patient"]
    )
    assert rejected.exit_code == 0 and "rejected" in rejected.output
    missing = runner.invoke(app, ["structure", "accept", "999", "--db", url])
    assert missing.exit_code == 1 and "error: no proposal 999" in missing.output
    bad = runner.invoke(
        app, ["structure", "accept", str(by_section["laboratory"]["id"]), "--db", url, "--set", "no_such_field=1"]
    )
    assert bad.exit_code == 1 and "--set 'no_such_field=1'" in bad.output and "Traceback" not in bad.output


def test_two_runs_at_once_end_in_a_clear_refusal_not_duplicates(
    documents: ClinicalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    review.run(documents, _admin(documents))
    before = _table(documents)
    # The second run read the proposals before the first one wrote them: it sees none and proposes the same again.
    monkeypatch.setattr(review, "_proposals_of", lambda s, ids: {})
    with pytest.raises(RuleViolation, match="another structuring run"):
        review.run(documents, _admin(documents))
    assert _table(documents) == before


COURSES = (
    "Выписной эпикриз.\nПациентка находилась на лечении с 10.03.2021 по 15.03.2021.\n"
    "Ранее 12.05.2019 проведён 1-й курс РЙТ 131I активностью 3,7 ГБк. "
    "11.03.2021 проведён 2-й курс РЙТ 131I, введено 150 мКи. "
    "На сцинтиграфии всего тела накопление РФП в ложе щитовидной железы. "
    "С 01.06.2021 начата терапия ленватинибом 24 мг/сут. "
    "С 15.08.2021 доза снижена до 20 мг."
)
PET_CT = (
    "ПЭТ/КТ с 18F-ФДГ.\nВ правой доле лёгкого очаг 12 мм, SUVmax 6,4. "
    "В L2 позвонке гиперметаболический очаг 1,5 см, SUVmax 9,1."
)
GENETICS = (
    "Молекулярно-генетическое исследование.\nМетод: ПЦР в реальном времени.\nМутация BRAF V600E выявлена. "
    "Мутации промотора TERT не выявлены."
)
NO_RAI = ("Выписной эпикриз.\nВыполнена тиреоидэктомия. РЙТ не проводилась.", "Discharge summary.\nOperation on "
          "03.02.2020: total thyroidectomy. RAI therapy was not given.")


@pytest.fixture
def records(store: ClinicalStore, tmp_path: Path) -> ClinicalStore:
    """One patient with a discharge summary listing two radioiodine courses and a drug period, a PET-CT report,
    a genetics report and two summaries saying radioiodine was not given."""
    texts = {"courses.txt": COURSES, "pet.txt": PET_CT, "gen.txt": GENETICS, "no1.txt": NO_RAI[0], "no2.txt": NO_RAI[1]}
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    kinds = {"courses.txt": "discharge_summary", "pet.txt": "imaging_report", "gen.txt": "genetic_report"}
    rows = "".join(
        f"E2;{name};{kinds.get(name, 'discharge_summary')};20.04.2022;Петрова;Анна;01.01.1965;Ж\n" for name in texts
    )
    (tmp_path / "index.csv").write_text("pid;file;kind;date;surname;first;born;sex\n" + rows, encoding="utf-8")
    (tmp_path / "m.yaml").write_text(DOCS_MAPPING, encoding="utf-8")
    assert run_ingest(store, tmp_path, load_mapping(tmp_path / "m.yaml", store.dictionary), DOCS_MAPPING).loaded == 5
    return store


def _entries(store: ClinicalStore, section: str) -> list[EntryVersion]:
    with store.session() as s:
        query = (
            select(EntryVersion)
            .join(Entry, (Entry.id == EntryVersion.entry_id) & (Entry.current_version == EntryVersion.version))
            .where(Entry.section == section)
            .order_by(EntryVersion.entry_date)
        )
        return list(s.scalars(query))


def _of(store: ClinicalStore, section: str, status: str | None = "pending") -> list[dict]:
    found = [p for p in review.proposals(store, _admin(store), status=status) if p["section"] == section]
    return sorted(found, key=lambda p: p["record"])


def test_each_radioiodine_course_and_drug_period_is_an_entry_of_its_own_dated_by_the_record(
    records: ClinicalStore,
) -> None:
    review.run(records, _admin(records))
    rai, drugs = _of(records, "radioiodine"), _of(records, "targeted_therapy")
    assert [p["record"] for p in rai] == [1, 2] and [p["record"] for p in drugs] == [1]  # none from the negations
    first = {i["field"]: i for i in rai[0]["items"]}
    assert first["course_number"]["role"] == "not kept" and first["course_number"]["text"] == ["1-й курс"]
    assert first["activity"]["text"] == ["3,7 ГБк"] and first["entry_date"]["text"] == ["12.05.2019"]
    for p in (*rai, *drugs):
        review.accept(records, _admin(records), p["id"])
    courses = _entries(records, "radioiodine")
    # 3,7 GBq = 3700 MBq; 150 mCi x 37 MBq/mCi = 5550 MBq
    assert [(v.entry_date, v.values["activity"], v.values["isotope"]) for v in courses] == [
        (date(2019, 5, 12), 3700, "I-131"),
        (date(2021, 3, 11), 5550, "I-131"),
    ]
    assert all(v.values["procedure"] == "therapy" and "course_number" not in v.values for v in courses)
    # the summary's scan follows this stay's course, the latest one, not the course of 2019
    assert "uptake" not in courses[0].values and courses[1].values["uptake_sites"] == ["thyroid_bed"]
    [period] = _entries(records, "targeted_therapy")
    assert period.entry_date == date(2021, 6, 1)
    assert {k: period.values[k] for k in ("drug", "daily_dose", "start_date", "dose_correction_date")} == {
        "drug": "lenvatinib",
        "daily_dose": 24,
        "start_date": "2021-06-01",
        "dose_correction_date": "2021-08-15",
    }
    assert period.values["corrected_daily_dose"] == 20
    assert review.run(records, _admin(records)).proposed == 0
    for p in _of(records, "surgery"):
        review.accept(records, _admin(records), p["id"])
    # the operation's own date; the Russian summary states none and has no stay to borrow one from
    assert sorted(v.entry_date for v in _entries(records, "surgery")) == [date(2020, 2, 3), date(2022, 4, 20)]


def test_review_shows_the_record_its_date_and_what_is_not_kept(records: ClinicalStore) -> None:
    review.run(records, _admin(records))
    url = records.engine.url.render_as_string(hide_password=False)
    shown = CliRunner().invoke(app, ["structure", "review", "--db", url, "--lang", "ru"], env={"COLUMNS": "300"})
    assert shown.exit_code == 0, shown.output
    assert "radioiodine[2].course_number (не сохраняется)" in shown.output
    assert "radioiodine[1].entry_date (дата записи)" in shown.output and "12.05.2019" in shown.output


def test_a_rerun_leaves_each_records_decision_alone(records: ClinicalStore) -> None:
    review.run(records, _admin(records))
    first, second = _of(records, "radioiodine")
    ref = review.accept(records, _admin(records), first["id"], {"activity": 3600})
    with records.session() as s:
        s.execute(
            update(IngestDocument)
            .where(IngestDocument.sha256 == first["document"])
            .values(text=COURSES.replace("3,7 ГБк", "3,8 ГБк").replace("150 мКи", "100 мКи"))
        )
    report = review.run(records, _admin(records))
    assert (report.proposed, report.superseded) == (1, 1)  # the second course anew; the corrected first one not
    assert _of(records, "radioiodine", "superseded")[0]["id"] == second["id"]
    [again] = _of(records, "radioiodine")
    assert again["record"] == 2 and {i["field"]: i["value"] for i in again["items"]}["activity"] == 3700  # 100 x 37
    made = review.accept(records, _admin(records), again["id"])
    assert made.entry_id != ref.entry_id and made.version == 1
    assert [v.values["activity"] for v in _entries(records, "radioiodine")] == [3600, 3700]


def test_pet_ct_lesions_are_rows_of_one_imaging_entry(records: ClinicalStore) -> None:
    review.run(records, _admin(records))
    [pet] = _of(records, "imaging")
    roles = {i["field"]: i["role"] for i in pet["items"]}
    assert roles["lesion_1_suv_max"] == roles["lesion_count"] == "not kept"  # no such field per lesion
    review.accept(records, _admin(records), pet["id"])
    [exam] = _entries(records, "imaging")
    assert exam.entry_date == date(2022, 4, 20)  # the document's date: the report states none
    assert {k: exam.values.get(k) for k in (
        "modality", "target_lesion_1_site", "target_lesion_1_mm", "target_lesion_2_site", "target_lesion_2_mm",
        "suv_max",
    )} == {
        "modality": "PET_CT_FDG",
        "target_lesion_1_site": "lungs",
        "target_lesion_1_mm": 12,
        "target_lesion_2_site": "bones",
        "target_lesion_2_mm": 15,  # 1,5 cm
        "suv_max": 9.1,  # the highest
    }


def test_each_gene_test_is_an_entry_with_the_reports_method(records: ClinicalStore) -> None:
    review.run(records, _admin(records))
    for p in _of(records, "genetics"):
        review.accept(records, _admin(records), p["id"])
    tests = sorted((v.values for v in _entries(records, "genetics")), key=lambda v: v["gene"])
    assert [(v["gene"], v.get("variant"), v["result"], v["detection_method"]) for v in tests] == [
        ("BRAF", "V600E", "detected", "real_time_PCR"),
        ("TERT", None, "not_detected", "real_time_PCR"),
    ]


def test_radioiodine_not_given_proposes_no_course() -> None:
    extractor = Extractor("thyroid", load_module("thyroid").units)
    for text in NO_RAI:
        values = extractor.extract(text, "discharge").values()
        assert ("radioiodine", "procedure") not in values and ("surgery", "thyroid_extent") in values


def test_a_lesion_past_the_sections_last_row_is_not_kept_nor_an_entry_of_its_own() -> None:
    # The imaging entry has target lesions 1-5; a sixth lesion's site and size have no field.
    facts = [
        Fact("imaging", f"lesion_{k}_{part}", value, 0, 1, "pet_ct.lesions", 0.95)
        for k in range(1, 7)
        for part, value in (("site", "lungs"), ("mm", 10 + k))
    ] + [Fact("imaging", "suv_max", 7.0, 0, 1, "pet_ct.suv_max", 0.95)]
    [entry] = proposed(facts, load_module("thyroid"))
    roles = {i["field"]: i["role"] for i in entry.items}
    assert entry.record == 0 and roles["target_lesion_5_mm"] == roles["suv_max"] == "value"
    assert roles["lesion_6_site"] == roles["lesion_6_mm"] == "not kept"
    assert {i["field"]: i["value"] for i in entry.items}["target_lesion_5_mm"] == 15


def test_an_ultrasound_report_proposes_an_imaging_entry_the_store_accepts() -> None:
    # nodule size, location and TI-RADS, suspicious nodes with their levels and size: all fields of the imaging entry
    dictionary = load_module("thyroid")
    text = ("УЗИ щитовидной железы и лимфоузлов шеи\n"
            "В правой доле узел размером 18x12x10 мм, гипоэхогенный, TI-RADS 4. "
            "В III и IV уровнях справа увеличенные лимфоузлы до 14 мм.")
    facts = Extractor("thyroid", dictionary.units).extract(text, "ultrasound").facts
    [entry] = [p for p in proposed(facts, dictionary) if p.section == "imaging"]
    values = {i["field"]: i["value"] for i in entry.items if i["role"] == "value"}
    assert values["nodule_size_mm"] == 18 and values["nodule_location"] == "right_lobe"
    assert values["tirads"] == 4 and values["suspicious_nodes"] == "yes" and values["node_size_mm"] == 14
    assert sorted(values["suspicious_node_levels"]) == ["III", "IV"]
    assert [i for i in entry.items if i["role"] == "not kept"] == []
    # the review adds the report type's constants (modality US, spanned by the title line) before the store sees it
    valid = Validator(dictionary).validate("imaging", {**values, "modality": "US"}, entry_date="2021-03-29")
    assert valid.values["tirads"] == 4 and valid.values["suspicious_node_levels"] == ["III", "IV"]
