"""Plain records a disease simulator hands to the writers: entries, admissions, lab orders, studies, documents."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from oncobank.synth.people import Identity


@dataclass
class SourceRecord:
    """How one source system knows the patient: its own ID and the identity as it was typed there."""

    system: str
    patient_id: str
    identity: Identity


@dataclass
class LabResult:
    analyte: str  # a field name of the laboratory section (tsh, tg, creatinine, ...)
    value: float  # in the analyte's canonical unit
    below_detection: bool = False  # the lab reports "<limit" instead of a number


@dataclass
class LabOrder:
    order_id: str
    taken: datetime
    lab: str  # code of the performing laboratory (its units and reference ranges)
    results: list[LabResult]


@dataclass
class Study:
    """One imaging or nuclear-medicine examination as the PACS lists it."""

    accession: str
    uid: str
    when: datetime
    modality: str  # DICOM modality: US, CT, MR, PT, NM, CR
    description: str
    report: Report | None = None


@dataclass
class Report:
    """A free-text report; the disease module renders its wording from `facts`."""

    report_id: str
    kind: str  # pathology, cytology, ultrasound, ct, scintigraphy, pet_ct
    day: date
    system: str  # the source system whose identity and patient ID head the report
    facts: dict[str, Any]
    accession: str | None = None


@dataclass
class Admission:
    admission_id: str
    admitted: date
    discharged: date
    department: str
    icd10: str
    icd10_other: list[str]
    kind: str  # surgery, radioiodine, targeted_therapy, other
    planned: bool = True
    discharge_facts: dict[str, Any] | None = None  # set when a discharge summary (PDF) exists


@dataclass
class SynthPatient:
    """Everything generated for one patient: the canonical record and what the hospital's systems hold."""

    patient_id: str
    centre: str
    identity: Identity
    sources: dict[str, SourceRecord]
    entries: list[dict[str, Any]]
    admissions: list[Admission] = field(default_factory=list)
    lab_orders: list[LabOrder] = field(default_factory=list)
    studies: list[Study] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)  # reports not tied to a study (pathology, cytology)
    truth: dict[str, Any] = field(default_factory=dict)


@dataclass
class PatientPlan:
    """What the population plan fixes for a patient before the course is simulated."""

    index: int
    patient_id: str
    sex: str
    birth_date: date
    diagnosis_date: date
    attributes: dict[str, Any] = field(default_factory=dict)  # disease-specific (histology, RAIR target, ...)


@dataclass(frozen=True)
class Text:
    """A rendered document: a title and paragraphs (heading, body)."""

    title: str
    paragraphs: list[tuple[str, str]]
    language: str
    stated: dict[str, Any] = field(default_factory=dict)  # the facts the wording states: structuring's gold


class DiseaseSimulator(Protocol):
    """What a disease module provides to the synthetic hospital."""

    module: str

    def settings(self) -> dict[str, Any]: ...

    def centres(self) -> list[dict[str, str]]: ...

    def identity_noise(self) -> dict[str, float]: ...

    def report_language(self, rng: random.Random) -> str: ...

    def plan(self, patients: int, rng: random.Random) -> list[PatientPlan]: ...

    def simulate(self, plan: PatientPlan, identity: Identity, rng: random.Random) -> SynthPatient: ...

    def summary(self, truths: list[dict[str, Any]]) -> dict[str, Any]: ...

    def render_report(self, report: Report, language: str, rng: random.Random) -> Text: ...

    def render_discharge(self, admission: Admission, identity: Identity, emr_id: str, rng: random.Random) -> Text: ...
