"""Russian and English labels of the structuring commands' tables."""

from __future__ import annotations

LABELS = {
    "evaluation": ("Structuring evaluation", "Оценка структурирования"),
    "kind": ("Report type", "Тип отчёта"),
    "field": ("Field", "Поле"),
    "precision": ("Precision", "Точность"),
    "recall": ("Recall", "Полнота"),
    "f1": ("F1", "F1"),
    "overall": ("overall", "всего"),
    "reports": ("reports", "отчётов"),
    "facts": ("Extracted facts", "Извлечённые факты"),
    "value": ("Value", "Значение"),
    "span": ("Text", "Текст"),
    "rule": ("Rule", "Правило"),
    "confidence": ("Confidence", "Уверенность"),
    "no_type": ("no report type recognised", "тип отчёта не распознан"),
}


def label(key: str, lang: str) -> str:
    en, ru = LABELS[key]
    return ru if lang == "ru" else en
