"""Orchestrates the synthetic hospital: population, per-patient courses, and every output, streamed."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from oncobank.synth import exports
from oncobank.synth.csvout import CsvSink, Dialect
from oncobank.synth.hl7out import Hl7Batches, message
from oncobank.synth.model import SourceRecord, SynthPatient
from oncobank.synth.pdf import PdfPool
from oncobank.synth.people import Identity, as_recorded, linkage_truth, new_identity, plant_noise, plant_relatives
from oncobank.synth.registry import RegistryWriter, TruthWriter, dump_json
from oncobank.synth.reports import ReportWriter, TruthLog
from oncobank.synth.rng import stream

FORMATS = frozenset({"registry", "emr", "lis", "hl7", "pacs", "reports", "pdf"})
GROUPS = {"exports": FORMATS - {"registry"}, "all": FORMATS}
SYSTEMS = ["EMR", "LIS", "PACS", "PATH"]  # the first is the hospital's master patient index
ID_FORMATS = {"EMR": ("", 100_000, 999_999), "LIS": ("L", 1_000_000, 9_999_999),
              "PACS": ("RD", 1_000_000, 9_999_999), "PATH": ("G", 100_000, 999_999)}


@dataclass
class SynthSummary:
    """What a run produced: counts, the RAIR summary and where the files are."""

    patients: int
    seed: int
    out: Path
    formats: list[str]
    files: dict[str, list[Path]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    rair: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ground_truth(self) -> Path:
        return self.out / "ground_truth.json"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (paths as strings) for `oncobank synth --json`."""
        return {
            "patients": self.patients, "seed": self.seed, "out": str(self.out), "formats": self.formats,
            "files": {k: [str(p) for p in v] for k, v in self.files.items()}, "counts": self.counts,
            "rair": self.rair, "seconds": self.seconds,
        }


def expand_formats(formats: set[str] | None) -> set[str]:
    """Format names plus the groups `exports` and `all`; None means everything."""
    if not formats:
        return set(FORMATS)
    chosen: set[str] = set()
    for name in formats:
        if name in GROUPS:
            chosen |= GROUPS[name]
        elif name in FORMATS:
            chosen.add(name)
        else:
            known = ", ".join(sorted(FORMATS | set(GROUPS)))
            raise ValueError(f"unknown output format {name!r}; known: {known}")
    return chosen


def generate(
    patients: int,
    seed: int,
    out: Path,
    *,
    rair_shares: dict[str, float] | None = None,
    formats: set[str] | None = None,
    progress: bool = True,
) -> SynthSummary:
    """Generate a synthetic thyroid-cancer hospital of `patients` patients into `out` (same seed, same bytes)."""
    from oncobank.diseases.thyroid.synth_simulator import ThyroidSimulator

    if patients < 1:
        raise ValueError("the number of patients must be at least 1")
    started = time.perf_counter()
    chosen = expand_formats(formats)
    simulator = ThyroidSimulator(rair_shares)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    population = stream(seed, "population")
    plans = simulator.plan(patients, population)
    people = [new_identity(p.sex, p.birth_date, population) for p in plans]
    shares = simulator.identity_noise()
    people, pairs = plant_relatives(people, population, shares["twins"], shares["namesakes"])
    for plan, person in zip(plans, people, strict=True):
        plan.birth_date = person.birth_date
    related = {i for pair in pairs["twins"] + pairs["namesakes"] for i in pair}
    noise = plant_noise(people, population, shares, SYSTEMS, exclude=related)
    ids = {s: _ids(prefix, low, high, patients, population) for s, (prefix, low, high) in ID_FORMATS.items()}
    pairs["namesakes"] = _all_namesakes(people)

    settings = {"generator": "oncobank.synth", "module": simulator.module, "patients": patients, "seed": seed,
                "formats": sorted(chosen), "systems": SYSTEMS, "profile": simulator.settings()}
    summary = SynthSummary(patients, seed, out, sorted(chosen))
    outputs = _Outputs(out, chosen, seed, simulator.centres(), pdf_workers=min(4, os.cpu_count() or 1))
    truth = TruthWriter(out / "ground_truth.json", settings)
    compact: list[dict[str, Any]] = []
    noise_counts: Counter[str] = Counter()

    columns = [TextColumn("[bold]synth"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn()]
    with Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("patients", total=patients)
        for plan, person in zip(plans, people, strict=True):
            i = plan.index
            patient = simulator.simulate(plan, person, stream(seed, "course", i))
            patient.sources = {s: SourceRecord(s, ids[s][i], as_recorded(person, noise.get(i), s)) for s in SYSTEMS}
            outputs.add(patient, i, simulator)
            facts = dict(patient.truth)
            facts["identifiers"] = {s: ids[s][i] for s in SYSTEMS}
            facts["identity_noise"] = [noise[i].to_dict()] if i in noise else []
            if i in noise:
                noise_counts[noise[i].kind] += 1
            truth.add(patient.patient_id, facts)
            compact.append({k: patient.truth[k] for k in ("criteria", "rair", "rr_date", "scenario")})
            bar.advance(task)

    summary.rair = simulator.summary(compact)
    summary.counts = outputs.close()
    summary.files = outputs.files
    patient_ids = [p.patient_id for p in plans]
    linkage = linkage_truth(pairs, patient_ids)
    truth.close({
        "summary": {**summary.rair, "identity_noise": dict(sorted(noise_counts.items())),
                    "twins": len(linkage["twins"]), "namesakes": len(linkage["namesakes"]),
                    "outputs": summary.counts},
        "linkage": linkage,
    })
    summary.files["ground_truth"] = [out / "ground_truth.json"]
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def _ids(prefix: str, low: int, high: int, n: int, rng: random.Random) -> list[str]:
    return [f"{prefix}{x}" for x in rng.sample(range(low, high), n)]


def _all_namesakes(people: list[Identity]) -> list[list[int]]:
    """Every pair sharing a full name with different birth dates (planted or by chance)."""
    groups: dict[tuple[str, str, str | None], list[int]] = {}
    for i, p in enumerate(people):
        groups.setdefault((p.surname, p.first_name, p.patronymic), []).append(i)
    pairs = []
    for members in groups.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                i, j = members[a], members[b]
                if people[i].birth_date != people[j].birth_date:
                    pairs.append([i, j])
    return sorted(pairs)


class _Outputs:
    """The open writers of one run; each export draws from its own random stream per patient."""

    def __init__(self, out: Path, chosen: set[str], seed: int, centres: list[dict[str, str]], pdf_workers: int):
        self.out = out
        self.root = out / "exports"
        self.chosen = chosen
        self.seed = seed
        self.institution = centres[0]["name"].split(" / ")[0]
        self.files: dict[str, list[Path]] = {}
        self.registry = RegistryWriter(out / "registry", {"module": "thyroid", "seed": seed, "centres": centres}) \
            if "registry" in chosen else None
        self.sinks: dict[str, CsvSink] = {}
        if "emr" in chosen:
            self.sinks["emr_patients"] = exports.emr_patients(self.root)
            self.sinks["emr_admissions"] = exports.emr_admissions(self.root)
        if "lis" in chosen:
            self.sinks["lis_results"] = exports.lis_results(self.root)
        if "pacs" in chosen:
            self.sinks["pacs_studies"] = exports.pacs_studies(self.root)
        self.hl7 = Hl7Batches(self.root / "lis" / "hl7") if "hl7" in chosen else None
        self.reports = ReportWriter(self.root) if "reports" in chosen else None
        self.truth = TruthLog(out / "report_truth.jsonl") if chosen & {"reports", "pdf"} else None
        self.pdf: PdfPool | None = None
        self.pdf_index: CsvSink | None = None
        if "pdf" in chosen:
            self.pdf_index = CsvSink(self.root / "discharge" / "index.csv", [
                ("file", "file"), ("admission_id", "admission_id"), ("patient_id", "patient_id"),
                ("date", "discharge_date"), ("sha256", "sha256")], Dialect(encoding="utf-8"), system="EMR")
            index = self.pdf_index
            # A fixed creation date derived from the seed keeps PDFs byte-identical between runs.
            created = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=seed % 500_000)
            self.pdf = PdfPool(created, pdf_workers, lambda row, digest: index.write({**row, "sha256": digest}))
        self.counts: Counter[str] = Counter()

    def rng(self, name: str, index: int) -> random.Random:
        return stream(self.seed, name, index)

    def add(self, patient: SynthPatient, i: int, simulator: Any) -> None:
        self.counts["entries"] += len(patient.entries)
        if self.registry:
            self.registry.add(patient)
        if "emr_patients" in self.sinks:
            exports.emr_rows(patient, self.sinks, self.rng("emr", i))
        self._lab(patient, i)
        if "pacs_studies" in self.sinks:
            exports.pacs_rows(self.sinks["pacs_studies"], patient, self.institution)
        if self.reports:
            rng = self.rng("reports", i)
            for report in [*patient.reports, *(s.report for s in patient.studies if s.report is not None)]:
                text = simulator.render_report(report, simulator.report_language(rng), rng)
                self.reports.add(report, text, patient.sources[report.system], rng)
                if self.truth:
                    self.truth.add(f"exports/reports/{report.kind}/{report.report_id}.txt", report.kind, text)
        if self.pdf and self.pdf_index:
            rng = self.rng("pdf", i)
            emr = patient.sources["EMR"]
            for admission in patient.admissions:
                if admission.discharge_facts is None:
                    continue
                text = simulator.render_discharge(admission, emr.identity, emr.patient_id, rng)
                path = self.root / "discharge" / f"{admission.admission_id}.pdf"
                if self.truth:
                    self.truth.add(f"exports/discharge/{path.name}", "discharge", text)
                self.pdf.submit(path, text, self.institution, {
                    "file": path.name, "admission_id": admission.admission_id, "patient_id": emr.patient_id,
                    "date": admission.discharged})

    def _lab(self, patient: SynthPatient, i: int) -> None:
        csv_sink = self.sinks.get("lis_results")
        if csv_sink is None and self.hl7 is None:
            return
        route = self.rng("lis-routing", i)
        rows = self.rng("lis", i)
        hl7 = self.rng("hl7", i)
        for order in patient.lab_orders:
            to_csv, to_hl7 = exports.lis_routing(order, route)
            self.counts["lab_orders"] += 1
            self.counts["lab_orders_in_both"] += to_csv and to_hl7
            if to_csv and csv_sink is not None:
                exports.lis_rows(csv_sink, patient, order, rows)
            if to_hl7 and self.hl7 is not None:
                self.hl7.add(message(patient, order, hl7))

    def close(self) -> dict[str, int]:
        described: list[dict[str, Any]] = []
        if self.registry:
            self.registry.close()
            self.files["registry"] = [self.registry.manifest_path, self.registry.patients_path]
        for name, sink in self.sinks.items():
            sink.close()
            self.counts[f"{name}_rows"] = sink.rows
            self.files.setdefault(name.split("_")[0], []).append(sink.path)
            described.append(sink.describe(self.out))
        if self.hl7:
            self.hl7.close()
            self.counts["hl7_messages"] = self.hl7.messages
            self.files["hl7"] = list(self.hl7.files)
            described.append(self.hl7.describe(self.out))
        if self.reports:
            self.reports.close()
            self.counts["reports"] = sum(self.reports.count.values())
            self.counts["reports_en"] = self.reports.count["en"]
            self.files["reports"] = [self.reports.index.path]
            described.append(self.reports.describe())
        if self.truth:
            self.truth.close()
            self.files["report_truth"] = [self.truth.path]
        if self.pdf and self.pdf_index:
            self.pdf.close()
            self.pdf_index.close()
            self.counts["pdfs"] = self.pdf.count
            self.files["pdf"] = [self.pdf_index.path]
            described.append({**self.pdf_index.describe(self.out), "documents": "pdf"})
        if described:
            manifest = self.root / "sources.json"
            dump_json(manifest, {"hospital": self.institution, "systems": SYSTEMS, "files": described})
            self.files["sources"] = [manifest]
        return dict(self.counts)
