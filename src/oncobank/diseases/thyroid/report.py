"""Cohort report of the thyroid registry: the RAIR study's Table 1 and the RAIR breakdown, as data, HTML and PDF."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from oncobank.dictionary import load_module
from oncobank.diseases.thyroid import derived, wording
from oncobank.diseases.thyroid.population import population
from oncobank.diseases.thyroid.rair import CRITERIA
from oncobank.diseases.thyroid.settings import Settings, default_settings
from oncobank.diseases.thyroid.wording import number, pick

MAX_COURSES = 5  # the study lists the 1st … 5th course; more are counted with the 5th

LABELS: dict[str, tuple[str, str]] = {  # key: (en, ru)
    "title": ("Cohort characteristics and radioiodine refractoriness",
              "Характеристика когорты и радиойодрезистентность"),
    "generated": ("Generated", "Сформирован"),
    "all_note": ("All patients of the registry", "Все пациенты регистра"),
    "registry": ("Patients in the registry", "Пациентов в регистре"),
    "excluded": ("Excluded by the study criteria", "Исключены по критериям исследования"),
    "table1": ("Table 1. Characteristics of the patients", "Таблица 1. Характеристика пациентов"),
    "variable": ("Variable", "Показатель"),
    "value": ("n (%)", "n (%)"),
    "patients": ("Patients", "Пациенты"),
    "sex": ("Sex", "Пол"),
    "age": ("Age at diagnosis, years: mean [min–max]", "Возраст на момент диагноза, лет: среднее [мин–макс]"),
    "histology": ("Histological type", "Гистологический тип"),
    "stage": ("Stage (TNM 8th ed.)", "Стадия (TNM, 8-е изд.)"),
    "stage_unknown": ("not stageable / missing", "не определена"),
    "metastases": ("Metastases", "Метастазы"),
    "regional": ("regional (N1)", "регионарные (N1)"),
    "distant": ("distant (M1)", "отдалённые (M1)"),
    "recurrence": ("Recurrence after remission", "Рецидив после ремиссии"),
    "courses": ("Courses of I-131 therapy received", "Получено курсов радиойодтерапии 131I"),
    "course_n": ("{n}", "{n}"),
    "course_more": ("{n} or more", "{n} и более"),
    "none": ("none", "нет"),
    "rair_title": ("Radioiodine refractoriness (RAIR)", "Радиойодрезистентность (РЙР)"),
    "by_criterion": ("RAIR patients by criterion met (a patient may meet several)",
                     "Пациенты с РЙР по выполненным критериям (возможно несколько)"),
    "criterion": ("Criterion", "Критерий"),
    "of_rair": ("n (% of RAIR)", "n (% от РЙР)"),
    "first_criterion": ("first met (RR date)", "первый (дата РЙР)"),
    "cumulative": ("Cumulative I-131 activity of RAIR patients, GBq (mCi): mean [min–max]",
                   "Суммарная активность 131I у пациентов с РЙР, ГБк (мКи): среднее [мин–макс]"),
    "settings": ("Settings of the criteria and the population", "Параметры критериев и исследуемой группы"),
    "settings_file": ("Settings file", "Файл параметров"),
    "applies_to": ("Applies to", "Относится к"),
    "setting": ("Setting", "Параметр"),
    "setting_value": ("Value", "Значение"),
    "source": ("Source", "Источник"),
    "references": ("References", "Литература"),
    "aggregates": ("Aggregates only; no patient is identified in this report.",
                   "Только сводные данные; пациенты в отчёте не идентифицируются."),
}


def label(key: str, lang: str) -> str:
    return pick(LABELS[key], lang)


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def _row(name: str, n: int, d: int, indent: bool = True) -> dict[str, Any]:
    return {"label": name, "n": int(n), "pct": _pct(int(n), d), "indent": indent}


def recurrences(engine: Engine) -> set[int]:
    """Patients with a follow-up of no evidence of disease followed later by an incomplete response."""
    follow = derived.read_frames(engine, ["follow_up"])["follow_up"].dropna(subset=["disease_status"])
    ned = follow[follow["disease_status"] == "ned"].groupby("patient_id")["date"].min().rename("ned")
    later = follow[follow["disease_status"].isin(("structural_incomplete", "biochemical_incomplete"))]
    later = later.merge(ned.reset_index(), on="patient_id")
    later = later[later["date"] > later["ned"]]
    return set(later["patient_id"].tolist())


def subtitle(settings: Settings, study_only: bool, lang: str) -> str:
    """What the population is, from the settings (so it is true of every patient counted)."""
    if not study_only:
        return label("all_note", lang)
    rule = settings.population
    ages = wording.span(rule.age_at_diagnosis.min, rule.age_at_diagnosis.max, "years", lang)
    text = (f"{wording.codes(rule.histology, lang)}; "
            f"{pick(('age at diagnosis', 'возраст на момент диагноза'), lang)} {ages}")
    if rule.i131_therapy.required:
        text += pick(("; treated with I-131", "; радиойодтерапия 131I"), lang)
    return text


def _range(values: pd.Series, lang: str, digits: int) -> str:
    """mean [min–max] with the language's decimal mark."""
    return (f"{number(values.mean(), lang, digits)} "
            f"[{number(values.min(), lang, digits)}–{number(values.max(), lang, digits)}]")


def cohort(engine: Engine, lang: str = "en", study_only: bool = True,
           settings: Settings | None = None) -> dict[str, Any]:
    """Table 1 and the RAIR breakdown (n and %) of the study population (or everyone), from the current derived
    facts under the study settings (the module's own when None)."""
    settings = settings or default_settings()
    derived.refresh(engine, settings=settings)
    dictionary = load_module("thyroid")
    code_label = {name: {c.code: c.label.get(lang) for c in d.codes} for name, d in dictionary.domains.items()}
    ids = derived.patients(engine, derived.MODULE)
    to_registry = dict(zip(ids["patient_id"], ids["registry_id"], strict=True))
    recurred = {to_registry[p] for p in recurrences(engine)}
    stage, activity = derived.latest(engine, "stage"), derived.latest(engine, "activity")
    rair = derived.latest(engine, "rair", settings=settings)
    counted = population(stage, activity, settings, study_only=study_only)
    rows = []
    for rid in counted.members:
        s = stage[rid]
        rows.append({"rid": rid, "sex": s["sex"], "age": s["age_at_diagnosis"], "histology": s["histology"],
                     "stage": s["stage_group"], "n": s["n"], "m": s["m"], "sites": s["metastasis_sites"],
                     "courses": activity[rid]["courses"], "gbq": activity[rid]["total"]["gbq"],
                     "mci": activity[rid]["total"]["mci"], "rair": rair[rid]["rair"],
                     "rr_date": rair[rid]["rr_date"], "met": rair[rid]["criteria_met"],
                     "first": [c for c in rair[rid]["criteria_met"]
                               if rair[rid]["criteria"][c]["date"] == rair[rid]["rr_date"]],
                     "recurrence": rid in recurred})
    table = pd.DataFrame(rows, columns=["rid", "sex", "age", "histology", "stage", "n", "m", "sites", "courses",
                                        "gbq", "mci", "rair", "rr_date", "met", "first", "recurrence"])
    n = len(table)
    site_group = {c.code: c.group for c in dictionary.domains["body_site"].codes}
    regional = table["n"].fillna("").str.contains("N1") | table["sites"].map(
        lambda xs: any(site_group.get(x) == "regional" for x in xs or []))
    distant = table["m"].fillna("").str.endswith("M1") | table["sites"].map(
        lambda xs: any(site_group.get(x) == "distant" for x in xs or []))
    stage_axis = table["stage"].fillna("").str.replace(r"^IV[ABC]?$", "IV", regex=True)

    t1: list[dict[str, Any]] = [{"label": label("patients", lang), "n": n, "pct": None, "indent": False}]
    t1.append({"label": label("sex", lang), "header": True})
    for code in ("F", "M"):
        t1.append(_row(code_label["sex"][code], (table["sex"] == code).sum(), n))
    ages = table["age"].dropna()
    t1.append({"label": label("age", lang), "indent": False,
               "text": f"{number(ages.mean(), lang, 1)} [{ages.min():.0f}–{ages.max():.0f}]" if len(ages) else "–"})
    t1.append({"label": label("histology", lang), "header": True})
    for code, count in table["histology"].value_counts().items():
        t1.append(_row(code_label["thyroid_histology"].get(code, code), count, n))
    t1.append({"label": label("stage", lang), "header": True})
    for code in ("I", "II", "III", "IV"):
        t1.append(_row(code, (stage_axis == code).sum(), n))
    t1.append(_row(label("stage_unknown", lang), (stage_axis == "").sum(), n))
    t1.append({"label": label("metastases", lang), "header": True})
    t1.append(_row(label("regional", lang), regional.sum(), n))
    t1.append(_row(label("distant", lang), distant.sum(), n))
    t1.append(_row(label("recurrence", lang), table["recurrence"].sum(), n, indent=False))
    t1.append({"label": label("courses", lang), "header": True})
    t1.append(_row(label("none", lang), (table["courses"] == 0).sum(), n))
    for k in range(1, MAX_COURSES + 1):
        name = label("course_more" if k == MAX_COURSES else "course_n", lang).format(n=k)
        count = (table["courses"] >= k).sum() if k == MAX_COURSES else (table["courses"] == k).sum()
        t1.append(_row(name, count, n))

    refractory = table[table["rair"] == True]  # noqa: E712 - the column holds True/False/None
    r = len(refractory)
    status = [_row(pick(wording.RESULT[True], lang), r, n),
              _row(pick(wording.RESULT[False], lang), (table["rair"] == False).sum(), n),  # noqa: E712
              _row(pick(wording.RESULT[None], lang), table["rair"].isna().sum(), n)]
    criteria = []
    for name in CRITERIA:
        met = refractory["met"].map(lambda xs, c=name: c in xs).sum()
        first = refractory["first"].map(lambda xs, c=name: c in xs).sum()
        criteria.append({"code": name, "label": wording.criterion(name, lang), "n": int(met),
                         "pct": _pct(int(met), r), "first": int(first), "first_pct": _pct(int(first), r)})
    cumulative = (f"{_range(refractory['gbq'], lang, 1)} ({_range(refractory['mci'], lang, 0)})" if r else None)
    setting_rows, references = wording.settings_rows(settings, lang)
    return {
        "lang": lang, "generated": date.today().isoformat(), "study_only": study_only,
        "registry_patients": counted.registry, "excluded": counted.registry - n if study_only else 0,
        "population": {**counted.to_json(), "text": wording.population_text(counted, settings, lang)},
        "subtitle": subtitle(settings, study_only, lang),
        "n": n, "table1": t1, "rair": status, "criteria": criteria, "rair_n": r, "cumulative": cumulative,
        "settings": settings.to_json(), "settings_rows": setting_rows, "references": references,
        "labels": {k: label(k, lang) for k in LABELS},
    }


def render_html(data: dict[str, Any]) -> str:
    """The report as a standalone HTML page (styles inline, no external resources)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("oncobank.diseases.thyroid", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.filters["num"] = lambda value, digits=1: number(value, data["lang"], digits)
    return env.get_template("cohort_report.html.j2").render(**data)


def to_json(data: dict[str, Any]) -> dict[str, Any]:
    """The report's numbers and settings, without the interface wording."""
    return {k: v for k, v in data.items() if k not in ("labels", "settings_rows", "references", "subtitle")}


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_chromium(chromium: Path = CHROMIUM) -> None:
    """FileNotFoundError unless the browser that prints PDFs is installed."""
    if not chromium.exists():
        raise FileNotFoundError(f"PDF output needs Chromium at {chromium}; install the 'chromium' package")


def print_pdf(html: Path, pdf: Path, chromium: Path = CHROMIUM) -> None:
    """Print the HTML file to PDF (A4) with headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    require_chromium(chromium)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(html.resolve().as_uri())
            page.pdf(path=str(pdf), format="A4", print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
        finally:
            browser.close()


def screenshot(html: Path, png: Path, chromium: Path = CHROMIUM, width: int = 1000) -> None:
    """A full-page PNG of the HTML file (used for the documentation)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(html.resolve().as_uri())
            page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()
