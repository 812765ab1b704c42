"""The free-text scrubber: every identifier category in Russian and English, names in every case and spelling,
dates shifted in their own format, and clinical content left as it was."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncobank.deid.patterns import snils_checksum, snils_valid
from oncobank.deid.scrub import scrub_text

KNOWN = ("Иванова", "Анна", "Петровна")


def _replaced(text: str, **options) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(r.category, text[r.start:r.end]) for r in scrub_text(text, **options).replacements]


# Control numbers worked by hand (weights 9..1 over the first nine digits):
# 112233445: 9+8+14+12+15+12+12+8+5 = 95 -> 95 (the Pension Fund's own example, 112-233-445 95);
# 911001000: 81+8+7+4 = 100 -> 00;  911001001: 101 -> 00;  999999999: 405 -> 405 mod 101 = 1 -> 01;
# 996100000: 81+72+42+6 = 201 -> 201 mod 101 = 100 -> 00 by the same rule again.
@pytest.mark.parametrize(("first9", "control"), [("112233445", 95), ("911001000", 0), ("911001001", 0),
                                                  ("999999999", 1), ("996100000", 0)])
def test_snils_control_number(first9: str, control: int) -> None:
    assert snils_checksum(first9) == control
    assert snils_valid(f"{first9[:3]}-{first9[3:6]}-{first9[6:]} {control:02d}")
    assert not snils_valid(f"{first9}{(control + 1) % 100:02d}")


def test_a_snils_with_a_wrong_control_number_is_still_a_number() -> None:
    assert _replaced("СНИЛС 112-233-445 95.") == [("SNILS", "112-233-445 95")]
    assert _replaced("СНИЛС 112-233-445 96.") == [("ID", "112-233-445 96")]
    assert _replaced("СНИЛС 11223344595") == [("SNILS", "11223344595")]


@pytest.mark.parametrize("sentence", [
    "Пациентка Иванова Анна Петровна поступила в отделение.",  # nominative
    "У Ивановой Анны Петровны жалоб нет.",  # genitive
    "Ивановой Анне Петровне назначена терапия.",  # dative
    "Осмотрели Иванову Анну Петровну повторно.",  # accusative
    "С Ивановой Анной Петровной проведена беседа.",  # instrumental
    "Сведения об Ивановой Анне Петровне переданы.",  # prepositional
])
def test_the_patients_name_in_each_of_six_cases(sentence: str) -> None:
    scrubbed = scrub_text(sentence, known=KNOWN)
    assert [r.category for r in scrubbed.replacements] == ["NAME"]
    assert "[ИМЯ]" in scrubbed.text
    assert not any(stem in scrubbed.text for stem in ("Иванов", "Анн", "Петровн"))


def test_a_masculine_name_in_each_case() -> None:
    known = ("Петров", "Сергей", "Иванович")
    for form in ("Петров Сергей Иванович", "Петрова Сергея Ивановича", "Петрову Сергею Ивановичу",
                 "Петровым Сергеем Ивановичем", "Петрове Сергее Ивановиче"):
        assert _replaced(f"Запись: {form}, без особенностей.", known=known) == [("NAME", form)]


@pytest.mark.parametrize("written", ["ИВАНОВА АННА ПЕТРОВНА", "иванова анна петровна", "Ivanova Anna Petrovna",
                                     "IVANOVA ANNA", "Ivanovoi Anne", "Иванова-Петровна"])
def test_known_names_in_any_letter_case_and_in_latin(written: str) -> None:
    scrubbed = scrub_text(f"Фамилия, имя и отчество в направлении на госпитализацию: {written}.", known=KNOWN)
    assert [r.category for r in scrubbed.replacements] == ["NAME"]
    assert scrubbed.text.endswith("[ИМЯ].")


@pytest.mark.parametrize(("text", "name"), [
    ("Осмотрена врачом Сидоровой А.П. совместно с хирургом.", "Сидоровой А.П."),
    ("Заключение подписал А.П. Сидоров, без замечаний.", "А.П. Сидоров"),
    ("Исполнитель: Сидоров А. П.", "Сидоров А. П."),
    ("Консультирована профессором Кузнецовой.", "Кузнецовой"),
    ("Беседа проведена совместно с Марией Сергеевной, дочерью пациентки.", "Марией Сергеевной"),
    ("Ф.И.О.: Кузьмина Феврония Игоревна", "Кузьмина Феврония Игоревна"),  # the label itself is no initials
    ("Заключение цитологического исследования (ТАБ)\n\nФ.И.О.: Козлов Фома Герасимович\nД.р.: 1978",
     "Козлов Фома Герасимович"),  # a report's header: the abbreviation, label and next line stay
])
def test_other_peoples_russian_names(text: str, name: str) -> None:
    assert _replaced(text) == [("NAME", name)]


@pytest.mark.parametrize(("text", "name"), [
    ("Reviewed by Dr. John A. Smith today.", "John A. Smith"),
    ("Referring physician: Smith, John.", "Smith, John"),
    ("Patient seen with Mary Johnson at the clinic.", "Mary Johnson"),
    ("NAME: SMITH, JOHN", "SMITH, JOHN"),
    ("Seen by Dr. Kuznetsova in the morning.", "Kuznetsova"),
    ("Referring physician: Graves, Timothy.", "Graves, Timothy"),  # an eponym's name can be a person's
    ("Transferred: Kuzmina Fevroniia Igorevna.", "Kuzmina Fevroniia Igorevna"),  # a Latin patronymic
])
def test_english_names_with_titles_initials_and_upper_case(text: str, name: str) -> None:
    assert _replaced(text) == [("NAME", name)]


@pytest.mark.parametrize(("text", "shift", "expected"), [
    ("Поступила 14.03.2020 в плановом порядке.", 10, "Поступила [ДАТА+сдвиг 24.03.2020] в плановом порядке."),
    ("Операция 14 марта 2020 г.", 20, "Операция [ДАТА+сдвиг 3 апреля 2020] г."),  # 14 + 20 = 34 March = 3 April
    ("Admitted 2020-03-14.", -14, "Admitted [DATE+shift 2020-02-29]."),  # 2020 is a leap year
    ("Seen on 03/14/2020 in clinic.", 1, "Seen on [DATE+shift 03/15/2020] in clinic."),  # US month-first
    ("Seen on 14 March 2020.", 18, "Seen on [DATE+shift 1 April 2020]."),
    ("Контроль в марте 2021 г.", 31, "Контроль в [ДАТА+сдвиг апреле 2021] г."),  # 15 March + 31 = 15 April
])
def test_dates_are_shifted_in_their_own_format(text: str, shift: int, expected: str) -> None:
    assert scrub_text(text, shift_days=shift).text == expected


def test_dates_by_year_only_or_blanked() -> None:
    text = "Поступила 30.12.2020, выписана 02.01.2021."
    assert scrub_text(text, year_only=True).text == "Поступила [ДАТА 2020], выписана [ДАТА 2021]."
    assert scrub_text(text, year_only=True, shift_days=5).text == "Поступила [ДАТА 2021], выписана [ДАТА 2021]."
    assert scrub_text(text).text == "Поступила [ДАТА], выписана [ДАТА]."
    assert scrub_text("Admitted 2020-12-30.").text == "Admitted [DATE]."


@pytest.mark.parametrize(("text", "category", "value"), [
    ("Тел.: +7 (912) 345-67-89.", "PHONE", "+7 (912) 345-67-89"),
    ("Факс 8 495 123 45 67.", "PHONE", "8 495 123 45 67"),
    ("Call (555) 123-4567 for results.", "PHONE", "(555) 123-4567"),
    ("Почта: ivanova.ap@mail.ru.", "EMAIL", "ivanova.ap@mail.ru"),
    ("Portal https://lk.gb12.ru/card/ivanova-1965 opened.", "URL", "https://lk.gb12.ru/card/ivanova-1965"),
    ("Uploaded from 10.23.145.7.", "IP", "10.23.145.7"),
    ("Паспорт 45 06 123456 выдан ОВД.", "PASSPORT", "45 06 123456"),
    ("Полис ОМС 7700 1234 5678 9012.", "POLICY", "7700 1234 5678 9012"),
    ("Медицинская карта № 2019/45213.", "ID", "2019/45213"),
    ("MRN 00123456 on file.", "ID", "00123456"),
    ("SSN 123-45-6789.", "ID", "123-45-6789"),
    ("Автомобиль VIN XTA21099043567891.", "ID", "XTA21099043567891"),
    ("Госномер А123ВС77.", "ID", "А123ВС77"),
    ("Photo IMG_20200314_5521.jpg attached.", "ID", "IMG_20200314_5521.jpg"),
    ("Проживает: ул. Ленина, д. 5, кв. 12.", "ADDRESS", "ул. Ленина, д. 5, кв. 12"),
    ("Прописан в г. Усть-Илимск.", "ADDRESS", "г. Усть-Илимск"),
    ("Проживает: ул. Л.Толстого, д. 8.", "ADDRESS", "ул. Л.Толстого, д. 8"),
    ("Направлена из региона: Тверская область.", "ADDRESS", "Тверская область"),
    ("Home: 123 Main Street, Springfield.", "ADDRESS", "123 Main Street"),
    ("Lives in Springfield, IL 62704.", "ADDRESS", "Springfield, IL 62704"),
    ("Мать в возрасте 92 лет жива.", "AGE", "в возрасте 92 лет"),
    ("A 93-year-old woman.", "AGE", "93-year-old"),
])
def test_each_category(text: str, category: str, value: str) -> None:
    assert _replaced(text) == [(category, value)]


def test_ages_up_to_89_stay() -> None:
    assert _replaced("Пациентка 89 лет, мать 75 лет. An 89-year-old man.") == []


def test_tokens_follow_the_texts_language() -> None:
    assert scrub_text("Тел. +7 912 345-67-89, СНИЛС 112-233-445 95").text == "Тел. [ТЕЛЕФОН], СНИЛС [СНИЛС]"
    assert scrub_text("Phone +7 912 345-67-89, SNILS 112-233-445 95").text == "Phone [PHONE], SNILS [SNILS]"


def test_replacements_point_into_the_original() -> None:
    text = "Иванова А.П., тел. 8 912 345 67 89, 14.03.2020."
    scrubbed = scrub_text(text, shift_days=1)
    assert [(r.category, text[r.start:r.end]) for r in scrubbed.replacements] == [
        ("NAME", "Иванова А.П."), ("PHONE", "8 912 345 67 89"), ("DATE", "14.03.2020")]
    assert [r.replacement for r in scrubbed.replacements] == ["[ИМЯ]", "[ТЕЛЕФОН]", "[ДАТА+сдвиг 15.03.2020]"]
    assert scrubbed.text == "[ИМЯ], тел. [ТЕЛЕФОН], [ДАТА+сдвиг 15.03.2020]."


CLINICAL = [
    "Tg 12 нг/мл, антитела к Tg 35 МЕ/мл, ТТГ 0,05 мМЕ/л на фоне супрессивной терапии.",
    "Папиллярная карцинома, классический вариант, pT3aN1bM0, стадия II (AJCC 8).",
    "Цитологическое заключение: Bethesda VI, TBSRTC 6; Bethesda category IV.",
    "Мутация BRAF V600E выявлена; TERT C228T не обнаружена; RET/PTC1 нет.",
    "Метастазы в лимфоузлы VI уровня справа (3/7) и уровней II–IV слева.",
    "ПЭТ/КТ с 18F-ФДГ: гиперметаболические очаги в лёгких, SUVmax 7,2.",
    "Введено 3700 МБк (100 мКи) 131I; I-131 накапливается в ложе ЩЖ; суммарно 7,4 ГБк.",
    "Очаг 1 (лёгкие): 14 мм; сумма диаметров 36 мм, прогрессирование (PD по RECIST 1.1).",
    "Ленватиниб 24 мг/сут, снижение дозы до 14 мг/сут, гипертензия 3 степени CTCAE v5.0.",
    "Узел правой доли 2,4 см, TI-RADS 5, в области шеи без особенностей.",
    "ECOG 1. Диагноз по МКБ-10: C73. Послеоперационный гипопаратиреоз E89.2.",
    "Тиреоглобулин 12000 нг/мл, кальций 2,1 ммоль/л, ПТГ 1,2 пмоль/л.",
    "Гистологически: гюртлеклеточный рак, вариант Уортиноподобный; тиреоидит Хашимото.",
    "Tg 12 ng/mL with TgAb 35 IU/mL; TSH 0.05 mIU/L on levothyroxine 150 mcg daily.",
    "Hürthle cell carcinoma, pT2N0M0, Bethesda category VI, ETE absent.",
    "Post-therapy I-131 whole-body scan after 3.7 GBq (100 mCi); SPECT/CT uptake in level IIa nodes.",
    "Target 1 (lungs): 14 mm; sum of diameters 36 mm; RECIST 1.1 progressive disease.",
    "Lenvatinib 24 mg daily, reduced to 14 mg; grade 3 hypertension; ECOG 1; ICD-10 C73.",
    "Graves disease in 2005; Hashimoto thyroiditis; stage IVB; levels II-IV dissected.",
    "Diagnosis: PTC, Warthin-like variant, left lobe, 18 mm.",
    "Заключение цитологического исследования (ТАБ): Bethesda II, тиреоидит Хашимото.",
]


@pytest.mark.parametrize("text", CLINICAL)
def test_clinical_content_survives(text: str) -> None:
    scrubbed = scrub_text(text, shift_days=30, known=KNOWN)
    assert scrubbed.replacements == ()
    assert scrubbed.text == text


_CHARACTERS = ("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ"
               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-/()№#@+[]\n\t'\"«»—–%")
_ALPHABET = st.sampled_from([*_CHARACTERS, "г. ", "ул. ", "Dr. ", "+7 ", "А.П. ", "марта ", "2020"])


@settings(max_examples=150, deadline=None)
@given(text=st.lists(_ALPHABET, max_size=120).map("".join),
       shift=st.one_of(st.none(), st.integers(-400, 400)), year_only=st.booleans())
def test_any_text_is_scrubbed_into_consistent_replacements(text: str, shift: int | None, year_only: bool) -> None:
    scrubbed = scrub_text(text, shift_days=shift, year_only=year_only, known=("Иванова", "12345678"))
    at, rebuilt = 0, []
    for r in scrubbed.replacements:
        assert at <= r.start < r.end <= len(text)
        rebuilt += [text[at:r.start], r.replacement]
        at = r.end
    assert "".join([*rebuilt, text[at:]]) == scrubbed.text
