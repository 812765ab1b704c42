"""A criteria tree read back as one sentence in Russian or English, for the user to confirm, and as an indented tree."""

from __future__ import annotations

from oncobank.cohort.model import Group, Leaf, Node, Window
from oncobank.dictionary import Dictionary

OPS = {"=": ("=", "="), "!=": ("≠", "≠"), "<": ("<", "<"), "<=": ("≤", "≤"), ">": (">", ">"), ">=": ("≥", "≥"),
       "between": ("between", "от"), "in": ("one of", "одно из"), "not_in": ("none of", "ни одно из"),
       "under": ("within", "в группе"), "contains": ("contains", "содержит"), "missing": ("is missing", "не указано"),
       "present": ("is present", "указано")}
KINDS = {"all": (" and ", " и "), "any": (" or ", " или "), "not": ("not ", "не "),
         "at_least": ("at least {n} of: ", "не менее {n} из: "), "at_most": ("at most {n} of: ", "не более {n} из: ")}
FIXED = {"patient.sex": ("sex", "пол"), "derived.age_at_index": ("age at index, years", "возраст на дату индекса, лет")}
SEX = {"F": ("female", "женский"), "M": ("male", "мужской")}
UNITS = {"days": ("days", "дн."), "months": ("months", "мес."), "years": ("years", "г.")}
INDEX_DATE = ("the index date", "даты индекса")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "ru" else pair[0]


def field_label(reference: str, dictionary: Dictionary, lang: str) -> str:
    """The field's label in `lang` (the reference itself when the dictionary has no such field)."""
    if reference in FIXED:
        return _pick(FIXED[reference], lang)
    section, name = reference.split(".", 1)
    try:
        return dictionary.section(section).field(name).label.get(lang)
    except KeyError:
        return reference


def value_label(reference: str, value: object, dictionary: Dictionary, lang: str) -> str:
    if reference == "patient.sex" and value in SEX:
        return _pick(SEX[str(value)], lang)
    section, name = reference.split(".", 1)
    try:
        domain = dictionary.domains.get(dictionary.section(section).field(name).domain or "")
    except KeyError:
        domain = None
    if domain is not None:
        for code in domain.codes:
            if code.code == value:
                return code.label.get(lang)
    return str(value)


def window_phrase(window: Window, dictionary: Dictionary, lang: str) -> str:
    """When the entries count, relative to the index date or the anchor: "12–16 months after the index date"."""
    point = f"({sentence(window.anchor, dictionary, lang)})" if window.anchor else _pick(INDEX_DATE, lang)
    start, end = window.start, window.end
    ru = lang == "ru"
    unit = _pick(UNITS[window.unit], lang)
    if not ru and {abs(v) for v in (start, end) if v is not None} == {1}:
        unit = unit.removesuffix("s")  # 1 day, 1 month
    if start is not None and start >= 0:
        if end is None:
            return f"не ранее чем через {start} {unit} после {point}" if ru else f"{start} {unit} or more after {point}"
        return f"через {start}–{end} {unit} после {point}" if ru else f"{start}–{end} {unit} after {point}"
    if end is not None and end <= 0:
        if start is None:
            return f"не позднее чем за {-end} {unit} до {point}" if ru else f"{-end} {unit} or more before {point}"
        return f"за {-end}–{-start} {unit} до {point}" if ru else f"{-end}–{-start} {unit} before {point}"
    low = "…" if start is None else f"{start:+d}"
    high = "…" if end is None else f"{end:+d}"
    return f"от {low} до {high} {unit} от {point}" if ru else f"from {low} to {high} {unit} of {point}"


def sentence(node: Node, dictionary: Dictionary, lang: str = "en") -> str:
    """`node` as one normalised sentence."""
    if isinstance(node, Leaf) and node.window is not None:
        return f"{sentence(node.model_copy(update={'window': None}), dictionary, lang)}, " \
               f"{window_phrase(node.window, dictionary, lang)}"
    if isinstance(node, Leaf):
        op = _pick(OPS[node.op], lang)
        name = field_label(node.field, dictionary, lang)
        if node.op in ("missing", "present"):
            return f"{name} {op}"
        unit = f" {node.unit}" if node.unit else ""
        if node.op == "between":
            low, high = node.value
            joiner = " до " if lang == "ru" else " and "
            return f"{name} {op} {low}{joiner}{high}{unit}"
        if isinstance(node.value, list):
            values = ", ".join(value_label(node.field, v, dictionary, lang) for v in node.value)
            return f"{name} {op} ({values})"
        return f"{name} {op} {value_label(node.field, node.value, dictionary, lang)}{unit}"
    parts = [sentence(item, dictionary, lang) for item in node.items]
    template = _pick(KINDS[node.kind], lang)
    if node.kind == "not":
        return template + f"({parts[0]})"
    if node.kind in ("at_least", "at_most"):
        return template.format(n=node.n) + "; ".join(parts)
    inner = template.join(f"({p})" if " " in p and isinstance(i, Group) else p for p, i in zip(parts, node.items,
                                                                                              strict=True))
    return inner


def tree_lines(node: Node, dictionary: Dictionary, lang: str = "en", depth: int = 0) -> list[str]:
    """`node` as indented lines, one per group and leaf."""
    pad = "  " * depth
    if isinstance(node, Leaf):
        return [pad + sentence(node, dictionary, lang)]
    head = {"all": ("ALL", "ВСЕ"), "any": ("ANY", "ЛЮБОЕ"), "not": ("NOT", "НЕ"),
            "at_least": (f"AT LEAST {node.n}", f"НЕ МЕНЕЕ {node.n}"),
            "at_most": (f"AT MOST {node.n}", f"НЕ БОЛЕЕ {node.n}")}[node.kind]
    lines = [pad + _pick(head, lang)]
    for item in node.items:
        lines += tree_lines(item, dictionary, lang, depth + 1)
    return lines
