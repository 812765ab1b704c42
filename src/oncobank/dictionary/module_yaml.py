"""Write a dictionary module as YAML laid out like the built-in modules (no defaults, no empty values)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from oncobank.dictionary.schema import Domain, FieldDef, Module, Section


class _Flow(dict):
    """A mapping written on one line, like `label: {ru: ..., en: ...}`."""


class _FlowList(list):
    """A list written on one line, like `aliases: [a, b]`."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # indent lists under their key, as the built-in modules do


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList,
                        lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def module_to_yaml(module: Module) -> str:
    """A module as YAML laid out like the built-in modules, without defaults or empty values."""
    data = module.model_dump(exclude_defaults=True)
    data["label"] = _Flow(data["label"])
    if "extends" in data:
        data["extends"] = _FlowList(data["extends"])
    if module.domains:
        data["domains"] = {n: _yaml_domain(d) for n, d in module.domains.items()}
    if module.sections:
        data["sections"] = [_yaml_section(s) for s in module.sections]
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)
    # blank lines before each block of the file and between sections, for people reading it
    lines: list[str] = []
    for line in text.splitlines():
        block = re.match(r"[a-z_]+:$", line) is not None
        section = line.startswith("  - name:") and lines[-1] != "sections:"
        if lines and (block or section):
            lines.append("")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _yaml_domain(domain: Domain) -> dict[str, Any]:
    codes = []
    for code in domain.codes:
        entry = code.model_dump(exclude_defaults=True)
        entry["label"] = _Flow(entry["label"])
        if "aliases" in entry:
            entry["aliases"] = _FlowList(entry["aliases"])
        codes.append(_Flow(entry))
    return {"label": _Flow(domain.label.model_dump()), "codes": codes}


def _yaml_section(section: Section) -> dict[str, Any]:
    data = section.model_dump(exclude_defaults=True, exclude={"fields"})
    data = {"name": data.pop("name"), "label": _Flow(data.pop("label")),
            "repeating": section.repeating, "dated": section.dated, **data}
    data["fields"] = [_yaml_field(f) for f in section.fields]
    return data


def _yaml_field(f: FieldDef) -> dict[str, Any]:
    data = f.model_dump(exclude_defaults=True)  # python mode keeps dates unquoted in YAML
    data["type"] = str(f.type)
    data["label"] = _Flow(data["label"])
    for key in ("hard_range", "soft_range"):
        if key in data:
            data[key] = _Flow({k: _plain_number(v) for k, v in data[key].items() if v is not None})
    for key in ("units", "aliases"):
        if key in data:
            data[key] = _FlowList(data[key])
    return data


def _plain_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
