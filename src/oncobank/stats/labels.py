"""Russian and English labels for the tables and plots of `oncobank.stats`."""

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "ru"]

_LABELS: dict[str, tuple[str, str]] = {
    # diagnostic accuracy
    "sensitivity": ("Sensitivity", "Чувствительность"),
    "specificity": ("Specificity", "Специфичность"),
    "ppv": ("Positive predictive value", "Прогностическая ценность положительного результата"),
    "npv": ("Negative predictive value", "Прогностическая ценность отрицательного результата"),
    "accuracy": ("Accuracy", "Точность"),
    "youden": ("Youden's J", "Индекс Юдена"),
    "lr_positive": ("Positive likelihood ratio", "Отношение правдоподобия положительного результата"),
    "lr_negative": ("Negative likelihood ratio", "Отношение правдоподобия отрицательного результата"),
    "fn_percent": ("False negatives, %", "Ложноотрицательные, %"),
    "fp_percent": ("False positives, %", "Ложноположительные, %"),
    "estimate": ("Estimate", "Оценка"),
    "ci": ("95% CI", "95% ДИ"),
    "metric": ("Metric", "Показатель"),
    "prevalence": ("Prevalence", "Распространённость"),
    # ROC
    "roc_curve": ("ROC curve", "ROC-кривая"),
    "fpr": ("1 − specificity", "1 − специфичность"),
    "tpr": ("Sensitivity", "Чувствительность"),
    "auc": ("AUC", "AUC"),
    "threshold": ("Threshold", "Порог"),
    "max_npv": ("Maximum NPV", "Максимальная ПЦОР"),
    "max_ppv": ("Maximum PPV", "Максимальная ПЦПР"),
    "chance": ("Chance", "Случайное угадывание"),
    # survival
    "time": ("Time", "Время"),
    "survival": ("Survival probability", "Вероятность выживания"),
    "at_risk": ("Number at risk", "Число под риском"),
    "group": ("Group", "Группа"),
    "all": ("All", "Все"),
    "n": ("n", "n"),
    "events": ("Events", "События"),
    "median": ("Median", "Медиана"),
    "logrank": ("Log-rank test", "Лог-ранговый критерий"),
    "covariate": ("Covariate", "Ковариата"),
    "hazard_ratio": ("Hazard ratio", "Отношение рисков"),
    "coef": ("Coefficient", "Коэффициент"),
    "se": ("SE", "ст. ошибка"),
    "tp": ("TP", "ИП"),
    "fn": ("FN", "ЛО"),
    "fp": ("FP", "ЛП"),
    "tn": ("TN", "ИО"),
    "se_short": ("Se", "Чувств."),
    "sp_short": ("Sp", "Спец."),
    "ppv_short": ("PPV", "ПЦПР"),
    "npv_short": ("NPV", "ПЦОР"),
    "global": ("GLOBAL", "В ЦЕЛОМ"),
    "fitted": ("fitted", "построена"),
    "not_fitted": ("failed", "не построена"),
    "days_short": ("d", "дн."),
    "ph_test": ("Proportional hazards test", "Проверка пропорциональности рисков"),
    "concordance": ("Concordance (Harrell's C)", "Индекс согласованности (C Харрелла)"),
    # table 1
    "variable": ("Variable", "Переменная"),
    "overall": ("Overall", "Все"),
    "missing": ("Missing", "Пропуски"),
    "test": ("Test", "Критерий"),
    "p_value": ("p", "p"),
    "n_percent": ("n (%)", "n (%)"),
    "mean_sd": ("mean ± SD", "среднее ± СО"),
    "median_iqr": ("median [IQR]", "медиана [МКИ]"),
    "min_max": ("min–max", "мин–макс"),
    "chi_square": ("Chi-square", "Хи-квадрат"),
    "fisher": ("Fisher's exact", "Точный критерий Фишера"),
    "welch_t": ("Welch's t-test", "t-критерий Уэлча"),
    "mann_whitney": ("Mann–Whitney U", "U-критерий Манна–Уитни"),
    "anova": ("One-way ANOVA", "Однофакторный дисперсионный анализ"),
    "kruskal": ("Kruskal–Wallis", "Критерий Краскела–Уоллиса"),
    # serial scores
    "stage": ("Stage", "Этап"),
    "from": ("Earlier exam", "Предыдущее исследование"),
    "to": ("Later exam", "Следующее исследование"),
    "transitions": ("Transitions", "Переходы"),
    "stage_mean": ("Mean over stages", "Среднее по этапам"),
    # forecasting
    "model": ("Model", "Модель"),
    "observed": ("Observed", "Наблюдаемые"),
    "forecast": ("Forecast", "Прогноз"),
    "daily_cases": ("Daily cases", "Новые случаи за сутки"),
    "date": ("Date", "Дата"),
    "mape": ("MAPE, %", "MAPE, %"),
    "mase": ("MASE", "MASE"),
    "status": ("Status", "Статус"),
    "cumulative": ("Cumulative cases", "Накопленные случаи"),
}


def label(key: str, lang: Lang = "en") -> str:
    """The label for `key` in `lang`; the key itself when it has no label (e.g. a column name)."""
    if lang not in ("en", "ru"):
        raise ValueError(f"lang must be 'en' or 'ru', got {lang!r}")
    pair = _LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "en" else pair[1]
