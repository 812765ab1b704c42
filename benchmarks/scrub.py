"""Benchmark of the text scrubber: recall and precision per category, and throughput.

Run `python benchmarks/scrub.py` (defaults: 50 seeded patients, 200 synthetic-hospital patients). Two corpora:

- the seeded registry's texts (`oncobank.deid.seeded`): every identifier category, names in six cases, initials,
  upper case and Latin, between clinical sentences; scored against the gold spans with the patient's own values
  given (`known`), as the publish gives them;
- the synthetic hospital's report files (`oncobank.synth`): real-looking pathology, cytology, ultrasound, CT,
  scintigraphy and PET/CT reports whose header names the patient, the birth date or year, a source ID and the
  exam date, and whose title may carry an accession number. Gold: those header values and the accession number;
  everything else in a report is clinical text, so any other replacement is a false positive. Scored twice: with
  the patient's name and ID as `known`, and with nothing known (the rules and natasha alone).

It prints the tables and writes the "## Text scrubbing" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from oncobank.deid.recall import Score, score_texts
from oncobank.deid.scrub import CATEGORIES, scrub_text
from oncobank.deid.seeded import SeededText, seed_registry
from oncobank.synth import generate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_section

_HEADER = re.compile(r"^(?P<label>[^:\n]+): (?P<value>.+)$", re.MULTILINE)
_NAME_LABELS = {"Пациент", "Ф.И.О.", "ФИО пациента", "Patient", "Name"}
_ID_LABELS = {"ИД", "№ пациента", "Код", "MRN", "Patient ID"}
_DATE_LABELS = {"Дата рождения", "Д.р.", "Дата", "Дата исследования", "DOB", "Date of birth", "Date", "Exam date"}
_ACCESSION = re.compile(r"(?:№ |#)(?P<n>\S+)$", re.MULTILINE)


def report_texts(folder: Path, with_known: bool) -> list[SeededText]:
    """The synthetic hospital's reports with gold spans from their headers and titles."""
    texts = []
    for path in sorted((folder / "exports" / "reports").rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        head = text.split("\n\n", 2)
        spans: list[tuple[int, int, str, str]] = []
        known: list[str] = []
        first_line = head[0]
        accession = _ACCESSION.search(first_line)
        if accession:
            spans.append((accession.start("n"), accession.end("n"), "ID", "accession"))
        offset = len(head[0]) + 2
        for m in _HEADER.finditer(head[1] if len(head) > 1 else ""):
            label, value = m.group("label"), m.group("value")
            start, end = offset + m.start("value"), offset + m.end("value")
            if label in _NAME_LABELS:
                spans.append((start, end, "NAME", "names"))
                known.extend(value.split())
            elif label in _ID_LABELS:
                spans.append((start, end, "ID", "medical_record_number"))
                known.append(value)
            elif label in _DATE_LABELS and not re.fullmatch(r"\d{4}", value):  # a birth year is no identifier
                spans.append((start, end, "DATE", "dates"))
        language = "ru" if re.search("[А-Яа-я]", text) else "en"
        texts.append(SeededText(path.stem, path.parent.name, "report", language, text, spans,
                                tuple(known) if with_known else ()))
    return texts


def throughput(texts: Sequence[SeededText]) -> str:
    """Texts and thousand characters scrubbed per second of wall time and per second of this process's CPU time
    (the machine is shared: the CPU figure is what one free core would do)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for t in texts:
        scrub_text(t.text, shift_days=11, known=t.known)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    chars = sum(len(t.text) for t in texts) / 1000
    return (f"{len(texts) / wall:.0f} texts/s ({chars / wall:.0f} thousand characters/s) of wall time, "
            f"{len(texts) / cpu:.0f} texts/s ({chars / cpu:.0f} thousand characters/s) of CPU time")


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def score_table(scores: dict[str, Score]) -> str:
    rows = ["| category | seeded | removed | recall | typed right | replaced | on an identifier | precision |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for category in CATEGORIES:
        s = scores.get(category)
        if s is None:
            continue
        rows.append(f"| {category} | {s.gold} | {s.found} | {_share(s.recall)} | {s.typed} | {s.replaced} | "
                    f"{s.correct} | {_share(s.precision)} |")
    total = Score(gold=sum(s.gold for s in scores.values()), found=sum(s.found for s in scores.values()),
                  typed=sum(s.typed for s in scores.values()), replaced=sum(s.replaced for s in scores.values()),
                  correct=sum(s.correct for s in scores.values()))
    rows.append(f"| all | {total.gold} | {total.found} | {_share(total.recall)} | {total.typed} | {total.replaced} | "
                f"{total.correct} | {_share(total.precision)} |")
    return "\n".join(rows)


def _spurious(scores: dict[str, Score], most: int = 8) -> str:
    found = [f"{c}: “{v}”" for c, s in scores.items() for v in s.spurious]
    return "; ".join(sorted(set(found))[:most]) or "none"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeded", type=int, default=50, help="seeded patients")
    parser.add_argument("--hospital", type=int, default=200, help="synthetic-hospital patients")
    args = parser.parse_args(argv)
    scrub_text("Пациент Иванов Иван Иванович.")  # load pymorphy3 and natasha once, outside the timings
    with tempfile.TemporaryDirectory() as work:
        seeded = seed_registry(Path(work) / "seeded", patients=args.seeded, seed=2026).texts
        generate(args.hospital, 2026, Path(work) / "hospital", formats={"reports"}, progress=False)
        reports = report_texts(Path(work) / "hospital", with_known=True)
        blind = report_texts(Path(work) / "hospital", with_known=False)
        seeded_speed = throughput(seeded)
        report_speed = throughput(reports)
        seeded_scores = score_texts(seeded)
        report_scores = score_texts(reports)
        blind_scores = score_texts(blind)
    chars = sum(len(t.text) for t in seeded) / len(seeded)
    report_chars = sum(len(t.text) for t in reports) / len(reports)
    body = f"""
`python benchmarks/scrub.py --seeded {args.seeded} --hospital {args.hospital}`; dates shifted, the patient's own
values given as the publish gives them. Recall counts an identifier removed when every character of it is replaced
(by any category); "typed right" counts those replaced under their own category; precision is the share of
replacements that touch an identifier.

**Seeded texts** ({len(seeded)} texts of {args.seeded} patients, {chars:.0f} characters on average):

{score_table(seeded_scores)}

Replacements on no identifier: {_spurious(seeded_scores)}.

**Synthetic-hospital reports** ({len(reports)} reports of {args.hospital} patients, {report_chars:.0f} characters on
average), with the patient's name and ID known:

{score_table(report_scores)}

Replacements on no identifier: {_spurious(report_scores)}.

The same reports with **nothing known** (rules and natasha alone):

{score_table(blind_scores)}

Missed with nothing known: {"; ".join(sorted({f"{c}: “{v}”" for c, s in blind_scores.items()
                                               for v in s.missed})[:8]) or "none"}.

**Throughput** (one process, models loaded; load average {os.getloadavg()[0]:.1f} at the end on
{os.cpu_count()} cores): seeded texts {seeded_speed}; reports {report_speed}.
"""
    print(body)
    write_section("Text scrubbing", body)


if __name__ == "__main__":
    main()
