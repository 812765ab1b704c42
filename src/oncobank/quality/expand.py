"""Expand the check types over the data dictionary and add the module's and the user's rules: the list of checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from oncobank.deid.schema import ENTRY_DATE, table_name
from oncobank.dictionary.loader import Dictionary, module_path
from oncobank.dictionary.schema import FieldDef, FieldType, Label, Section
from oncobank.quality.model import Check, CheckType, CheckTypeFile, Rule, RuleFile, read_yaml

CHECK_TYPES = Path(__file__).with_name("check_types.yaml")
RULES_FILE = "quality.yaml"  # beside a disease module's dictionary.yaml
ENTRY_DATE_FIELD = FieldDef(name=ENTRY_DATE, label=Label(en="date of the entry", ru="дата записи"),
                            type=FieldType.DATE)


@lru_cache(maxsize=1)
def check_types() -> tuple[CheckType, ...]:
    """The built-in check types (check_types.yaml)."""
    return tuple(read_yaml(CHECK_TYPES, CheckTypeFile).check_types)


def module_rules(dictionary: Dictionary) -> list[Rule]:
    """The cross-field and cross-section rules of every module of the dictionary (their quality.yaml, if any)."""
    rules: list[Rule] = []
    for module in dictionary.modules:
        path = module_path(module.module).with_name(RULES_FILE)
        if path.is_file():
            rules.extend(read_yaml(path, RuleFile).rules)
    return rules


def user_rules(paths: Iterable[Path]) -> list[Rule]:
    """Users' checks: rule files of the same form as a module's quality.yaml."""
    return [rule for path in paths for rule in read_yaml(path, RuleFile).rules]


def expand(dictionary: Dictionary, rules: Iterable[Rule] = ()) -> list[Check]:
    """Every check of the dictionary's fields and sections, then one per rule; IDs are unique and stable."""
    checks = [check for kind in check_types() for check in _expand_type(dictionary, kind)] + rule_checks(rules)
    seen: set[str] = set()
    for check in checks:
        if check.id in seen:
            raise ValueError(f"check {check.id} is declared twice")
        seen.add(check.id)
    return checks


def rule_checks(rules: Iterable[Rule]) -> list[Check]:
    """One check per rule, `rule:<id>`, listed under the table whose rows it judges."""
    return [Check(f"rule:{r.id}", "rule", r, r.table or (r.then or r.left or r.first).table,  # type: ignore[union-attr]
                  r.column, rule=r) for r in rules]


def _expand_type(dictionary: Dictionary, kind: CheckType) -> Iterator[Check]:
    level = kind.applies.get("level")
    for section in dictionary.sections.values():
        table = table_name(dictionary, section.name)
        if level == "section":
            if _section_matches(section, kind.applies):
                yield Check(f"{kind.id}:{table}", kind.id, kind, table, ENTRY_DATE, section.name, None,
                            {**kind.parameters, "section_label": section.label.model_dump()})
            continue
        fields = list(section.fields)
        if level == "date":
            fields = [f for f in fields if f.type == FieldType.DATE] + ([ENTRY_DATE_FIELD] if section.dated else [])
        for f in fields:
            if f.identifying or not _section_matches(section, kind.applies) or not _field_matches(f, kind.applies):
                continue
            yield Check(f"{kind.id}:{table}.{f.name}", kind.id, kind, table, f.name, section.name, f.name,
                        {**kind.parameters, **_field_params(dictionary, f, kind),
                         "section_label": section.label.model_dump(), "field_label": f.label.model_dump()})


def _section_matches(section: Section, applies: dict[str, object]) -> bool:
    return all(getattr(section, key) == applies[key] for key in ("repeating", "dated") if key in applies)


def _field_matches(f: FieldDef, applies: dict[str, object]) -> bool:
    if "required" in applies and f.required != applies["required"]:
        return False
    if "type" in applies and f.type.value not in applies["type"]:  # type: ignore[operator]
        return False
    if "has" in applies and getattr(f, str(applies["has"])) is None:
        return False
    if "future_allowed" in applies and f.future_allowed != applies["future_allowed"]:
        return False
    return not (applies.get("repeating") is False and f.multiple)  # lists have no portable distinct count


def _field_params(dictionary: Dictionary, f: FieldDef, kind: CheckType) -> dict[str, object]:
    params: dict[str, object] = {"multiple": f.multiple, "unit": f.unit}
    if f.domain is not None:
        params["codes"] = [c.code for c in dictionary.domains[f.domain].codes]
    bounds = kind.parameters.get("range")
    if bounds:
        found = getattr(f, str(bounds))
        params.update(min=found.min, max=found.max)
    if f.earliest is not None:
        params["earliest"] = f.earliest.isoformat()
    return params
