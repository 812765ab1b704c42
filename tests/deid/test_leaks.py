"""The leak scan: it finds a seeded identifier in every form it may take in a cell, and nothing in scrubbed text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from oncobank.deid.leaks import scan_table
from oncobank.deid.scrub import scrub_text
from oncobank.deid.seeded import SeededIdentifier, SeededRegistry, seed_registry

NAME = SeededIdentifier("P1", "NAME", "names", "Иванова Анна Петровна")
SURNAME = SeededIdentifier("P1", "NAME", "names", "Щукина")
SNILS = SeededIdentifier("P1", "SNILS", "snils", "112-233-445 95")
BIRTH = SeededIdentifier("P1", "DATE", "dates", "1965-03-14")
SEEDED = [NAME, SURNAME, SNILS, BIRTH]


def _forms(cells: list[object]) -> list[tuple[str, str]]:
    table = pa.table({"pseudonym": [f"x{i}" for i in range(len(cells))], "value": cells})
    return [(f.identifier.value, f.form) for f in scan_table("t", table, SEEDED) if f.column == "value"]


@pytest.mark.parametrize(("cell", "found"), [
    ("пациентка Иванова Анна Петровна", ("Иванова Анна Петровна", "exact")),
    ("ИВАНОВА АННА ПЕТРОВНА", ("Иванова Анна Петровна", "casefold")),
    ("ИвановаАннаПетровна", ("Иванова Анна Петровна", "compact")),
    ("Ivanova Anna Petrovna", ("Иванова Анна Петровна", "skeleton")),
    ("IVANOVA ANNA PETROVNA", ("Иванова Анна Петровна", "skeleton")),
    ("signed: SHCHUKINA", ("Щукина", "skeleton")),
    ("signed: Schukina", ("Щукина", "skeleton")),
    ("СНИЛС 11223344595", ("112-233-445 95", "digits")),
    ("СНИЛС 112-23344595", ("112-233-445 95", "digits")),
    ("родилась 14.03.1965", ("1965-03-14", "date")),
    ("born 14 March 1965", ("1965-03-14", "date")),
    ("DOB 03/14/1965", ("1965-03-14", "date")),
])
def test_each_form_is_found(cell: str, found: tuple[str, str]) -> None:
    assert _forms([cell]) == [found]


def test_a_birth_date_in_a_date_column_and_a_number_column() -> None:
    table = pa.table({"pseudonym": ["a", "b"], "born": [date(1965, 3, 14), date(1965, 3, 15)],
                      "snils": [11223344595, 1]})
    found = sorted((f.column, f.row, f.form) for f in scan_table("patient", table, SEEDED))
    assert found == [("born", "a", "date"), ("snils", "a", "digits")]


@pytest.mark.parametrize("cell", [
    "Щукинская улица",  # another word that begins alike
    "[ДАТА+сдвиг 14.03.1965]",  # a shifted date that falls on the seeded day is not that day leaking
    "Tg 112 нг/мл, 233 мм, 445 МБк, 95 %",  # the digits apart, in separate measurements
    "Анна",  # one word of a seeded phrase is not the phrase
])
def test_near_misses_are_not_findings(cell: str) -> None:
    assert _forms([cell]) == []


def test_pandas_frames_and_list_cells() -> None:
    frame = pd.DataFrame({"pseudonym": ["a"], "sites": [["лёгкие", "ЩУКИНА"]]})
    assert [(f.row, f.column, f.form) for f in scan_table("t", frame, SEEDED)] == [("a", "sites", "casefold")]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededRegistry:
    return seed_registry(tmp_path_factory.mktemp("seeded"), patients=8, seed=5)


def test_every_seeded_identifier_is_found_in_the_raw_texts(seeded: SeededRegistry) -> None:
    table = pa.table({"text": [t.text for t in seeded.texts]})
    found = {(f.identifier.patient, f.identifier.value) for f in scan_table("raw", table, seeded.identifiers)}
    in_texts = [i for i in seeded.identifiers if any(i.value in t.text for t in seeded.texts)]
    assert in_texts and all((i.patient, i.value) in found for i in in_texts)


def test_nothing_is_found_in_the_scrubbed_texts(seeded: SeededRegistry) -> None:
    table = pa.table({"text": [scrub_text(t.text, shift_days=40, known=t.known).text for t in seeded.texts]})
    assert scan_table("scrubbed", table, seeded.identifiers) == []


def test_the_seeded_lists_are_written_beside_the_registry(tmp_path: Path) -> None:
    from oncobank.deid.seeded import read_seeded

    written = seed_registry(tmp_path, patients=2, seed=9)
    read = read_seeded(tmp_path)
    assert read.identifiers == written.identifiers
    assert [(t.text, t.spans, t.known) for t in read.texts] == [(t.text, t.spans, t.known) for t in written.texts]
