"""The sentence parser's own words, Russian and English: connectives, comparators, people and grammar words.

Everything clinical (fields, codes, units) comes from the data dictionary; these are only the words around it.
"""

from __future__ import annotations

AND = {"и", "а", "также", "and", "with", "с", "со", "who", "which", "having", "have", "has", "had", "у", "имеющие",
       "имеющих", "имеющий", "получить", "receive", "received", "receiving", "treated", "treating", "получавший",
       "получать", "treat", "on", "на", "фон", "after",
       "после", "patient", "пациент", "больной", "of", "the", "a", "an", "in", "при", "по", "за", "весь", "all",
       "в", "человек", "person", "people", "лицо", "диагноз", "diagnose", "diagnosis", "который", "cancer", "рак",
       "carcinoma", "карцинома", "thyroid", "щитовидный", "железа", "щж", "дтс", "type", "тип", "любой", "any",
       "is", "are", "be", "быть", "were", "was", "то", "это"}
OR = {"или", "либо", "or"}
NOT = {"без", "не", "нет", "no", "not", "without", "никогда", "never", "non", "отсутствие", "absence"}
PRESENT = {"есть", "наличие", "present", "known"}
# comparator words (lemmas); multiword ones are joined with a space
COMPARATORS = {
    "старший": ">", "старше": ">", "over": ">", "above": ">", "older than": ">", "more than": ">",
    "greater than": ">", "больше": ">", "более": ">", "свыше": ">", "выше": ">", ">": ">",
    "младший": "<", "младше": "<", "under": "<", "below": "<", "younger than": "<", "less than": "<",
    "меньше": "<", "менее": "<", "ниже": "<", "<": "<",
    "не менее": ">=", "не меньше": ">=", "не младший": ">=", "at least": ">=", "≥": ">=", ">=": ">=", "от": ">=",
    "не более": "<=", "не больше": "<=", "не старший": "<=", "at most": "<=", "up to": "<=", "≤": "<=",
    "<=": "<=", "до": "<=", "between": "between", "from": ">=", "aged": "between",
    "no more than": "<=", "no less than": ">=", "or more": ">=+", "и более": ">=+",
    "и старше": ">=+", "or older": ">=+", "равный": "=", "equal": "=", "=": "=",
}
RANGE_JOIN = {"до", "and", "to", "-", "–", "—", "и"}
WOMEN = {"ж", "жен", "женский", "женщина", "woman", "women", "female", "females", "пациентка", "девушка"}
MEN = {"м", "муж", "мужской", "мужчина", "man", "men", "male", "males"}
AGE = {"год", "лет", "year", "years", "old", "возраст", "age", "aged"}
AGE_OPEN = {"старший", "старше", "младший", "младше", "older than", "younger than", "over", "under", "aged"}
