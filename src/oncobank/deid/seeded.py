"""A seeded-identifier registry: synthetic patients whose identifying fields and free texts carry known
identifiers of every HIPAA Safe Harbor category (plus SNILS, passport, OMS policy), for leak and recall tests.

`seed_registry(folder)` writes a canonical registry folder that `oncobank load` accepts (registry/manifest.json,
registry/patients.jsonl) and beside it seeded/identifiers.jsonl (every seeded surface form: patient, category,
Safe Harbor element, value) and seeded/texts.jsonl (each text with its gold spans and the patient's own values).
Names come in all six Russian cases, with initials, in upper case and in Latin letters.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from faker import Faker

from oncobank.deid.names import morph
from oncobank.deid.patterns import snils_checksum
from oncobank.deid.scrub_dates import EN_MONTHS, RU_MONTHS
from oncobank.deid.translit import to_latin
from oncobank.dictionary.loader import load_module
from oncobank.dictionary.schema import FieldType, Section
from oncobank.synth.people import FIRST_NAMES, PATRONYMICS, REGIONS, SURNAMES

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
_CASE_SENTENCES = {  # a sentence that puts the patient's name in each grammatical case
    "nomn": "Пациент{a} {} поступил{a} в отделение в плановом порядке.",
    "gent": "У {} жалоб на момент осмотра нет.",
    "datv": "{} назначена заместительная терапия левотироксином 100 мкг/сут.",
    "accs": "Консилиум осмотрел {} повторно.",
    "ablt": "С {} проведена беседа о радиойодтерапии.",
    "loct": "Сведения о {} переданы онкологу по месту жительства.",
}
_MONTHS_GEN = RU_MONTHS["gen"]
_MONTHS_EN = EN_MONTHS["full"]
# Sentences with no identifier: clinical content that must survive scrubbing untouched.
CLINICAL = {
    "ru": [
        "Tg 12 нг/мл, антитела к Tg 35 МЕ/мл, ТТГ 0,05 мМЕ/л на фоне супрессивной терапии.",
        "Папиллярная карцинома, классический вариант, pT3aN1bM0, стадия II (AJCC 8).",
        "Цитологическое заключение: Bethesda VI, TBSRTC 6.",
        "Мутация BRAF V600E выявлена методом ПЦР; TERT C228T не обнаружена.",
        "Метастазы в лимфоузлы VI уровня справа (3/7) и уровней II–IV слева.",
        "ПЭТ/КТ с 18F-ФДГ: гиперметаболические очаги в лёгких, SUVmax 7,2.",
        "Проведена радиойодтерапия: введено 3700 МБк (100 мКи) 131I, I-131 накапливается в ложе ЩЖ.",
        "Очаг 1 (лёгкие): 14 мм; очаг 2 (л/у шеи): 22 мм. Сумма диаметров 36 мм, прогрессирование (PD по RECIST 1.1).",
        "Ленватиниб 24 мг/сут, снижение дозы до 14 мг/сут из-за артериальной гипертензии 3 степени CTCAE.",
        "Узел правой доли 2,4 см, TI-RADS 5, с микрокальцинатами.",
        "ECOG 1. Диагноз по МКБ-10: C73. Послеоперационный гипопаратиреоз E89.2.",
        "Курс № 2, суммарная активность 7,4 ГБк, Тг на фоне стимуляции 48,5 нг/мл.",
    ],
    "en": [
        "Tg 12 ng/mL with TgAb 35 IU/mL; TSH 0.05 mIU/L on suppressive therapy.",
        "Papillary thyroid carcinoma, classic subtype, pT3aN1bM0, stage II (AJCC 8th edition).",
        "FNA of the right lobe nodule: Bethesda category VI (TBSRTC 6).",
        "BRAF V600E mutation detected; TERT promoter C228T not detected.",
        "Level VI nodes 3/7 positive; levels II-IV on the left 2/15 positive.",
        "FDG PET/CT: FDG-avid lesions in both lungs, SUVmax 7.2.",
        "Post-therapy I-131 whole-body scan after 3.7 GBq (100 mCi): uptake in the thyroid bed.",
        "Target 1 (lungs): 14 mm; target 2 (neck nodes): 22 mm. Sum of diameters 36 mm, progressive disease.",
        "Lenvatinib 24 mg daily, reduced to 14 mg because of grade 3 hypertension (CTCAE v5.0).",
        "Hypoechoic solid nodule 24 mm in the left lobe, TI-RADS 5, microcalcifications.",
        "ECOG 1. ICD-10 C73. Postoperative hypoparathyroidism E89.2.",
        "Second course, cumulative activity 7.4 GBq, stimulated Tg 48.5 ng/mL.",
    ],
}


@dataclass(frozen=True)
class SeededIdentifier:
    """One seeded surface form of an identifier."""

    patient: str
    category: str  # the scrubber's category (NAME, DATE, ...)
    safe_harbor: str  # the HIPAA Safe Harbor element, or snils / passport / oms_policy
    value: str


@dataclass
class SeededText:
    """A seeded free text: where it is stored, its language, and the gold spans of its identifiers."""

    patient: str
    section: str
    field: str
    language: str
    text: str = ""
    spans: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, category, element
    known: tuple[str, ...] = ()

    def add(self, piece: str, category: str | None = None, element: str = "") -> None:
        if category is not None:
            self.spans.append((len(self.text), len(self.text) + len(piece), category, element))
        self.text += piece


@dataclass(frozen=True)
class SeededRegistry:
    identifiers: tuple[SeededIdentifier, ...]
    texts: tuple[SeededText, ...]


def snils(rng: random.Random) -> str:
    """A SNILS with a valid control number, written 123-456-789 01."""
    first = f"{rng.randrange(1_002_000_000 // 1000, 999_999_999):09d}"
    return f"{first[:3]}-{first[3:6]}-{first[6:]} {snils_checksum(first):02d}"


def inflect(word: str, tag: str, case: str, sex: str) -> str:
    """`word` (a surname, first name or patronymic, by `tag`) in grammatical `case`, for a person of `sex`."""
    gender = "masc" if sex == "M" else "femn"
    for parse in morph().parse(word.lower()):
        if tag in parse.tag and gender in parse.tag and "nomn" in parse.tag and "sing" in parse.tag:
            form = parse.inflect({case, "sing"})
            if form is not None:
                return "-".join(p.capitalize() for p in form.word.split("-"))
    return word


@dataclass
class _Person:
    pid: str
    sex: str
    surname: str
    first: str
    patronymic: str
    birth: date
    region: str
    ids: dict[str, str]
    items: list[tuple[str, str, str, str]] = field(default_factory=list)  # language, category, element, sentence


def _person(n: int, rng: random.Random, fake: Faker, birth: date) -> _Person:
    sex = rng.choice("MF")
    p = _Person(
        pid=f"SD-{n:06d}", sex=sex, surname=rng.choice(SURNAMES[sex]), first=rng.choice(FIRST_NAMES[sex]),
        patronymic=rng.choice(PATRONYMICS[sex]), birth=birth, region=rng.choice(REGIONS),
        ids={"EMR": f"{rng.randrange(2005, 2024)}/{rng.randrange(10_000, 99_999)}", "SNILS": snils(rng),
             "PASSPORT": f"{rng.randrange(10, 99)} {rng.randrange(10, 99):02d} {rng.randrange(100_000, 999_999)}",
             "OMS": f"{rng.randrange(10**15, 10**16)}"},
    )
    _items(p, rng, fake)
    return p


def _items(p: _Person, rng: random.Random, fake: Faker) -> None:
    """Sentences carrying the patient's identifiers, each with its category and Safe Harbor element."""
    fem = "ка" if p.sex == "F" else ""
    a = "а" if p.sex == "F" else ""
    add = p.items.append
    for case in CASES:
        name = " ".join(inflect(w, t, case, p.sex) for w, t in
                        ((p.surname, "Surn"), (p.first, "Name"), (p.patronymic, "Patr")))
        add(("ru", "NAME", "names", _CASE_SENTENCES[case].replace("{a}", a if case == "nomn" else "")
             .replace("Пациент", "Пациент" + fem).replace("{}", "\x00" + name + "\x00")))
    initials = f"{p.first[0]}.{p.patronymic[0]}."
    surname_gen = inflect(p.surname, "Surn", "gent", p.sex)
    add(("ru", "NAME", "names", f"Со слов \x00{surname_gen} {initials}\x00, ухудшение в течение месяца."))
    add(("ru", "NAME", "names", f"Информированное согласие подписано: \x00{initials} {p.surname}\x00."))
    add(("ru", "NAME", "names", f"ФИО: \x00{p.surname.upper()} {p.first.upper()} {p.patronymic.upper()}\x00."))
    latin = f"{to_latin(p.surname)} {to_latin(p.first)} {to_latin(p.patronymic)}"
    add(("en", "NAME", "names", f"Patient \x00{latin}\x00 was admitted for radioiodine therapy."))
    add(("en", "NAME", "names", f"Name: \x00{to_latin(p.surname, 'simple').upper()}, "
         f"{to_latin(p.first, 'simple').upper()}\x00."))
    # Other people: doctors and a relative, Russian and English, never among the patient's own values.
    doc_sex = rng.choice("MF")
    doctor = (rng.choice(SURNAMES[doc_sex]), rng.choice(FIRST_NAMES[doc_sex]), rng.choice(PATRONYMICS[doc_sex]))
    add(("ru", "NAME", "names", f"Осмотр{a} врачом \x00{inflect(doctor[0], 'Surn', 'ablt', doc_sex)} "
         f"{doctor[1][0]}.{doctor[2][0]}.\x00"))
    add(("ru", "NAME", "names", f"Лечащий врач: \x00{doctor[0]} {doctor[1]} {doctor[2]}\x00."))
    rel_sex = rng.choice("MF")
    add(("ru", "NAME", "names", f"Контактное лицо — \x00{rng.choice(SURNAMES[rel_sex])} "
         f"{rng.choice(FIRST_NAMES[rel_sex])} {rng.choice(PATRONYMICS[rel_sex])}\x00 (родственник)."))
    en = Faker("en_US")
    en.seed_instance(rng.randrange(10**9))
    first, last = en.first_name(), en.last_name()
    add(("en", "NAME", "names", f"Reviewed by Dr. \x00{first} {rng.choice('ABCDEJKLMRS')}. {last}\x00."))
    add(("en", "NAME", "names", f"Referring physician: \x00{last}, {first}\x00."))
    # Geography below the state: city, street, postal code; the region (a field) in text too.
    city, street = fake.city_name(), fake.street_title()
    house, flat, index = rng.randrange(1, 120), rng.randrange(1, 300), rng.randrange(100_000, 699_999)
    add(("ru", "ADDRESS", "geographic", f"Проживает: \x00г. {city}\x00, \x00ул. {street}, д. {house}, кв. {flat}\x00."))
    add(("ru", "ADDRESS", "geographic", f"Направлен{a} из региона: \x00{p.region}\x00; индекс \x00{index}\x00."))
    add(("en", "ADDRESS", "geographic", f"Home address: \x00{rng.randrange(10, 9999)} {en.street_name()}\x00, "
         f"\x00{en.city()}, {en.state_abbr()} {en.postcode()}\x00."))
    # Dates: birth, admission, discharge, death, in the formats reports use.
    admitted = date(rng.randrange(2012, 2023), rng.randrange(1, 13), rng.randrange(1, 29))
    discharged = admitted + timedelta(days=rng.randrange(3, 15))
    b = p.birth
    add(("ru", "DATE", "dates", f"Дата рождения: \x00{b:%d.%m.%Y}\x00."))
    add(("ru", "DATE", "dates", f"Родил{'ась' if p.sex == 'F' else 'ся'} \x00{b.day} {_MONTHS_GEN[b.month - 1]} "
         f"{b.year}\x00 г."))
    add(("ru", "DATE", "dates", f"Находил{'ась' if p.sex == 'F' else 'ся'} на лечении с \x00{admitted:%d.%m.%Y}\x00 "
         f"по \x00{discharged:%d.%m.%Y}\x00."))
    add(("en", "DATE", "dates", f"DOB \x00{b:%Y-%m-%d}\x00; admitted \x00{admitted.day} "
         f"{_MONTHS_EN[admitted.month - 1]} {admitted.year}\x00, discharged \x00{discharged:%m/%d/%Y}\x00."))
    add(("ru", "AGE", "ages_over_89", f"Мать пациент{'ки' if p.sex == 'F' else 'а'} в возрасте "
         f"\x00{rng.randrange(90, 100)} лет\x00 жива."))
    add(("en", "AGE", "ages_over_89", f"Grandmother is a \x00{rng.randrange(90, 104)}-year-old\x00 with dementia."))
    # Contacts.
    code, num = rng.randrange(900, 999), rng.randrange(10**6, 10**7)
    add(("ru", "PHONE", "telephone", f"Тел.: \x00+7 ({code}) {str(num)[:3]}-{str(num)[3:5]}-{str(num)[5:]}\x00."))
    add(("ru", "PHONE", "fax", f"Факс поликлиники \x008 {rng.randrange(300, 499)} {rng.randrange(100, 999)} "
         f"{rng.randrange(10, 99)} {rng.randrange(10, 99)}\x00."))
    add(("en", "PHONE", "telephone", f"Call \x00({rng.randrange(201, 989)}) {rng.randrange(200, 999)}-"
         f"{rng.randrange(1000, 9999)}\x00 for results."))
    add(("ru", "EMAIL", "email", f"Эл. почта: \x00{to_latin(p.surname, 'simple').lower()}."
         f"{rng.randrange(10, 99)}@mail.ru\x00."))
    add(("en", "URL", "url", f"Portal: \x00https://lk.gb{rng.randrange(1, 99)}.ru/card/"
         f"{to_latin(p.surname, 'simple').lower()}-{rng.randrange(1000, 9999)}\x00"))
    add(("en", "IP", "ip_address", f"Uploaded from \x00{rng.randrange(10, 223)}.{rng.randrange(0, 255)}."
         f"{rng.randrange(0, 255)}.{rng.randrange(1, 254)}\x00."))
    # Numbers: records, plans, accounts, licences, vehicles, devices, biometrics, photos, codes.
    ids = p.ids
    add(("ru", "ID", "medical_record_number", f"Медицинская карта № \x00{ids['EMR']}\x00."))
    add(("ru", "SNILS", "snils", f"СНИЛС \x00{ids['SNILS']}\x00."))
    add(("ru", "PASSPORT", "passport", f"Паспорт \x00{ids['PASSPORT']}\x00 выдан ОВД."))
    add(("ru", "POLICY", "oms_policy", f"Полис ОМС \x00{ids['OMS']}\x00."))
    add(("en", "ID", "social_security_number", f"SSN \x00{rng.randrange(100, 899)}-{rng.randrange(10, 99)}-"
         f"{rng.randrange(1000, 9999)}\x00."))
    add(("en", "ID", "health_plan_beneficiary_number", f"Member ID \x00HP{rng.randrange(10**7, 10**8)}\x00."))
    add(("ru", "ID", "account_number", f"Лицевой счёт \x00{rng.randrange(10**19, 10**20)}\x00."))
    add(("ru", "ID", "certificate_license_number", f"Удостоверение № \x00{rng.randrange(1000, 9999)}-"
         f"{rng.randrange(100_000, 999_999)}\x00."))
    add(("ru", "ID", "vehicle_identifier", f"Автомобиль VIN \x00XTA{rng.randrange(10**13, 10**14)}\x00, "
         f"госномер \x00{rng.choice('АВЕКМНОРСТУХ')}{rng.randrange(100, 999)}{rng.choice('АВЕКМНОРСТУХ')}"
         f"{rng.choice('АВЕКМНОРСТУХ')}{rng.randrange(10, 199)}\x00."))
    add(("ru", "ID", "device_identifier", f"Кардиостимулятор, серийный номер \x00PM-{rng.randrange(1000, 9999)}-"
         f"{rng.randrange(10000, 99999)}\x00."))
    add(("en", "ID", "biometric_identifier", f"Fingerprint template \x00BIO-{rng.randrange(10**7, 10**8)}\x00 "
         "on file."))
    add(("en", "ID", "full_face_photograph", f"Photo \x00IMG_{admitted:%Y%m%d}_{rng.randrange(1000, 9999)}.jpg\x00 "
         "attached."))
    add(("en", "ID", "other_unique_number", f"Study code \x00{p.pid}\x00, histology \x00{ids['EMR']}\x00."))


def _fill(text: SeededText, sentence: str, category: str, element: str) -> None:
    """Append `sentence`, marking the parts between NUL characters as identifiers of `category`."""
    parts = sentence.split("\x00")
    for i, part in enumerate(parts):
        text.add(part, category if i % 2 else None, element)
    text.add(" ")


def _required(section: Section, dictionary: Any) -> dict[str, Any]:
    """A valid value for each required field of a section that is not text (text fields get the seeded texts)."""
    values: dict[str, Any] = {}
    for f in section.fields:
        if not f.required:
            continue
        if f.type == FieldType.TEXT:  # e.g. a document's checksum: a value of the right shape
            values[f.name] = hashlib.sha256(f"{section.name}.{f.name}".encode()).hexdigest()[: f.max_length]
        elif f.domain is not None:
            code = dictionary.domains[f.domain].codes[0].code
            values[f.name] = [code] if f.multiple else code
        elif f.type in (FieldType.NUMBER, FieldType.INTEGER):
            bounds = f.soft_range or f.hard_range
            values[f.name] = int(bounds.min) if bounds and bounds.min is not None else 1
        elif f.type == FieldType.DATE:
            values[f.name] = "2020-01-15"
        elif f.type == FieldType.BOOLEAN:
            values[f.name] = True
    return values


def seed_registry(folder: Path, patients: int = 20, seed: int = 0, module: str = "thyroid") -> SeededRegistry:
    """Write a seeded registry under `folder` (see the module's description) and return what was seeded."""
    rng = random.Random(seed)
    fake = Faker("ru_RU")
    fake.seed_instance(seed)
    dictionary = load_module(module)
    text_fields = sorted(((s, f) for s in dictionary.sections.values() for f in s.fields
                          if f.type == FieldType.TEXT and not f.identifying and not f.required),
                         key=lambda sf: -(sf[1].max_length or 1000))
    # Birth dates a year apart: no two patients share one, nor a day and month.
    first_birth = date(1925, 1, 1)
    births = [first_birth + timedelta(days=371 * i + rng.randrange(0, 6)) for i in range(patients)]
    identifiers: list[SeededIdentifier] = []
    texts: list[SeededText] = []
    (folder / "registry").mkdir(parents=True, exist_ok=True)
    (folder / "seeded").mkdir(parents=True, exist_ok=True)
    with (folder / "registry" / "patients.jsonl").open("w", encoding="utf-8", newline="\n") as out:
        for n in range(1, patients + 1):
            p = _person(n, rng, fake, births[n - 1])
            known = (p.surname, p.first, p.patronymic, p.pid, *p.ids.values())
            mine = _texts(p, text_fields, known, rng)
            texts.extend(mine)
            identifiers.extend(_identifiers(p, mine))
            out.write(json.dumps(_record(p, mine, dictionary), ensure_ascii=False) + "\n")
    manifest = {"format": "oncobank-registry", "format_version": 1, "module": module, "seed": seed,
                "patients": patients, "centres": [{"code": "C01", "name": "Seeded centre"}]}
    (folder / "registry" / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                                      encoding="utf-8")
    with (folder / "seeded" / "identifiers.jsonl").open("w", encoding="utf-8", newline="\n") as out:
        for ident in identifiers:
            out.write(json.dumps(asdict(ident), ensure_ascii=False) + "\n")
    with (folder / "seeded" / "texts.jsonl").open("w", encoding="utf-8", newline="\n") as out:
        for t in texts:
            out.write(json.dumps(asdict(t), ensure_ascii=False) + "\n")
    return SeededRegistry(tuple(identifiers), tuple(texts))


def _texts(p: _Person, fields: list[tuple[Section, Any]], known: tuple[str, ...],
           rng: random.Random) -> list[SeededText]:
    """The patient's texts, one per text field, alternately Russian and English; every seeded sentence placed in
    a text of its language with room for it, clinical sentences around them."""
    texts = [SeededText(p.pid, s.name, f.name, "ru" if i % 2 == 0 else "en", known=known)
             for i, (s, f) in enumerate(fields)]
    room = {id(t): (f.max_length or 1000) - 20 for t, (_, f) in zip(texts, fields, strict=True)}
    items = list(p.items)
    rng.shuffle(items)
    for lang, category, element, sentence in items:
        target = max((t for t in texts if t.language == lang), key=lambda t: room[id(t)] - len(t.text))
        if room[id(target)] - len(target.text) < len(sentence) + 1:
            raise ValueError("the seeded sentences do not fit the text fields")
        _fill(target, sentence, category, element)
        clinical = rng.choice(CLINICAL[lang])
        if len(target.text) + len(clinical) + 1 <= room[id(target)]:
            target.add(clinical + " ")
    for t in texts:
        clinical = rng.choice(CLINICAL[t.language])
        if not t.text and len(clinical) <= room[id(t)]:
            t.add(clinical)
        t.text = t.text.rstrip()
    return texts


def _identifiers(p: _Person, texts: list[SeededText]) -> list[SeededIdentifier]:
    """Every seeded surface form: the field values, the identifiers, and each gold span of each text."""
    fields = [("NAME", "names", p.surname), ("NAME", "names", p.first), ("NAME", "names", p.patronymic),
              ("DATE", "dates", p.birth.isoformat()), ("ADDRESS", "geographic", p.region),
              ("ID", "other_unique_number", p.pid), ("ID", "medical_record_number", p.ids["EMR"]),
              ("SNILS", "snils", p.ids["SNILS"]), ("PASSPORT", "passport", p.ids["PASSPORT"]),
              ("POLICY", "oms_policy", p.ids["OMS"])]
    out = [SeededIdentifier(p.pid, c, e, v) for c, e, v in fields]
    by_value = {v for _, _, v in fields}
    for t in texts:
        for start, end, category, element in t.spans:
            value = t.text[start:end]
            if value not in by_value:
                by_value.add(value)
                out.append(SeededIdentifier(p.pid, category, element, value))
    return out


def _record(p: _Person, texts: list[SeededText], dictionary: Any) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [{"section": "demographics", "values": {
        "surname": p.surname, "first_name": p.first, "patronymic": p.patronymic, "birth_date": p.birth.isoformat(),
        "sex": p.sex, "region": p.region}}]
    by_section: dict[str, dict[str, Any]] = {}
    for t in texts:
        by_section.setdefault(t.section, {})[t.field] = t.text
    if "histology" in dictionary.sections:
        by_section.setdefault("histology", {})["exam_number"] = p.ids["EMR"]
    for name, values in by_section.items():
        section = dictionary.sections[name]
        entry: dict[str, Any] = {"section": name, "values": {**_required(section, dictionary), **values}}
        if section.dated:
            entry["date"] = "2020-01-15"
        entries.append(entry)
    return {"patient_id": p.pid, "centre": "C01",
            "identifiers": [{"system": system, "value": value} for system, value in p.ids.items()],
            "entries": entries}


def read_seeded(folder: Path) -> SeededRegistry:
    """The seeded identifiers and texts written by `seed_registry` under `folder`."""
    with (folder / "seeded" / "identifiers.jsonl").open(encoding="utf-8") as f:
        identifiers = tuple(SeededIdentifier(**json.loads(line)) for line in f if line.strip())
    texts = []
    with (folder / "seeded" / "texts.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                raw = json.loads(line)
                texts.append(SeededText(**{**raw, "spans": [tuple(s) for s in raw["spans"]],
                                           "known": tuple(raw["known"])}))
    return SeededRegistry(identifiers, tuple(texts))
