"""A criteria tree read back as one sentence in Russian or English, for the user to confirm, and as an indented tree."""

from __future__ import annotations

from oncobank.cohort.model import Group, Leaf, Node
from oncobank.dictionary import Dictionary

OPS = {"=": ("=", "="), "!=": ("≠", "≠"), "<": ("<", "<"), "<=": ("≤", "≤"), ">": (">", ">"), ">=": ("≥", "≥"),
       "between": ("between", "от"), "in": ("one of", "одно из"), "not_in": ("none of", "ни одно из"),
       "under": ("within", "в группе"), "contains": ("contains", "содержит"), "missing": ("is missing", "не указано"),
       "present": ("is present", "указано")}
KINDS = {"all": (" and ", " и "), "any": (" or ", " или "), "not": ("not ", "не "),
         "at_least": ("at least {n} of: ", "не менее {n} из: "), "at_most": ("at most {n} of: ", "не более {n} из: ")}
FIXED = {"patient.sex": ("sex", "пол"), "derived.age_at_index": ("age at index, years", "возраст на дату индекса, лет")}
SEX = {"F": ("female", "женский"), "M": ("male", "мужской")}


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


def sentence(node: Node, dictionary: Dictionary, lang: str = "en") -> str:
    """`node` as one normalised sentence."""
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
