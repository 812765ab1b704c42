"""Russian all the way: the cohort report and the rair and facts tables in Russian hold no English words, no
Python values and no decimal points. The checker is `tests/russian.py`."""

from __future__ import annotations

import io

from rich.console import Console

from oncobank.diseases.thyroid import derived, tables
from oncobank.diseases.thyroid.population import exclusion, population
from oncobank.diseases.thyroid.report import cohort, render_html
from oncobank.diseases.thyroid.settings import default_settings
from oncobank.diseases.thyroid.wording import membership
from russian import html_text, problems
from thyroid.thyroid_cases import follow_up, imaging, therapy

LUNGS = ["thyroid_bed", "lungs"]


def test_the_checker_finds_english_python_values_and_decimal_points() -> None:
    text = ("Критерий: uptake_sites=['thyroid_bed'], not evaluable; 3.7 ГБк; SUVmax 4,5; pT1b cN0 M1; стадия IVB; "
            "131I и I-131; TH-000001; RECIST 1.1; E89.0; 22,2 ГБк; rair_settings.yaml (92391146a012); n (%)")
    assert problems(text) == ["Latin word 'uptake_sites'", "Latin word 'thyroid_bed'", "Latin word 'not'",
                              "Latin word 'evaluable'", "decimal point in '3.7'"]
    page = '<html lang="ru"><style>p { color: red }</style><p>Итого</p><cite lang="en">Thyroid. 2016</cite></html>'
    assert html_text(page).split() == ["Итого"]


def _staged(histology: str, t: str | None = "pT2", birth_year: int = 1960) -> list:  # type: ignore[type-arg]
    stage = {"n_category": "pN1b", "m_category": "cM0", **({"t_category": t} if t else {})}
    return [("diagnosis", "2015-01-10", {"icd10": "C73", "histology_type": histology}),
            ("tumour_stage", "2015-01-10", stage)]


def _cohort(build) -> list[str]:  # type: ignore[no-untyped-def]
    """Patients whose results use every evidence role, every kind of fact and each reason a stage may be missing."""
    pd_ = {"recist_response": "PD", "target_lesion_1_site": "lungs", "target_lesion_1_mm": 21.5}
    spect = ("radioiodine", "2020-01-15", {"procedure": "diagnostic", "isotope": "I-123",
                                           "post_scan_modality": "SPECT_CT", "uptake": "absent"})
    return [
        build(*_staged("papillary"), therapy("2018-03-01", sites=LUNGS), therapy("2019-03-01", uptake="absent")),
        build(*_staged("follicular"), imaging("2019-01-01", lesions_present="yes", lesion_sites=["lungs"]),
              therapy("2019-02-01", sites=["thyroid_bed"], scan="SPECT_CT"),
              imaging("2019-02-01", modality="SPECT_CT", lesions_present="yes", lesion_sites=["lungs"])),
        build(*_staged("oncocytic"), therapy("2019-01-31", sites=LUNGS),
              imaging("2019-01-20", target_lesion_1_site="lungs", target_lesion_1_mm=15.5),
              imaging("2020-03-15", **pd_), imaging("2019-06-01", recist_response="SD")),
        build(*_staged("papillary", t=None), *[therapy(f"{2015 + i}-06-01", activity=5.55, unit="GBq")
                                               for i in range(4)], follow_up("2019-01-10", "structural_incomplete")),
        build(*_staged("papillary", t="pTX"), spect,
              imaging("2020-12-15", modality="PET_CT_FDG", fdg_avid="yes", suv_max=4.5)),
        build(*_staged("other"), therapy("2016-06-01", sites=["thyroid_bed"]), follow_up("2017-01-10", "ned")),
        build(*_staged("medullary")),
    ]


def _text(*renderables: object) -> str:
    console = Console(file=io.StringIO(), width=400, record=True)
    for renderable in renderables:
        console.print(renderable)
    return console.export_text()


def test_tables_and_report_are_russian(store, build) -> None:  # type: ignore[no-untyped-def]
    rids = _cohort(build)
    settings = default_settings()
    derived.refresh(store.engine, settings=settings)
    facts = {kind: derived.latest(store.engine, kind, settings=settings) for kind in derived.KINDS}
    counted = population(facts["stage"], facts["activity"], settings)
    rendered = [tables.counts_table(facts["rair"], counted, settings, "ru")]
    for rid in rids:
        member = membership(exclusion(facts["stage"][rid], facts["activity"][rid], settings), settings, "ru")
        rendered.append(tables.patient_table(rid, facts["rair"][rid], member, settings, "ru"))
        rendered += tables.facts_tables(rid, {kind: facts[kind][rid] for kind in derived.KINDS}, member, settings,
                                        "ru")
    text = _text(*rendered)
    # Every evidence role, the stage problems and the decimal values are there, so they were all checked.
    for shown in ("исследование, выявившее очаг", "более позднее сканирование без этого накопления",
                  "исследование с прогрессированием", "радиойодное исследование без накопления",
                  "нет данных: T", "стадия не определяется при категории pTX", "нет правила стадирования AJCC 8",
                  "5,55 ГБк", "21,5", "исключён: другой или неизвестный гистологический тип"):
        assert shown in text, shown
    assert problems(text) == []
    page = html_text(render_html(cohort(store.engine, "ru", settings=settings)))
    assert "Параметры критериев и исследуемой группы" in page
    assert problems(page) == []
    everyone = html_text(render_html(cohort(store.engine, "ru", study_only=False, settings=settings)))
    assert problems(everyone) == []
