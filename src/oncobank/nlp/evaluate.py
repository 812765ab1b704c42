"""Field-level precision, recall and F1 of the extractor against gold facts, overall, per field and per report type."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oncobank.ingest.documents import extract_text
from oncobank.nlp.extract import Extractor


@dataclass(frozen=True)
class GoldReport:
    name: str  # file or corpus entry, for the error list
    text: str
    kind: str
    facts: dict[str, Any]  # field -> value (a list for a list field)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class Evaluation:
    reports: int = 0
    overall: Score = field(default_factory=Score)
    by_field: dict[str, Score] = field(default_factory=dict)
    by_kind: dict[str, Score] = field(default_factory=dict)
    misclassified: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # first mismatches, to read

    def as_dict(self) -> dict[str, Any]:
        return {"reports": self.reports, **self.overall.as_dict(), "misclassified": self.misclassified,
                "fields": {k: v.as_dict() for k, v in sorted(self.by_field.items())},
                "kinds": {k: v.as_dict() for k, v in sorted(self.by_kind.items())}, "errors": self.errors[:50]}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= 0.005 * max(1.0, abs(float(b)))
    return str(a) == str(b)


def _pairs(values: dict[str, Any]) -> list[tuple[str, Any]]:
    out = []
    for name, value in values.items():
        for v in value if isinstance(value, list) else [value]:
            out.append((name, v))
    return out


def score(extractor: Extractor, reports: Iterable[GoldReport]) -> Evaluation:
    """Each (field, value) the gold states and the extractor finds is a true positive; values compared exactly
    (numbers within 0.5 %), list fields element by element."""
    ev = Evaluation()
    for report in reports:
        ev.reports += 1
        result = extractor.extract(report.text)
        if result.kind != report.kind:
            ev.misclassified += 1
        predicted = _pairs({f: v for (_, f), v in result.values().items()})
        gold = _pairs(report.facts)
        unmatched = list(predicted)
        kind_score = ev.by_kind.setdefault(report.kind, Score())
        for name, value in gold:
            hit = next((p for p in unmatched if p[0] == name and _same(p[1], value)), None)
            s = ev.by_field.setdefault(name, Score())
            if hit:
                unmatched.remove(hit)
                s.tp += 1
                kind_score.tp += 1
                ev.overall.tp += 1
            else:
                s.fn += 1
                kind_score.fn += 1
                ev.overall.fn += 1
                found = [p[1] for p in predicted if p[0] == name]
                ev.errors.append({"report": report.name, "field": name, "gold": value, "found": found})
        gold_fields = {n for n, _ in gold}
        for name, _value in unmatched:
            # a field the gold does not state is not scored; a wrong or extra value of a stated field is
            if name in gold_fields:
                ev.by_field.setdefault(name, Score()).fp += 1
                kind_score.fp += 1
                ev.overall.fp += 1
    return ev


def synthetic_corpus(folder: Path) -> Iterator[GoldReport]:
    """A synthetic hospital folder: report_truth.jsonl names each report or discharge PDF with the facts it states."""
    truth = folder / "report_truth.jsonl"
    with truth.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, start=1):
            item = json.loads(line)
            path = folder / item["file"]
            if not path.is_file():
                raise ValueError(f"{truth.name} line {n}: file {item['file']!r} is missing")
            yield GoldReport(item["file"], extract_text(path.read_bytes()), item["kind"], item["facts"])


def hand_corpus(path: Path) -> Iterator[GoldReport]:
    """A YAML list of {id, kind, text, facts} written by hand (one file or a folder of them)."""
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    for file in files:
        items = yaml.safe_load(file.read_text(encoding="utf-8")) or []
        for n, item in enumerate(items, start=1):
            if not isinstance(item, dict) or not {"kind", "text", "facts"} <= item.keys():
                raise ValueError(f"{file.name} item {n}: needs kind, text and facts")
            yield GoldReport(f"{file.name}:{item.get('id', n)}", item["text"], item["kind"], item["facts"] or {})


def corpus(path: Path) -> Iterator[GoldReport]:
    if path.is_dir() and (path / "report_truth.jsonl").is_file():
        return synthetic_corpus(path)
    if path.exists():
        return hand_corpus(path)
    raise ValueError(f"corpus {path.name!r} does not exist")
