"""Wording of thyroid reports and discharge summaries in Russian and English: templates with synonyms."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from oncobank.synth.model import Admission, Report, Text
from oncobank.synth.people import Identity

HISTOLOGY = {
    "ru": {"papillary": ["папиллярная карцинома", "папиллярный рак", "папиллярная аденокарцинома"],
           "follicular": ["фолликулярная карцинома", "фолликулярный рак"],
           "oncocytic": ["онкоцитарная карцинома", "гюртлеклеточный рак", "оксифильноклеточная карцинома"],
           "poorly_differentiated": ["низкодифференцированная карцинома", "низкодифференцированный (инсулярный) рак"],
           "medullary": ["медуллярная карцинома", "медуллярный рак"],
           "anaplastic": ["анапластическая карцинома", "недифференцированный (анапластический) рак"]},
    "en": {"papillary": ["papillary thyroid carcinoma", "papillary carcinoma", "PTC"],
           "follicular": ["follicular thyroid carcinoma", "follicular carcinoma"],
           "oncocytic": ["oncocytic carcinoma", "Hürthle cell carcinoma", "oncocytic (Hurthle cell) carcinoma"],
           "poorly_differentiated": ["poorly differentiated thyroid carcinoma", "insular carcinoma"],
           "medullary": ["medullary thyroid carcinoma", "medullary carcinoma"],
           "anaplastic": ["anaplastic thyroid carcinoma", "undifferentiated carcinoma"]},
}
VARIANT = {
    "ru": {"classic": ["классический вариант", "типичного (классического) строения"],
           "follicular_variant": ["фолликулярный вариант", "с преобладанием фолликулярного строения"],
           "tall_cell": ["высококлеточный вариант"], "diffuse_sclerosing": ["диффузно-склерозирующий вариант"],
           "solid": ["солидный вариант", "солидно-трабекулярного строения"],
           "oncocytic": ["онкоцитарный вариант", "оксифильноклеточный вариант"],
           "hobnail": ["вариант с клетками типа «сапожных гвоздей»"], "warthin_like": ["уортиноподобный вариант"],
           "columnar": ["столбчатоклеточный вариант"], "clear_cell": ["светлоклеточный вариант"],
           "minimally_invasive": ["минимально инвазивная"],
           "encapsulated_angioinvasive": ["инкапсулированная, ангиоинвазивная"],
           "widely_invasive": ["широко инвазивная"]},
    "en": {"classic": ["classic subtype", "conventional type"], "follicular_variant": ["follicular variant"],
           "tall_cell": ["tall cell subtype", "tall cell variant"],
           "diffuse_sclerosing": ["diffuse sclerosing variant"],
           "solid": ["solid/trabecular subtype"], "oncocytic": ["oncocytic variant"], "hobnail": ["hobnail subtype"],
           "warthin_like": ["Warthin-like variant"], "columnar": ["columnar cell variant"],
           "clear_cell": ["clear cell variant"], "minimally_invasive": ["minimally invasive"],
           "encapsulated_angioinvasive": ["encapsulated angioinvasive"], "widely_invasive": ["widely invasive"]},
}
LOCATION = {"ru": {"right_lobe": "правой доле", "left_lobe": "левой доле", "isthmus": "перешейке",
                   "both_lobes": "обеих долях"},
            "ru_of": {"right_lobe": "правой доли", "left_lobe": "левой доли", "isthmus": "перешейка",
                      "both_lobes": "обеих долей"},
            "en": {"right_lobe": "right lobe", "left_lobe": "left lobe", "isthmus": "isthmus",
                   "both_lobes": "both lobes"}}
SITES = {
    "ru": {"thyroid": ["щитовидной железе"], "thyroid_bed": ["ложе щитовидной железы", "ложе ЩЖ", "области ложа"],
           "neck_lymph_nodes": ["лимфоузлах шеи", "шейных лимфатических узлах", "л/у шеи"],
           "mediastinal_lymph_nodes": ["лимфоузлах средостения", "медиастинальных лимфоузлах"],
           "lungs": ["лёгких", "обоих лёгких", "лёгочной ткани"], "bones": ["костях", "костях скелета"],
           "liver": ["печени"], "brain": ["головном мозге"], "pleura": ["плевре"], "other": ["других отделах"]},
    "en": {"thyroid": ["thyroid"], "thyroid_bed": ["thyroid bed", "thyroid remnant"],
           "neck_lymph_nodes": ["cervical lymph nodes", "neck nodes"],
           "mediastinal_lymph_nodes": ["mediastinal lymph nodes", "mediastinal nodes"],
           "lungs": ["lungs", "both lungs", "pulmonary parenchyma"], "bones": ["bones", "skeleton"],
           "liver": ["liver"], "brain": ["brain"], "pleura": ["pleura"], "other": ["other sites"]},
}
RESPONSE = {
    "ru": {"PD": ["прогрессирование (PD по RECIST 1.1)", "отрицательная динамика, прогрессирование заболевания"],
           "SD": ["стабилизация (SD)", "без существенной динамики, стабилизация процесса"],
           "PR": ["частичный ответ (PR)", "положительная динамика — частичный ответ"],
           "CR": ["полный ответ (CR)", "полный регресс очагов"]},
    "en": {"PD": ["progressive disease (RECIST 1.1 PD)", "progression"],
           "SD": ["stable disease", "SD per RECIST 1.1"],
           "PR": ["partial response", "PR per RECIST 1.1"],
           "CR": ["complete response", "CR, all target lesions resolved"]},
}
BETHESDA = {
    "ru": {"I": "недиагностический материал", "II": "доброкачественное образование (коллоидный узел)",
           "III": "атипия неопределённого значения", "IV": "фолликулярная неоплазия",
           "V": "подозрение на злокачественную опухоль (папиллярная карцинома?)",
           "VI": "злокачественная опухоль — карцинома щитовидной железы"},
    "en": {"I": "nondiagnostic", "II": "benign (colloid nodule)", "III": "atypia of undetermined significance",
           "IV": "follicular neoplasm", "V": "suspicious for malignancy", "VI": "malignant"},
}
ROMAN_TO_ARABIC = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6"}


def _pick(rng: random.Random, options: list[str]) -> str:
    return rng.choice(options)


def _sites(lang: str, sites: list[str], rng: random.Random) -> str:
    names = [_pick(rng, SITES[lang].get(s, [s])) for s in sites]
    joiner = " и " if lang == "ru" else " and "
    return joiner.join(names) if len(names) < 3 else ", ".join(names[:-1]) + joiner + names[-1]


def _date(day: Any, lang: str) -> str:
    return day.strftime("%d.%m.%Y") if lang == "ru" else day.strftime("%d %b %Y")


# ---------------------------------------------------------------- reports


def _nodes_stated(nodes: dict[str, Any]) -> dict[str, Any]:
    stated: dict[str, Any] = {}
    for level, (removed, positive) in nodes.items():
        stated[f"ln_removed_level_{level.lower()}"] = removed
        stated[f"ln_metastatic_level_{level.lower()}"] = positive
    return stated


def pathology(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    hist = _pick(rng, HISTOLOGY[lang][f["histology_type"]])
    variant = _pick(rng, VARIANT[lang][f["histological_variant"]]) if f.get("histological_variant") else ""
    size, where = f["dominant_tumour_size_mm"], LOCATION[lang][f["dominant_tumour_location"]]
    yes = f["extrathyroidal_extension"] == "yes"
    stated: dict[str, Any] = {"histology_type": f["histology_type"], "dominant_tumour_size_mm": size,
                              "dominant_tumour_location": f["dominant_tumour_location"],
                              "extrathyroidal_extension": f["extrathyroidal_extension"],
                              **_nodes_stated(f["nodes"])}
    if variant:
        stated["histological_variant"] = f["histological_variant"]
    multifocal = f["multifocality"] == "yes"
    say_focality = multifocal or rng.random() < 0.5
    if say_focality:
        stated["multifocality"] = f["multifocality"]
    angio = f["angioinvasion"] == "yes"
    say_angio = angio or rng.random() < 0.7
    if say_angio:
        stated["angioinvasion"] = f["angioinvasion"]
    if lang == "ru":
        size_text = rng.choice((f"{size} мм", f"{size / 10:.1f} см".replace(".", ","), f"до {size} мм",
                                f"{size}мм"))
        nodes = "; ".join(rng.choice((f"уровень {lvl}: {pos}/{rem}",
                                      f"{lvl} уровень — удалено {rem}, с метастазами {pos}",
                                      f"ур. {lvl} — {pos} из {rem} л/у с метастазами"))
                          for lvl, (rem, pos) in f["nodes"].items())
        focality = ("" if not say_focality else
                    rng.choice(("Опухоль мультифокальная. ", "Мультифокальный рост. ")) if multifocal else
                    rng.choice(("Опухоль солитарная. ", "Признаков мультифокального роста не выявлено. ")))
        angioinvasion = ("" if not say_angio else
                         rng.choice(("Определяется ангиоинвазия. ", "Выявлена сосудистая инвазия. ")) if angio else
                         rng.choice(("Ангиоинвазии не выявлено. ", "Сосудистой инвазии нет. ",
                                     "Без признаков ангиоинвазии. ")))
        body = [
            ("Макроскопическое описание", f"В {where} узел размером {size_text}, "
             + rng.choice(("плотный, серо-белый на разрезе", "на разрезе белесоватый, с нечёткими контурами"))),
            ("Микроскопическое описание",
             f"{hist.capitalize()}{', ' + variant if variant else ''}. "
             + (rng.choice(("Опухоль прорастает капсулу щитовидной железы с выходом в окружающую клетчатку. ",
                            "Определяется экстратиреоидное распространение. ")) if yes else
                rng.choice(("Капсула щитовидной железы интактна. ", "Экстратиреоидного распространения нет. ",
                            "Экстратиреоидное распространение не выявлено. ")))
             + focality + angioinvasion),
        ]
        if nodes:
            body.append(("Лимфатические узлы", nodes))
        of_where = LOCATION["ru_of"][f["dominant_tumour_location"]]
        body.append(("Заключение", f"{hist.capitalize()} {of_where}" + (f" ({variant})" if variant else "")
                     + f", {size} мм" + (", с экстратиреоидным распространением" if yes else "") + "."))
        title = rng.choice(("ПАТОЛОГОАНАТОМИЧЕСКОЕ ЗАКЛЮЧЕНИЕ", "Гистологическое заключение",
                            "ПРОТОКОЛ ПРИЖИЗНЕННОГО ПАТОЛОГОАНАТОМИЧЕСКОГО ИССЛЕДОВАНИЯ"))
        return Text(f"{title} № {f['exam_number']}", body, "ru", stated)
    nodes = "; ".join(rng.choice((f"level {lvl}: {pos}/{rem} positive", f"level {lvl} {pos} of {rem} nodes involved",
                                  f"level {lvl}: {rem} nodes, {pos} with metastasis"))
                      for lvl, (rem, pos) in f["nodes"].items())
    focality = ("" if not say_focality else
                rng.choice(("Multifocal. ", "Tumour is multifocal. ")) if multifocal else
                rng.choice(("Unifocal. ", "Solitary tumour. ")))
    angioinvasion = ("" if not say_angio else
                     rng.choice(("Vascular invasion identified.", "Angioinvasion present.")) if angio else
                     rng.choice(("No angioinvasion.", "Vascular invasion: not identified.",
                                 "Negative for vascular invasion.")))
    size_text = rng.choice((f"{size} mm", f"{size / 10:.1f} cm", f"{size}mm"))
    body = [
        ("Gross description", f"{rng.choice(('Nodule', 'Tumour', 'Lesion'))} in the {where}, {size_text} "
         + rng.choice(("in greatest dimension", "", "(largest diameter)")).strip()),
        ("Microscopic", f"{hist}{', ' + variant if variant else ''}. "
         + (rng.choice(("Extrathyroidal extension present. ", "Extrathyroidal extension: present. ")) if yes else
            rng.choice(("No extrathyroidal extension. ", "Extrathyroidal extension: not identified. ")))
         + focality + angioinvasion),
    ]
    if nodes:
        body.append(("Lymph nodes", nodes))
    body.append(("Diagnosis", f"{hist}, {where}, {size} mm."))
    title = rng.choice(("SURGICAL PATHOLOGY REPORT", "Histopathology report"))
    return Text(f"{title} #{f['exam_number']}", body, "en", stated)


def cytology(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    cat = f["bethesda"]
    where = LOCATION[lang][f["location"]]
    stated = {"bethesda": cat}
    if lang == "ru":
        category = rng.choice((f"категория {cat} по Bethesda", f"Bethesda {cat}", f"TBSRTC {ROMAN_TO_ARABIC[cat]}",
                               f"Bethesda {ROMAN_TO_ARABIC[cat]}", f"{cat} категория по системе Бетесда"))
        return Text(rng.choice(("ЦИТОЛОГИЧЕСКОЕ ЗАКЛЮЧЕНИЕ", "Заключение цитологического исследования (ТАБ)")), [
            ("Материал", f"Пунктат узла в {where}, {f['size_mm']} мм"),
            ("Заключение", f"{BETHESDA['ru'][cat].capitalize()} ({category})."),
        ], "ru", stated)
    category = rng.choice((f"Bethesda category {cat}", f"Bethesda {ROMAN_TO_ARABIC[cat]}", f"TBSRTC {cat}"))
    return Text(rng.choice(("CYTOPATHOLOGY REPORT", "Fine-needle aspiration cytology")), [
        ("Specimen", f"FNA, {where} nodule, {f['size_mm']} mm"),
        ("Interpretation", f"{BETHESDA['en'][cat].capitalize()} ({category})."),
    ], "en", stated)


def ultrasound(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    nodes = f.get("nodes_mm") or []
    stated: dict[str, Any] = {"suspicious_nodes": "yes" if nodes else "no"}
    if nodes:
        stated["node_size_mm"] = max(nodes)
    if f["context"] == "primary":
        stated.update(nodule_size_mm=f["nodule_mm"], nodule_location=f["location"], tirads=f["tirads"])
    if lang == "ru":
        if f["context"] == "primary":
            first = (f"В {LOCATION['ru'][f['location']]} визуализируется "
                     + rng.choice(("гипоэхогенный узел", "солидное гипоэхогенное образование", "узловое образование"))
                     + " " + rng.choice((f"{f['nodule_mm']} мм", f"размером {f['nodule_mm']} мм",
                                         f"{f['nodule_mm'] / 10:.1f} см".replace(".", ","))) + ", "
                     + rng.choice(("с неровными контурами и микрокальцинатами", "с нечёткими контурами",
                                   "вертикально ориентированный")) + ". "
                     + rng.choice((f"TI-RADS {f['tirads']}.", f"EU-TIRADS {f['tirads']}.",
                                   f"Категория TI-RADS: {f['tirads']}.", f"TR{f['tirads']}.")))
        else:
            first = rng.choice(("Ложе щитовидной железы без объёмных образований.",
                                "В ложе удалённой щитовидной железы патологических образований не выявлено."))
        second = (rng.choice(("Лимфоузлы шеи увеличены", "Л/у шеи увеличены", "Определяются измененные лимфоузлы шеи"))
                  + f" до {max(nodes)} мм, округлой формы, без ворот, "
                  + rng.choice(("с кистозным компонентом", "с микрокальцинатами", "с гиперваскуляризацией"))
                  + " — признаки метастатического поражения." if nodes else
                  rng.choice(("Регионарные лимфоузлы не увеличены.", "Лимфоузлы шеи обычной структуры.",
                              "Патологически измененных лимфоузлов не выявлено.")))
        return Text(rng.choice(("УЗИ щитовидной железы и лимфоузлов шеи", "Протокол ультразвукового исследования",
                                "УЗИ шеи")), [("Описание", f"{first} {second}"),
                                              ("Заключение", "Метастазы в лимфоузлы шеи." if nodes else
                                               ("Узел щитовидной железы, подозрительный на рак." if
                                                f["context"] == "primary" else "Данных за рецидив не получено."))],
                    "ru", stated)
    if f["context"] == "primary":
        first = (f"A {rng.choice(('hypoechoic solid nodule', 'taller-than-wide hypoechoic nodule', 'solid nodule'))} "
                 f"measuring {f['nodule_mm']} mm in the {LOCATION['en'][f['location']]}, "
                 f"{rng.choice(('irregular margins', 'microcalcifications', 'ill-defined margins'))}. "
                 + rng.choice((f"TI-RADS {f['tirads']}.", f"ACR TI-RADS TR{f['tirads']}.",
                               f"TI-RADS category {f['tirads']}.")))
    else:
        first = rng.choice(("Thyroid bed is clear.", "No mass in the thyroidectomy bed."))
    second = (f"Abnormal cervical lymph nodes up to {max(nodes)} mm, round, loss of fatty hilum." if nodes else
              rng.choice(("No suspicious cervical lymphadenopathy.", "Neck lymph nodes unremarkable.",
                          "No abnormal neck nodes.")))
    return Text(rng.choice(("NECK ULTRASOUND", "Thyroid/neck US report")), [
        ("Findings", f"{first} {second}"),
        ("Impression", "Metastatic cervical lymph nodes." if nodes else
         ("Suspicious thyroid nodule." if f["context"] == "primary" else "No evidence of recurrence."))], "en",
        stated)


def ct(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    targets = [(site, int(mm)) for site, mm in (f.get("targets") or []) if mm > 0]
    response = f.get("response")
    stated: dict[str, Any] = {"lesion_sites": sorted(set(f["sites"]))}
    for k, (site, mm) in enumerate(targets, start=1):
        stated[f"target_lesion_{k}_site"], stated[f"target_lesion_{k}_mm"] = site, mm
    if targets and f.get("sum"):
        stated["sum_of_diameters_mm"] = int(f["sum"])
    if response:
        stated["recist_response"] = response
    say_new = f.get("new") or (targets and rng.random() < 0.5)
    if say_new:
        stated["new_lesions"] = "yes" if f.get("new") else "no"
    if lang == "ru":
        lines = [rng.choice((f"Очаг {k} ({_pick(rng, SITES['ru'].get(site, [site]))}): {mm} мм",
                             f"таргетный очаг №{k} — {_pick(rng, SITES['ru'].get(site, [site]))}, {mm} мм"))
                 for k, (site, mm) in enumerate(targets, start=1)]
        description = ("; ".join(lines) + (f". Сумма диаметров {int(f['sum'])} мм." if f.get("sum") else ".")
                       if lines else "Очаговых и инфильтративных изменений не выявлено.")
        if f.get("new"):
            description += " " + rng.choice(("Появились новые очаги.",
                                             "Определяются новые очаги, ранее не выявлявшиеся."))
        elif say_new:
            description += " " + rng.choice(("Новых очагов не выявлено.", "Новые очаги не определяются."))
        conclusion = (f"Очаговое поражение: {_sites('ru', f['sites'], rng)}." if f["sites"]
                      else "Без очаговой патологии.")
        if response:
            conclusion += f" В сравнении с предыдущим исследованием — {_pick(rng, RESPONSE['ru'][response])}."
        return Text(rng.choice(("МСКТ шеи и органов грудной клетки", "КТ с внутривенным контрастированием")),
                    [("Описание", description), ("Заключение", conclusion)], "ru", stated)
    lines = [f"Target {k} ({_pick(rng, SITES['en'].get(site, [site]))}): {mm} mm"
             for k, (site, mm) in enumerate(targets, start=1)]
    description = ("; ".join(lines) + (f". Sum of diameters {int(f['sum'])} mm." if f.get("sum") else ".")
                   if lines else "No focal lesions.")
    if f.get("new"):
        description += " New lesions are present."
    elif say_new:
        description += " " + rng.choice(("No new lesions.", "No new lesion is seen."))
    conclusion = (f"Disease in {_sites('en', f['sites'], rng)}." if f["sites"] else "No evidence of disease.")
    if response:
        conclusion += f" Compared with prior: {_pick(rng, RESPONSE['en'][response])}."
    return Text(rng.choice(("CT NECK AND CHEST WITH CONTRAST", "Contrast-enhanced CT report")),
                [("Findings", description), ("Impression", conclusion)], "en", stated)


def _scan_stated(f: dict[str, Any]) -> dict[str, Any]:
    stated: dict[str, Any] = {"uptake": "present" if f["sites"] else "absent",
                              "post_scan_modality": "SPECT_CT" if f["scan"] == "SPECT_CT" else "WBS"}
    if f["sites"]:
        stated["uptake_sites"] = sorted(set(f["sites"]))
    return stated


def scintigraphy(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    mbq = round(f["mci"] * 37)
    therapy = f["procedure"] == "therapy"
    sites = f["sites"]
    spect = f["scan"] == "SPECT_CT"
    stated = {"procedure": f["procedure"], "isotope": f["isotope"], **_scan_stated(f)}
    if lang == "ru":
        given, stated["activity"] = rng.choice(((f"{mbq} МБк", mbq), (f"{mbq / 1000:.2f} ГБк".replace(".", ","),
                                                                        round(round(mbq / 1000, 2) * 1000, 1)),
                                                (f"{f['mci']:g} мКи", round(f["mci"] * 37, 1))))
        intro = (f"{'Радиойодтерапия' if therapy else 'Диагностическое исследование'}: введено {given} "
                 f"{f['isotope'].replace('I-', '')}I. "
                 + ("Выполнена сцинтиграфия всего тела и ОФЭКТ/КТ." if spect else "Выполнена сцинтиграфия всего тела."))
        found = (f"Определяется накопление РФП в {_sites('ru', sites, rng)}." if sites else
                 rng.choice(("Очагов патологического накопления РФП не выявлено.",
                             "Накопления радиофармпрепарата не определяется.", "Йоднегативное исследование.")))
        return Text(rng.choice(("Посттерапевтическая сцинтиграфия" if therapy else "Сцинтиграфия с радиойодом",
                                "ПРОТОКОЛ РАДИОНУКЛИДНОГО ИССЛЕДОВАНИЯ")),
                    [("Исследование", intro), ("Заключение", found)], "ru", stated)
    given, stated["activity"] = rng.choice(((f"{mbq} MBq", mbq), (f"{f['mci']:g} mCi", round(f["mci"] * 37, 1)),
                                            (f"{mbq / 1000:.1f} GBq", round(round(mbq / 1000, 1) * 1000, 1))))
    intro = (f"{'Post-therapy' if therapy else 'Diagnostic'} {f['isotope']} "
             f"{'SPECT/CT' if spect else 'whole-body scan'} after {given}.")
    found = (f"Radioiodine uptake in the {_sites('en', sites, rng)}." if sites else
             rng.choice(("No abnormal radioiodine uptake.", "No iodine-avid disease.", "Negative scan.")))
    return Text(rng.choice(("NUCLEAR MEDICINE REPORT", "Whole-body radioiodine scan")),
                [("Procedure", intro), ("Impression", found)], "en", stated)


def pet_ct(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    stated: dict[str, Any] = {"fdg_avid": "yes" if f["avid"] else "no"}
    if f["avid"]:
        stated.update(suv_max=f["suv_max"], lesion_sites=sorted(set(f["sites"])))
    if lang == "ru":
        found = (f"Гиперметаболические очаги в {_sites('ru', f['sites'], rng)}, SUVmax {f['suv_max']}".replace(".", ",")
                 + "." if f["avid"] else
                 rng.choice(("Очагов патологической метаболической активности не выявлено.",
                             f"Данных за метаболически активную опухолевую ткань нет (SUVmax фона {f['suv_max']})."
                             .replace(".", ",", 1) if rng.random() < 0.5 else
                             "Данных за метаболически активную опухолевую ткань нет.")))
        return Text(rng.choice(("ПЭТ/КТ с 18F-ФДГ", "Позитронно-эмиссионная томография, совмещённая с КТ")),
                    [("Заключение", found)], "ru", stated)
    found = (f"FDG-avid lesions in the {_sites('en', f['sites'], rng)}, SUVmax {f['suv_max']}." if f["avid"] else
             rng.choice(("No FDG-avid disease.", "No hypermetabolic lesions.")))
    return Text(rng.choice(("FDG PET/CT", "18F-FDG PET-CT REPORT")), [("Impression", found)], "en", stated)


RENDERERS: dict[str, Callable[[dict[str, Any], str, random.Random], Text]] = {
    "pathology": pathology, "cytology": cytology, "ultrasound": ultrasound, "ct": ct,
    "scintigraphy": scintigraphy, "pet_ct": pet_ct,
}


def render_report(report: Report, language: str, rng: random.Random) -> Text:
    return RENDERERS[report.kind](report.facts, language, rng)


# ---------------------------------------------------------------- discharge summaries

EXTENT_RU = {"total_thyroidectomy": "тиреоидэктомия", "hemithyroidectomy": "гемитиреоидэктомия",
             "completion_thyroidectomy": "завершающая тиреоидэктомия", "neck_dissection": "фасциально-футлярное "
             "иссечение клетчатки шеи", "none": "биопсия опухоли", "subtotal_resection": "субтотальная резекция"}
THYROID_EXTENTS = frozenset({"total_thyroidectomy", "hemithyroidectomy", "completion_thyroidectomy",
                             "subtotal_resection", "none"})
COMPLICATION_RU = {"paresis_unilateral": "односторонний парез гортани",
                   "paresis_bilateral": "двусторонний парез гортани",
                   "paralysis_unilateral": "односторонний паралич гортани",
                   "paralysis_bilateral": "двусторонний паралич гортани",
                   "hypoparathyroidism_transient": "транзиторный гипопаратиреоз",
                   "hypoparathyroidism_permanent": "стойкий гипопаратиреоз", "other": "гематома послеоперационной раны"}


def render_discharge(admission: Admission, identity: Identity, emr_id: str, rng: random.Random) -> Text:
    """A short Russian discharge summary for a surgical or radioiodine admission."""
    f = admission.discharge_facts or {}
    patient = (f"{identity.full_name()}, {identity.birth_date:%d.%m.%Y} г.р., "
               f"медицинская карта № {emr_id}")
    stay = f"Находился(-ась) на лечении с {admission.admitted:%d.%m.%Y} по {admission.discharged:%d.%m.%Y}"
    paragraphs = [("Пациент", patient), ("Период", f"{stay}, {admission.department}.")]
    stated: dict[str, Any] = {}
    if f.get("kind") == "surgery":
        diagnosis = "Рак щитовидной железы" + (f", {f['tnm']}, стадия {f['stage']}" if f.get("tnm") else "")
        if f.get("histology"):
            diagnosis += f". Гистологически: {_pick(rng, HISTOLOGY['ru'][f['histology']])}"
        levels = ", ".join(f.get("levels") or [])
        done = f"{f['surgery_date']:%d.%m.%Y} выполнена операция: {EXTENT_RU.get(f['extent'], f['extent'])}" + (
            f", лимфодиссекция (уровни {levels})" if levels else "") + "."
        stated["surgery_date"] = f["surgery_date"].isoformat()
        if f["extent"] in THYROID_EXTENTS:
            stated["thyroid_extent"] = f["extent"]
        if f.get("levels"):
            stated["lymph_node_levels"] = sorted(set(f["levels"]))
        for c in f.get("complications") or []:
            if c.startswith(("paresis", "paralysis")):
                stated["laryngeal_nerve_complication"] = c
            elif c.startswith("hypoparathyroidism"):
                stated["hypoparathyroidism"] = c.rsplit("_", 1)[1]
        course_text = ("Послеоперационный период: " + ", ".join(COMPLICATION_RU[c] for c in f["complications"]) + "."
                       if f.get("complications") else rng.choice(("Послеоперационный период без осложнений.",
                                                                   "Течение послеоперационного периода гладкое.")))
        advice = rng.choice(("Наблюдение онколога и эндокринолога по месту жительства. Заместительная терапия "
                             "левотироксином. Решение вопроса о радиойодтерапии.",
                             "Контроль ТТГ, тиреоглобулина, кальция через 4–6 недель. Консультация радиолога."))
        paragraphs += [("Диагноз", diagnosis + "."), ("Проведено лечение", done), ("Течение", course_text),
                       ("Рекомендации", advice)]
        title = "ВЫПИСНОЙ ЭПИКРИЗ (хирургическое лечение)"
    else:
        sites = f.get("sites") or []
        found = ("накопление РФП в " + _sites("ru", sites, rng)) if sites else "очагов накопления не выявлено"
        given = rng.choice((f"введено {f['mbq']} МБк ({f['mci']:g} мКи) 131I",
                            f"введено {f['mci']:g} мКи ({f['mbq']} МБк) I-131",
                            f"активность {f['mbq']} МБк 131I"))
        done = (f"{f['therapy_date']:%d.%m.%Y} проведена радиойодтерапия ({f['course_number']}-й курс): "
                f"{given}. Посттерапевтическое исследование "
                f"({'ОФЭКТ/КТ' if f['scan'] == 'SPECT_CT' else 'сцинтиграфия всего тела'}): {found}.")
        stated.update(procedure="therapy", therapy_date=f["therapy_date"].isoformat(), isotope="I-131",
                      activity=float(f["mbq"]), **_scan_stated(f))
        paragraphs += [("Диагноз", "Рак щитовидной железы, состояние после тиреоидэктомии."),
                       ("Проведено лечение", done),
                       ("Рекомендации", rng.choice(("Возобновить приём левотироксина. Контроль ТТГ и "
                                                    "тиреоглобулина через 3 месяца.",
                                                    "Ограничение контактов с детьми и беременными 7 дней. "
                                                    "Контроль через 6 месяцев.")))]
        title = "ВЫПИСНОЙ ЭПИКРИЗ (радиойодтерапия)"
    return Text(title, paragraphs, "ru", stated)
