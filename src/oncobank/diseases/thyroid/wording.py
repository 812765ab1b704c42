"""What the thyroid outputs say, in English and Russian: statuses, reasons, evidence, settings, population, numbers.

One term for one thing in each language: the terminal tables and the cohort report both take their words from
here, and dictionary codes are shown with the dictionary's labels.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from oncobank.dictionary import load_module
from oncobank.dictionary.loader import Dictionary
from oncobank.diseases.thyroid.activity import convert, in_all_units
from oncobank.diseases.thyroid.settings import (
    Activity,
    AfterScan,
    AgeRange,
    Codes,
    Duration,
    Required,
    Setting,
    Settings,
    Within,
)

Pair = tuple[str, str]  # (en, ru)

STATUS: dict[str, Pair] = {"met": ("met", "выполнен"), "not_met": ("not met", "не выполнен"),
                           "not_evaluable": ("not evaluable", "оценка невозможна")}
RESULT: dict[bool | None, Pair] = {True: ("refractory", "с РЙР"), False: ("not refractory", "без РЙР"),
                                   None: ("not evaluable", "оценка невозможна")}

WORDS: dict[str, Pair] = {
    "rair": ("RAIR", "РЙР"),
    "rr_date": ("RR date", "дата РЙР"),
    "criterion": ("Criterion", "Критерий"),
    "status": ("Status", "Статус"),
    "date": ("Date", "Дата"),
    "reason": ("Reason", "Причина"),
    "evidence": ("Evidence", "Подтверждающие записи"),
    "patients": ("Patients", "Пациенты"),
    "criteria_met": ("Criteria met", "Выполненные критерии"),
    "entry": ("entry", "запись"),
    "version": ("version", "версия"),
    "settings_file": ("Settings", "Параметры"),
    "yes": ("yes", "да"),
    "no": ("no", "нет"),
    "in_population": ("in the study population", "в исследуемой группе"),
    "excluded": ("excluded", "исключён"),
    "study": ("Study population", "Исследуемая группа"),
    "all": ("All patients of the registry", "Все пациенты регистра"),
    "named": ("Patients named", "Указанные пациенты"),
    "of": ("of", "из"),
    "excluded_list": ("excluded", "исключены"),
    "first_reason": ("each counted under the first reason", "каждый учтён по первой причине"),
    "none_excluded": ("none excluded", "исключённых нет"),
    "population": ("study population", "исследуемая группа"),
    "required": ("required", "обязателен"),
    "not_required": ("not required", "не обязателен"),
}

# Why a patient is not in the study population (population.EXCLUSIONS); {age} and {histology} come from settings.
EXCLUSION: dict[str, Pair] = {
    "histology": ("other or unknown histological type", "другой или неизвестный гистологический тип"),
    "age": ("age at diagnosis outside {age} or unknown", "возраст на момент диагноза вне {age} или неизвестен"),
    "no_i131_therapy": ("no I-131 therapy course", "нет курса радиойодтерапии 131I"),
}

# Reason codes of the RAIR engine (rair.REASONS); the {placeholders} are filled from the study settings.
REASONS: dict[str, Pair] = {
    "uptake_lost_after_avid_scan": (
        "a later post-therapy scan shows no uptake (or only in the thyroid bed) after uptake outside the bed",
        "на более позднем посттерапевтическом сканировании нет накопления (или только в ложе) "
        "после накопления вне ложа"),
    "uptake_not_lost": ("no later scan lost uptake seen outside the thyroid bed",
                        "нет потери накопления, выявленного вне ложа щитовидной железы"),
    "fewer_than_two_post_therapy_scans": ("fewer than two post-therapy scans",
                                          "менее двух посттерапевтических сканирований"),
    "lesion_without_uptake": ("a lesion seen on imaging has no uptake on a post-therapy scan within {lesion_window}",
                              "очаг, выявленный при визуализации, не накапливает радиойод на посттерапевтическом "
                              "сканировании в пределах {lesion_window}"),
    "lesions_avid_or_not_near_a_scan": (
        "every lesion within {lesion_window} of a post-therapy scan took up radioiodine",
        "все очаги в пределах {lesion_window} от посттерапевтического сканирования накапливали радиойод"),
    "no_lesion_imaging": ("no imaging that shows lesions (any modality but: {not_lesion})",
                          "нет исследований, выявляющих очаги (любой метод, кроме: {not_lesion})"),
    "no_post_therapy_scan": ("no post-therapy I-131 scan with an uptake result",
                             "нет посттерапевтического сканирования с 131I с оценкой накопления"),
    "progression_in_window_after_avid_scan": (
        "structural progression {progression_window} after a scan with uptake outside the thyroid bed",
        "структурное прогрессирование через {progression_window} после сканирования с накоплением вне ложа"),
    "no_progression_in_window": ("imaging {progression_window} after the scan with uptake shows no progression",
                                 "исследования через {progression_window} после сканирования с накоплением "
                                 "без прогрессирования"),
    "no_avid_post_therapy_scan": ("no post-therapy scan with uptake outside the thyroid bed",
                                  "нет посттерапевтического сканирования с накоплением вне ложа"),
    "no_imaging_in_window": ("no imaging {progression_window} after a scan with uptake",
                             "нет исследований через {progression_window} после сканирования с накоплением"),
    "persistent_disease_after_threshold": ("persistent disease at the first follow-up after ≥ {threshold}",
                                           "персистенция на первом визите после ≥ {threshold}"),
    "remission_after_threshold": ("no persistent disease at the first follow-up after ≥ {threshold}",
                                  "нет персистенции на первом визите после ≥ {threshold}"),
    "total_below_threshold": ("cumulative I-131 activity below {threshold}",
                              "суммарная активность 131I менее {threshold}"),
    "no_i131_therapy": ("no I-131 therapy recorded", "нет курсов радиойодтерапии 131I"),
    "no_follow_up_after_threshold": ("no follow-up with a disease status after reaching {threshold}",
                                     "нет визита со статусом заболевания после достижения {threshold}"),
    "negative_scan_positive_fdg_pet": (
        "a radioiodine scan without uptake ({negative_scans}) and a positive FDG PET/CT within {flip_window} "
        "of each other",
        "радиойодное исследование без накопления ({negative_scans}) и положительная ПЭТ/КТ с ФДГ "
        "с интервалом не более {flip_window}"),
    "no_flip_flop_pair": ("no radioiodine scan without uptake ({negative_scans}) within {flip_window} of a "
                          "positive FDG PET/CT",
                          "нет радиойодного исследования без накопления ({negative_scans}) с интервалом не более "
                          "{flip_window} от положительной ПЭТ/КТ с ФДГ"),
    "no_radioiodine_scan": ("no radioiodine scan of the kind the criterion reads ({negative_scans})",
                            "нет радиойодного исследования нужного вида ({negative_scans})"),
    "no_fdg_pet": ("no FDG PET/CT", "нет ПЭТ/КТ с ФДГ"),
}

# Evidence roles of the RAIR engine and the activity fact.
ROLES: dict[str, Pair] = {
    "scan_with_uptake": ("post-therapy scan with uptake outside the bed",
                         "посттерапевтическое сканирование с накоплением вне ложа"),
    "later_scan_without_uptake": ("later scan without that uptake", "более позднее сканирование без этого накопления"),
    "post_therapy_scan": ("post-therapy scan", "посттерапевтическое сканирование"),
    "lesion_imaging": ("study showing the lesion", "исследование, выявившее очаг"),
    "lesion_imaging_in_window": ("lesion study in the window", "исследование с очагами в пределах окна"),
    "progression_imaging": ("study showing progression", "исследование с прогрессированием"),
    "imaging_in_window": ("study in the window", "исследование в пределах окна"),
    "i131_course": ("I-131 therapy course", "курс радиойодтерапии 131I"),
    "first_follow_up_after_threshold": ("first follow-up after the threshold", "первый визит после достижения порога"),
    "negative_radioiodine_scan": ("radioiodine scan without uptake", "радиойодное исследование без накопления"),
    "positive_fdg_pet": ("positive FDG PET/CT", "положительная ПЭТ/КТ с ФДГ"),
    "radioiodine_scan": ("radioiodine scan", "радиойодное исследование"),
    "fdg_pet": ("FDG PET/CT", "ПЭТ/КТ с ФДГ"),
}
EXTRAS: dict[str, Pair] = {
    "sites_without_uptake": ("sites without uptake", "локализации без накопления"),
    "months_after_scan": ("months after the scan", "месяцев после сканирования"),
    "activity": ("activity", "активность"),
    "cumulative_activity": ("cumulative activity", "суммарная активность"),
}

# The settings of rair_settings.yaml, by key: what each one fixes.
SETTINGS: dict[str, Pair] = {
    "criteria.non_avid_lesion.within": ("lesion study and post-therapy scan",
                                        "исследование с очагом и посттерапевтическое сканирование"),
    "criteria.non_avid_lesion.not_lesion_imaging": ("modalities that do not show lesions",
                                                    "методы, не выявляющие очаги"),
    "criteria.progression_despite_uptake.after_scan": ("structural progression after a scan with uptake",
                                                       "структурное прогрессирование после сканирования с накоплением"),
    "criteria.high_activity_persistence.cumulative_activity": ("cumulative I-131 therapy activity",
                                                               "суммарная активность радиойодтерапии 131I"),
    "criteria.high_activity_persistence.persistent_statuses": ("follow-up statuses that mean persistent disease",
                                                               "статусы визита, означающие персистенцию"),
    "criteria.flip_flop.within": ("radioiodine scan without uptake and positive FDG PET/CT",
                                  "радиойодное исследование без накопления и положительная ПЭТ/КТ с ФДГ"),
    "criteria.flip_flop.negative_scans": ("radioiodine scans that count", "учитываемые радиойодные исследования"),
    "population.histology": ("histological types", "гистологические типы"),
    "population.age_at_diagnosis": ("age at diagnosis", "возраст на момент диагноза"),
    "population.i131_therapy": ("an I-131 therapy course", "курс радиойодтерапии 131I"),
}

# The derived facts of `oncobank thyroid facts`, by key.
FACTS: dict[str, Pair] = {
    "activity": ("I-131 therapy activity", "Активность радиойодтерапии 131I"),
    "courses": ("I-131 therapy courses", "курсов радиойодтерапии 131I"),
    "first_course": ("first course", "первый курс"),
    "last_course": ("last course", "последний курс"),
    "total": ("cumulative activity", "суммарная активность"),
    "recist": ("RECIST 1.1 response of the measured studies", "Ответ по RECIST 1.1 измеренных исследований"),
    "sum_mm": ("Sum of diameters, mm", "Сумма диаметров, мм"),
    "baseline": ("Baseline, mm (date)", "Исходно, мм (дата)"),
    "nadir": ("Nadir, mm (date)", "Надир, мм (дата)"),
    "from_baseline": ("From baseline, %", "От исходного, %"),
    "from_nadir": ("From nadir, % (mm)", "От надира, % (мм)"),
    "new_lesions": ("New lesions", "Новые очаги"),
    "computed": ("Response, computed", "Ответ (расчёт)"),
    "recorded": ("Response, recorded", "Ответ (в записи)"),
    "stage": ("AJCC 8 stage", "Стадия AJCC 8"),
    "sex": ("sex", "пол"),
    "diagnosis_date": ("date of diagnosis", "дата диагноза"),
    "age_at_diagnosis": ("age at diagnosis, years", "возраст на момент диагноза, лет"),
    "histology": ("histological type", "гистологический тип"),
    "t": ("T", "T"),
    "n": ("N", "N"),
    "m": ("M", "M"),
    "metastasis_sites": ("metastasis sites", "локализации метастазов"),
    "stage_group": ("stage group", "стадия"),
    "recorded_stage_group": ("stage group recorded", "стадия в записи"),
    "problem": ("why there is no stage group", "почему стадия не определена"),
    "rai_to_progression": ("From the last I-131 course to progression", "От последнего курса 131I до прогрессирования"),
    "event": ("progression", "прогрессирование"),
    "progression_date": ("date of progression", "дата прогрессирования"),
    "end_date": ("end of the interval", "конец интервала"),
    "days": ("days", "дней"),
    "months": ("months", "месяцев"),
    "none": ("no data", "нет данных"),
}
# Why a stage fact has no stage group (facts.stage_facts: problem code, with its value).
PROBLEMS: dict[str, Pair] = {
    "missing": ("missing: {value}", "нет данных: {value}"),
    "t_category": ("T category {value} cannot be staged", "стадия не определяется при категории {value}"),
    "histology": ("no AJCC 8 staging rule for {value}", "нет правила стадирования AJCC 8 для: {value}"),
}

UNITS: dict[str, Pair] = {"mCi": ("mCi", "мКи"), "GBq": ("GBq", "ГБк"), "MBq": ("MBq", "МБк"), "mm": ("mm", "мм")}
_FORMS = {"days": ("день", "дня", "дней"), "months": ("месяц", "месяца", "месяцев"), "years": ("год", "года", "лет"),
          "patients": ("пациент", "пациента", "пациентов")}


def pick(pair: Pair, lang: str) -> str:
    """The Russian or the English half of a pair."""
    return pair[1] if lang == "ru" else pair[0]


def word(key: str, lang: str) -> str:
    return pick(WORDS[key], lang)


@cache
def _dictionary() -> Dictionary:
    return load_module("thyroid")


def code_label(domain: str, code: Any, lang: str) -> str:
    """A code's label in the dictionary (the code itself when the domain does not know it)."""
    for c in _dictionary().domains[domain].codes:
        if c.code == code:
            return c.label.get(lang)
    return str(code)


def criterion(name: str, lang: str) -> str:
    """A RAIR criterion's name, from the dictionary's rair_criterion domain."""
    return code_label("rair_criterion", name, lang)


def number(value: float, lang: str, digits: int | None = None) -> str:
    """A number with `digits` decimals (or as few as it needs), with a decimal comma in Russian."""
    text = f"{float(value):.{6 if digits is None else digits}f}"
    if digits is None:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "ru" else text


def _ru_plural(n: int, forms: tuple[str, str, str]) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def counted(n: int, unit: str, lang: str) -> str:
    """`n` days, months, years or patients, in words."""
    if lang == "ru":
        return f"{n} {_ru_plural(n, _FORMS[unit])}"
    return f"{n} {unit[:-1] if n == 1 else unit}"


def duration(d: Duration, lang: str) -> str:
    return counted(d.count, d.unit, lang)


def span(low: int, high: int, unit: str, lang: str) -> str:
    """A range such as 12–16 months (the unit agrees with the upper end)."""
    return f"{low}–{counted(high, unit, lang)}"


def activity(amount: dict[str, float], lang: str) -> str:
    """An activity given in mCi and GBq (as `activity.in_all_units` returns it): 600 mCi (22.2 GBq)."""
    return (f"{number(amount['mci'], lang)} {pick(UNITS['mCi'], lang)} "
            f"({number(amount['gbq'], lang)} {pick(UNITS['GBq'], lang)})")


def threshold(setting: Activity, lang: str) -> str:
    return activity(in_all_units(convert(setting.value, setting.unit, "MBq")), lang)


def codes(setting: Codes, lang: str, joiner: str = ", ") -> str:
    return joiner.join(code_label(setting.domain, c, lang) for c in setting.codes) or "—"


def placeholders(settings: Settings, lang: str) -> dict[str, str]:
    """The values the reason texts quote, from the study settings."""
    c = settings.criteria
    window = c.progression_despite_uptake.after_scan
    return {
        "lesion_window": duration(c.non_avid_lesion.within, lang),
        "not_lesion": codes(c.non_avid_lesion.not_lesion_imaging, lang),
        "progression_window": span(window.earliest.count, window.latest.count, window.latest.unit, lang),
        "threshold": threshold(c.high_activity_persistence.cumulative_activity, lang),
        "flip_window": duration(c.flip_flop.within, lang),
        "negative_scans": codes(c.flip_flop.negative_scans, lang, pick((" or ", " или "), lang)),
    }


def reason(code: str, settings: Settings, lang: str) -> str:
    return pick(REASONS[code], lang).format(**placeholders(settings, lang))


def _value(field: str, section: str, value: Any, lang: str) -> str:
    definition = _dictionary().section(section).field(field)
    items = value if isinstance(value, list) else [value]
    if definition.domain:
        return ", ".join(code_label(definition.domain, v, lang) for v in items) or "—"
    return ", ".join(number(v, lang) if isinstance(v, int | float) else str(v) for v in items)


def _extra(key: str, value: Any, lang: str) -> str:
    if key in ("activity", "cumulative_activity"):
        shown = activity(value, lang)
    elif key == "sites_without_uptake":
        shown = ", ".join(code_label("body_site", v, lang) for v in value)
    else:
        shown = number(value, lang)
    return f"{pick(EXTRAS[key], lang)}: {shown}"


def evidence_line(record: dict[str, Any], lang: str) -> str:
    """One evidence record as a line: date, role, entry and version, then its values with dictionary labels."""
    section = _dictionary().section(record["section"])
    head = (f"{record['date']} {pick(ROLES[record['role']], lang)} "
            f"({word('entry', lang)} {record['entry_id']}, {word('version', lang)} {record['version']})")
    parts = [f"{section.field(name).label.get(lang)}: {_value(name, record['section'], value, lang)}"
             for name, value in record.get("values", {}).items()]
    parts += [_extra(key, record[key], lang) for key in EXTRAS if record.get(key) is not None]
    return head + (": " + "; ".join(parts) if parts else "")


def fact(key: str, lang: str) -> str:
    return pick(FACTS[key], lang)


def problem(found: dict[str, Any], lang: str) -> str:
    """A stage fact's problem in words (missing fields by their labels, histology by the dictionary's)."""
    value = found["value"]
    if found["code"] == "missing":
        value = ", ".join(fact(v, lang) for v in value)
    elif found["code"] == "histology":
        value = code_label("thyroid_histology", value, lang)
    return pick(PROBLEMS[found["code"]], lang).format(value=value)


def setting_value(setting: Setting, lang: str) -> str:
    """A setting's value in words."""
    if isinstance(setting, Within):
        return pick(("within {} of each other", "с интервалом не более {}"), lang).format(duration(setting, lang))
    if isinstance(setting, AfterScan):
        low, high = setting.earliest, setting.latest
        return pick(("{} after it, both ends included", "через {} после него, включая границы"), lang).format(
            span(low.count, high.count, high.unit, lang))
    if isinstance(setting, Activity):
        return f"≥ {threshold(setting, lang)}"
    if isinstance(setting, Codes):
        return codes(setting, lang)
    if isinstance(setting, AgeRange):
        return span(setting.min, setting.max, "years", lang)
    if isinstance(setting, Required):
        return word("required" if setting.required else "not_required", lang)
    raise TypeError(f"no wording for setting {type(setting).__name__}")


def settings_rows(settings: Settings, lang: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The settings block: one row per setting (group, what it fixes, value, source, reference numbers), and the
    references cited, numbered in the order of the file's references."""
    cited = {ref for _, setting in settings.settings() for ref in setting.source.refs}
    numbers = {ref: n for n, ref in enumerate((r for r in settings.references if r in cited), start=1)}
    rows = []
    for key, setting in settings.settings():
        group, name = key.split(".")[0], key.split(".")[-2]
        rows.append({"key": key, "group": criterion(name, lang) if group == "criteria" else word("population", lang),
                     "setting": pick(SETTINGS[key], lang), "value": setting_value(setting, lang),
                     "source": pick((setting.source.en, setting.source.ru), lang),
                     "refs": sorted(numbers[ref] for ref in setting.source.refs)})
    references = [{"n": n, "text": settings.references[ref]} for ref, n in numbers.items()]
    return rows, references


def exclusion(reason_code: str, settings: Settings, lang: str) -> str:
    ages = settings.population.age_at_diagnosis
    return pick(EXCLUSION[reason_code], lang).format(age=span(ages.min, ages.max, "years", lang))


def population_text(population: Any, settings: Settings, lang: str) -> str:
    """Which patients a count is over, and who was left out: the same sentence in the terminal and the report."""
    if population.kind in ("all", "named"):
        return f"{word(population.kind, lang)}: {population.n}"
    excluded = [f"{n} — {exclusion(code, settings, lang)}" for code, n in population.excluded.items() if n]
    tail = (f"{word('excluded_list', lang)}: " + ", ".join(excluded) + f"; {word('first_reason', lang)}"
            if excluded else word("none_excluded", lang))
    registry = counted(population.registry, "patients", lang)
    return f"{word('study', lang)}: {population.n} {word('of', lang)} {registry} ({tail})"


def membership(reason_code: str | None, settings: Settings, lang: str) -> str:
    """Whether one patient is in the study population, and if not, why."""
    if reason_code is None:
        return f"{word('in_population', lang)}: {word('yes', lang)}"
    return f"{word('excluded', lang)}: {exclusion(reason_code, settings, lang)}"
