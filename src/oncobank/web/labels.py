"""Russian and English labels of the web pages (the store's own labels come from reports.labels)."""

from __future__ import annotations

from oncobank.reports.labels import LABELS as REPORT_LABELS

LANGS = ("ru", "en")

WEB_LABELS: dict[str, tuple[str, str]] = {
    # key: (en, ru)
    "app_name": ("OncoBank registry", "Регистр OncoBank"),
    "skip": ("Skip to content", "Перейти к содержанию"),
    "home": ("Home", "Главная"),
    "sign_in": ("Sign in", "Войти"),
    "sign_out": ("Sign out", "Выйти"),
    "register": ("Register", "Регистрация"),
    "register_title": ("Register as a doctor of a centre", "Регистрация врача центра"),
    "register_hint": ("Your account is active once a data manager of your centre or an administrator approves it.",
                      "Учётная запись заработает после подтверждения менеджером данных вашего центра "
                      "или администратором."),
    "registered": ("Thank you. Your account awaits approval.", "Спасибо. Учётная запись ожидает подтверждения."),
    "password": ("Password", "Пароль"),
    "password_again": ("Password again", "Пароль ещё раз"),
    "password_rule": ("At least 10 characters.", "Не менее 10 символов."),
    "new_password": ("New password", "Новый пароль"),
    "current_password": ("Current password", "Текущий пароль"),
    "change_password": ("Change password", "Сменить пароль"),
    "password_changed": ("Password changed.", "Пароль изменён."),
    "must_change": ("Your password was reset by an administrator: choose your own now.",
                    "Пароль сброшен администратором: задайте свой."),
    "account": ("My account", "Моя учётная запись"),
    "tokens": ("API tokens", "Токены API"),
    "token_name": ("Token name", "Название токена"),
    "token_create": ("Create a token", "Создать токен"),
    "token_shown_once": ("Copy the token now: it is shown only once.",
                         "Скопируйте токен сейчас: он показывается один раз."),
    "token_revoke": ("Revoke", "Отозвать"),
    "token_revoked": ("revoked", "отозван"),
    "token_last_used": ("Last used", "Последнее использование"),
    "no_tokens": ("No tokens yet.", "Токенов пока нет."),
    "admin_users": ("Accounts", "Учётные записи"),
    "pending_title": ("Awaiting approval", "Ожидают подтверждения"),
    "no_pending": ("Nobody awaits approval.", "Никто не ожидает подтверждения."),
    "approve": ("Approve", "Подтвердить"),
    "reject": ("Reject", "Отклонить"),
    "disable": ("Disable", "Отключить"),
    "enable": ("Enable", "Включить"),
    "reset_password": ("Reset password", "Сбросить пароль"),
    "one_time_password": ("One-time password for {user} (give it to her; she must change it at sign-in): {password}",
                          "Одноразовый пароль для {user} (передайте его пользователю; при входе его нужно "
                          "сменить): {password}"),
    "locked_until": ("Locked until", "Заблокирована до"),
    "changed": ("Account {user} changed.", "Учётная запись {user} изменена."),
    "audit_page": ("Audit log", "Журнал аудита"),
    "filter": ("Filter", "Показать"),
    "from_date": ("From", "С"),
    "to_date": ("To", "По"),
    "any": ("any", "любое"),
    "address": ("Address", "Адрес"),
    "details": ("Details", "Подробности"),
    "no_events": ("No events match.", "Событий не найдено."),
    "api_docs": ("API", "API"),
    "api_title": ("REST API", "REST API"),
    "api_hint": ("Send a token as `Authorization: Bearer TOKEN`. The machine-readable description is at",
                 "Передавайте токен в заголовке `Authorization: Bearer TOKEN`. Машиночитаемое описание:"),
    "method": ("Method", "Метод"),
    "path": ("Path", "Путь"),
    "summary": ("What it does", "Назначение"),
    "welcome": ("Signed in as {user} ({role}).", "Вы вошли как {user} ({role})."),
    "centre_of": ("Centre: {centre}", "Центр: {centre}"),
    "researcher_note": ("Researchers work on the de-identified analysis store only; this registry shows them no "
                        "patient data.", "Исследователи работают только с обезличенной аналитической базой; "
                        "данные пациентов в регистре им не показываются."),
    "what_you_can": ("What you can do here", "Что вам доступно"),
    "perm_read_patients": ("read the patients of your reach", "просматривать пациентов в пределах доступа"),
    "perm_write_patients": ("enter and edit patients", "вводить и изменять данные пациентов"),
    "perm_review": ("give second opinions", "давать второе мнение"),
    "perm_manage_users": ("approve and manage accounts", "подтверждать и вести учётные записи"),
    "perm_read_audit": ("read the audit log", "просматривать журнал аудита"),
    "perm_evaluate_ai": ("evaluate AI services", "оценивать сервисы ИИ"),
    "perm_read_analysis": ("work on the analysis store", "работать с аналитической базой"),
    "sign_in_failed": ("Wrong user name or password.", "Неверное имя пользователя или пароль."),
    "locked": ("Too many failed attempts: the account is locked for {minutes} minutes. An administrator can unlock "
               "it.", "Слишком много неудачных попыток: учётная запись заблокирована на {minutes} мин. "
               "Администратор может разблокировать её."),
    "throttled": ("Too many attempts from your address; wait a few minutes.",
                  "Слишком много попыток с вашего адреса; подождите несколько минут."),
    "not_active_pending": ("Your account awaits approval.", "Учётная запись ожидает подтверждения."),
    "not_active_disabled": ("Your account is disabled.", "Учётная запись отключена."),
    "session_ended": ("Your session has ended; sign in again.", "Сеанс завершён; войдите снова."),
    "error": ("Error", "Ошибка"),
    "error_400": ("The request cannot be carried out", "Запрос не может быть выполнен"),
    "error_401": ("Sign in first", "Сначала войдите в систему"),
    "error_403": ("You may not do this", "У вас нет права на это действие"),
    "error_404": ("Not found", "Не найдено"),
    "error_405": ("Method not allowed", "Метод не поддерживается"),
    "error_409": ("Changed by someone else", "Изменено другим пользователем"),
    "error_413": ("Too large", "Слишком большой запрос"),
    "error_422": ("Check the values", "Проверьте значения"),
    "error_429": ("Too many requests", "Слишком много запросов"),
    "error_500": ("Something went wrong on the server; the error is logged without your data.",
                  "Ошибка на сервере; она записана в журнал без ваших данных."),
    "csrf_failed": ("The form expired or did not come from this site; reload the page and send it again.",
                    "Форма устарела или отправлена не с этого сайта; обновите страницу и отправьте снова."),
    "back_home": ("Back to the start page", "На главную"),
    "save": ("Save", "Сохранить"),
    "language": ("Language", "Язык"),
    "field_required": ("{field}: required", "{field}: обязательное поле"),
    "passwords_differ": ("The two passwords differ.", "Пароли не совпадают."),
    "password_short": ("The password needs at least 10 characters.", "Пароль должен быть не короче 10 символов."),
    "centre_pick": ("choose your centre", "выберите центр"),
}


def text(key: str, lang: str, **values: str) -> str:
    """The label of `key` in `lang` (web labels first, then the store's), with `{name}` places filled in."""
    pair = WEB_LABELS.get(key) or REPORT_LABELS.get(key)
    if pair is None:
        raise KeyError(f"no label {key!r}")
    chosen = pair[1] if lang == "ru" else pair[0]
    return chosen.format(**values) if values else chosen


def pick_lang(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The page language: `?lang=` first, then the cookie, then the browser's first preference, else Russian."""
    for candidate in (query, cookie):
        if candidate in LANGS:
            return candidate
    first = (accept or "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "ru"
