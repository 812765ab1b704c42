"""Russian and English labels of the data-query pages and of the query marks on the patient view and forms."""

from __future__ import annotations

from oncobank.web.labels import WEB_LABELS

LABELS: dict[str, tuple[str, str]] = {
    # key: (en, ru)
    "queries": ("Data queries", "Запросы по данным"),
    "query": ("Data query", "Запрос по данным"),
    "query_open_title": ("Ask about a value", "Задать вопрос по значению"),
    "query_question": ("Question", "Вопрос"),
    "query_suggested": ("Suggested value", "Предлагаемое значение"),
    "query_ask": ("Open a query", "Открыть запрос"),
    "query_answer": ("Answer", "Ответить"),
    "query_close": ("Close", "Закрыть"),
    "query_reopen": ("Re-open", "Открыть снова"),
    "query_comment": ("Comment", "Комментарий"),
    "query_status": ("Status", "Статус"),
    "query_status_open": ("open", "открыт"),
    "query_status_answered": ("answered", "получен ответ"),
    "query_status_closed": ("closed", "закрыт"),
    "query_step_open": ("asked", "вопрос"),
    "query_step_answer": ("answered", "ответ"),
    "query_step_close": ("closed", "закрыт"),
    "query_step_reopen": ("re-opened", "открыт снова"),
    "query_opened_by": ("Opened by", "Кто открыл"),
    "query_changed": ("Last change", "Последнее изменение"),
    "query_entry": ("Entry", "Запись"),
    "query_mine": ("opened by me", "открытые мной"),
    "query_none": ("No data queries match.", "Запросов не найдено."),
    "query_mark": ("{n} data query(ies) not closed on this value", "незакрытых запросов по этому значению: {n}"),
    "action_query_open": ("data query opened", "открыт запрос по данным"),
    "action_query_answer": ("data query answered", "ответ на запрос по данным"),
    "action_query_close": ("data query closed", "закрыт запрос по данным"),
    "action_query_reopen": ("data query re-opened", "запрос по данным открыт снова"),
    "query_shown_max": ("The newest {n} are shown; narrow the filters to see others.",
                        "Показаны {n} последних; уточните фильтры, чтобы увидеть остальные."),
}

WEB_LABELS.update(LABELS)  # the pages' `t()` reads WEB_LABELS; these pages add their own keys to it
