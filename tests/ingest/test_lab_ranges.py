"""Laboratory exports as hospitals send them: reference ranges in words or coded, and unquoted numeric local codes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from oncobank.ingest.mapping import load_mapping
from oncobank.ingest.pipeline import run_ingest
from oncobank.store.clinical import ClinicalStore
from oncobank.store.load import quarantined
from oncobank.store.models import Entry, EntryVersion

from .small_hospital import SMALL_MAPPING

# the LIS's own test number 3016 (not the LOINC 3016-3), unquoted in the mapping as people write it
LABS = ("Код;ИД;Заявка;Дата;Лаборатория;Тест;Результат;Ед;Норма\n"
        "L1;E1;R1;04.03.2019;ЦДЛ;3016;2,8;мМЕ/л;<9 mcg/dL: Acceptable background, >=9 mcg/dL: see comment\n"
        "L1;E1;R2;05.03.2019;ЦДЛ;3016;3,1;мМЕ/л;0,4 - 4,0\n"
        "L2;E2;R3;06.03.2019;ЦДЛ;3016;1,2;мМЕ/л;^^10.000000\n"
        "L3;E3;R4;07.03.2019;ЦДЛ;3016;0,9;мМЕ/л;\n")


def _versions(store: ClinicalStore) -> list[EntryVersion]:
    with store.session() as s:
        return list(s.scalars(select(EntryVersion).join(Entry, EntryVersion.entry_id == Entry.id)
                              .where(Entry.section == "laboratory").order_by(EntryVersion.entry_date)))


def test_word_ranges_are_kept_as_text_and_numeric_codes_map(store: ClinicalStore, small_hospital: Path) -> None:
    (small_hospital / "labs.csv").write_text(LABS, encoding="utf-8")
    mapping = small_hospital / "mapping.yaml"
    mapping.write_text(SMALL_MAPPING.replace("items: {3016-3: tsh}", "items: {3016: tsh, 0301: tg}"),
                       encoding="utf-8")
    loaded = load_mapping(mapping, store.dictionary)
    assert loaded.items == {"3016": "tsh", "0301": "tg"}  # not 3016 and octal 193
    report = run_ingest(store, small_hospital, loaded, mapping.read_text(encoding="utf-8"))
    assert report.balanced and report.quarantined == 0 and quarantined(store) == []
    assert report.unmapped == {}
    versions = _versions(store)
    assert [v.values["tsh"] for v in versions] == [2.8, 3.1, 1.2, 0.9]
    assert versions[0].entered["tsh"]["ref_text"] == ("<9 mcg/dL: Acceptable background, >=9 mcg/dL: see "
                                                      "comment")
    assert "tsh" not in versions[0].reference_ranges
    assert versions[1].reference_ranges["tsh"] == [0.4, 4.0] and "ref_text" not in versions[1].entered["tsh"]
    assert versions[2].entered["tsh"]["ref_text"] == "^^10.000000"
    assert "ref_text" not in versions[3].entered["tsh"]
    # the text travels with the entry's values, so an edit keeps it
    again = store.as_input("laboratory", versions[0])
    assert again["tsh"] == {"value": 2.8, "unit": "мМЕ/л", "ref_text": versions[0].entered["tsh"]["ref_text"]}
    edited = store.validator.validate("laboratory", {**again, "tsh": {**again["tsh"], "value": 2.9}},
                                      entry_date="2019-03-04")
    assert edited.values["tsh"] == 2.9 and edited.entered["tsh"]["ref_text"] == again["tsh"]["ref_text"]
