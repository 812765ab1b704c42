"""A small hospital's exports and mapping: three EMR patients and four LIS results linked to them by EMR ID."""

PATIENTS_CSV = ("ИД;Фамилия;Имя;Отчество;Дата рождения;Пол;Регион\n"
                "E1;Иванова;Мария;Петровна;20.05.1970;Ж;Московская область\n"
                "E2;Петров;Иван;Сергеевич;01.01.1960;М;Тверская область\n"
                "E3;Сидорова;Анна;Олеговна;03.03.1983;Ж;Новгородская область\n")
LABS_CSV = ("Код;ИД;Заявка;Дата;Лаборатория;Тест;Результат;Ед;Норма\n"
            "L1;E1;R1;04.03.2019;ЦДЛ;3016-3;2,8;мМЕ/л;0,4 - 4,0\n"
            "L1;E1;R2;05.03.2019;ЦДЛ;3016-3;3,1;мМЕ/л;0,4 - 4,0\n"
            "L2;E2;R3;06.03.2019;ЦДЛ;3016-3;1,2;мМЕ/л;0,4 - 4,0\n"
            "L3;E3;R4;07.03.2019;ЦДЛ;3016-3;0,9;мМЕ/л;0,4 - 4,0\n")
SMALL_MAPPING = """module: thyroid
centre: C01
registry_prefix: TH-T
master: EMR
items: {3016-3: tsh}
sources:
  - name: emr
    system: EMR
    format: csv
    files: [patients.csv]
    delimiter: ";"
    date_formats: ["%d.%m.%Y"]
    patient_id: ИД
    identity: {surname: Фамилия, first_name: Имя, patronymic: Отчество, birth_date: Дата рождения, sex: Пол}
    section: demographics
  - name: lis
    system: LIS
    format: csv
    files: [labs.csv]
    delimiter: ";"
    decimal: ","
    date_formats: ["%d.%m.%Y"]
    patient_id: Код
    links: {EMR: ИД}
    section: laboratory
    record: [Заявка]
    date: Дата
    facility: Лаборатория
    long: {item: Тест, value: Результат, unit: Ед, reference_range: Норма}
"""

# A documents source alone: an index of report files (texts and PDFs) with who each is about.
DOCS_MAPPING = """
module: thyroid
centre: C01
master: EMR
sources:
  - name: reports
    system: EMR
    format: documents
    files: [index.csv]
    delimiter: ";"
    date_formats: ["%d.%m.%Y"]
    patient_id: pid
    document: file
    identity: {surname: surname, first_name: first, birth_date: born, sex: sex}
    section: documents
    record: [file]
    date: date
    fields: {kind: document_type, document_sha256: attachment_sha256}
    ignore: [document_text, document_media_type]
"""
