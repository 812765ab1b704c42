"""What the quality commands and report say, in Russian and English: labels, statuses, improvement suggestions."""

from __future__ import annotations

from typing import Any

WORDS: dict[str, tuple[str, str]] = {
    "check": ("Check", "Проверка"), "dimension": ("Dimension", "Измерение"),
    "kahn": ("Kahn category", "Категория Кана"),
    "severity": ("Severity", "Важность"), "violated": ("Violated", "Нарушено"),
    "denominator": ("Denominator", "Знаменатель"), "pct": ("%", "%"), "threshold": ("Threshold", "Порог"),
    "status": ("Status", "Статус"), "seconds": ("Seconds", "Секунды"), "score": ("Score, %", "Оценка, %"),
    "overall": ("Overall", "Итого"), "section": ("Section", "Раздел"), "centre": ("Centre", "Центр"),
    "suggestion": ("Suggestion", "Рекомендация"), "run": ("Run", "Запуск"), "change": ("Change", "Изменение"),
    "pseudonym": ("Pseudonym", "Псевдоним"), "entry_key": ("Entry key", "Ключ записи"),
    "column": ("Column", "Столбец"), "registry_id": ("Registry ID", "Регистрационный номер"),
    "entry_id": ("Entry", "Запись"), "open": ("Open with", "Открыть"), "value": ("Value", "Значение"),
    "type": ("Type", "Тип"),
    "label": ("Label", "Название"), "passed": ("passed", "пройдена"), "failed": ("failed", "не пройдена"),
    "not_applicable": ("not applicable", "неприменима"), "error": ("error", "ошибка"),
    "completeness": ("completeness", "полнота"), "correctness": ("correctness", "правильность"),
    "concordance": ("concordance", "согласованность"), "plausibility": ("plausibility", "правдоподобие"),
    "currency": ("currency", "актуальность"), "fatal": ("fatal", "критическая"),
    "convention": ("convention", "соглашение"), "characterization": ("characterization", "описательная"),
    "fixed": ("fixed", "исправлено"), "new": ("new", "новое"), "worse": ("worse", "хуже"),
    "better": ("better", "лучше"), "same": ("same", "без изменений"),
    "title": ("Data quality", "Качество данных"), "scores": ("Scores per dimension", "Оценки по измерениям"),
    "trend": ("Scores over runs", "Оценки по запускам"), "failed_checks": ("Failed checks", "Непройденные проверки"),
    "problems": ("Problem records", "Проблемные записи"), "none_failed": ("No check failed.", "Все проверки пройдены."),
    "saved": ("Run saved", "Запуск сохранён"), "progress": ("Running checks", "Выполнение проверок"),
    "checks": ("Checks", "Проверки"), "no_runs": ("No stored runs yet: run `oncobank quality run` first.",
                                              "Сохранённых запусков нет: сначала выполните `oncobank quality run`."),
}


def word(key: str, lang: str) -> str:
    en, ru = WORDS.get(key, (key, key))
    return ru if lang == "ru" else en


def suggestion(row: dict[str, Any], lang: str) -> str:
    """The improvement suggestion of a scored check, its placeholders filled from the check and its counts."""
    key = "ru" if lang == "ru" else "en"
    template = row["suggestion"][key]
    pct = row.get("pct")
    section = (row.get("section_label") or {}).get(key) or row.get("section") or row["table"]
    field = (row.get("field_label") or {}).get(key) or row.get("field") or row.get("column") or ""
    values = {"pct": "-" if pct is None else f"{pct:g}", "violated": row["violated"],
              "denominator": row["denominator"], "section": section.lower(), "field": field.lower(),
              "table": row["table"],
              "column": row.get("column") or "", "unit": row.get("unit") or "", "earliest": row.get("earliest") or ""}
    return " ".join(template.format(**values).split())


KAHN: dict[str, tuple[str, str]] = {
    "conformance": ("conformance", "соответствие"), "completeness": ("completeness", "полнота"),
    "plausibility": ("plausibility", "правдоподобие"), "verification": ("verification", "верификация"),
    "validation": ("validation", "валидация"),
}


def kahn(category: str, lang: str) -> str:
    """`plausibility, validation` in the language asked for."""
    parts = [p.strip() for p in category.split(",")]
    return ", ".join(KAHN[p][1 if lang == "ru" else 0] if p in KAHN else p for p in parts)


def label(row: dict[str, Any], lang: str) -> str:
    return row["label"]["ru" if lang == "ru" else "en"]
