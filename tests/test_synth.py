"""The synthetic hospital: determinism, plausibility, RAIR ground truth, messy exports, validation."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import hl7
import pytest
from dateutil.relativedelta import relativedelta
from pypdf import PdfReader

from oncobank.dictionary import load_module
from oncobank.dictionary.validate import EntryRejected, Validator
from oncobank.diseases.thyroid.staging import stage_group
from oncobank.diseases.thyroid.synth_profile import CRITERIA, load_profile
from oncobank.diseases.thyroid.synth_truth import evaluate
from oncobank.synth import generate
from oncobank.synth.labs import LABS
from oncobank.synth.people import allocate

N = 300
SEED = 11


@pytest.fixture(scope="module")
def hospital(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hospital")
    generate(N, SEED, out, progress=False)
    return out


@pytest.fixture(scope="module")
def truth(hospital: Path) -> dict[str, Any]:
    return json.loads((hospital / "ground_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def registry(hospital: Path) -> list[dict[str, Any]]:
    lines = (hospital / "registry" / "patients.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def sources(hospital: Path) -> dict[str, Any]:
    manifest = json.loads((hospital / "exports" / "sources.json").read_text(encoding="utf-8"))
    return {f.get("file", "hl7"): f for f in manifest["files"]}


def read_csv(hospital: Path, described: dict[str, Any]) -> list[dict[str, str]]:
    text = (hospital / described["file"]).read_bytes().decode(described["encoding"])
    return list(csv.DictReader(io.StringIO(text), delimiter=described["delimiter"]))


# ---------------------------------------------------------------- determinism


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    runs = [tmp_path / "a", tmp_path / "b", tmp_path / "c"]
    for out, seed in zip(runs, (5, 5, 6), strict=True):
        generate(40, seed, out, progress=False)
    a, b, c = runs
    for name in ("registry/patients.jsonl", "registry/manifest.json", "ground_truth.json",
                 "exports/lis/results.csv", "exports/reports/index.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    pdfs = sorted((a / "exports" / "discharge").glob("*.pdf"))
    assert pdfs, "no discharge summary was written"
    assert pdfs[0].read_bytes() == (b / "exports" / "discharge" / pdfs[0].name).read_bytes()
    assert (a / "registry/patients.jsonl").read_bytes() != (c / "registry/patients.jsonl").read_bytes()
    assert (a / "ground_truth.json").read_bytes() != (c / "ground_truth.json").read_bytes()


# ---------------------------------------------------------------- plausibility


def test_population_is_plausible(truth: dict[str, Any]) -> None:
    patients = list(truth["patients"].values())
    assert len(patients) == N
    women = sum(p["sex"] == "F" for p in patients) / N
    assert 0.68 <= women <= 0.88  # profile: 78 % women (about 3.5 : 1)
    ages = [p["age_at_diagnosis"] for p in patients]
    assert 42 <= sum(ages) / N <= 54
    inside = sum(18 <= a <= 80 for a in ages) / N
    assert 0.9 <= inside < 1.0  # a few outside the study's 18-80 on purpose
    histology = Counter(p["histology"] for p in patients)
    assert 0.7 <= histology["papillary"] / N <= 0.88  # profile 0.80
    assert 0.06 <= (histology["follicular"] + histology["oncocytic"]) / N <= 0.2  # profile 0.13
    excluded = histology["poorly_differentiated"] + histology["medullary"] + histology["anaplastic"]
    assert 5 <= excluded <= 45  # profile 0.07 -> 21 expected
    assert {p["stage_group"] for p in patients} >= {"I", "II"}


def test_stages_follow_ajcc8() -> None:
    # Hand-checked against the AJCC 8th edition tables.
    assert stage_group("papillary", 40, "pT3a", "pN1b", "cM1") == "II"
    assert stage_group("papillary", 40, "pT4a", "pN1b", "cM0") == "I"
    assert stage_group("follicular", 60, "pT2", "pN1a", "cM0") == "II"
    assert stage_group("papillary", 60, "pT1b", "cN0", "cM0") == "I"
    assert stage_group("papillary", 60, "pT4a", "cN0", "cM0") == "III"
    assert stage_group("papillary", 70, "pT4b", "pN1b", "cM0") == "IVA"
    assert stage_group("oncocytic", 55, "pT1a", "cN0", "cM1") == "IVB"
    assert stage_group("anaplastic", 70, "pT2", "cN0", "cM0") == "IVA"
    assert stage_group("anaplastic", 70, "pT2", "pN1a", "cM0") == "IVB"
    assert stage_group("medullary", 50, "pT2", "pN1a", "cM0") == "III"
    assert stage_group("medullary", 50, "pT2", "cN0", "cM1") == "IVC"


def test_stage_entries_agree_with_age_and_tnm(registry: list[dict[str, Any]], truth: dict[str, Any]) -> None:
    for patient in registry:
        facts = truth["patients"][patient["patient_id"]]
        birth = date.fromisoformat(facts["birth_date"])
        diagnosis = date.fromisoformat(facts["diagnosis_date"])
        age = diagnosis.year - birth.year - ((diagnosis.month, diagnosis.day) < (birth.month, birth.day))
        for e in patient["entries"]:
            if e["section"] == "tumour_stage":
                v = e["values"]
                assert v["stage_group"] == stage_group(facts["histology"], age, v["t_category"], v["n_category"],
                                                       v["m_category"])


# ---------------------------------------------------------------- RAIR ground truth


def test_each_criterion_appears_near_its_share(truth: dict[str, Any]) -> None:
    shares = load_profile().rair_shares
    counts = truth["summary"]["criteria"]
    for criterion in CRITERIA:
        wanted = allocate(shares[criterion], N)
        met = counts[criterion]["met"]
        assert wanted <= met <= wanted + max(3, wanted // 2), (criterion, wanted, met)
    rair = truth["summary"]["rair"]
    assert 0.06 <= rair["true"] / N <= 0.16  # profile: about 10 %
    assert rair["false"] > 0 and rair["null"] > 0


def test_every_target_meets_its_criterion(truth: dict[str, Any]) -> None:
    for pid, p in truth["patients"].items():
        target = p["scenario"]["target"]
        if target:
            assert p["criteria"][target]["status"] == "met", (pid, target)


def test_rair_share_option_changes_the_mix(tmp_path: Path) -> None:
    summary = generate(N, SEED, tmp_path, rair_shares={"flip_flop": 0.05, "uptake_loss": 0.0},
                       formats={"registry"}, progress=False)
    counts = summary.rair["criteria"]
    assert counts["flip_flop"]["met"] >= allocate(0.05, N)
    assert summary.rair["targets"]["uptake_loss"] == 0
    with pytest.raises(ValueError, match="unknown RAIR criterion"):
        generate(10, 1, tmp_path, rair_shares={"no_such": 0.1}, formats={"registry"}, progress=False)


def test_rr_date_is_the_earliest_met_criterion(truth: dict[str, Any]) -> None:
    for p in truth["patients"].values():
        met = [c["date"] for c in p["criteria"].values() if c["status"] == "met"]
        statuses = {c["status"] for c in p["criteria"].values()}
        assert p["rr_date"] == (min(met) if met else None)
        if met:
            assert p["rair"] is True
        elif statuses == {"not_evaluable"}:
            assert p["rair"] is None
        else:
            assert p["rair"] is False


def test_ground_truth_matches_the_registry_file(registry: list[dict[str, Any]], truth: dict[str, Any]) -> None:
    for patient in registry:
        facts = truth["patients"][patient["patient_id"]]
        again = evaluate(patient["entries"])
        assert again["criteria"] == facts["criteria"]
        assert again["rr_date"] == facts["rr_date"]
        ids = {i["system"]: i["value"] for i in patient["identifiers"]}
        assert ids == facts["identifiers"]


def _post_scans(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["section"] == "radioiodine" and e["values"]["procedure"] == "therapy"]


def test_borderline_courses_exist_and_fall_on_the_right_side(
    registry: list[dict[str, Any]], truth: dict[str, Any]
) -> None:
    by_id = {p["patient_id"]: p for p in registry}
    tags = {p["scenario"]["borderline"]: (pid, p) for pid, p in truth["patients"].items()
            if p["scenario"]["borderline"]}
    expected = {
        "progression_at_12_months": ("progression_despite_uptake", "met"),
        "progression_at_16_months": ("progression_despite_uptake", "met"),
        "progression_16_months_plus_1_day": ("progression_despite_uptake", "not_met"),
        "progression_12_months_minus_1_day": ("progression_despite_uptake", "not_met"),
        "activity_exactly_600": ("high_activity_persistence", "met"),
        "activity_600_then_ned": ("high_activity_persistence", "not_met"),
        "activity_595_persistent": ("high_activity_persistence", "not_met"),
        "non_avid_90_days": ("non_avid_lesion", "met"),
        "non_avid_91_days": ("non_avid_lesion", "not_met"),
        # the flip-flop window is 12 calendar months (rair_settings.yaml, after the published study)
        "flip_flop_12_months": ("flip_flop", "met"),
        "flip_flop_12_months_plus_1_day": ("flip_flop", "not_met"),
    }
    assert set(tags) == set(expected)
    for tag, (criterion, status) in expected.items():
        pid, facts = tags[tag]
        assert facts["criteria"][criterion]["status"] == status, tag
    pid, facts = tags["activity_exactly_600"]
    assert facts["cumulative_i131"]["mci"] == 600
    assert facts["cumulative_i131"]["mbq"] == 22200
    assert tags["activity_595_persistent"][1]["cumulative_i131"]["mci"] == 595
    # PD exactly 12 calendar months after the first avid scan.
    pid, facts = tags["progression_at_12_months"]
    first = date.fromisoformat(_post_scans(by_id[pid]["entries"])[0]["date"])
    assert facts["criteria"]["progression_despite_uptake"]["date"] == (first + relativedelta(months=12)).isoformat()
    pid, facts = tags["progression_at_16_months"]
    first = date.fromisoformat(_post_scans(by_id[pid]["entries"])[0]["date"])
    assert facts["criteria"]["progression_despite_uptake"]["date"] == (first + relativedelta(months=16)).isoformat()


def test_activities_are_entered_in_both_units(registry: list[dict[str, Any]], truth: dict[str, Any]) -> None:
    units = Counter(e["values"]["activity"]["unit"] for p in registry for e in p["entries"]
                    if e["section"] == "radioiodine")
    assert units["mCi"] > 0 and units["MBq"] > 0
    for p in truth["patients"].values():
        for course in p["rai_courses"]:
            assert course["activity_mbq"] == pytest.approx(course["activity_mci"] * 37)


# ---------------------------------------------------------------- canonical registry


def test_every_canonical_entry_validates(registry: list[dict[str, Any]], truth: dict[str, Any]) -> None:
    validator = Validator(load_module("thyroid"))
    rejected: list[str] = []
    warnings: list[str] = []
    for patient in registry:
        birth = date.fromisoformat(truth["patients"][patient["patient_id"]]["birth_date"])
        for e in patient["entries"]:
            try:
                valid = validator.validate(e["section"], e["values"], entry_date=e.get("date"),
                                           facility=e.get("facility"), patient=patient["patient_id"],
                                           birth_date=birth)
                warnings.extend(str(w) for w in valid.warnings)
            except EntryRejected as exc:
                rejected.extend(str(i) for i in exc.issues)
    assert rejected == []
    assert warnings == []


def test_registry_layout(hospital: Path, registry: list[dict[str, Any]]) -> None:
    manifest = json.loads((hospital / "registry" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "oncobank-registry" and manifest["format_version"] == 1
    assert manifest["module"] == "thyroid" and manifest["seed"] == SEED and manifest["patients"] == N
    assert manifest["centres"][0]["code"] == "C01"
    dictionary = load_module("thyroid")
    for patient in registry:
        assert re.fullmatch(r"TH-\d{6}", patient["patient_id"])
        assert [i["system"] for i in patient["identifiers"]] == ["EMR", "LIS", "PACS", "PATH"]
        for e in patient["entries"]:
            assert e["section"] != "rair_summary"
            section = dictionary.section(e["section"])
            assert ("date" in e) == section.dated, e["section"]
            assert ("facility" in e) == section.facility, e["section"]
        sections = Counter(e["section"] for e in patient["entries"])
        assert sections["demographics"] == 1


# ---------------------------------------------------------------- exports


def test_lis_csv_decodes_with_decimal_commas_and_mixed_units(hospital: Path, sources: dict[str, Any]) -> None:
    described = sources["exports/lis/results.csv"]
    assert described["encoding"] == "cp1251" and described["delimiter"] == ";"
    rows = read_csv(hospital, described)
    assert len(rows) == described["rows"]
    values = [r["Результат"] for r in rows]
    assert sum(bool(re.fullmatch(r"\d+,\d+", v)) for v in values) > len(values) / 3
    assert not any(re.fullmatch(r"\d+\.\d+", v) for v in values)
    assert any(v.startswith("<") for v in values)  # thyroglobulin under the detection limit
    units = {r["Ед. изм."] for r in rows}
    for pair in (("мМЕ/л", "µIU/mL"), ("пмоль/л", "ng/dL"), ("мкмоль/л", "mg/dL"), ("г/л", "g/dL"),
                 ("10^9/л", "x10^9/L")):
        assert set(pair) <= units, pair
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}", rows[0]["Дата взятия"])


def test_lab_units_convert_back_with_the_dictionary() -> None:
    dictionary = load_module("thyroid")
    section = dictionary.section("laboratory")
    for lab, specs in LABS.items():
        for analyte, spec in specs.items():
            f = section.field(analyte)
            for unit in (spec.csv_unit, spec.hl7_unit):
                factor = dictionary.units.factor(unit, f.unit, f.molar_mass)
                assert factor * spec.factor == pytest.approx(1, rel=0.02), (lab, analyte, unit)


def test_hl7_messages_parse_and_carry_units(hospital: Path, sources: dict[str, Any]) -> None:
    described = sources["hl7"]
    units: set[str] = set()
    messages = 0
    for name in described["files"]:
        text = (hospital / name).read_bytes().decode("utf-8")  # bytes: text mode would turn the \r into \n
        parsed = hl7.parse_file(text)
        for batch in parsed:
            for msg in batch:
                again = hl7.parse(str(msg))
                assert str(again.segment("MSH")[9]) == "ORU^R01^ORU_R01"
                assert str(again.segment("PID")[3]).startswith("L")
                for obx in again.segments("OBX"):
                    assert str(obx[6]), "OBX-6 (units) is empty"
                    assert str(obx[7]), "OBX-7 (reference range) is empty"
                    units.add(str(obx[6]))
                messages += 1
    assert messages == described["messages"] > 0
    assert {"mIU/L", "uIU/mL", "pmol/L", "ng/dL", "10*9/L"} <= units


def test_some_lab_orders_are_in_both_csv_and_hl7(hospital: Path, sources: dict[str, Any]) -> None:
    csv_orders = {r["№ заявки"] for r in read_csv(hospital, sources["exports/lis/results.csv"])}
    hl7_orders = set()
    for name in sources["hl7"]["files"]:
        hl7_orders |= set(re.findall(r"ORU_R01\|(\d+)\|", (hospital / name).read_bytes().decode("utf-8")))
    both = csv_orders & hl7_orders
    assert both and csv_orders - hl7_orders and hl7_orders - csv_orders


def test_emr_admissions_and_pacs(hospital: Path, sources: dict[str, Any]) -> None:
    patients = read_csv(hospital, sources["exports/emr/patients.csv"])
    assert len(patients) == N and "Фамилия" in patients[0]
    assert sources["exports/emr/patients.csv"]["encoding"] == "cp1251"
    assert any(r["Регион"] == "" for r in patients)  # some missing values
    admissions = read_csv(hospital, sources["exports/emr/admissions.csv"])
    ids = {r["ИД пациента"] for r in patients}
    assert all(a["patient_id"] in ids for a in admissions)
    assert {a["icd10_main"] for a in admissions} >= {"C73", "С73"}  # Latin and Cyrillic C
    assert re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", admissions[0]["admission_date"])
    studies = read_csv(hospital, sources["exports/pacs/studies.csv"])
    assert {s["ModalitiesInStudy"] for s in studies} >= {"US", "CT", "NM"}
    assert all(re.fullmatch(r"\d{8}", s["StudyDate"]) for s in studies)
    assert len({s["StudyInstanceUID"] for s in studies}) == len(studies)


def test_pdfs_open_and_hold_the_discharge_text(hospital: Path) -> None:
    index = list(csv.DictReader(io.StringIO((hospital / "exports/discharge/index.csv").read_text("utf-8")),
                                delimiter=";"))
    patients = {r["ИД пациента"]: r for r in read_csv(hospital, {
        "file": "exports/emr/patients.csv", "encoding": "cp1251", "delimiter": ";"})}
    assert len(index) == len(list((hospital / "exports/discharge").glob("*.pdf"))) > 0
    for row in index[:3]:
        reader = PdfReader(hospital / "exports/discharge" / row["file"])
        text = " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
        assert "ВЫПИСНОЙ ЭПИКРИЗ" in text
        assert "Рекомендации" in text
        assert patients[row["patient_id"]]["Фамилия"] in text


def test_reports_exist_in_both_languages_with_varied_wording(hospital: Path) -> None:
    index = list(csv.DictReader(io.StringIO((hospital / "exports/reports/index.csv").read_text("utf-8")),
                                delimiter=";"))
    kinds = {r["kind"] for r in index}
    assert {"pathology", "cytology", "ultrasound", "scintigraphy", "pet_ct"} <= kinds
    for kind in ("pathology", "ultrasound", "scintigraphy"):
        for language in ("ru", "en"):
            rows = [r for r in index if r["kind"] == kind and r["language"] == language]
            assert rows, (kind, language)
            texts = [(hospital / "exports/reports" / r["file"]).read_text("utf-8") for r in rows[:40]]
            cyrillic = [bool(re.search(r"[а-я]{4}", t.split("\n", 7)[-1])) for t in texts]
            assert all(cyrillic) if language == "ru" else not any(cyrillic)
            assert len({t.split("\n", 1)[0].split(" №")[0].split(" #")[0] for t in texts}) >= 2  # several titles


def test_identity_noise_and_relatives_with_linkage_truth(
    hospital: Path, sources: dict[str, Any], truth: dict[str, Any]
) -> None:
    kinds = Counter(n["kind"] for p in truth["patients"].values() for n in p["identity_noise"])
    assert set(kinds) == {"typo", "transliteration", "swapped_day_month", "maiden_name"}
    emr = {r["ИД пациента"]: r for r in read_csv(hospital, sources["exports/emr/patients.csv"])}
    lis = {r["Код пациента"]: r for r in read_csv(hospital, sources["exports/lis/results.csv"])}
    pacs = {r["PatientID"]: r for r in read_csv(hospital, sources["exports/pacs/studies.csv"])}
    checked = Counter()
    for p in truth["patients"].values():
        for noise in p["identity_noise"]:
            system, ident = noise["system"], p["identifiers"][noise["system"]]
            row = {"EMR": emr, "LIS": lis, "PACS": pacs}.get(system, {}).get(ident)
            if row is None:
                continue
            shown = " ".join(row.values())
            if noise["kind"] in ("typo", "maiden_name"):
                assert noise["recorded"] in shown
            elif noise["kind"] == "swapped_day_month":
                swapped = date.fromisoformat(noise["recorded"])
                assert swapped.strftime("%d.%m.%Y") in shown or swapped.strftime("%Y%m%d") in shown
                assert swapped.isoformat() != p["birth_date"]
            else:
                assert re.search(r"[A-Z]{3}", shown) and not re.search(r"[А-Я]{3}", row.get("PatientName", "")
                                                                          or row.get("ФИО", ""))
            checked[noise["kind"]] += 1
    assert len(checked) >= 3
    patients = truth["patients"]
    assert truth["linkage"]["twins"] and truth["linkage"]["namesakes"]
    for a, b in truth["linkage"]["twins"]:
        assert patients[a]["birth_date"] == patients[b]["birth_date"]
    demographics = {}
    for line in (hospital / "registry/patients.jsonl").read_text("utf-8").splitlines():
        record = json.loads(line)
        demographics[record["patient_id"]] = record["entries"][0]["values"]
    for a, b in truth["linkage"]["twins"]:
        assert demographics[a]["surname"] == demographics[b]["surname"]
        assert demographics[a]["first_name"] != demographics[b]["first_name"]
    for a, b in truth["linkage"]["namesakes"]:
        da, db = demographics[a], demographics[b]
        assert (da["surname"], da["first_name"], da["patronymic"]) == (db["surname"], db["first_name"],
                                                                         db["patronymic"])
        assert da["birth_date"] != db["birth_date"]


def test_summary_reconciles_with_patients(truth: dict[str, Any]) -> None:
    counts = {c: Counter(p["criteria"][c]["status"] for p in truth["patients"].values()) for c in CRITERIA}
    for criterion in CRITERIA:
        assert truth["summary"]["criteria"][criterion] == {
            s: counts[criterion][s] for s in ("met", "not_met", "not_evaluable")}
    assert truth["settings"]["seed"] == SEED and truth["settings"]["patients"] == N
    assert set(truth["settings"]["profile"]["rair_shares"]) == set(CRITERIA)


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown output format 'xlsx'"):
        generate(5, 1, tmp_path, formats={"xlsx"}, progress=False)
