"""The hand-built registry every cohort test counts by hand: six patients, dates not shifted (1 mCi = 37 MBq).

1: F, born 1960, C73 papillary 2019-01-10, stage II cM0, BRAF V600E detected, I-131 200 mCi on 2019-03-01,
   2019-09-01 and 2020-03-01 (600 mCi), CT 2021-01-15 PD.
2: F, born 1955, C73 follicular 2018-02-01, stage IVB cM1, no genetics, I-131 100 mCi 2018-05-01, CT 2019-06-01 PD.
3: M, born 1950, C73 papillary 2020-01-05, stage IVC cM1, BRAF V600E detected, I-131 150 mCi 2020-04-01,
   lenvatinib from 2021-01-01, CT 2021-08-01 PD.
4: M, born 1980, C73 medullary 2021-06-01, stage I cM0, RET M918T detected; no radioiodine, no imaging.
5: F, born 1990, C73 papillary 2022-03-03, stage I cM0, BRAF V600E not detected, I-131 80 mCi 2022-06-01,
   CT 2022-12-01 SD.
6: M, born 1966: demographics only.
"""

from __future__ import annotations

from oncobank.store.clinical import ClinicalStore

USER = "dr_ivanova"
PEOPLE = {
    "TH-000001": ("F", "1960-04-02"),
    "TH-000002": ("F", "1955-07-11"),
    "TH-000003": ("M", "1950-10-20"),
    "TH-000004": ("M", "1980-01-15"),
    "TH-000005": ("F", "1990-05-05"),
    "TH-000006": ("M", "1966-03-03"),
}
DIAGNOSES = {
    "TH-000001": ("2019-01-10", "papillary", "II", "cM0"),
    "TH-000002": ("2018-02-01", "follicular", "IVB", "cM1"),
    "TH-000003": ("2020-01-05", "papillary", "IVC", "cM1"),
    "TH-000004": ("2021-06-01", "medullary", "I", "cM0"),
    "TH-000005": ("2022-03-03", "papillary", "I", "cM0"),
}
GENETICS = {
    "TH-000001": ("BRAF", "V600E", "detected"),
    "TH-000003": ("BRAF", "V600E", "detected"),
    "TH-000004": ("RET", "M918T", "detected"),
    "TH-000005": ("BRAF", "V600E", "not_detected"),
}
THERAPIES = {  # I-131 therapy courses: date, activity in mCi
    "TH-000001": [("2019-03-01", 200), ("2019-09-01", 200), ("2020-03-01", 200)],
    "TH-000002": [("2018-05-01", 100)],
    "TH-000003": [("2020-04-01", 150)],
    "TH-000005": [("2022-06-01", 80)],
}
IMAGING = {  # CT date, recorded RECIST response
    "TH-000001": [("2021-01-15", "PD")],
    "TH-000002": [("2019-06-01", "PD")],
    "TH-000003": [("2021-08-01", "PD")],
    "TH-000005": [("2022-12-01", "SD")],
}
TARGETED = {"TH-000003": ("lenvatinib", "2021-01-01")}


def add_registry(store: ClinicalStore) -> None:
    """Enter the six patients of the table above."""
    for registry_id, (sex, born) in PEOPLE.items():
        store.create_patient(registry_id, "C01", USER, {"EMR": f"E-{registry_id[-4:]}"})
        store.add_entry(registry_id, "demographics", {"surname": "Тестова", "first_name": "Анна", "birth_date": born,
                                                      "sex": sex, "region": "Тула"}, user=USER)
    for registry_id, (day, histology, stage, m) in DIAGNOSES.items():
        store.add_entry(registry_id, "diagnosis", {"icd10": "C73", "histology_type": histology}, user=USER,
                        entry_date=day)
        store.add_entry(registry_id, "tumour_stage", {"stage_group": stage, "m_category": m}, user=USER,
                        entry_date=day)
    for registry_id, (gene, variant, result) in GENETICS.items():
        store.add_entry(registry_id, "genetics", {"gene": gene, "variant": variant, "result": result}, user=USER,
                        entry_date=DIAGNOSES[registry_id][0])
    for registry_id, courses in THERAPIES.items():
        for day, mci in courses:
            store.add_entry(registry_id, "radioiodine", {"procedure": "therapy", "isotope": "I-131",
                                                         "activity": {"value": mci, "unit": "mCi"}},
                            user=USER, entry_date=day)
    for registry_id, studies in IMAGING.items():
        for day, response in studies:
            store.add_entry(registry_id, "imaging", {"modality": "CT", "recist_response": response}, user=USER,
                            entry_date=day)
    for registry_id, (drug, start) in TARGETED.items():
        store.add_entry(registry_id, "targeted_therapy", {"drug": drug, "start_date": start, "daily_dose": 24},
                        user=USER, entry_date=start)
