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
    "proposals": ("Proposed entries", "Предложенные записи"),
    "proposal": ("Proposal", "Предложение"),
    "patient": ("Patient", "Пациент"),
    "section": ("Section", "Раздел"),
    "status": ("Status", "Статус"),
    "none_found": ("no proposals", "предложений нет"),
    "run": ("Structuring run", "Структурирование"),
    "documents": ("documents read", "прочитано документов"),
    "proposed": ("new proposals", "новых предложений"),
    "unchanged": ("documents with nothing new", "документов без нового"),
    "superseded": ("pending proposals replaced", "заменено ожидающих предложений"),
    "auto_accepted": ("accepted automatically", "принято автоматически"),
    "refused": ("auto-accept refused", "автоматическое принятие отклонено"),
    "accepted": ("accepted into entry", "принято в запись"),
    "rejected": ("rejected", "отклонено"),
    "version": ("version", "версия"),
    "entry_date": ("entry date", "дата записи"),
    "not_kept": ("not kept", "не сохраняется"),
}


def label(key: str, lang: str) -> str:
    en, ru = LABELS[key]
    return ru if lang == "ru" else en
