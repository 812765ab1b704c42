"""Russian and English labels of the interface (dictionary labels live in the dictionary)."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    # key: (en, ru)
    "patient": ("Patient", "Пациент"),
    "centre": ("Centre", "Центр"),
    "identifiers": ("Identifiers", "Идентификаторы"),
    "section": ("Section", "Раздел"),
    "field": ("Field", "Поле"),
    "value": ("Value", "Значение"),
    "as_entered": ("as entered", "как введено"),
    "date": ("Date", "Дата"),
    "facility": ("Facility", "Медицинская организация"),
    "version": ("Version", "Версия"),
    "author": ("Author", "Автор"),
    "reason": ("Reason", "Причина"),
    "retracted": ("RETRACTED", "ОТОЗВАНО"),
    "review": ("Second opinion", "Пересмотр (второе мнение)"),
    "agreement": ("Agreement", "Согласие"),
    "warning": ("Warning", "Предупреждение"),
    "reference": ("reference", "референс"),
    "attachments": ("Attachments", "Вложения"),
    "attachment_no": ("No.", "№"),
    "bytes": ("B", "Б"),
    "attachment_hint": ("Read one back: oncobank attachment get NO. --out FILE",
                        "Получить файл: oncobank attachment get № --out ФАЙЛ"),
    "type": ("Type", "Тип"),
    "unit": ("Unit", "Единица"),
    "units": ("Accepted units", "Допустимые единицы"),
    "domain": ("Domain", "Справочник"),
    "range": ("Hard / soft range", "Жёсткий / мягкий диапазон"),
    "required": ("Required", "Обязательное"),
    "repeating": ("repeating", "повторяющийся"),
    "load_title": ("Load reconciliation", "Сверка загрузки"),
    "in": ("Read", "Прочитано"),
    "loaded": ("Loaded", "Загружено"),
    "skipped": ("Already present", "Уже в регистре"),
    "quarantined": ("Quarantined", "В карантине"),
    "patients": ("Patients", "Пациенты"),
    "entries": ("Entries", "Записи"),
    "warnings": ("Stored with warnings", "Сохранено с предупреждениями"),
    "balanced": ("Counts reconcile", "Счёт сходится"),
    "audit_title": ("Audit log", "Журнал аудита"),
    "when": ("When", "Когда"),
    "user": ("User", "Пользователь"),
    "action": ("Action", "Действие"),
    "entry": ("Entry", "Запись"),
    "yes": ("yes", "да"),
    "no": ("no", "нет"),
    "status_active": ("active", "действует"),
    "status_retracted": ("retracted", "отозвана"),
    "agreement_agree": ("agrees", "согласен"),
    "agreement_partial": ("agrees in part", "согласен частично"),
    "agreement_disagree": ("disagrees", "не согласен"),
    "action_create_patient": ("patient created", "создан пациент"),
    "action_create": ("entry added", "добавлена запись"),
    "action_edit": ("entry edited", "изменена запись"),
    "action_retract": ("entry retracted", "отозвана запись"),
    "action_review": ("second opinion", "второе мнение"),
    "action_attach": ("document attached", "прикреплён документ"),
    "action_read": ("read", "просмотр"),
    "action_read_attachment": ("document read", "просмотр документа"),
    "action_load": ("loaded", "загрузка"),
    "action_reinstate": ("entry reinstated", "восстановлена запись"),
    "action_publish": ("published for research", "публикация для исследований"),
    "action_account": ("account changed", "изменение учётной записи"),
    "details": ("Details", "Подробности"),
    "quarantine_title": ("Quarantined records", "Записи в карантине"),
    "location": ("Where", "Где"),
    "line": ("line", "строка"),
    "problem": ("Problem [rule]", "Ошибка [правило]"),
    "quarantine_more": (
        "… and {n} more: oncobank quarantine list",
        "… и ещё {n}: oncobank quarantine list",
    ),
    "quarantine_fix": (
        "Correct them in the file and load it again: only what the store does not hold yet is loaded.",
        "Исправьте их в файле и загрузите его снова: загрузится только то, чего ещё нет в регистре.",
    ),
    "type_number": ("number", "число"),
    "type_integer": ("integer", "целое число"),
    "type_text": ("text", "текст"),
    "type_date": ("date", "дата"),
    "type_code": ("code", "код"),
    "type_enum": ("choice", "выбор из списка"),
    "type_boolean": ("yes / no", "да / нет"),
}


def label_or(key: str, fallback: str, lang: str = "en") -> str:
    """The label of `key`, or `fallback` when there is none (a code this interface does not know)."""
    return label(key, lang) if key in LABELS else fallback


def label(key: str, lang: str = "en") -> str:
    en, ru = LABELS[key]
    return ru if lang == "ru" else en
