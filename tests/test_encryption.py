"""Encryption at rest: a copy of the store's database holds no name, SNILS or source ID; reads, lookups, the seal,
the name search, key rotation and the upgrade of a store written before all keep working."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from tests.ingest.small_hospital import SMALL_MAPPING

from oncobank.dictionary import load_module
from oncobank.ingest.mapping import load_mapping
from oncobank.ingest.pipeline import run_ingest
from oncobank.store import accounts, crypt
from oncobank.store.card import read_card
from oncobank.store.clinical import ClinicalStore
from oncobank.store.db import connect
from oncobank.store.load import load_registry
from oncobank.store.migrate import alembic_config, upgrade
from oncobank.store.models import EntryVersion, NameToken, PatientIdentifier
from oncobank.store.verify import verify
from oncobank.web.patients import ListQuery, find

# Loaded from registry JSON: one patient with a SNILS and an EMR ID; one refused whole (an unknown centre).
LOADED = {"surname": "Кривошеева", "first_name": "Аполлинария", "patronymic": "Ферапонтовна",
          "birth_date": "1971-04-15", "sex": "F"}
REFUSED = {"surname": "Белозёрская", "first_name": "Евлампия", "birth_date": "1969-02-11", "sex": "F"}
SNILS = "112-233-445 95"
# Ingested from CSV exports with the small hospital's mapping: names, EMR IDs (MRNs) and LIS IDs; one surname
# holds a control character, so its row is quarantined with its whole source row.
PATIENTS_CSV = ("ИД;Фамилия;Имя;Отчество;Дата рождения;Пол\n"
                "MRN-734591;Вершинина;Евдокия;Порфирьевна;20.05.1970;Ж\n"
                "MRN-734592;Подколзин;Ираклий;Агафонович;01.01.1960;М\n"
                "MRN-734593;Загоруйко\x00;Серафима;Никодимовна;03.03.1983;Ж\n")
LABS_CSV = ("Код;ИД;Заявка;Дата;Лаборатория;Тест;Результат;Ед;Норма\n"
            "LIS-558811;MRN-734591;R1;04.03.2019;ЦДЛ;3016-3;2,8;мМЕ/л;0,4 - 4,0\n"
            "LIS-558812;MRN-734592;R3;06.03.2019;ЦДЛ;3016-3;1,2;мМЕ/л;0,4 - 4,0\n")
SECRETS = ["Кривошеева", "Аполлинария", "Ферапонтовна", "Белозёрская", "Евлампия", SNILS, "11223344595",
           "E-880017", "Вершинина", "Евдокия", "Порфирьевна", "Подколзин", "Ираклий", "Агафонович", "Загоруйко",
           "Серафима", "Никодимовна", "MRN-734591", "MRN-734592", "MRN-734593", "LIS-558811", "LIS-558812"]


def _forms(secret: str) -> set[bytes]:
    """Every way a value could sit in a file: any case, ё as е, as UTF-8 and as JSON's \\u escapes."""
    found: set[bytes] = set()
    plain = {secret, secret.replace("ё", "е").replace("Ё", "Е")}
    for variant in {form for p in plain for form in (p, p.lower(), p.upper(), p.casefold(), p.title())}:
        found.add(variant.encode("utf-8"))
        escaped = json.dumps(variant)[1:-1]
        found.update({escaped.encode(), escaped.replace("\\u", "\\U").upper().replace("\\U", "\\u").encode()})
    return found


def _leaks(blob: bytes) -> list[str]:
    folded = blob.lower()
    return [s for s in SECRETS if any(f in blob or f.lower() in folded for f in _forms(s))]


def _registry(folder: Path) -> Path:
    (folder / "registry").mkdir(parents=True)
    manifest = {"format": "oncobank-registry", "format_version": 1, "module": "thyroid", "seed": 0, "patients": 2,
                "centres": [{"code": "C01", "name": "Centre one"}]}
    lines = [
        {"patient_id": "TH-000101", "centre": "C01",
         "identifiers": [{"system": "EMR", "value": "E-880017"}, {"system": "SNILS", "value": SNILS}],
         "entries": [{"section": "demographics", "values": LOADED}]},
        {"patient_id": "TH-000102", "centre": "C99", "identifiers": [{"system": "EMR", "value": "E-880018"}],
         "entries": [{"section": "demographics", "values": REFUSED}]},
    ]
    (folder / "registry" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "registry" / "patients.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n",
                                                        encoding="utf-8")
    return folder


def _ingest(store: ClinicalStore, folder: Path) -> None:
    folder.mkdir()
    (folder / "patients.csv").write_text(PATIENTS_CSV, encoding="utf-8")
    (folder / "labs.csv").write_text(LABS_CSV, encoding="utf-8")
    (folder / "mapping.yaml").write_text(SMALL_MAPPING, encoding="utf-8")
    report = run_ingest(store, folder, load_mapping(folder / "mapping.yaml", store.dictionary), SMALL_MAPPING)
    assert report.quarantined >= 1


def _dump(engine: Engine, url: str) -> bytes:
    """The database as a copy of it shows it: the SQLite file's bytes, or every row of every table as text."""
    engine.dispose()
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.connect() as c:
        names = c.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).all()
        rows = [str(row) for name in names for row in c.execute(text(f'SELECT t::text FROM "{name}" t')).scalars()]
    admin.dispose()
    return "\n".join(rows).encode("utf-8")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ONCOBANK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_a_copy_of_the_database_reveals_no_name_snils_or_source_id(
        store: ClinicalStore, store_url: str, tmp_path: Path, home: Path) -> None:
    report = load_registry(store, _registry(tmp_path / "load"))
    assert (report.patients_loaded, report.patients_quarantined) == (1, 1)
    _ingest(store, tmp_path / "exports")
    # Everything reads as before: the card decrypts, identifiers are found by their value.
    card = read_card(store, "TH-000101", user="system")
    assert card.identifiers == {"EMR": "E-880017", "SNILS": SNILS}
    assert next(e for e in card.entries if e.section == "demographics").current.values == LOADED
    with store.session() as s:
        owner = s.scalar(select(PatientIdentifier.patient_id).where(PatientIdentifier.system == "SNILS",
                                                                    PatientIdentifier.value == SNILS))
        assert owner is not None
        found = {v["surname"] for (v,) in s.execute(select(EntryVersion.values)) if "surname" in v}
    assert {"Кривошеева", "Вершинина", "Подколзин"} <= found
    assert verify(store.engine).intact
    assert _leaks(_dump(store.engine, store_url)) == []


def test_the_forms_of_a_secret_are_found_by_the_scan() -> None:
    # The scan itself: a plain, a JSON-escaped and an upper-case copy are each caught.
    assert _leaks("x Кривошеева y".encode()) == ["Кривошеева"]
    assert _leaks(json.dumps({"s": "Вершинина"}).encode()) == ["Вершинина"]
    assert _leaks(b"mrn-734591") == ["MRN-734591"]
    assert _leaks("БЕЛОЗЕРСКАЯ".encode()) == ["Белозёрская"]


def test_the_seal_covers_plain_values_whatever_their_ciphertext(tmp_path: Path, register_accounts) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    engine = connect(url)
    upgrade(engine)
    register_accounts(url)
    store = ClinicalStore(engine, load_module("thyroid"))
    store.ensure_centre("C01")
    store.ensure_user("dr", "clinician", centre="C01")
    for rid, surname in (("TH-1", "Кривошеева"), ("TH-2", "Вершинина")):
        store.create_patient(rid, "C01", "dr", {"EMR": f"E-{rid}"})
        store.add_entry(rid, "demographics", {**LOADED, "surname": surname}, user="dr")
    codec = crypt.attach(engine)
    raw = sqlite3.connect(tmp_path / "store.sqlite")
    stored = [(i, json.loads(v)) for i, v in raw.execute(
        "SELECT id, \"values\" FROM entry_version ORDER BY id")]
    for name, in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'entry_version'"
                             ).fetchall():
        raw.execute(f'DROP TRIGGER "{name}"')
    # The same surname under a fresh nonce: another ciphertext, the same content — the seal still holds.
    first_id, first = stored[0]
    raw.execute("UPDATE entry_version SET \"values\" = ? WHERE id = ?",
                (json.dumps({**first, "surname": codec.hide("Кривошеева")}), first_id))
    raw.commit()
    assert verify(engine).intact
    # The second patient's (valid) ciphertext put in the first one's place: the content changed.
    raw.execute("UPDATE entry_version SET \"values\" = ? WHERE id = ?",
                (json.dumps({**first, "surname": stored[1][1]["surname"]}), first_id))
    raw.commit()
    result = verify(engine)
    assert not result.intact
    assert {(b.kind, b.table, b.row_id) for b in result.breaks} == {("changed", "entry_version", first_id)}
    raw.close()
    engine.dispose()


def test_rotation_adds_a_key_and_older_values_stay_readable(store: ClinicalStore, store_url: str, home: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    if not store_url.startswith("sqlite"):
        pytest.skip("a server store's ring in these tests is the data home's file; the SQLite one is beside it")
    codec = crypt.attach(store.engine)
    store.create_patient("TH-000001", "C01", "dr_ivanova", {"EMR": "E-1"})
    store.add_entry("TH-000001", "demographics", LOADED, user="dr_ivanova")
    old = codec.key_ids()
    new = codec.rotate()
    assert codec.key_ids() == [*old, new]
    ring = Path(f"{store_url.removeprefix('sqlite:///')}.data-key")
    assert stat.S_IMODE(os.stat(ring).st_mode) == 0o600
    store.create_patient("TH-000002", "C01", "dr_ivanova", {"EMR": "E-2"})
    store.add_entry("TH-000002", "demographics", {**LOADED, "surname": "Вершинина"}, user="dr_ivanova")
    with store.session() as s:
        assert sorted(v["surname"] for (v,) in s.execute(select(EntryVersion.values))) == ["Вершинина",
                                                                                          "Кривошеева"]
    raw = sqlite3.connect(store_url.removeprefix("sqlite:///"))
    used = {json.loads(v)["surname"]["enc"].split(":")[1] for (v,) in raw.execute('SELECT "values" FROM entry_version')}
    raw.close()
    assert used == {old[-1], new}
    assert verify(store.engine).intact
    # Without its ring the store refuses to read an encrypted value, and says what is missing.
    ring.rename(ring.with_suffix(".away"))
    fresh = connect(store_url)
    with pytest.raises(crypt.DataKeyError, match="data key ring of this store is missing"), fresh.connect() as c:
        c.execute(select(EntryVersion.values)).all()
    fresh.dispose()


def test_the_name_search_is_an_index_lookup_of_whole_folded_words(store: ClinicalStore) -> None:
    for rid, surname, born in (("TH-000001", "Семёнова", "1980-02-03"), ("TH-000002", "СЕМЕНОВА", "1975-06-07"),
                               ("TH-000003", "Петрова-Водкина", "1980-02-03")):
        store.create_patient(rid, "C01", "dr_ivanova", {"EMR": f"E-{rid}"})
        store.add_entry(rid, "demographics", {**LOADED, "surname": surname, "birth_date": born}, user="dr_ivanova")
    actor = accounts.acting(store, "dr_ivanova")

    def ids(q: str) -> list[str]:
        return [r.registry_id for r in find(store, actor, ListQuery(q=q)).rows]

    assert ids("семенова") == ["TH-000001", "TH-000002"]  # ё = е, any case
    assert ids("Семёнова 03.02.1980") == ["TH-000001"]
    assert ids("водкина аполлинария") == ["TH-000003"]  # a part of a double surname, with the first name
    assert ids("Семен") == []  # whole words only
    assert find(store, actor, ListQuery(q="семенова")).rows[0].name == "Семёнова Аполлинария Ферапонтовна"
    # An edit re-indexes the patient: her old surname no longer finds her, the new one does.
    card = read_card(store, "TH-000002", user="dr_ivanova")
    entry = next(e for e in card.entries if e.section == "demographics")
    store.edit_entry(entry.entry_id, 1, {**LOADED, "surname": "Орлова", "birth_date": "1975-06-07"},
                     user="dr_ivanova", reason="married name")
    assert ids("семенова") == ["TH-000001"]
    assert ids("орлова") == ["TH-000002"]
    with store.session() as s:
        tokens = s.scalars(select(NameToken.token)).all()
    assert tokens and all(len(t) == 32 and set(t) <= set("0123456789abcdef") for t in tokens)


def test_an_upgrade_encrypts_what_was_written_in_plain(store_url: str, tmp_path: Path, home: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command

    engine = connect(store_url)
    store = ClinicalStore(engine, load_module("thyroid"))
    store.ensure_centre("C01")
    store.ensure_user("dr", "clinician", centre="C01")
    # As a store written before encryption existed: every value in plain.
    with monkeypatch.context() as plain:
        for name in ("hide_fields", "fixed", "hide"):
            plain.setattr(crypt.Codec, name, lambda self, value: value)
        store.create_patient("TH-000001", "C01", "dr", {"EMR": "MRN-734591", "SNILS": SNILS})
        store.add_entry("TH-000001", "demographics", LOADED, user="dr")
    assert "Кривошеева" in _leaks(_dump(engine, store_url))
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    upgrade(engine)
    assert _leaks(_dump(engine, store_url)) == []
    store = ClinicalStore(engine, load_module("thyroid"))
    with store.session() as s:
        assert s.scalar(select(PatientIdentifier.patient_id).where(PatientIdentifier.value == "MRN-734591"))
        assert [v["surname"] for (v,) in s.execute(select(EntryVersion.values))] == ["Кривошеева"]
    assert verify(engine).intact
    actor = accounts.acting(store, "dr")
    assert [r.registry_id for r in find(store, actor, ListQuery(q="кривошеева")).rows] == ["TH-000001"]
    engine.dispose()
