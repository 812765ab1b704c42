"""A record sent twice in one run: word for word it is a repeat; with other content it is the record's next version."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from oncobank.ingest.mapping import load_mapping
from oncobank.ingest.pipeline import run_ingest
from oncobank.store.clinical import ClinicalStore
from oncobank.store.load import quarantined
from oncobank.store.models import Entry, EntryVersion

from .small_hospital import LABS_CSV


def _ingest(store: ClinicalStore, folder: Path):  # type: ignore[no-untyped-def]
    mapping = folder / "mapping.yaml"
    return run_ingest(store, folder, load_mapping(mapping, store.dictionary), mapping.read_text(encoding="utf-8"))


def _tsh_versions(store: ClinicalStore) -> list[list[float]]:
    """The TSH values of each laboratory entry's versions, in version order, entries by date."""
    with store.session() as s:
        rows = s.execute(select(Entry.id, EntryVersion.version, EntryVersion.values)
                         .join(EntryVersion, EntryVersion.entry_id == Entry.id)
                         .where(Entry.section == "laboratory").order_by(EntryVersion.entry_date, Entry.id,
                                                                        EntryVersion.version)).all()
    versions: dict[int, list[float]] = {}
    for entry_id, _, values in rows:
        versions.setdefault(entry_id, []).append(values["tsh"])
    return list(versions.values())


def test_an_identical_repeat_is_counted_once_and_quarantines_nothing(store: ClinicalStore,
                                                                    small_hospital: Path) -> None:
    repeat = LABS_CSV.splitlines()[1]  # L1;E1;R1 …, as an interface engine resends it
    (small_hospital / "labs.csv").write_text(LABS_CSV + repeat + "\n", encoding="utf-8")
    report = _ingest(store, small_hospital)
    assert report.balanced and report.quarantined == 0 and quarantined(store) == []
    assert report.rows_in == 8 and report.unchanged == 1  # 3 patients + 5 lab rows, one of them the repeat
    assert _tsh_versions(store) == [[2.8], [3.1], [1.2], [0.9]]


def test_a_correction_in_the_same_run_is_the_next_version(store: ClinicalStore, small_hospital: Path) -> None:
    correction = LABS_CSV.splitlines()[1].replace(";2,8;", ";2,6;")  # the result of R1 corrected
    (small_hospital / "labs.csv").write_text(LABS_CSV + correction + "\n", encoding="utf-8")
    report = _ingest(store, small_hospital)
    assert report.balanced and report.quarantined == 0
    assert _tsh_versions(store) == [[2.8, 2.6], [3.1], [1.2], [0.9]]
    again = _ingest(store, small_hospital)  # the same export again changes nothing
    assert again.balanced and again.loaded == 0 and again.quarantined == 0
    assert _tsh_versions(store) == [[2.8, 2.6], [3.1], [1.2], [0.9]]
