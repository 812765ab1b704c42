"""Free-text reports as the reporting systems hand them over: one .txt per report plus an index."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from oncobank.synth.csvout import CsvSink, Dialect
from oncobank.synth.model import Report, SourceRecord, Text

INDEX_DIALECT = Dialect(encoding="utf-8", delimiter=";", decimal=",", date_format="%d.%m.%Y")
HEADERS = {
    "ru": [("Пациент", "Дата рождения", "ИД", "Дата"), ("Ф.И.О.", "Д.р.", "№ пациента", "Дата исследования"),
           ("ФИО пациента", "Год рождения", "Код", "Дата")],
    "en": [("Patient", "DOB", "MRN", "Date"), ("Name", "Date of birth", "Patient ID", "Exam date")],
}


class TruthLog:
    """report_truth.jsonl beside ground_truth.json: per document, the facts its wording states (structuring's gold)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8")

    def add(self, file: str, kind: str, text: Text) -> None:
        self._file.write(json.dumps({"file": file, "kind": kind, "language": text.language, "facts": text.stated},
                                    ensure_ascii=False, sort_keys=True) + "\n")

    def close(self) -> None:
        self._file.close()


class ReportWriter:
    def __init__(self, root: Path):
        self.root = root
        self.folder = root / "reports"
        self.count = {"ru": 0, "en": 0}
        self.index = CsvSink(self.folder / "index.csv", [
            ("report_id", "report_id"), ("file", "file"), ("kind", "kind"), ("language", "language"),
            ("date", "date"), ("system", "system"), ("patient_id", "patient_id"), ("accession", "accession"),
        ], INDEX_DIALECT, system="reports")

    def add(self, report: Report, text: Text, source: SourceRecord, rng: random.Random) -> None:
        person = source.identity
        labels = rng.choice(HEADERS[text.language])
        birth = (str(person.birth_date.year) if labels[1] == "Год рождения" else
                 person.birth_date.strftime("%d.%m.%Y" if text.language == "ru" else rng.choice(("%d.%m.%Y",
                                                                                                  "%Y-%m-%d"))))
        day = report.day.strftime("%d.%m.%Y" if text.language == "ru" else "%Y-%m-%d")
        lines = [text.title, "",
                 f"{labels[0]}: {person.full_name()}", f"{labels[1]}: {birth}",
                 f"{labels[2]}: {source.patient_id}", f"{labels[3]}: {day}", ""]
        for heading, body in text.paragraphs:
            lines.extend([f"{heading}:", body, ""] if rng.random() < 0.5 else [f"{heading}: {body}", ""])
        path = self.folder / report.kind / f"{report.report_id}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
        self.count[text.language] += 1
        self.index.write({"report_id": report.report_id, "file": path.relative_to(self.folder).as_posix(),
                          "kind": report.kind, "language": text.language, "date": report.day,
                          "system": source.system, "patient_id": source.patient_id, "accession": report.accession})

    def close(self) -> None:
        self.index.close()

    def describe(self) -> dict[str, Any]:
        return {**self.index.describe(self.root), "texts": dict(self.count), "text_encoding": "utf-8"}
