"""Clinical store: versioned entries, units as entered, reviews, validation messages, append-only history."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from oncobank.dictionary.validate import EntryRejected
from oncobank.store.card import read_card
from oncobank.store.clinical import ClinicalStore
from oncobank.store.errors import ConflictError, NotFound, RuleViolation

RAI = {"procedure": "therapy", "isotope": "I-131", "activity": {"value": 100, "unit": "mCi"}, "uptake": "present",
       "uptake_sites": ["thyroid_bed"]}


def test_activity_entered_in_mci_is_stored_in_mbq_with_the_entry_kept(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "radioiodine", RAI, user="dr_ivanova", entry_date="2019-03-01", facility="MF-1")
    card = read_card(store, patient, user="dr_ivanova")
    version = next(e for e in card.entries if e.entry_id == ref.entry_id).current
    assert version.values["activity"] == 3700.0  # 100 mCi x 37 MBq/mCi
    assert version.entered["activity"] == {"value": 100.0, "unit": "mCi"}
    assert version.facility == "MF-1"
    assert str(version.entry_date) == "2019-03-01"


def test_lab_value_converted_with_molar_mass_and_reference_range(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(
        patient, "laboratory",
        {"free_t4": {"value": 1.2, "unit": "ng/dL", "ref_low": 0.8, "ref_high": 1.8},
         "tsh": {"value": 2.5, "unit": "µIU/mL"}, "creatinine": {"value": 1.0, "unit": "mg/dL"}},
        user="dr_ivanova", entry_date="2020-01-15",
    )
    version = read_card(store, patient, user="dr_ivanova").entries[-1].current
    assert ref.entry_id
    # free T4: 1 ng/dL = 10 ng/L / 776.87 g/mol = 12.872 pmol/L
    assert version.values["free_t4"] == pytest.approx(1.2 * 12.872, rel=1e-3)
    assert version.reference_ranges["free_t4"] == pytest.approx([0.8 * 12.872, 1.8 * 12.872], rel=1e-3)
    assert version.values["tsh"] == pytest.approx(2.5)  # µIU/mL = mIU/L
    assert version.values["creatinine"] == pytest.approx(88.4, rel=1e-3)  # mg/dL x 88.4


def test_edit_creates_a_version_and_keeps_the_old_one(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "hormone_therapy", {"levothyroxine_dose": 100}, user="dr_ivanova",
                          entry_date="2020-02-01")
    edited = store.edit_entry(ref.entry_id, 1, {"levothyroxine_dose": 125}, user="dr_petrov",
                              reason="dose corrected after TSH", entry_date="2020-02-01")
    assert edited.version == 2
    entry = next(e for e in read_card(store, patient, user="dr_ivanova").entries if e.entry_id == ref.entry_id)
    assert [v.values["levothyroxine_dose"] for v in entry.versions] == [100, 125]
    assert [v.author for v in entry.versions] == ["dr_ivanova", "dr_petrov"]
    assert entry.versions[1].reason == "dose corrected after TSH"


def test_stale_edit_is_a_conflict_not_a_lost_update(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "hormone_therapy", {"levothyroxine_dose": 100}, user="dr_ivanova",
                          entry_date="2020-02-01")
    store.edit_entry(ref.entry_id, 1, {"levothyroxine_dose": 125}, user="dr_ivanova", reason="a",
                     entry_date="2020-02-01")
    with pytest.raises(ConflictError, match=r"version 1.*version 2"):
        store.edit_entry(ref.entry_id, 1, {"levothyroxine_dose": 150}, user="dr_petrov", reason="b",
                         entry_date="2020-02-01")
    entry = read_card(store, patient, user="dr_ivanova").section("hormone_therapy")[0]
    assert [v.values["levothyroxine_dose"] for v in entry.versions] == [100, 125]


def test_edit_needs_a_reason(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "hormone_therapy", {"levothyroxine_dose": 100}, user="dr_ivanova",
                          entry_date="2020-02-01")
    with pytest.raises(RuleViolation, match="reason"):
        store.edit_entry(ref.entry_id, 1, {"levothyroxine_dose": 125}, user="dr_ivanova", reason=" ",
                         entry_date="2020-02-01")


def test_retraction_is_a_version(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "radioiodine", RAI, user="dr_ivanova", entry_date="2019-03-01")
    retracted = store.retract_entry(ref.entry_id, 1, user="dr_ivanova", reason="entered for the wrong patient")
    assert retracted.version == 2
    entry = read_card(store, patient, user="dr_ivanova").section("radioiodine")[0]
    assert entry.retracted
    assert [v.status for v in entry.versions] == ["active", "retracted"]
    assert entry.versions[0].values["activity"] == 3700.0
    with pytest.raises(RuleViolation, match="already retracted"):
        store.retract_entry(ref.entry_id, 2, user="dr_ivanova", reason="again")


def test_second_opinion_lives_beside_the_original(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "histology",
                          {"histology_type": "papillary", "histological_variant": "classic", "angioinvasion": "no"},
                          user="dr_ivanova", entry_date="2019-01-10", facility="MF-1")
    store.review_entry(ref.entry_id, reviewer="dr_petrov", review_date="2019-02-01", agreement="partial",
                       revised_values={"histological_variant": "tall_cell", "angioinvasion": "yes"},
                       comment="tall-cell areas > 30 %", facility="MF-2")
    entry = read_card(store, patient, user="dr_ivanova").section("histology")[0]
    assert entry.current.values["histological_variant"] == "classic"  # the original reading stays
    (review,) = entry.reviews
    assert (review.reviewer, review.agreement, review.entry_version) == ("dr_petrov", "partial", 1)
    assert review.revised_values == {"histological_variant": "tall_cell", "angioinvasion": "yes"}
    assert review.facility == "MF-2"


def test_review_values_are_validated(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "histology", {"histology_type": "papillary"}, user="dr_ivanova",
                          entry_date="2019-01-10")
    with pytest.raises(EntryRejected, match="histological_variant"):
        store.review_entry(ref.entry_id, reviewer="dr_petrov", review_date="2019-02-01", agreement="disagree",
                           revised_values={"histological_variant": "no-such-variant"})
    with pytest.raises(RuleViolation, match="needs revised values or a comment"):
        store.review_entry(ref.entry_id, reviewer="dr_petrov", review_date="2019-02-01", agreement="disagree")


def test_hard_range_rejects_with_a_precise_message(store: ClinicalStore, patient: str) -> None:
    field = store.dictionary.section("laboratory").field("tsh")
    assert field.hard_range is not None and field.hard_range.max is not None
    too_high = field.hard_range.max * 10
    with pytest.raises(EntryRejected) as caught:
        store.add_entry(patient, "laboratory", {"tsh": too_high}, user="dr_ivanova", entry_date="2020-01-15")
    (issue,) = caught.value.issues
    assert (issue.patient, issue.section, issue.field, issue.value, issue.rule) == (
        patient, "laboratory", "tsh", too_high, "hard_range")
    message = str(caught.value)
    for part in (patient, "laboratory", "tsh", repr(too_high), "hard_range"):
        assert part in message


def test_soft_range_is_stored_with_a_warning(store: ClinicalStore, patient: str) -> None:
    field = store.dictionary.section("laboratory").field("tsh")
    assert field.soft_range is not None and field.soft_range.max is not None
    odd = field.soft_range.max * 1.5
    assert field.hard_range is None or field.hard_range.contains(odd)
    ref = store.add_entry(patient, "laboratory", {"tsh": odd}, user="dr_ivanova", entry_date="2020-01-15")
    assert [w.rule for w in ref.warnings] == ["soft_range"]
    stored = read_card(store, patient, user="dr_ivanova").section("laboratory")[0].current
    assert stored.warnings[0]["field"] == "tsh"


def test_every_error_of_an_entry_is_reported(store: ClinicalStore, patient: str) -> None:
    with pytest.raises(EntryRejected) as caught:
        store.add_entry(patient, "radioiodine",
                        {"isotope": "I-999", "activity": {"value": 5, "unit": "kg"}, "colour": "red"},
                        user="dr_ivanova", entry_date="1960-01-01")
    rules = {(i.field, i.rule) for i in caught.value.issues}
    assert ("isotope", "domain") in rules
    assert ("activity", "unit") in rules
    assert ("colour", "unknown_field") in rules
    assert ("date", "before_birth") in rules  # the patient was born in 1970


def test_non_repeating_section_holds_one_entry(store: ClinicalStore, patient: str) -> None:
    with pytest.raises(RuleViolation, match="one entry per patient"):
        store.add_entry(patient, "demographics", {"surname": "X", "first_name": "Y", "birth_date": "1970-01-01",
                                                  "sex": "F"}, user="dr_ivanova")


def test_unknown_patient_and_entry(store: ClinicalStore) -> None:
    with pytest.raises(NotFound, match="TH-404"):
        store.add_entry("TH-404", "hormone_therapy", {"levothyroxine_dose": 100}, user="dr_ivanova",
                        entry_date="2020-01-01")
    with pytest.raises(NotFound, match="entry 999"):
        store.edit_entry(999, 1, {}, user="dr_ivanova", reason="x")


def test_source_identifier_belongs_to_one_patient(store: ClinicalStore, patient: str) -> None:
    with pytest.raises(RuleViolation, match="already taken"):
        store.create_patient("TH-000002", "C01", "dr_ivanova", {"EMR": "E-1001"})


def test_history_cannot_be_changed_or_deleted(store: ClinicalStore, patient: str) -> None:
    store.add_entry(patient, "hormone_therapy", {"levothyroxine_dose": 100}, user="dr_ivanova",
                    entry_date="2020-02-01")
    statements = [
        "UPDATE entry_version SET reason = 'x'",
        "DELETE FROM entry_version",
        "UPDATE audit_log SET action = 'read'",
        "DELETE FROM audit_log",
        "DELETE FROM entry",
        "DELETE FROM patient",
    ]
    for statement in statements:
        with pytest.raises((DBAPIError, IntegrityError), match="not allowed"), store.engine.begin() as c:
            c.execute(text(statement))


def test_every_read_and_write_is_audited_without_identifiers(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "hormone_therapy", {"levothyroxine_dose": 100}, user="dr_ivanova",
                          entry_date="2020-02-01")
    store.edit_entry(ref.entry_id, 1, {"levothyroxine_dose": 125}, user="dr_petrov", reason="x",
                     entry_date="2020-02-01")
    read_card(store, patient, user="dr_petrov")
    from oncobank.store import audit

    with store.session() as s:
        events = audit.trail(s, patient)
    actions = [(e["user"], e["action"]) for e in reversed(events)]
    assert actions == [("dr_ivanova", "create_patient"), ("dr_ivanova", "create"), ("dr_ivanova", "create"),
                       ("dr_petrov", "edit"), ("dr_petrov", "read")]
    dumped = repr(events)
    for identifying in ("Иванова", "Мария", "1970-05-20", "E-1001"):
        assert identifying not in dumped


@pytest.mark.parametrize(
    ("registry_id", "identifiers", "rule"),
    [
        ("TH-\x00", {"EMR": "E-1"}, "characters"),
        ("T" * 1_000_000, {"EMR": "E-1"}, "max_length"),
        ("TH-5", {"EMR": "E" * 1_000_000}, "max_length"),
        ("TH-5", {"EMR": "E-\x00"}, "characters"),
        ("TH-5", {"S" * 1000: "E-1"}, "max_length"),
        ("", {}, "required"),
    ],
    ids=["nul-id", "1mb-id", "1mb-identifier", "nul-identifier", "long-system", "empty-id"],
)
def test_ids_the_database_cannot_hold_are_refused_alike_on_both_backends(
    store: ClinicalStore, registry_id: str, identifiers: dict[str, str], rule: str
) -> None:
    with pytest.raises(RuleViolation, match=rf"\[rule: {rule}\]") as caught:
        store.create_patient(registry_id, "C01", "dr_ivanova", identifiers)
    assert len(str(caught.value)) < 300
    assert "E" * 100 not in str(caught.value)  # an identifier's value is never shown


def test_a_centre_code_longer_than_its_column_is_refused(store: ClinicalStore) -> None:
    with pytest.raises(RuleViolation, match="max_length"):
        store.ensure_centre("C" * 1000)
    with pytest.raises(RuleViolation, match="characters"):
        store.ensure_centre("C\x0002")


def test_an_edit_of_one_lab_value_keeps_its_reference_range(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "laboratory",
                          {"tsh": {"value": 2.1, "unit": "uIU/mL", "ref_low": 0.4, "ref_high": 4.0},
                           "free_t4": {"value": 1.2, "unit": "ng/dL", "ref_low": 0.8, "ref_high": 1.8}},
                          user="dr_ivanova", entry_date="2020-01-15")
    card = read_card(store, patient, user="dr_ivanova")
    base = card.section("laboratory")[0].versions[0]
    from oncobank.store.models import EntryVersion

    version = EntryVersion(values=base.values, entered=base.entered, reference_ranges=base.reference_ranges)
    changes = {"tsh": "3.1", "free_t4": {"value": 15.0, "unit": "pmol/L"}}
    store.edit_entry(ref.entry_id, 1, store.edited_input("laboratory", version, changes), user="dr_ivanova",
                     reason="re-read", entry_date="2020-01-15")
    current = read_card(store, patient, user="dr_ivanova").section("laboratory")[0].current
    assert current.values["tsh"] == 3.1
    assert current.reference_ranges["tsh"] == pytest.approx([0.4, 4.0])
    assert current.reference_ranges["free_t4"] == pytest.approx([0.8 * 12.872, 1.8 * 12.872], rel=1e-3)
    cleared = store.edited_input("laboratory", version, {"tsh": {"value": 3.1, "ref_low": None, "ref_high": None}})
    assert cleared["tsh"] == {"value": 3.1, "ref_low": None, "ref_high": None}  # a range given is the range


@pytest.mark.parametrize(("when", "rule"), [("2099-01-01", "future_date"), ("1800-01-01", "earliest"),
                                             ("1969-01-01", "before_birth"), ("2019-01-09", "before_entry"),
                                             ("01.02.2019", "type")])
def test_a_review_date_is_checked_like_an_entry_date(store: ClinicalStore, patient: str, when: str, rule: str) -> None:
    ref = store.add_entry(patient, "histology", {"histology_type": "papillary"}, user="dr_ivanova",
                          entry_date="2019-01-10")
    with pytest.raises(EntryRejected) as caught:
        store.review_entry(ref.entry_id, reviewer="dr_petrov", review_date=when, agreement="agree")
    assert [(i.field, i.rule) for i in caught.value.issues] == [("review_date", rule)]


def test_a_review_facility_and_comment_are_checked(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "histology", {"histology_type": "papillary"}, user="dr_ivanova",
                          entry_date="2019-01-10")
    with pytest.raises(EntryRejected, match="max_length"):
        store.review_entry(ref.entry_id, reviewer="dr_petrov", review_date="2019-02-01", agreement="agree",
                           facility="F" * 1000)
    with pytest.raises(RuleViolation, match="characters"):
        store.review_entry(ref.entry_id, reviewer="dr_petrov", review_date="2019-02-01", agreement="disagree",
                           comment="a\x00b")


def test_a_retracted_entry_is_not_edited_back_but_reinstated_explicitly(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "hormone_therapy", {"levothyroxine_dose": 100}, user="dr_ivanova",
                          entry_date="2020-02-01")
    store.retract_entry(ref.entry_id, 1, user="dr_ivanova", reason="wrong patient")
    with pytest.raises(RuleViolation, match=r"is retracted .*oncobank entry reinstate"):
        store.edit_entry(ref.entry_id, 2, {"levothyroxine_dose": 125}, user="dr_ivanova", reason="x",
                         entry_date="2020-02-01")
    with pytest.raises(RuleViolation, match="needs a reason"):
        store.reinstate_entry(ref.entry_id, 2, user="dr_petrov", reason=" ")
    back = store.reinstate_entry(ref.entry_id, 2, user="dr_petrov", reason="it was the right patient")
    entry = read_card(store, patient, user="dr_ivanova").section("hormone_therapy")[0]
    assert back.version == 3 and not entry.retracted
    assert [v.status for v in entry.versions] == ["active", "retracted", "active"]
    assert entry.current.values == {"levothyroxine_dose": 100}
    assert entry.current.reason == "it was the right patient"
    with pytest.raises(RuleViolation, match="not retracted"):
        store.reinstate_entry(ref.entry_id, 3, user="dr_petrov", reason="again")
    from oncobank.store import audit

    with store.session() as s:
        newest = audit.trail(s, patient, 5)
    assert any(e["action"] == "reinstate" and e["user"] == "dr_petrov" for e in newest)


def test_a_one_entry_section_is_not_reinstated_beside_an_active_entry(store: ClinicalStore, patient: str) -> None:
    card = read_card(store, patient, user="dr_ivanova")
    demographics = card.section("demographics")[0]
    store.retract_entry(demographics.entry_id, 1, user="dr_ivanova", reason="typed twice")
    store.add_entry(patient, "demographics", {"surname": "Иванова", "first_name": "Мария", "birth_date": "1970-05-20",
                                              "sex": "F"}, user="dr_ivanova")
    with pytest.raises(RuleViolation, match="one entry per patient"):
        store.reinstate_entry(demographics.entry_id, 2, user="dr_ivanova", reason="x")


def test_a_reason_the_store_cannot_keep_is_refused(store: ClinicalStore, patient: str) -> None:
    ref = store.add_entry(patient, "hormone_therapy", {"levothyroxine_dose": 100}, user="dr_ivanova",
                          entry_date="2020-02-01")
    with pytest.raises(RuleViolation, match=r"reason: .*U\+0000"):
        store.edit_entry(ref.entry_id, 1, {"levothyroxine_dose": 125}, user="dr_ivanova", reason="typo\x00",
                         entry_date="2020-02-01")
