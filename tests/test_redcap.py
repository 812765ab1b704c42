"""REDCap data-dictionary export and import: REDCap's format, exact round trips, plain files, bad input."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
import yaml

from oncobank.dictionary import available_modules, load_module
from oncobank.dictionary.redcap import (
    RedcapError,
    export_redcap,
    import_redcap,
    module_to_yaml,
    read_redcap,
    safe_codes,
)
from oncobank.dictionary.schema import Code, Domain, FieldDef, FieldType, Label, Module, Range, Section

# REDCap's data-dictionary columns, A to R, as its documentation and template list them.
HEADER = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]
HEADER_LINE = ",".join(f'"{c}"' if "," in c else c for c in HEADER)


def rows_of(text: str) -> dict[str, list[str]]:
    return {row[0]: row for row in list(csv.reader(io.StringIO(text)))[1:]}


def tags_of(annotation: str) -> dict[str, dict]:
    """The @ONCOBANK-KIND={json} tags of a Field Annotation cell."""
    decoder, tags = json.JSONDecoder(), {}
    for part in annotation.split("@ONCOBANK-")[1:]:
        kind, _, rest = part.partition("=")
        tags[kind] = decoder.raw_decode(rest)[0]
    return tags


@pytest.fixture(scope="module")
def core():
    return load_module("core")


# ------------------------------------------------------------------------------------------ export


def test_header_is_redcaps_eighteen_columns(core):
    text = export_redcap(core.module, core.domains)
    assert text.splitlines()[0] == HEADER_LINE
    assert next(csv.reader(io.StringIO(text))) == HEADER


def test_record_id_comes_first_on_the_first_form(core):
    first = list(csv.reader(io.StringIO(export_redcap(core.module, core.domains))))[1]
    assert first[:17] == ["record_id", "demographics", "", "text", "Record ID", *[""] * 12]
    assert first[17].startswith("@ONCOBANK-MODULE={")


def test_core_rows_written_by_hand(core):
    rows = rows_of(export_redcap(core.module, core.domains))
    assert rows["surname"] == [
        "surname", "demographics", "Demographics", "text", "Surname", "", "", "", "", "", "y", "", "y",
        "", "", "", "",
        '@CHARLIMIT=100 @ONCOBANK-SECTION={"label":{"ru":"Демографические данные"},"dated":false} '
        '@ONCOBANK-FIELD={"label":{"ru":"Фамилия"},"aliases":["фамилия","last_name","family_name","lastname"]}',
    ]
    assert rows["birth_date"][:17] == [
        "birth_date", "demographics", "", "text", "Date of birth", "", "", "date_ymd", "1900-01-01", "today",
        "y", "", "y", "", "", "", "",
    ]
    assert rows["sex"][:17] == [
        "sex", "demographics", "", "radio", "Sex", "M, male | F, female", "", "", "", "", "", "", "y",
        "", "", "", "",
    ]
    tags = tags_of(rows["sex"][17])
    assert tags["FIELD"] == {"label": {"ru": "Пол"}, "domain": "sex", "aliases": ["пол", "gender"]}
    assert tags["DOMAIN"] == {
        "name": "sex",
        "label": {"ru": "Пол"},
        "codes": {
            "M": {"label": {"ru": "мужской"}, "aliases": ["м", "муж", "мужской", "male", "man", "1"]},
            "F": {"label": {"ru": "женский"}, "aliases": ["ж", "жен", "женский", "female", "woman", "2"]},
        },
    }
    # nine document types: too many for radio buttons
    assert rows["document_type"][3] == "dropdown"
    # text over 255 characters is a notes box; a date of death may not lie in the future
    assert rows["death_cause"][3] == "notes"
    assert rows["death_cause"][17].startswith("@CHARLIMIT=500 ")
    assert rows["death_date"][7:10] == ["date_ymd", "", "today"]
    assert rows["last_contact_date"][2] == "Outcome / follow-up"
    assert tags_of(rows["last_contact_date"][17])["SECTION"] == {
        "label": {"ru": "Исход / наблюдение"}, "repeating": True, "facility": True}


def test_russian_export_puts_russian_in_redcaps_columns(core):
    rows = rows_of(export_redcap(core.module, core.domains, lang="ru"))
    assert rows["record_id"][4] == "Номер записи"
    assert rows["sex"][4:6] == ["Пол", "M, мужской | F, женский"]
    assert rows["surname"][2] == "Демографические данные"
    assert tags_of(rows["sex"][17])["FIELD"]["label"] == {"en": "Sex"}
    with pytest.raises(ValueError, match="language"):
        export_redcap(core.module, core.domains, lang="de")


# A module that uses everything REDCap has no column for, and codes REDCap cannot hold.
AWKWARD = Module(
    module="awkward",
    version=3,
    label=Label(ru="Проверка выгрузки", en="Export check"),
    description="Fields that REDCap cannot describe on its own.",
    extends=["core"],
    unit_aliases={"мбк": "MBq"},
    domains={
        "unused": Domain(label=Label(ru="Не используется", en="Unused"),
                         codes=[Code(code="x", label=Label(ru="икс", en="ex"))]),
        "isotope": Domain(
            label=Label(ru="Изотоп", en="Isotope"),
            codes=[
                Code(code="I-131", label=Label(ru="йод-131", en="iodine-131"), aliases=["131I"], group="therapy"),
                Code(code="I-123", label=Label(ru="йод-123", en="iodine-123")),
                Code(code="Tc-99m", label=Label(ru="технеций-99m", en="technetium-99m")),
            ],
        ),
        "morphology": Domain(
            label=Label(ru="Морфология", en="Morphology"),
            codes=[
                Code(code="8260/3", label=Label(ru="папиллярная | аденокарцинома", en="papillary | adenocarcinoma")),
                Code(code="C77.0", label=Label(ru="лимфоузлы шеи", en="lymph nodes of the neck")),
                Code(code="8340/3", label=Label(ru="фолликулярный вариант", en="follicular variant")),
                Code(code="8341/3", label=Label(ru="микрокарцинома", en="microcarcinoma")),
                Code(code="8342/3", label=Label(ru="онкоцитарный вариант", en="oncocytic variant")),
            ],
        ),
        "clash": Domain(
            label=Label(ru="Совпадения", en="Clashes"),
            codes=[
                Code(code="a-b", label=Label(ru="первый", en="first")),
                Code(code="a_b", label=Label(ru="второй", en="second")),
                Code(code="A.B", label=Label(ru="третий", en="third")),
            ],
        ),
    },
    sections=[
        Section(
            name="treatment",
            label=Label(ru="Лечение", en="Treatment"),
            repeating=True,
            facility=True,
            description="One row per course.",
            fields=[
                FieldDef(name="isotope", label=Label(ru="Изотоп", en="Isotope"), type=FieldType.CODE,
                         domain="isotope", required=True),
                FieldDef(name="activity", label=Label(ru="Активность", en="Activity"), type=FieldType.NUMBER,
                         description="Administered activity", unit="MBq", units=["mCi", "GBq"],
                         hard_range=Range(min=0, max=20000), soft_range=Range(min=1000, max=11100),
                         aliases=["активность"]),
                FieldDef(name="tg", label=Label(ru="Тиреоглобулин", en="Thyroglobulin"), type=FieldType.NUMBER,
                         unit="ng/mL", molar_mass=660000.0, reference_range=True, hard_range=Range(min=0)),
                FieldDef(name="ratio", label=Label(ru="Отношение", en="Ratio"), type=FieldType.NUMBER,
                         hard_range=Range(min=0.0015, max=1e6)),
                FieldDef(name="courses", label=Label(ru="Курсы", en="Courses"), type=FieldType.INTEGER,
                         hard_range=Range(min=1)),
                FieldDef(name="sites", label=Label(ru="Очаги", en="Sites"), type=FieldType.CODE,
                         domain="morphology", multiple=True),
                FieldDef(name="clash", label=Label(ru="Совпадения", en="Clashes"), type=FieldType.ENUM,
                         domain="clash"),
                FieldDef(name="sex", label=Label(ru="Пол", en="Sex"), type=FieldType.ENUM, domain="sex"),
                FieldDef(name="consented", label=Label(ru="Согласие", en="Consent"), type=FieldType.BOOLEAN),
                FieldDef(name="scan_date", label=Label(ru="Дата сканирования", en="Scan date"),
                         type=FieldType.DATE, future_allowed=True, earliest=date(1990, 1, 1)),
                FieldDef(name="comment", label=Label(ru="Комментарий", en="Comment"), type=FieldType.TEXT),
            ],
        ),
        Section(
            name="planning",
            label=Label(ru="План", en="Plan"),
            dated=False,
            fields=[
                FieldDef(name="isotope", label=Label(ru="Изотоп", en="Isotope"), type=FieldType.CODE,
                         domain="isotope"),
                FieldDef(name="same", label=Label(ru="Same", en="Same"), type=FieldType.TEXT, max_length=20),
            ],
        ),
    ],
)


@pytest.fixture(scope="module")
def awkward_domains(core):
    return {**core.domains, **AWKWARD.domains}


def test_unsafe_codes_become_letters_digits_underscore(awkward_domains):
    assert safe_codes(AWKWARD.domains["isotope"]) == ["I_131", "I_123", "Tc_99m"]
    assert safe_codes(AWKWARD.domains["clash"]) == ["a_b", "a_b_2", "A_B_3"]
    rows = rows_of(export_redcap(AWKWARD, awkward_domains))
    assert rows["treatment_isotope"][3:6] == [
        "dropdown", "Isotope", "I_131, iodine-131 | I_123, iodine-123 | Tc_99m, technetium-99m"]
    assert rows["sites"][3] == "checkbox"
    assert rows["sites"][5].startswith("8260_3, papillary / adenocarcinoma | C77_0, lymph nodes of the neck | ")
    assert rows["clash"][3:6] == ["radio", "Clashes", "a_b, first | a_b_2, second | A_B_3, third"]
    domain_tag = tags_of(rows["treatment_isotope"][17])["DOMAIN"]
    assert domain_tag["codes"]["I_131"] == {"code": "I-131", "label": {"ru": "йод-131"}, "aliases": ["131I"],
                                            "group": "therapy"}


def test_awkward_fields_map_to_redcap_columns(awkward_domains):
    rows = rows_of(export_redcap(AWKWARD, awkward_domains))
    # a field name used by two sections is prefixed with the section's, as REDCap needs unique variables
    assert rows["treatment_isotope"][1] == "treatment"
    assert rows["planning_isotope"][1] == "planning"
    assert "isotope" not in rows
    assert rows["activity"][6:10] == ["Administered activity — MBq", "number", "0", "20000"]
    assert rows["tg"][6:10] == ["ng/mL", "number", "0", ""]
    assert rows["ratio"][7:10] == ["number", "0.0015", "1000000"]
    assert rows["courses"][7:10] == ["integer", "1", ""]
    assert rows["consented"][3] == "yesno"
    assert rows["scan_date"][7:10] == ["date_ymd", "1990-01-01", ""]
    assert rows["comment"][3] == "notes"
    assert rows["same"][3] == "text"
    assert rows["same"][17] == "@CHARLIMIT=20"  # same label in both languages, nothing else to say
    assert tags_of(rows["planning_isotope"][17])["SECTION"] == {"label": {"ru": "План"}, "dated": False}
    # sex comes from core: referenced by name, not written out again
    assert "DOMAIN" not in tags_of(rows["sex"][17])
    assert tags_of(rows["activity"][17])["FIELD"] == {
        "label": {"ru": "Активность"}, "description": "Administered activity", "unit": "MBq",
        "units": ["mCi", "GBq"], "soft_range": {"min": 1000.0, "max": 11100.0}, "aliases": ["активность"]}


# ------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_awkward_module_round_trip(awkward_domains, lang):
    back = read_redcap(export_redcap(AWKWARD, awkward_domains, lang))
    assert back.module == AWKWARD
    assert back.losses == []
    assert list(back.module.domains) == list(AWKWARD.domains)


@pytest.mark.parametrize("name", sorted({"core", "thyroid", *available_modules()}))
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_builtin_module_round_trip(name, lang):
    dictionary = load_module(name)
    module = dictionary.module
    text = export_redcap(module, dictionary.domains, lang)
    assert import_redcap(text) == module
    assert import_redcap(text, name, module.label, list(module.extends)) == module
    # inherited domains (e.g. core's yes_no) stay in the module that defines them
    assert set(import_redcap(text).domains) == set(module.domains)


def test_round_trip_survives_redcap_resaving(core):
    """REDCap and spreadsheets re-save with a byte-order mark, CRLF and every cell quoted."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows(csv.reader(io.StringIO(export_redcap(core.module, core.domains))))
    assert import_redcap("\ufeff" + out.getvalue() + ",,,,,,,,,,,,,,,,,\r\n") == core.module


def test_inherited_domain_needs_its_module(awkward_domains):
    text = export_redcap(AWKWARD, awkward_domains)
    with pytest.raises(RedcapError, match="'sex' is neither in the file nor in the extended modules"):
        import_redcap(text, extends=[])


def test_import_renames_the_module(core):
    text = export_redcap(core.module, core.domains)
    other = import_redcap(text, "base", Label(ru="База", en="Base"))
    assert (other.module, other.label, other.sections) == ("base", Label(ru="База", en="Base"),
                                                           core.module.sections)


# ---------------------------------------------------------------------------------- plain REDCap


PLAIN = f"""{HEADER_LINE}
record_id,baseline,,text,Record ID,,,,,,,,,,,,,
enrol_date,baseline,Enrolment,text,Date of enrolment,,,date_ymd,2015-01-01,today,,,y,,,,,
age,baseline,,text,Age at enrolment,,years,integer,18,110,,,,,,,,
weight,baseline,,text,Weight (kg),,,number,30,250.5,,,,,,,,@HIDDEN-SURVEY
sex,baseline,,radio,Sex,"1, Male | 2, Female",,,,,,,y,,,,,
initials,baseline,,text,Patient initials,,,,,,y,,,,,,,@CHARLIMIT=3
smoker,history,,yesno,Current smoker?,,,,,,,,,,,,,
comorbid,history,,checkbox,Comorbidities,"1, Diabetes | 2, Hypertension | 3, COPD, asthma",,,,,,[smoker] = '1',,,,,,
history_note,history,,descriptive,Ask about the last five years,,,,,,,,,,,,,
comments,history,,notes,Comments,,,,,,,,,,,,,
bmi,history,,calc,BMI,[weight]/([height]/100)^2,,,,,,,,,,,,
"""


def same(text: str) -> Label:
    return Label(ru=text, en=text)


def test_plain_redcap_file_imports():
    result = read_redcap(PLAIN, "pilot", Label(ru="Пилот", en="Pilot"))
    expected = Module(
        module="pilot",
        version=1,
        label=Label(ru="Пилот", en="Pilot"),
        domains={
            "sex_choices": Domain(label=same("Sex"), codes=[Code(code="1", label=same("Male")),
                                                            Code(code="2", label=same("Female"))]),
            "comorbid_choices": Domain(label=same("Comorbidities"), codes=[
                Code(code="1", label=same("Diabetes")), Code(code="2", label=same("Hypertension")),
                Code(code="3", label=same("COPD, asthma"))]),
        },
        sections=[
            Section(name="baseline", label=same("Enrolment"), fields=[
                FieldDef(name="enrol_date", label=same("Date of enrolment"), type=FieldType.DATE,
                         earliest=date(2015, 1, 1), required=True),
                FieldDef(name="age", label=same("Age at enrolment"), type=FieldType.INTEGER, description="years",
                         hard_range=Range(min=18, max=110)),
                FieldDef(name="weight", label=same("Weight (kg)"), type=FieldType.NUMBER,
                         hard_range=Range(min=30, max=250.5), entry={"tags": "@HIDDEN-SURVEY"}),
                FieldDef(name="sex", label=same("Sex"), type=FieldType.ENUM, domain="sex_choices", required=True),
                FieldDef(name="initials", label=same("Patient initials"), type=FieldType.TEXT, max_length=3,
                         identifying=True),
            ]),
            Section(name="history", label=same("History"), fields=[
                FieldDef(name="smoker", label=same("Current smoker?"), type=FieldType.BOOLEAN),
                FieldDef(name="comorbid", label=same("Comorbidities"), type=FieldType.ENUM,
                         domain="comorbid_choices", multiple=True, show_if="[smoker] = '1'"),
                FieldDef(name="comments", label=same("Comments"), type=FieldType.TEXT),
                FieldDef(name="bmi", label=same("BMI"), type=FieldType.NUMBER,
                         calculation="[weight]/([height]/100)^2"),
            ]),
        ],
    )
    assert result.module == expected


def test_plain_redcap_file_reports_what_it_loses():
    result = read_redcap(PLAIN, "pilot")
    losses = {str(loss): loss.kept for loss in result.losses}
    assert len(losses) == 5
    assert [text for text in losses if "one language" in text or "repeating" in text] == [
        "labels: REDCap has one language; each label was copied to Russian and English",
        "sections: repeating instruments are a project setting, not in the data dictionary; all sections were "
        "imported as not repeating"]
    # kept in the module (so they are written back) but not applied by OncoBank: listed as such
    assert losses["row 5, Field Annotation: action tag(s) @HIDDEN-SURVEY kept; not applied"] is True
    # branching logic over the fields of its own form is applied (forms, required-ness): not a loss; a calculation
    # over another form's weight and a height the file does not have cannot be, and says so
    assert not [text for text in losses if "[smoker]" in text]
    assert losses["row 12, Choices, Calculations, OR Slider Labels: calculation '[weight]/([height]/100)^2' reads "
                  "fields outside its form: height, weight; kept, not applied"] is True
    # a descriptive field holds no value: dropped
    assert losses["row 10, Field Type: descriptive field 'history_note' dropped (display text, holds no data)"] \
        is False
    assert [loss.variable for loss in result.dropped] == [None, None, "history_note"]


# Field Type to Text Validation Max of one plain row, what it becomes (its presentation kept in `entry` where
# export would otherwise write it differently), and what the import says it does not apply.
@pytest.mark.parametrize(
    ("cells", "expected", "lost"),
    [
        ("text,When,,,date_dmy,,", {"type": FieldType.DATE, "future_allowed": True,
                                    "entry": {"validation": "date_dmy"}}, None),
        ("text,When,,,date_ymd,,2020-12-31", {"type": FieldType.DATE, "entry": {"max": "2020-12-31"}},
         "latest date '2020-12-31' kept; checked as 'no dates after today'"),
        ("text,When,,,datetime_ymd,,", {"type": FieldType.TEXT, "entry": {"validation": "datetime_ymd"}},
         "validation 'datetime_ymd' kept; the value is stored as text, not checked"),
        ("text,Mail,,,email,,", {"type": FieldType.TEXT, "entry": {"validation": "email"}},
         "validation 'email' kept"),
        ("text,Dose,,,number_2dp,0,5", {"type": FieldType.NUMBER, "hard_range": Range(min=0, max=5),
                                        "entry": {"validation": "number_2dp"}}, None),
        ("slider,Pain,Low | High,,,,", {"type": FieldType.INTEGER, "hard_range": Range(min=0, max=100),
                                        "entry": {"type": "slider", "validation": "", "choices": "Low | High",
                                                  "min": "", "max": ""}}, None),
        ("truefalse,True?,,,,,", {"type": FieldType.BOOLEAN, "entry": {"type": "truefalse"}}, None),
        ("text,Notes,,,,,", {"type": FieldType.TEXT, "entry": {"type": "text"}}, None),
        ("notes,Notes,,,,,", {"type": FieldType.TEXT}, None),
        ("text,Phone,,,phone,,", {"type": FieldType.TEXT, "entry": {"validation": "phone"}}, "'phone' kept"),
        ("text,MRN,,,mrn_10d,,", {"type": FieldType.TEXT, "entry": {"validation": "mrn_10d"}}, "'mrn_10d' kept"),
        ("text,At,,,time,,", {"type": FieldType.TEXT, "entry": {"validation": "time"}}, "'time' kept"),
        ("text,Diagnosis,BIOPORTAL:ICD10CM,,,,", {"type": FieldType.TEXT,
                                                  "entry": {"type": "text", "choices": "BIOPORTAL:ICD10CM"}},
         "ontology look-up 'BIOPORTAL:ICD10CM' kept; values are free text, not looked up"),
    ],
)
def test_plain_types_and_validations(cells, expected, lost):
    result = read_redcap(plain_with(f"x,f,,{cells},,,,,,,,"), "pilot")
    label = cells.split(",")[1]
    assert result.module.sections[0].fields == [FieldDef(name="x", label=same(label), **expected)]
    found = [str(loss) for loss in result.losses if loss.row == 3]
    if lost is None:
        assert found == []
    else:
        assert len(found) == 1 and lost in found[0]
        assert result.losses[-1].kept
    # written back as it came
    back = list(csv.reader(io.StringIO(export_redcap(result.module, result.module.domains))))[2]
    assert back[3:10] == cells.split(",")


def test_plain_choices_reuse_an_extended_modules_domain():
    text = f"""{HEADER_LINE}
study_id,patient,,text,Study ID,,,,,,,,,,,,,
gender,patient,,dropdown,Gender,"M, Male | F, Female",,,,,,,,,,,,
alive,patient,,radio,Alive,"yes, Yes | no, No | unknown, Unknown",,,,,,,,,,,,
grade,patient,,radio,Grade,"1, low | 2, high",,,,,,,,,,,,
"""
    module = import_redcap(text, "extra", extends=["core"])
    assert [f.domain for f in module.sections[0].fields] == ["sex", "yes_no", "grade_choices"]
    assert list(module.domains) == ["grade_choices"]
    assert module.extends == ["core"]


def test_plain_import_writes_clean_yaml():
    module = import_redcap(PLAIN, "pilot")
    text = module_to_yaml(module)
    assert Module.model_validate(yaml.safe_load(text)) == module
    assert "null" not in text and ": []" not in text and ": {}" not in text
    # once imported, a plain study round-trips like a built-in module
    assert import_redcap(export_redcap(module, module.domains)) == module


def test_module_yaml_is_laid_out_like_core(core):
    text = module_to_yaml(core.module)
    assert Module.model_validate(yaml.safe_load(text)) == core.module
    assert text.startswith("module: core\nversion: 1\nlabel: {ru: Базовый набор данных, en: Core data set}\n")
    assert "\nsections:\n  - name: demographics\n    label: {ru: Демографические данные, en: Demographics}\n" \
           "    repeating: false\n    dated: false\n    fields:\n      - name: surname\n" in text
    assert "        earliest: 1900-01-01\n" in text
    assert "null" not in text


# -------------------------------------------------------------------------------------- bad input


def plain_with(row: str) -> str:
    return f"{HEADER_LINE}\nrecord_id,f,,text,Record ID,,,,,,,,,,,,,\n{row}\n"


def test_wrong_header():
    text = PLAIN.replace("Field Label", "Label", 1)
    with pytest.raises(RedcapError) as caught:
        import_redcap(text, "pilot")
    assert "row 1, column 'Field Label', value 'Label'" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert (caught.value.row, caught.value.column, caught.value.value) == (1, "Field Label", "Label")


def test_unknown_field_type():
    with pytest.raises(RedcapError, match=r"row 3, column 'Field Type', value 'rating': unknown field type"):
        import_redcap(plain_with("score,f,,rating,Score,,,,,,,,,,,,,"), "pilot")


@pytest.mark.parametrize("choices", ['"1 Male | 2 Female"', '"1, Male | , Female"', '"1, Male | 1, Female"', ""])
def test_unparseable_choices(choices):
    with pytest.raises(RedcapError, match=r"row 3, column 'Choices, Calculations, OR Slider Labels'"):
        import_redcap(plain_with(f"sex,f,,dropdown,Sex,{choices},,,,,,,,,,,,"), "pilot")


def test_duplicate_variable():
    text = plain_with("age,f,,text,Age,,,integer,,,,,,,,,,\nage,f,,text,Age again,,,,,,,,,,,,,")
    with pytest.raises(RedcapError, match=r"row 4, column 'Variable / Field Name', value 'age': .*row 3"):
        import_redcap(text, "pilot")


def test_other_bad_cells():
    with pytest.raises(RedcapError, match=r"row 3, column 'Text Validation Min', value 'ten'"):
        import_redcap(plain_with("age,f,,text,Age,,,integer,ten,,,,,,,,,"), "pilot")
    with pytest.raises(RedcapError, match=r"row 3, column 'Required Field\?', value 'maybe'"):
        import_redcap(plain_with("age,f,,text,Age,,,,,,,,maybe,,,,,"), "pilot")
    with pytest.raises(RedcapError, match=r"row 3: has 3 cells, expected 18"):
        import_redcap(plain_with("age,f,text"), "pilot")
    with pytest.raises(RedcapError, match=r"row 3, column 'Field Annotation'.*not valid JSON"):
        import_redcap(plain_with('age,f,,text,Age,,,,,,,,,,,,,"@ONCOBANK-FIELD={""unit"": "'), "pilot")
    with pytest.raises(RedcapError, match=r"row 3, column 'Field Annotation'.*unitz"):
        import_redcap(plain_with('age,f,,text,Age,,,,,,,,,,,,,"@ONCOBANK-FIELD={""unitz"":1}"'), "pilot")
    with pytest.raises(RedcapError, match=r"no module name"):
        import_redcap(PLAIN)
