"""Wording of thyroid reports and discharge summaries in Russian and English: templates with synonyms."""

from __future__ import annotations

import hashlib
import random
import re
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
            "ru_nom": {"right_lobe": "правая доля", "left_lobe": "левая доля", "isthmus": "перешеек",
                       "both_lobes": "обе доли"},
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


SITE_NAMES_RU = {"thyroid": "щитовидная железа", "thyroid_bed": "ложе ЩЖ", "neck_lymph_nodes": "л/у шеи",
                 "mediastinal_lymph_nodes": "л/у средостения", "lungs": "лёгкие", "bones": "кости", "liver": "печень",
                 "brain": "головной мозг", "pleura": "плевра", "other": "другие отделы"}  # a table cell's nominative
STYLES = ("narrative", "telegraphic", "table")
# Filler sentences: no finding, no negation, no number; one may follow the previous sentence without a space.
FILLER = {"ru": ["Материал фиксирован в формалине.", "Исследование выполнено по стандартному протоколу.",
                 "Сравнение с архивными данными проведено.", "Описание составлено врачом отделения."],
          "en": ["Specimen received in formalin.", "Standard protocol was followed.",
                 "Comparison made with the archived study.", "Report dictated by the attending physician."]}
WORD = re.compile(r"[A-Za-zА-Яа-яЁё]{7,}")


def wording_stream(key: str, rng: random.Random) -> random.Random:
    """The wording's own random stream for one document, derived from the caller's state without drawing from it,
    so that the wording never shifts any other synthetic value."""
    digest = hashlib.sha256(f"{key}/{rng.getstate()!r}".encode()).hexdigest()
    return random.Random(digest)


def _pick(rng: random.Random, options: list[str]) -> str:
    return rng.choice(options)


def _sites(lang: str, sites: list[str], rng: random.Random) -> str:
    names = [_pick(rng, SITES[lang].get(s, [s])) for s in sites]
    joiner = " и " if lang == "ru" else " and "
    return joiner.join(names) if len(names) < 3 else ", ".join(names[:-1]) + joiner + names[-1]


def _typo(rng: random.Random, phrase: str, share: float = 0.3) -> str:
    """Now and then one long plain word of a phrase with no finding in it gets a doubled or a dropped letter."""
    words = list(WORD.finditer(phrase))
    if not words or rng.random() >= share:
        return phrase
    m = rng.choice(words)
    i = rng.randrange(2, len(m.group()) - 1)
    word = m.group()
    word = word[:i] + word[i] + word[i:] if rng.random() < 0.5 else word[:i] + word[i + 1:]
    return phrase[:m.start()] + word + phrase[m.end():]


def _filler(rng: random.Random, lang: str, text: str) -> str:
    """The text with a filler sentence after it, sometimes typed without the space after the full stop."""
    if rng.random() >= 0.4:
        return text
    return text + ("" if rng.random() < 0.4 else " ") + _typo(rng, rng.choice(FILLER[lang]))


def _table(rows: list[tuple[str, str]]) -> str:
    """A table flattened to text, one `cell | cell` line per row (as a PDF text layer or a copy-paste gives it)."""
    return "\n".join(" | ".join(row) for row in rows)


# ---------------------------------------------------------------- reports


def _nodes_stated(nodes: dict[str, Any]) -> dict[str, Any]:
    stated: dict[str, Any] = {}
    for level, (removed, positive) in nodes.items():
        stated[f"ln_removed_level_{level.lower()}"] = removed
        stated[f"ln_metastatic_level_{level.lower()}"] = positive
    return stated


def _pathology_ru(f: dict[str, Any], w: random.Random, style: str, hist: str, variant: str,
                  say: dict[str, bool]) -> tuple[str, list[tuple[str, str]]]:
    size, where = f["dominant_tumour_size_mm"], LOCATION["ru"][f["dominant_tumour_location"]]
    of_where = LOCATION["ru_of"][f["dominant_tumour_location"]]
    yes, multifocal, angio = (f["extrathyroidal_extension"] == "yes", f["multifocality"] == "yes",
                              f["angioinvasion"] == "yes")
    nodes = f["nodes"].items()
    if style == "table":
        rows = [("Параметр", "Значение"), ("Гистологический тип", hist)]
        if variant:
            rows.append(("Вариант", variant))
        rows += [("Локализация", LOCATION["ru_nom"][f["dominant_tumour_location"]]),
                 ("Размер опухоли", f"{size} мм"),
                 ("Экстратиреоидное распространение", "есть" if yes else w.choice(("нет", "не выявлено")))]
        if say["focality"]:
            rows.append(("Мультифокальность", "да" if multifocal else "нет"))
        if say["angio"]:
            rows.append(("Ангиоинвазия", "есть" if angio else w.choice(("нет", "не выявлена"))))
        rows += [(f"Лимфоузлы, ур. {lvl}", f"{pos}/{rem}") for lvl, (rem, pos) in nodes]
        title = w.choice(("ПРОТОКОЛ ПАТОЛОГОАНАТОМИЧЕСКОГО ИССЛЕДОВАНИЯ",
                          "Гистологическое заключение (синоптический протокол)"))
        return title, [("Протокол", _table(rows)), ("Заключение", _filler(w, "ru", f"{hist.capitalize()} {of_where}."))]
    if style == "telegraphic":
        third = w.choice(("в/3 ", "с/3 ", "н/3 ", ""))
        parts = [f"ЩЖ: {third}{of_where} — {hist}" + (f", {variant}" if variant else "") + f", р-р {size} мм.",
                 "Экстратиреоидное распространение: " + ("есть." if yes else "нет.")]
        if say["focality"]:
            parts.append("Мультифокальность: " + ("да." if multifocal else "нет."))
        if say["angio"]:
            parts.append("Ангиоинвазия: " + ("есть." if angio else "нет."))
        if f["extrathyroidal_extension"] != "yes" and w.random() < 0.5:
            parts.append("Края резекции без опухолевого роста.")
        body = [("Микро", _filler(w, "ru", " ".join(parts)))]
        if nodes:
            body.append(("Л/у", "; ".join(f"ур. {lvl} — {pos}/{rem}" for lvl, (rem, pos) in nodes) + "."))
        return w.choice(("ПГИ", "Патогистологическое заключение")), body
    size_text = w.choice((f"{size} мм", f"{size / 10:.1f} см".replace(".", ","), f"до {size} мм", f"{size}мм"))
    focality = ("" if not say["focality"] else
                w.choice(("Опухоль мультифокальная. ", "Мультифокальный рост. ")) if multifocal else
                w.choice(("Опухоль солитарная. ", "Признаков мультифокального роста не выявлено. ")))
    angioinvasion = ("" if not say["angio"] else
                     w.choice(("Определяется ангиоинвазия. ", "Выявлена сосудистая инвазия. ")) if angio else
                     w.choice(("Ангиоинвазии не выявлено. ", "Сосудистой инвазии нет. ",
                               "Без признаков ангиоинвазии. ")))
    node_text = "; ".join(w.choice((f"уровень {lvl}: {pos}/{rem}",
                                    f"{lvl} уровень — удалено {rem}, с метастазами {pos}",
                                    f"ур. {lvl} — {pos} из {rem} л/у с метастазами")) for lvl, (rem, pos) in nodes)
    body = [("Макроскопическое описание", f"В {where} узел размером {size_text}, "
             + _typo(w, w.choice(("плотный, серо-белый на разрезе", "на разрезе белесоватый, с нечёткими контурами")))),
            ("Микроскопическое описание", _filler(w, "ru", (
                f"{hist.capitalize()}{', ' + variant if variant else ''}. "
                + (w.choice(("Опухоль прорастает капсулу щитовидной железы с выходом в окружающую клетчатку. ",
                             "Определяется экстратиреоидное распространение. ")) if yes else
                   w.choice(("Капсула щитовидной железы интактна. ", "Экстратиреоидного распространения нет. ",
                             "Экстратиреоидное распространение не выявлено. ")))
                + focality + angioinvasion).strip()))]
    if node_text:
        body.append(("Лимфатические узлы", node_text))
    body.append(("Заключение", f"{hist.capitalize()} {of_where}" + (f" ({variant})" if variant else "")
                 + f", {size} мм" + (", с экстратиреоидным распространением" if yes else "") + "."))
    return w.choice(("ПАТОЛОГОАНАТОМИЧЕСКОЕ ЗАКЛЮЧЕНИЕ", "Гистологическое заключение",
                     "ПРОТОКОЛ ПРИЖИЗНЕННОГО ПАТОЛОГОАНАТОМИЧЕСКОГО ИССЛЕДОВАНИЯ")), body


def _pathology_en(f: dict[str, Any], w: random.Random, style: str, hist: str, variant: str,
                  say: dict[str, bool]) -> tuple[str, list[tuple[str, str]]]:
    size, where = f["dominant_tumour_size_mm"], LOCATION["en"][f["dominant_tumour_location"]]
    yes, multifocal, angio = (f["extrathyroidal_extension"] == "yes", f["multifocality"] == "yes",
                              f["angioinvasion"] == "yes")
    nodes = f["nodes"].items()
    if style == "table":
        rows = [("Parameter", "Finding"), ("Histologic type", hist)]
        if variant:
            rows.append(("Subtype", variant))
        rows += [("Tumour site", where), ("Tumour size", f"{size} mm"),
                 ("Extrathyroidal extension", "present" if yes else w.choice(("not identified", "absent")))]
        if say["focality"]:
            rows.append(("Focality", "multifocal" if multifocal else "unifocal"))
        if say["angio"]:
            rows.append(("Lymphovascular invasion", "present" if angio else "not identified"))
        rows += [(f"Lymph nodes, level {lvl}", f"{pos}/{rem}") for lvl, (rem, pos) in nodes]
        return (w.choice(("SYNOPTIC PATHOLOGY REPORT", "Thyroid carcinoma synoptic report")),
                [("Synopsis", _table(rows)), ("Comment", _filler(w, "en", "See synopsis above."))])
    if style == "telegraphic":
        parts = [f"Dx: {hist}" + (f", {variant}" if variant else "") + f". Site: {where}. Size: {size} mm.",
                 "ETE: " + ("present." if yes else w.choice(("absent.", "not identified.")))]
        if say["focality"]:
            parts.append("Focality: " + ("multifocal." if multifocal else "unifocal."))
        if say["angio"]:
            parts.append("LVI: " + ("present." if angio else "not identified."))
        body = [("Summary", _filler(w, "en", " ".join(parts)))]
        if nodes:
            body.append(("LN", "; ".join(f"level {lvl} {pos}/{rem}" for lvl, (rem, pos) in nodes) + "."))
        return w.choice(("Path report", "SURGICAL PATHOLOGY (brief)")), body
    node_text = "; ".join(w.choice((f"level {lvl}: {pos}/{rem} positive", f"level {lvl} {pos} of {rem} nodes involved",
                                    f"level {lvl}: {rem} nodes, {pos} with metastasis")) for lvl, (rem, pos) in nodes)
    focality = ("" if not say["focality"] else w.choice(("Multifocal. ", "Tumour is multifocal. ")) if multifocal
                else w.choice(("Unifocal. ", "Solitary tumour. ")))
    angioinvasion = ("" if not say["angio"] else
                     w.choice(("Vascular invasion identified.", "Angioinvasion present.")) if angio else
                     w.choice(("No angioinvasion.", "Vascular invasion: not identified.",
                               "Negative for vascular invasion.")))
    size_text = w.choice((f"{size} mm", f"{size / 10:.1f} cm", f"{size}mm"))
    body = [("Gross description", f"{w.choice(('Nodule', 'Tumour', 'Lesion'))} in the {where}, {size_text} "
             + w.choice(("in greatest dimension", "", "(largest diameter)")).strip()),
            ("Microscopic", _filler(w, "en", (
                f"{hist}{', ' + variant if variant else ''}. "
                + (w.choice(("Extrathyroidal extension present. ", "Extrathyroidal extension: present. ")) if yes else
                   w.choice(("No extrathyroidal extension. ", "Extrathyroidal extension: not identified. ")))
                + focality + angioinvasion).strip()))]
    if node_text:
        body.append(("Lymph nodes", node_text))
    body.append(("Diagnosis", f"{hist}, {where}, {size} mm."))
    return w.choice(("SURGICAL PATHOLOGY REPORT", "Histopathology report")), body


def pathology(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    style = rng.choice(STYLES)
    hist = _pick(rng, HISTOLOGY[lang][f["histology_type"]])
    variant = _pick(rng, VARIANT[lang][f["histological_variant"]]) if f.get("histological_variant") else ""
    stated: dict[str, Any] = {"histology_type": f["histology_type"],
                              "dominant_tumour_size_mm": f["dominant_tumour_size_mm"],
                              "dominant_tumour_location": f["dominant_tumour_location"],
                              "extrathyroidal_extension": f["extrathyroidal_extension"], **_nodes_stated(f["nodes"])}
    if variant:
        stated["histological_variant"] = f["histological_variant"]
    say = {"focality": f["multifocality"] == "yes" or rng.random() < 0.5,
           "angio": f["angioinvasion"] == "yes" or rng.random() < 0.7}
    if say["focality"]:
        stated["multifocality"] = f["multifocality"]
    if say["angio"]:
        stated["angioinvasion"] = f["angioinvasion"]
    title, body = (_pathology_ru if lang == "ru" else _pathology_en)(f, rng, style, hist, variant, say)
    return Text(f"{title} {'№' if lang == 'ru' else '#'}{' ' if lang == 'ru' else ''}{f['exam_number']}", body, lang,
                stated)


def cytology(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    cat = f["bethesda"]
    where = LOCATION[lang][f["location"]]
    stated = {"bethesda": cat}
    style = rng.choice(STYLES)
    if lang == "ru":
        category = rng.choice((f"категория {cat} по Bethesda", f"Bethesda {cat}", f"TBSRTC {ROMAN_TO_ARABIC[cat]}",
                               f"Bethesda {ROMAN_TO_ARABIC[cat]}", f"{cat} категория по системе Бетесда"))
        title = rng.choice(("ЦИТОЛОГИЧЕСКОЕ ЗАКЛЮЧЕНИЕ", "Заключение цитологического исследования (ТАБ)"))
        if style == "table":
            body = [("Результат", _table([("Материал", f"пунктат узла, {LOCATION['ru_of'][f['location']]}"),
                                          ("Размер узла", f"{f['size_mm']} мм"), ("Bethesda", cat),
                                          ("Заключение", BETHESDA["ru"][cat])]))]
        elif style == "telegraphic":
            body = [("ТАБ", f"ТАБ узла {LOCATION['ru_of'][f['location']]} ({rng.choice(('в/3', 'с/3', 'н/3'))}), "
                            f"р-р {f['size_mm']} мм, под УЗ-контролем."),
                    ("Закл.", _filler(rng, "ru", f"{BETHESDA['ru'][cat].capitalize()} — {category}."))]
        else:
            body = [("Материал", f"Пунктат узла в {where}, {f['size_mm']} мм. "
                     + _typo(rng, rng.choice(("Получено достаточное количество материала.",
                                              "Мазки приготовлены и окрашены по Романовскому.")))),
                    ("Заключение", f"{BETHESDA['ru'][cat].capitalize()} ({category}).")]
        return Text(title, body, "ru", stated)
    category = rng.choice((f"Bethesda category {cat}", f"Bethesda {ROMAN_TO_ARABIC[cat]}", f"TBSRTC {cat}"))
    title = rng.choice(("CYTOPATHOLOGY REPORT", "Fine-needle aspiration cytology"))
    if style == "table":
        body = [("Result", _table([("Specimen", f"FNA, {where} nodule"), ("Nodule size", f"{f['size_mm']} mm"),
                                   ("Bethesda", cat), ("Interpretation", BETHESDA["en"][cat])]))]
    elif style == "telegraphic":
        body = [("Specimen", f"US-guided FNA bx, {where} nodule {f['size_mm']} mm."),
                ("Dx", _filler(rng, "en", f"{BETHESDA['en'][cat].capitalize()}; {category}."))]
    else:
        body = [("Specimen", f"FNA, {where} nodule, {f['size_mm']} mm. "
                 + _typo(rng, rng.choice(("Adequate cellularity.", "Smears stained with Papanicolaou stain.")))),
                ("Interpretation", f"{BETHESDA['en'][cat].capitalize()} ({category}).")]
    return Text(title, body, "en", stated)


def _ultrasound_ru(f: dict[str, Any], w: random.Random, style: str, nodes: list[int]) -> list[tuple[str, str]]:
    primary = f["context"] == "primary"
    of_where = LOCATION["ru_of"].get(f.get("location") or "", "")
    if style == "table":
        rows = ([("Узел", of_where, f"{f['nodule_mm']} мм", f"TI-RADS {f['tirads']}")] if primary else
                [("Ложе ЩЖ", "без объёмных образований")])
        rows.append(("Лимфоузлы шеи", f"увеличены до {max(nodes)} мм", "без ворот") if nodes else
                    ("Лимфоузлы шеи", "не увеличены"))
        return [("Результат", _table(rows))]
    if style == "telegraphic":
        first = (f"ЩЖ: узел {w.choice(('в/3', 'с/3', 'н/3'))} {of_where} {f['nodule_mm']} мм, гипоэхогенный, "
                 + _typo(w, w.choice(("контуры неровные", "вертикальной ориентации", "с микрокальцинатами")))
                 + f". TI-RADS {f['tirads']}." if primary else "Ложе ЩЖ: без объёмных образований.")
        second = (f"Л/у шеи увеличены до {max(nodes)} мм, без ворот." if nodes else
                  w.choice(("Л/у шеи не увеличены.", "Регионарные лимфоузлы не увеличены.")))
        return [("УЗИ", _filler(w, "ru", f"{first} {second}"))]
    if primary:
        first = (f"В {LOCATION['ru'][f['location']]} визуализируется "
                 + w.choice(("гипоэхогенный узел", "солидное гипоэхогенное образование", "узловое образование"))
                 + " " + w.choice((f"{f['nodule_mm']} мм", f"размером {f['nodule_mm']} мм",
                                   f"{f['nodule_mm'] / 10:.1f} см".replace(".", ","))) + ", "
                 + _typo(w, w.choice(("с неровными контурами и микрокальцинатами", "с нечёткими контурами",
                                      "вертикально ориентированный"))) + ". "
                 + w.choice((f"TI-RADS {f['tirads']}.", f"EU-TIRADS {f['tirads']}.",
                             f"Категория TI-RADS: {f['tirads']}.",
                             f"TR{f['tirads']}.")))
    else:
        first = w.choice(("Ложе щитовидной железы без объёмных образований.",
                          "В ложе удалённой щитовидной железы патологических образований не выявлено."))
    second = (w.choice(("Лимфоузлы шеи увеличены", "Л/у шеи увеличены", "Определяются измененные лимфоузлы шеи"))
              + f" до {max(nodes)} мм, округлой формы, без ворот, "
              + w.choice(("с кистозным компонентом", "с микрокальцинатами", "с гиперваскуляризацией"))
              + " — признаки метастатического поражения." if nodes else
              w.choice(("Регионарные лимфоузлы не увеличены.", "Лимфоузлы шеи обычной структуры.",
                        "Патологически измененных лимфоузлов не выявлено.")))
    # hedged conclusions name no gold fact: the nodule's size, site and category stand in the description
    conclusion = ("Метастазы в лимфоузлы шеи." if nodes else
                  w.choice(("Узел щитовидной железы, подозрительный на рак.", "Вероятно, злокачественный узел. "
                            "Рекомендована ТАБ.")) if primary else "Данных за рецидив не получено.")
    return [("Описание", f"{first} {second}"), ("Заключение", conclusion)]


def _ultrasound_en(f: dict[str, Any], w: random.Random, style: str, nodes: list[int]) -> list[tuple[str, str]]:
    primary = f["context"] == "primary"
    where = LOCATION["en"].get(f.get("location") or "", "")
    if style == "table":
        rows = ([("Nodule", where, f"{f['nodule_mm']} mm", f"TI-RADS {f['tirads']}")] if primary else
                [("Thyroid bed", "clear")])
        rows.append(("Abnormal neck nodes", f"up to {max(nodes)} mm", "round, no fatty hilum") if nodes else
                    ("Neck nodes", "not enlarged"))
        return [("Findings", _table(rows))]
    if style == "telegraphic":
        first = (f"Thyroid: {where} nodule {f['nodule_mm']} mm, hypoechoic, "
                 + _typo(w, w.choice(("irregular margins", "taller-than-wide", "punctate echogenic foci")))
                 + f". ACR TI-RADS TR{f['tirads']}." if primary else "Thyroid bed: clear.")
        second = (f"Abnormal cervical nodes up to {max(nodes)} mm, no fatty hilum." if nodes else
                  w.choice(("No abnormal neck nodes.", "Neck lymph nodes unremarkable.")))
        return [("US", _filler(w, "en", f"{first} {second}"))]
    if primary:
        first = (f"A {w.choice(('hypoechoic solid nodule', 'taller-than-wide hypoechoic nodule', 'solid nodule'))} "
                 f"measuring {f['nodule_mm']} mm in the {where}, "
                 f"{_typo(w, w.choice(('irregular margins', 'microcalcifications', 'ill-defined margins')))}. "
                 + w.choice((f"TI-RADS {f['tirads']}.", f"ACR TI-RADS TR{f['tirads']}.",
                             f"TI-RADS category {f['tirads']}.")))
    else:
        first = w.choice(("Thyroid bed is clear.", "No mass in the thyroidectomy bed."))
    second = (f"Abnormal cervical lymph nodes up to {max(nodes)} mm, round, loss of fatty hilum." if nodes else
              w.choice(("No suspicious cervical lymphadenopathy.", "Neck lymph nodes unremarkable.",
                        "No abnormal neck nodes.")))
    return [("Findings", f"{first} {second}"),
            ("Impression", "Metastatic cervical lymph nodes." if nodes else
             (w.choice(("Suspicious thyroid nodule.", "Likely malignant nodule; FNA recommended.")) if primary else
              "No evidence of recurrence."))]


def ultrasound(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    nodes = f.get("nodes_mm") or []
    stated: dict[str, Any] = {"suspicious_nodes": "yes" if nodes else "no"}
    if nodes:
        stated["node_size_mm"] = max(nodes)
    if f["context"] == "primary":
        stated.update(nodule_size_mm=f["nodule_mm"], nodule_location=f["location"], tirads=f["tirads"])
    style = rng.choice(STYLES)
    if lang == "ru":
        title = rng.choice(("УЗИ щитовидной железы и лимфоузлов шеи", "Протокол ультразвукового исследования",
                            "УЗИ шеи"))
        return Text(title, _ultrasound_ru(f, rng, style, nodes), "ru", stated)
    title = rng.choice(("NECK ULTRASOUND", "Thyroid/neck US report"))
    return Text(title, _ultrasound_en(f, rng, style, nodes), "en", stated)


def _ct_body(f: dict[str, Any], lang: str, w: random.Random, style: str, targets: list[tuple[str, int]],
             say_new: bool) -> list[tuple[str, str]]:
    ru = lang == "ru"
    response = f.get("response")
    total = f"{int(f['sum'])} {'мм' if ru else 'mm'}" if f.get("sum") else ""
    new = ("Новые очаги: да." if ru else "New lesions: yes.") if f.get("new") else \
        ("Новых очагов: нет." if ru else "New lesions: none.") if say_new else ""
    if style in ("table", "telegraphic") and targets:
        if style == "table":
            rows = [("Очаг", "Локализация", "Размер") if ru else ("Lesion", "Site", "Size")]
            rows += [(str(k), SITE_NAMES_RU.get(site, site) if ru else _pick(w, SITES["en"].get(site, [site])),
                      f"{mm} {'мм' if ru else 'mm'}") for k, (site, mm) in enumerate(targets, start=1)]
            lines = _table(rows)
        else:
            lines = "; ".join((f"очаг {k} ({_pick(w, SITES['ru'].get(site, [site]))}) — {mm} мм" if ru else
                               f"TL#{k} ({_pick(w, SITES['en'].get(site, [site]))}) {mm} mm")
                              for k, (site, mm) in enumerate(targets, start=1)) + "."
        tail = " ".join(x for x in ((f"SLD {total}." if total else ""), new) if x)
        description = lines + ("\n" if style == "table" else " ") + tail if tail else lines
    else:
        if ru:
            lines = [w.choice((f"Очаг {k} ({_pick(w, SITES['ru'].get(site, [site]))}): {mm} мм",
                               f"таргетный очаг №{k} — {_pick(w, SITES['ru'].get(site, [site]))}, {mm} мм"))
                     for k, (site, mm) in enumerate(targets, start=1)]
            description = ("; ".join(lines) + (f". Сумма диаметров {total}." if total else ".") if lines else
                           "Очаговых и инфильтративных изменений не выявлено.")
            if f.get("new"):
                description += " " + w.choice(("Появились новые очаги.",
                                               "Определяются новые очаги, ранее не выявлявшиеся."))
            elif say_new:
                description += " " + w.choice(("Новых очагов не выявлено.", "Новые очаги не определяются."))
        else:
            lines = [f"Target {k} ({_pick(w, SITES['en'].get(site, [site]))}): {mm} mm"
                     for k, (site, mm) in enumerate(targets, start=1)]
            description = ("; ".join(lines) + (f". Sum of diameters {total}." if total else ".") if lines else
                           "No focal lesions.")
            if f.get("new"):
                description += " New lesions are present."
            elif say_new:
                description += " " + w.choice(("No new lesions.", "No new lesion is seen."))
    description = _filler(w, lang, description)
    if ru:
        conclusion = (w.choice(("Очаговое поражение: ", "Метастазы в ")) + _sites("ru", f["sites"], w) + "."
                      if f["sites"] else "Без очаговой патологии.")
        if response:
            conclusion += (f" Ответ по RECIST 1.1: {response}." if style == "telegraphic" else
                           f" В сравнении с предыдущим исследованием — {_pick(w, RESPONSE['ru'][response])}.")
        return [("Описание", description), ("Заключение", conclusion)]
    conclusion = (f"Disease in {_sites('en', f['sites'], w)}." if f["sites"] else "No evidence of disease.")
    if response:
        conclusion += (f" RECIST 1.1: {response}." if style == "telegraphic" else
                       f" Compared with prior: {_pick(w, RESPONSE['en'][response])}.")
    return [("Findings", description), ("Impression", conclusion)]


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
    say_new = bool(f.get("new") or (targets and rng.random() < 0.5))
    if say_new:
        stated["new_lesions"] = "yes" if f.get("new") else "no"
    style = rng.choice(STYLES)
    title = (rng.choice(("МСКТ шеи и органов грудной клетки", "КТ с внутривенным контрастированием",
                         "МСКТ шеи и ОГК с в/в к/у")) if lang == "ru" else
             rng.choice(("CT NECK AND CHEST WITH CONTRAST", "Contrast-enhanced CT report", "CT neck/chest w/contrast")))
    return Text(title, _ct_body(f, lang, rng, style, targets, say_new), lang, stated)


def _scan_stated(f: dict[str, Any]) -> dict[str, Any]:
    stated: dict[str, Any] = {"uptake": "present" if f["sites"] else "absent",
                              "post_scan_modality": "SPECT_CT" if f["scan"] == "SPECT_CT" else "WBS"}
    if f["sites"]:
        stated["uptake_sites"] = sorted(set(f["sites"]))
    return stated


def _activity(f: dict[str, Any], lang: str, rng: random.Random) -> tuple[str, float]:
    """The activity as written (MBq, GBq or mCi) and the value in MBq that the wording states."""
    mbq = round(f["mci"] * 37)
    if lang == "ru":
        return rng.choice(((f"{mbq} МБк", mbq),
                           (f"{mbq / 1000:.2f} ГБк".replace(".", ","), round(round(mbq / 1000, 2) * 1000, 1)),
                           (f"{f['mci']:g} мКи", round(f["mci"] * 37, 1))))
    return rng.choice(((f"{mbq} MBq", mbq), (f"{f['mci']:g} mCi", round(f["mci"] * 37, 1)),
                       (f"{mbq / 1000:.1f} GBq", round(round(mbq / 1000, 1) * 1000, 1))))


def scintigraphy(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    therapy = f["procedure"] == "therapy"
    sites = f["sites"]
    spect = f["scan"] == "SPECT_CT"
    stated = {"procedure": f["procedure"], "isotope": f["isotope"], **_scan_stated(f)}
    given, stated["activity"] = _activity(f, lang, rng)
    style = rng.choice(STYLES)
    if lang == "ru":
        isotope = f"{f['isotope'].replace('I-', '')}I"
        uptake = (f"в {_sites('ru', sites, rng)}" if sites else rng.choice(("не выявлено", "не определяется")))
        title = rng.choice(("Посттерапевтическая сцинтиграфия" if therapy else "Сцинтиграфия с радиойодом",
                            "ПРОТОКОЛ РАДИОНУКЛИДНОГО ИССЛЕДОВАНИЯ"))
        if style == "table":
            rows = [("Исследование", ("посттерапевтическая" if therapy else "диагностическая") + " сцинтиграфия"),
                    ("РФП", isotope), ("Активность", given),
                    ("Протокол", "сцинтиграфия всего тела + ОФЭКТ/КТ" if spect else "сцинтиграфия всего тела"),
                    ("Накопление РФП", uptake)]
            return Text(title, [("Результат", _table(rows))], "ru", stated)
        if style == "telegraphic":
            intro = (("РЙТ" if therapy else "Диагностическая СВТ") + f": {given} {isotope}. "
                     + ("СВТ + ОФЭКТ/КТ." if spect else "СВТ."))
            found = f"Накопление РФП: {uptake}." + ("" if sites else " Данных за отдалённые метастазы нет.")
            return Text(title, [("Исследование", _filler(rng, "ru", intro)), ("Закл.", found)], "ru", stated)
        intro = (f"{'Радиойодтерапия' if therapy else 'Диагностическое исследование'}: введено {given} {isotope}. "
                 + ("Выполнена сцинтиграфия всего тела и ОФЭКТ/КТ." if spect else "Выполнена сцинтиграфия всего тела."))
        found = (f"Определяется накопление РФП в {_sites('ru', sites, rng)}." if sites else
                 rng.choice(("Очагов патологического накопления РФП не выявлено.",
                             "Накопления радиофармпрепарата не определяется.", "Йоднегативное исследование.")))
        return Text(title, [("Исследование", _filler(rng, "ru", intro)), ("Заключение", found)], "ru", stated)
    title = rng.choice(("NUCLEAR MEDICINE REPORT", "Whole-body radioiodine scan"))
    kind = "post-therapy" if therapy else "diagnostic"
    if style == "table":
        rows = [("Procedure", f"{kind} scan"), ("Isotope", f["isotope"]), ("Activity", given),
                ("Scan", "SPECT/CT" if spect else "whole-body scan"),
                ("Uptake", f"{_sites('en', sites, rng)}" if sites else "none")]
        return Text(title, [("Summary", _table(rows))], "en", stated)
    if style == "telegraphic":
        intro = f"{kind.capitalize()} {'SPECT/CT' if spect else 'WBS'}, {f['isotope']} {given}."
        found = (f"Uptake: {_sites('en', sites, rng)}." if sites else "Uptake: none. No iodine-avid disease.")
        return Text(title, [("Procedure", _filler(rng, "en", intro)), ("Impression", found)], "en", stated)
    intro = f"{kind.capitalize()} {f['isotope']} {'SPECT/CT' if spect else 'whole-body scan'} after {given}."
    found = (f"Radioiodine uptake in the {_sites('en', sites, rng)}." if sites else
             rng.choice(("No abnormal radioiodine uptake.", "No iodine-avid disease.", "Negative scan.")))
    return Text(title, [("Procedure", _filler(rng, "en", intro)), ("Impression", found)], "en", stated)


def _suv(value: float, lang: str) -> str:
    return f"{value}".replace(".", ",") if lang == "ru" else f"{value}"


def pet_ct(f: dict[str, Any], lang: str, rng: random.Random) -> Text:
    stated: dict[str, Any] = {"fdg_avid": "yes" if f["avid"] else "no"}
    if f["avid"]:
        stated.update(suv_max=f["suv_max"], lesion_sites=sorted(set(f["sites"])))
    style = rng.choice(STYLES)
    ru = lang == "ru"
    title = (rng.choice(("ПЭТ/КТ с 18F-ФДГ", "Позитронно-эмиссионная томография, совмещённая с КТ")) if ru else
             rng.choice(("FDG PET/CT", "18F-FDG PET-CT REPORT")))
    suv = _suv(f["suv_max"], lang)
    if f["avid"] and style == "table":
        # one row per site; the first holds the study's highest SUVmax, the others less (wording, not a gold fact)
        values = [f["suv_max"]] + [round(f["suv_max"] * rng.uniform(0.4, 0.95), 1) for _ in f["sites"][1:]]
        rows = [("Очаг", "Локализация", "SUVmax") if ru else ("Lesion", "Site", "SUVmax")]
        rows += [(str(k), SITE_NAMES_RU.get(site, site) if ru else SITES["en"].get(site, [site])[0], _suv(v, lang))
                 for k, (site, v) in enumerate(zip(f["sites"], values, strict=True), start=1)]
        found = (f"Гиперметаболические очаги в {_sites('ru', f['sites'], rng)}, SUVmax до {suv}." if ru else
                 f"Hypermetabolic lesions in the {_sites('en', f['sites'], rng)}, SUVmax up to {suv}.")
        return Text(title, [("Описание" if ru else "Findings", _table(rows)), ("Заключение" if ru else "Impression",
                                                                            found)], lang, stated)
    if f["avid"] and style == "telegraphic":
        found = (f"Гиперметаболические очаги: {_sites('ru', f['sites'], rng)}; SUVmax {suv}." if ru else
                 f"FDG-avid foci: {_sites('en', f['sites'], rng)}; SUVmax {suv}.")
        return Text(title, [("Закл." if ru else "Impression", _filler(rng, lang, found))], lang, stated)
    if ru:
        found = (f"Гиперметаболические очаги в {_sites('ru', f['sites'], rng)}, SUVmax {suv}." if f["avid"] else
                 rng.choice(("Очагов патологической метаболической активности не выявлено.",
                             f"Данных за метаболически активную опухолевую ткань нет (SUVmax фона {suv}).",
                             "Гиперметаболические очаги: не выявлены.",
                             "Данных за метаболически активную опухолевую ткань нет.")))
        return Text(title, [("Заключение", _filler(rng, "ru", found))], "ru", stated)
    found = (f"FDG-avid lesions in the {_sites('en', f['sites'], rng)}, SUVmax {suv}." if f["avid"] else
             rng.choice(("No FDG-avid disease.", "No hypermetabolic lesions.", "FDG-avid disease: none.")))
    return Text(title, [("Impression", _filler(rng, "en", found))], "en", stated)


RENDERERS: dict[str, Callable[[dict[str, Any], str, random.Random], Text]] = {
    "pathology": pathology, "cytology": cytology, "ultrasound": ultrasound, "ct": ct,
    "scintigraphy": scintigraphy, "pet_ct": pet_ct,
}


def render_report(report: Report, language: str, rng: random.Random) -> Text:
    """The report's wording, drawn from its own stream: the caller's `rng` is read, never drawn from."""
    return RENDERERS[report.kind](report.facts, language, wording_stream(report.report_id, rng))


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
ADVICE_SURGERY = ("Наблюдение онколога и эндокринолога по месту жительства. Заместительная терапия левотироксином. "
                  "Решение вопроса о радиойодтерапии.",
                  "Контроль ТТГ, тиреоглобулина, кальция через 4–6 недель. Консультация радиолога.")
ADVICE_RAI = ("Возобновить приём левотироксина. Контроль ТТГ и тиреоглобулина через 3 месяца.",
              "Ограничение контактов с детьми и беременными 7 дней. Контроль через 6 месяцев.")


def _surgery(f: dict[str, Any], w: random.Random, style: str) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    stated: dict[str, Any] = {"surgery_date": f["surgery_date"].isoformat()}
    if f["extent"] in THYROID_EXTENTS:
        stated["thyroid_extent"] = f["extent"]
    if f.get("levels"):
        stated["lymph_node_levels"] = sorted(set(f["levels"]))
    for c in f.get("complications") or []:
        if c.startswith(("paresis", "paralysis")):
            stated["laryngeal_nerve_complication"] = c
        elif c.startswith("hypoparathyroidism"):
            stated["hypoparathyroidism"] = c.rsplit("_", 1)[1]
    complications = f.get("complications") or []
    diagnosis = ("Рак щитовидной железы" if style != "telegraphic" else "Рак ЩЖ") + (
        f", {f['tnm']}, стадия {f['stage']}" if f.get("tnm") else "")
    if f.get("histology"):
        diagnosis += f". Гистологически: {_pick(w, HISTOLOGY['ru'][f['histology']])}"
    levels = ", ".join(f.get("levels") or [])
    extent = EXTENT_RU.get(f["extent"], f["extent"])
    day = f"{f['surgery_date']:%d.%m.%Y}"
    nerve_ok = not any(c.startswith(("paresis", "paralysis")) for c in complications)
    if style == "telegraphic":
        done = f"Операция {day}: {extent}" + (f" + лимфодиссекция {levels} ур." if levels else ".")
        course = ("Осложнения: " + ", ".join(COMPLICATION_RU[c] for c in complications) + "." if complications else
                  "Парез гортани: нет. Гипокальциемии нет.")
        return [("Диагноз", diagnosis + "."), ("Лечение", done), ("П/о период", course),
                ("Рекомендации", w.choice(ADVICE_SURGERY))], stated
    if style == "table":
        done = (f"Дата операции: {day}. Объём: {extent}" + (f", лимфодиссекция уровней {levels}" if levels else "")
                + ". " + _typo(w, w.choice(("Кровопотеря минимальная.", "Дренаж удалён на вторые сутки."))))
        course = ("Осложнения: " + ", ".join(COMPLICATION_RU[c] for c in complications) + "." if complications else
                  "Осложнения: нет.") + (" Парез гортани не выявлен (ларингоскопия)." if nerve_ok else "")
        return [("Диагноз", diagnosis + "."), ("Операция", done), ("Послеоперационный период", course),
                ("Рекомендации", w.choice(ADVICE_SURGERY))], stated
    done = f"{day} выполнена операция: {extent}" + (f", лимфодиссекция (уровни {levels})" if levels else "") + "."
    course = ("Послеоперационный период: " + ", ".join(COMPLICATION_RU[c] for c in complications) + "."
              if complications else _typo(w, w.choice(("Послеоперационный период без осложнений.",
                                                        "Течение послеоперационного периода гладкое."))))
    return [("Диагноз", diagnosis + "."), ("Проведено лечение", done), ("Течение", course),
            ("Рекомендации", w.choice(ADVICE_SURGERY))], stated


def _radioiodine(f: dict[str, Any], w: random.Random, style: str) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    sites = f.get("sites") or []
    stated: dict[str, Any] = {"procedure": "therapy", "therapy_date": f["therapy_date"].isoformat(),
                              "isotope": "I-131", "activity": float(f["mbq"]), **_scan_stated(f)}
    given = w.choice((f"введено {f['mbq']} МБк ({f['mci']:g} мКи) 131I",
                      f"введено {f['mci']:g} мКи ({f['mbq']} МБк) I-131",
                      f"активность {f['mbq']} МБк 131I"))
    scan = "ОФЭКТ/КТ" if f["scan"] == "SPECT_CT" else ("СВТ" if style == "telegraphic" else "сцинтиграфия всего тела")
    day = f"{f['therapy_date']:%d.%m.%Y}"
    # "радиойода", not "РФП", after the scan: a PDF line wrapped before a capital reads as a new sentence
    if style == "telegraphic":
        found = ("накопление радиойода в " + _sites("ru", sites, w)) if sites else "накопления радиойода не выявлено"
        done = f"РЙТ ({f['course_number']}-й курс) {day}: {given}. Посттерапевтическая {scan}: {found}."
    elif style == "table":
        found = ("накопление радиойода в " + _sites("ru", sites, w)) if sites else "очагов накопления не выявлено"
        done = (f"Радиойодтерапия, курс № {f['course_number']}, дата введения {day}: {given}. "
                f"Исследование после введения: {scan}; {found}.")
    else:
        found = ("накопление РФП в " + _sites("ru", sites, w)) if sites else "очагов накопления не выявлено"
        done = (f"{day} проведена радиойодтерапия ({f['course_number']}-й курс): {given}. Посттерапевтическое "
                f"исследование ({scan}): {found}.")
    diagnosis = "Рак щитовидной железы, состояние после тиреоидэктомии." if style != "telegraphic" else \
        "Рак ЩЖ, состояние после тиреоидэктомии."
    return [("Диагноз", diagnosis), ("Проведено лечение", done), ("Рекомендации", w.choice(ADVICE_RAI))], stated


def render_discharge(admission: Admission, identity: Identity, emr_id: str, rng: random.Random) -> Text:
    """A short Russian discharge summary for a surgical or radioiodine admission, worded from its own stream."""
    w = wording_stream(admission.admission_id, rng)
    f = admission.discharge_facts or {}
    style = w.choice(STYLES)
    patient = (f"{identity.full_name()}, {identity.birth_date:%d.%m.%Y} г.р., "
               f"медицинская карта № {emr_id}")
    stay = w.choice((f"Находился(-ась) на лечении с {admission.admitted:%d.%m.%Y} по {admission.discharged:%d.%m.%Y}",
                     f"Госпитализация с {admission.admitted:%d.%m.%Y} по {admission.discharged:%d.%m.%Y}"))
    paragraphs = [("Пациент", patient), ("Период", f"{stay}, {admission.department}.")]
    surgery = f.get("kind") == "surgery"
    body, stated = (_surgery if surgery else _radioiodine)(f, w, style)
    title = "ВЫПИСНОЙ ЭПИКРИЗ (" + ("хирургическое лечение" if surgery else "радиойодтерапия") + ")"
    return Text(title, paragraphs + body, "ru", stated)
