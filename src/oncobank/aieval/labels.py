"""Russian and English labels of AI-evaluation forms, protocols, reports and tables, and numbers as each writes them.

The modalities, anatomical regions and patient groups a service is registered with are codes from the tables
below (`codes("modality")`), so that every protocol shows them in the reader's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from oncobank import numbers

if TYPE_CHECKING:
    from oncobank.stats.estimate import Estimate

_LABELS: dict[str, tuple[str, str]] = {
    # result SR import
    "sr_imported": ("{n} results from {source} → {out}", "Результатов: {n}, из {source} → {out}"),
    "sr_no_sent_at": ("{n} reports do not say when the study was sent (sent_at is empty): set the mapping's "
                      "sent_at, or add it from the service's log before an import of the rows",
                      "В {n} отчётах не указано время отправки исследования (sent_at пусто): задайте sent_at в "
                      "сопоставлении или добавьте его из журнала сервиса перед импортом строк"),
    # reviewer forms
    "study_uid": ("Study UID", "UID исследования"),
    "defect_c": ("(c) Declared functions work incorrectly", "(в) Некорректная работа заявленных функций"),
    "defect_d": ("(d) Image area display defect", "(г) Дефекты отображения области изображения"),
    "defect_e": ("(e) Other integrity/content violation", "(д) Иные нарушения целостности/содержания"),
    "form_defect_c": ("(c) Declared functions work incorrectly: only 1 or empty",
                      "(в) Некорректная работа заявленных функций: только 1 или пусто"),
    "form_defect_d": ("(d) Image area display defect: only 1 or empty",
                      "(г) Дефекты отображения области изображения: только 1 или пусто"),
    "form_defect_e": ("(e) Other integrity/content violation: only 1 or empty",
                      "(д) Иные нарушения целостности/содержания: только 1 или пусто"),
    "agree_conclusion": ("Agrees with the conclusion: 1, or leave empty if you disagree",
                         "Согласие с заключением: 1, при несогласии оставьте пустым"),
    "agree_localisation": ("Agrees with the localisation: 1, or leave empty if you disagree",
                           "Согласие с локализацией: 1, при несогласии оставьте пустым"),
    "comment": ("Comment", "Комментарий"),
    "screenshot": ("Screenshot file", "Файл снимка экрана"),
    "conclusion": ("Conclusion", "Заключение"),
    "localisation": ("Localisation", "Локализация"),
    # protocols and reports
    "calibration_protocol": ("Calibration testing protocol", "Протокол калибровочного тестирования"),
    "technological_report": ("Technological monitoring report", "Отчёт о технологическом мониторинге"),
    "number": ("No.", "№"),
    "date": ("Date", "Дата"),
    "supplier": ("Supplier", "Поставщик"),
    "developer": ("Developer", "Разработчик"),
    "service": ("Service", "Сервис"),
    "version": ("Version", "Версия"),
    "modality": ("Modality", "Модальность"),
    "region": ("Anatomical region", "Анатомическая область"),
    "patient_group": ("Patient group", "Группа пациентов"),
    "task": ("Clinical task", "Клиническая задача"),
    "period": ("Period", "Период"),
    "sent": ("Studies sent", "Направлено исследований"),
    "processed": ("Processed", "Обработано"),
    "not_processed": ("Not processed", "Не обработано"),
    "unique": ("Unique studies", "Уникальных исследований"),
    "passed_control": ("Passed automatic control", "Прошли автоматический контроль"),
    "defect_a": ("(a) Processing time over the limit", "(а) Время обработки выше предела"),
    "defect_b": ("(b) No result for a sent study", "(б) Нет результата по направленному исследованию"),
    "defect_ce": ("(c)–(e) in the reviewer sample", "(в)–(д) в выборке эксперта"),
    "defect_free": ("Defect-free", "Без дефектов"),
    "defect_rate": ("Estimated share with defects", "Расчётная доля исследований с дефектами"),
    "sample": ("Reviewer sample", "Выборка эксперта"),
    "count": ("Count", "Количество"),
    "percent": ("%", "%"),
    "metric": ("Metric", "Показатель"),
    "value": ("Value", "Значение"),
    "ci": ("95% CI", "95% ДИ"),
    "auc": ("AUC", "AUC"),
    "auc_ci": ("AUC (DeLong 95% CI)", "AUC (95% ДИ по методу ДеЛонга)"),
    "threshold_youden": ("Threshold by Youden's J", "Порог по индексу Юдена"),
    "threshold_npv": ("Threshold by maximum NPV", "Порог по максимальной ПЦОР"),
    "table": ("Four-field table", "Четырёхпольная таблица"),
    "truth_pos": ("Abnormality present", "Патология есть"),
    "truth_neg": ("Abnormality absent", "Патологии нет"),
    "ai_pos": ("AI positive", "ИИ: положительно"),
    "ai_neg": ("AI negative", "ИИ: отрицательно"),
    "times": ("Time to accept, process and return one study, min",
              "Время приёма, обработки и возврата результата одного исследования, мин"),
    "min": ("Min", "Мин."),
    "mean_sd": ("Mean (SD)", "Среднее (СО)"),
    "median": ("Median", "Медиана"),
    "max": ("Max", "Макс."),
    "stated_actual": ("Stated vs actual", "Заявлено и фактически"),
    "stated": ("Stated", "Заявлено"),
    "actual": ("Actual", "Фактически"),
    "deviation": ("Relative deviation", "Относительное отклонение"),
    "checks": ("Pass criteria", "Критерии прохождения"),
    "required": ("Required", "Требуется"),
    "met": ("Met", "Выполнено"),
    "decision": ("Decision", "Решение"),
    "yes": ("yes", "да"),
    "no": ("no", "нет"),
    "pass": ("passed", "пройдено"),
    "fail": ("not passed", "не пройдено"),
    "continue": ("participation continues", "участие продолжается"),
    "suspend": ("participation suspended until the causes are removed",
                "участие приостановлено до устранения причин"),
    "trend": ("Defect rates by period", "Доля дефектов по периодам"),
    "research_only": ("For research purposes only", "Только для исследовательских целей"),
    "sensitivity": ("Sensitivity", "Чувствительность"),
    "specificity": ("Specificity", "Специфичность"),
    "accuracy": ("Accuracy", "Точность"),
    "ppv": ("PPV", "ПЦПР"),
    "npv": ("NPV", "ПЦОР"),
    "fn_percent": ("False negatives, %", "Ложноотрицательные, %"),
    "fp_percent": ("False positives, %", "Ложноположительные, %"),
    "minutes": ("Processing time, min", "Время обработки, мин"),
    "processed_share": ("Share processed", "Доля обработанных"),
    "declared_deviation": ("Shortfall against declared values", "Отклонение от заявленных значений в худшую сторону"),
    "time_mean": ("Mean processing time, min", "Среднее время обработки, мин"),
    "time_median": ("Median processing time, min", "Медиана времени обработки, мин"),
    "time_max": ("Maximum processing time, min", "Максимальное время обработки, мин"),
    # functional testing
    "functional_protocol": ("Functional testing protocol", "Протокол функционального тестирования"),
    "criterion": ("Criterion", "Критерий"),
    "description": ("Description", "Описание"),
    "kind": ("Kind", "Вид"),
    "critical": ("Critical (1/0)", "Критическое (1/0)"),
    "study": ("Study", "Исследование"),
    "technical": ("technical", "технический"),
    "medical": ("medical", "медицинский"),
    "technical_expert": ("Technical specialist", "Технический специалист"),
    "medical_expert": ("Medical expert", "Медицинский эксперт"),
    "nonconformities": ("Nonconformities", "Несоответствия"),
    "none": ("none", "нет"),
    "fc_triage": ("Triage / prioritisation", "Триаж (приоритизация)"),
    "fc_extra_series": ("Additional image series present", "Наличие дополнительной серии изображений"),
    "fc_series_name": ("Name of the additional series", "Наименование дополнительной серии"),
    "fc_marking": ("Graphical marking on images", "Графическая разметка на изображениях"),
    "fc_warning_images": ("'For research purposes only' on images",
                          "Надпись «Только для исследовательских целей» на изображениях"),
    "fc_warning_sr": ("'For research purposes only' in the DICOM SR",
                      "Надпись «Только для исследовательских целей» в DICOM SR"),
    "fc_series_sync": ("Series synchronisation", "Синхронизация серий"),
    "fc_probability_shown": ("Probability of the abnormality shown", "Отображение вероятности патологии"),
    "fc_category_shown": ("Abnormality category indicated", "Указание категории патологии"),
    "fc_sr_structure": ("Complete DICOM SR structure (service information; service and purpose; user manual; "
                        "conclusion; findings)",
                        "Полная структура DICOM SR (сведения о сервисе; сервис и назначение; руководство "
                        "пользователя; заключение; детализация находок)"),
    "fc_mandatory_content": ("Mandatory content of the response", "Обязательное содержание ответа"),
    "fc_optional_content": ("Optional content of the response", "Дополнительное содержание ответа"),
    "fc_response_format": ("Format and form of the response", "Формат и форма ответа"),
    # clinical monitoring
    "clinical_report": ("Clinical monitoring report", "Отчёт о клиническом мониторинге"),
    "rating": ("Expert's rating", "Оценка эксперта"),
    "rating_full": ("Full compliance", "Полное соответствие"),
    "rating_incorrect": ("Incorrect assessment", "Некорректная оценка"),
    "rating_false_positive": ("False positive", "Ложноположительный результат"),
    "rating_false_negative": ("False negative", "Ложноотрицательный результат"),
    "clinical_errors": ("False conclusions (FP + FN)", "Ложные заключения (ЛП + ЛО)"),
    "clinical_discordant": ("Not in full compliance (conclusion or localisation)",
                            "Без полного соответствия (заключение или локализация)"),
    "limit": ("Limit", "Предел"),
    "changes": ("changes to the software are needed", "требуется доработка программного обеспечения"),
    "suspend_changes": ("participation suspended until changes are made",
                        "участие приостановлено до внесения изменений"),
    # feedback
    "feedback_report": ("Feedback report", "Отчёт по обратной связи"),
    "feedback_entries": ("Feedback entries", "Отзывов"),
    "covered": ("Processed studies with feedback", "Обработанных исследований с обратной связью"),
    "coverage": ("Coverage of processed studies", "Охват обработанных исследований"),
    "agreement": ("Agreement rate", "Доля согласий"),
    "reasons": ("Reasons for disagreement", "Причины несогласия"),
    "unmatched": ("Entries on studies outside the period", "Отзывы на исследования вне периода"),
    "short": ("coverage below the requirement", "охват ниже требуемого"),
    "coverage_met": ("coverage requirement met", "требование к охвату выполнено"),
    "reason_technological_defect": ("Technological defect", "Технологический дефект"),
    "reason_diagnostic_inaccuracy": ("Diagnostic inaccuracy", "Диагностическая неточность"),
    "reason_localisation_error": ("Wrong localisation", "Неверная локализация"),
    "reason_other": ("Other", "Другое"),
    # impact analysis
    "impact_report": ("Impact of AI on reading practice", "Влияние ИИ на практику описания"),
    "with_ai": ("With AI", "С ИИ"),
    "without_ai": ("Without AI", "Без ИИ"),
    "category": ("Category", "Категория"),
    "residual": ("Adjusted residual (with AI)", "Скорректированный остаток (с ИИ)"),
    "chi2": ("Pearson chi-square", "Хи-квадрат Пирсона"),
    "dof": ("Degrees of freedom", "Степеней свободы"),
    "p_value": ("p-value", "p"),
    "cramers_v": ("Cramér's V", "V Крамера"),
    "odds_ratio": ("Odds ratio, with vs without AI", "Отношение шансов, с ИИ / без ИИ"),
    "risk_difference": ("Risk difference, with − without AI", "Разность долей, с ИИ − без ИИ"),
    "event": ("Event category", "Категория-событие"),
    "all": ("All periods", "Все периоды"),
    # what a service is registered with (DICOM modality codes; regions and patient groups of the register)
    "modality_CT": ("CT", "КТ"),
    "modality_MR": ("MRI", "МРТ"),
    "modality_DX": ("X-ray", "рентгенография"),
    "modality_MG": ("mammography", "маммография"),
    "modality_US": ("ultrasound", "УЗИ"),
    "modality_PT": ("PET", "ПЭТ"),
    "modality_NM": ("scintigraphy", "сцинтиграфия"),
    "region_head": ("head", "голова"),
    "region_neck": ("neck", "шея"),
    "region_thyroid": ("thyroid", "щитовидная железа"),
    "region_chest": ("chest", "грудная клетка"),
    "region_breast": ("breast", "молочная железа"),
    "region_abdomen": ("abdomen", "брюшная полость"),
    "region_pelvis": ("pelvis", "малый таз"),
    "region_spine": ("spine", "позвоночник"),
    "region_limbs": ("limbs", "конечности"),
    "region_whole_body": ("whole body", "всё тело"),
    "group_adults": ("adults", "взрослые"),
    "group_children": ("children", "дети"),
    "group_all_ages": ("all ages", "все возрасты"),
    # the register's tables
    "services": ("AI services", "Сервисы ИИ"),
    "no_services": ("No AI services yet: add a clinical task with `oncobank ai task set`, then a service with "
                    "`oncobank ai service add` and its version with `oncobank ai service version`.",
                    "Сервисов ИИ пока нет: добавьте клиническую задачу (`oncobank ai task set`), затем сервис "
                    "(`oncobank ai service add`) и его версию (`oncobank ai service version`)."),
    "code": ("Code", "Код"),
    "name": ("Name", "Название"),
    "stage": ("Stage", "Этап"),
    "status": ("Status", "Статус"),
    "history": ("Stage history", "История этапов"),
    "no_history": ("No steps recorded yet: the version is at self-testing.",
                   "Шагов пока нет: версия на этапе самотестирования."),
    "date_by": ("Date, by", "Дата, кто"),
    "step_reason": ("Step and reason", "Шаг и причина"),
    "is_critical": ("Critical", "Критическое"),
    "protocol": ("Protocol", "Протокол"),
    "after": ("Stage and status after", "Этап и статус после"),
    "stage_self_testing": ("self-testing", "самотестирование"),
    "stage_functional": ("functional testing", "функциональное тестирование"),
    "stage_calibration": ("calibration testing", "калибровочное тестирование"),
    "stage_technological_monitoring": ("technological monitoring", "технологический мониторинг"),
    "stage_clinical_monitoring": ("clinical monitoring", "клинический мониторинг"),
    "stage_feedback": ("feedback", "обратная связь"),
    "stage_finalisation": ("finalisation", "доработка"),
    "status_active": ("active", "участвует"),
    "status_suspended": ("suspended", "приостановлена"),
    "status_excluded": ("off the track", "снята с участия"),
    "action_pass": ("passed", "пройден"),
    "action_fail": ("failed", "не пройден"),
    "action_remark": ("remark", "замечание"),
    "action_change": ("software change", "изменение программного обеспечения"),
    "task_thresholds": ("Pass thresholds of clinical task", "Пороговые значения клинической задачи"),
    "threshold": ("Threshold", "Пороговое значение"),
    "threshold_min_auc": ("Minimum AUC", "Минимальная AUC"),
    "threshold_max_minutes": ("Maximum processing time, min", "Максимальное время обработки, мин"),
    "threshold_time_statistic": ("How the per-study time limit is held",
                                 "Как применяется предел времени на одно исследование"),
    "threshold_min_processed": ("Minimum share processed", "Минимальная доля обработанных"),
    "threshold_max_defect_rate": ("Maximum estimated share with defects",
                                  "Предельная расчётная доля исследований с дефектами"),
    "threshold_min_feedback": ("Minimum coverage of processed studies by feedback",
                               "Минимальный охват обработанных исследований обратной связью"),
    "threshold_clinical_max_errors": ("Maximum share of false conclusions", "Предельная доля ложных заключений"),
    "threshold_clinical_max_discordant": ("Maximum share not in full compliance",
                                          "Предельная доля без полного соответствия"),
    "threshold_max_deviation": ("Maximum shortfall against declared values",
                                "Предельное отклонение от заявленных значений в худшую сторону"),
    "threshold_sample_size": ("Reviewer sample size", "Объём выборки эксперта"),
    "threshold_functional_studies": ("Studies for functional testing", "Исследований для функционального тестирования"),
    "threshold_calibration_studies": ("Studies for calibration testing",
                                      "Исследований для калибровочного тестирования"),
    "statistic_median": ("median", "медиана"),
    "statistic_max": ("maximum", "максимум"),
    "experience": ("years of practice", "лет стажа"),
    # sources of the rules (`rules.source_label`)
    "source": ("Source", "Источник"),
    "source_methodology": ("Methodology, § {section}", "Методика, § {section}"),
    "source_oncobank": ("OncoBank setting", "Настройка ОнкоБанка"),
    "source_impact": ("Methodology, impact study", "Методика, исследование влияния"),
    "generated_automatically": ("This protocol was generated automatically.",
                                "Протокол сформирован автоматически."),
    # staff of a stage
    "staff_technical": ("Technical specialist", "Технический специалист"),
    "staff_medical": ("Medical expert", "Медицинский эксперт"),
    "staff_expert": ("Expert", "Эксперт"),
    "staff_responsible": ("Responsible person", "Ответственное лицо"),
    # calibration: operating points and per-study times
    "operating_points": ("Operating points", "Рабочие точки"),
    "operating_point": ("Operating point", "Рабочая точка"),
    "threshold_ppv": ("Threshold by maximum PPV", "Порог по максимальной ПЦПР"),
    "pretest_probability": ("Pretest probability", "Претестовая вероятность"),
    "pretest_note": ("NPV and PPV of the operating points are given at the pretest probability (a setting of the "
                     "clinical task); Se, Sp, % FN and % FP at the threshold on the test set.",
                     "ПЦОР и ПЦПР рабочих точек рассчитаны при претестовой вероятности (настройка клинической "
                     "задачи); чувствительность, специфичность, доли ложноотрицательных и ложноположительных — "
                     "при этом пороге на тестовом наборе."),
    "over_limit": ("Studies over the limit", "Исследований сверх предела"),
    "time_share_over": ("Share of studies over the time limit", "Доля исследований с временем выше предела"),
    # technological monitoring report
    "processed_unique": ("Unique studies with a result", "Уникальных исследований с результатом"),
    "defect_a_of_processed": ("(a) Processing time over the limit (of studies with a result)",
                              "(а) Время обработки выше предела (от исследований с результатом)"),
    "defect_b_of_unique": ("(b) No result for a sent study (of unique studies)",
                           "(б) Нет результата по направленному исследованию (от уникальных)"),
    "passed_manual": ("Passed manual control (sample)", "Прошли ручной контроль (выборка)"),
    "agree_conclusion_count": ("Reviewer agrees with the conclusion", "Эксперт согласен с заключением"),
    "agree_localisation_count": ("Reviewer agrees with the localisation", "Эксперт согласен с локализацией"),
    "agree_conclusion_short": ("Agrees: conclusion", "Согласие: заключение"),
    "agree_localisation_short": ("Agrees: localisation", "Согласие: локализация"),
    "rule_combined": ("Decision on one estimated share of studies with any defect (a)–(e)",
                      "Решение по одной расчётной доле исследований с любым дефектом (а)–(д)"),
    "rule_per_group": ("Decision on each of (a), (b) and (c)–(e) against the limit",
                       "Решение по каждой из групп (а), (б) и (в)–(д) относительно предела"),
    "notes": ("Notes", "Примечания"),
    "appendix": ("Appendix", "Приложение"),
    "defect_list": ("Studies with defects (c)–(e)", "Исследования с дефектами (в)–(д)"),
    "defect_groups": ("Defect groups", "Группы дефектов"),
    "defect_letter_c": ("(c)", "(в)"),
    "defect_letter_d": ("(d)", "(г)"),
    "defect_letter_e": ("(e)", "(д)"),
    "reviewer_sample": ("The reviewer's sample", "Выборка эксперта"),
    "screenshots": ("Screenshots", "Снимки экрана"),
    "clinical_limits_note": ("The methodology names the three outcomes but not their limits; these limits are "
                             "settings of the clinical task.",
                             "Методика называет три исхода, но не их пределы; пределы — настройки клинической "
                             "задачи."),
    # satisfaction survey
    "survey": ("Satisfaction survey of radiologists", "Опрос удовлетворённости врачей-рентгенологов"),
    "score": ("Score (1–5)", "Оценка (1–5)"),
    "respondents": ("Respondents", "Респондентов"),
    "mean_score": ("Mean score", "Средняя оценка"),
    "satisfied": ("Satisfied (score 4 or 5)", "Удовлетворены (оценка 4 или 5)"),
    # self-testing
    "selftest_protocol": ("Self-testing protocol", "Протокол самотестирования"),
    "dataset": ("Open data set", "Открытый набор данных"),
    "procedure": ("Procedure type", "Тип процедуры"),
    "manufacturer": ("Device manufacturer", "Производитель оборудования"),
    "device_model": ("Device model", "Модель оборудования"),
    "compatible": ("compatible", "совместим"),
    "not_compatible": ("not compatible", "не совместим"),
    "why_self_testing_compatible": ("compatible with the open data set ({modality}, {model})",
                                    "совместим с открытым набором данных ({modality}, {model})"),
    "why_self_testing_not_compatible": ("not compatible with the open data set ({modality}, {model})",
                                        "не совместим с открытым набором данных ({modality}, {model})"),
    "action_reinstate": ("reinstated by an administrator", "восстановлен администратором"),
    "threshold_max_time_share": ("Maximum share of studies over the time limit",
                                 "Предельная доля исследований с временем выше предела"),
    "threshold_defect_rule": ("Defect rule", "Правило по дефектам"),
    "threshold_pretest_probability": ("Pretest probability for NPV and PPV",
                                      "Претестовая вероятность для ПЦОР и ПЦПР"),
    "statistic_share_over": ("share of studies over the limit", "доля исследований выше предела"),
    "defect_rule_combined": ("one combined rate of (a)–(e)", "одна общая доля (а)–(д)"),
    "defect_rule_per_group": ("each group on its own", "каждая группа отдельно"),
    # the reasons of a protocol's lifecycle step (`reasons.step_reason`)
    "why_calibration": ("calibration criteria met", "критерии калибровочного тестирования выполнены"),
    "why_calibration_failed": ("criteria not met: {failed}", "не выполнены критерии: {failed}"),
    "why_functional": ("{studies} studies: {critical} critical and {other} non-critical nonconformities",
                       "исследований {studies}: критических несоответствий {critical}, некритических {other}"),
    "why_technological_monitoring": ("{period}: {rate} of studies with defects (estimated)",
                                     "{period}: расчётная доля исследований с дефектами {rate}"),
    "why_clinical_monitoring": ("{period}: {errors} of {sample} false conclusions, {discordant} not in full "
                                "compliance", "{period}: ложных заключений {errors} из {sample}, без полного "
                                "соответствия {discordant}"),
    "why_feedback": ("{period}: feedback on {coverage} of processed studies (required {required}), agreement "
                     "{agreement}", "{period}: обратная связь по {coverage} обработанных исследований (требуется "
                     "{required}), доля согласий {agreement}"),
}


def label(key: str, lang: str = "en") -> str:
    """The label of `key` in English or Russian; a key without a label is an error, never shown as it is."""
    pair = _LABELS.get(key)
    if pair is None:
        raise KeyError(f"no label {key!r} in the AI-evaluation labels")
    return pair[1] if lang == "ru" else pair[0]


def codes(kind: str) -> tuple[str, ...]:
    """The registered codes of a kind (`modality`, `region` or `group`), in table order."""
    prefix = f"{kind}_"
    return tuple(key[len(prefix):] for key in _LABELS if key.startswith(prefix))


def number(value: float | None, digits: int | None = 3, lang: str = "en") -> str:
    """`value` with `digits` decimals (None: 3 significant digits), with a decimal comma in Russian; — if missing."""
    if value is None:
        return "—"
    return numbers.number(float(value), lang, f".{digits}f" if digits is not None else ".3g")


def percent(share: float | None, digits: int = 1, lang: str = "en") -> str:
    """A share (0–1) as a percentage with its sign, e.g. 12.5 % (12,5 % in Russian)."""
    return "—" if share is None else f"{number(100 * share, digits, lang)} %"


def part(count: int, total: int, lang: str = "en") -> str:
    """`count` as a percentage of `total` to one decimal, without the sign (— when the total is 0)."""
    return number(100 * count / total, 1, lang) if total else "—"


def p_value(value: float | None, lang: str = "en") -> str:
    """A p-value to 3 significant digits, or < 0.001."""
    if value is not None and value < 0.001:
        return f"< {number(0.001, 3, lang)}"
    return number(value, None, lang)


def interval(value: Estimate, digits: int = 3, lang: str = "en") -> str:
    """An estimate with its confidence interval, e.g. 1.234 (0.981–1.540)."""
    return (f"{number(value.estimate, digits, lang)} ({number(value.ci_low, digits, lang)}–"
            f"{number(value.ci_high, digits, lang)})")
