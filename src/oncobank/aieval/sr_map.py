"""Load the concept mapping that says which content items of a vendor's SR carry the service's answer.

An AI vendor's report (a TID 1500 measurement report, a Basic or Enhanced text SR) names its probability and
category with its own concept codes; the mapping, a small YAML file kept with the service, names them:

    probability: {concept: "DCM:111047", scale: 0.01, when_absent: 0}
    category: {concept: "99ACME:LRADS", values: {"99ACME:2": "CT-1", "99ACME:4A": "CT-2"}}
    sent_at: study          # study | content | a DATETIME item's concept; unset: not in the report
    received_at: content    # the default: the SR's ContentDate/ContentTime
    version: "DCM:111003"   # the default: the Algorithm Version item, else SoftwareVersions
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oncobank.aieval.errors import InputFileError, Issue

Concept = tuple[str, str]  # (coding scheme designator, code value)
CONCEPT = re.compile(r"^([A-Za-z0-9_.-]+):(\S+)$")
ATTRIBUTE_TIMES = ("study", "content")
KEYS = {"probability": {"concept", "scale", "when_absent", "pattern"}, "category": {"concept", "values"},
        "sent_at": None, "received_at": None, "version": None}
ALGORITHM_VERSION: Concept = ("DCM", "111003")


@dataclass(frozen=True)
class SrMap:
    """Which concepts carry probability, category, version and times; category values least to most severe."""

    probability: Concept | None = None
    scale: float = 1.0
    when_absent: float | None = None
    pattern: re.Pattern[str] | None = None  # a TEXT probability: the number is the pattern's first group
    category: Concept | None = None
    values: dict[str, str] = field(default_factory=dict)  # "SCHEME:CODE" or the text as written → category
    sent_at: str | Concept | None = None
    received_at: str | Concept | None = "content"
    version: Concept = ALGORITHM_VERSION


def concept_key(scheme: str, code: str) -> str:
    return f"{scheme}:{code}"


def _concept(name: str, where: str, value: Any, issues: list[Issue]) -> Concept | None:
    match = CONCEPT.match(str(value)) if isinstance(value, str) else None
    if match is None:
        issues.append(Issue(name, None, where, value, "sr_map_concept", "expected a concept as SCHEME:CODE, "
                                                                        "e.g. DCM:111047"))
        return None
    return match.group(1), match.group(2)


def _time(name: str, where: str, value: Any, issues: list[Issue]) -> str | Concept | None:
    if value is None or value in ATTRIBUTE_TIMES:
        return value
    return _concept(name, where, value, issues)


def _number(name: str, where: str, value: Any, issues: list[Issue]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        issues.append(Issue(name, None, where, value, "sr_map_number", "expected a number"))
        return None
    return float(value)


def load_map(path: str | Path) -> SrMap:
    """The mapping in a YAML file; InputFileError names every bad key and value at once."""
    p = Path(path)
    name = p.name
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputFileError([Issue(name, None, None, None, "yaml", f"not valid YAML ({exc})")]) from None
    if not isinstance(data, dict):
        raise InputFileError([Issue(name, None, None, None, "sr_map", "expected a mapping of keys "
                                    f"({', '.join(KEYS)})")])
    issues: list[Issue] = []
    for key, value in data.items():
        if key not in KEYS:
            issues.append(Issue(name, None, str(key), None, "sr_map_key", f"unknown key; known: {', '.join(KEYS)}"))
        elif KEYS[key] is not None:
            if not isinstance(value, dict) or "concept" not in value:
                issues.append(Issue(name, None, key, None, "sr_map", "expected a mapping with 'concept'"))
                continue
            issues.extend(Issue(name, None, f"{key}.{k}", None, "sr_map_key",
                                f"unknown key; known: {', '.join(sorted(KEYS[key] or ()))}")
                          for k in value if k not in (KEYS[key] or ()))
    if "probability" not in data and "category" not in data:
        issues.append(Issue(name, None, "probability", None, "sr_map",
                            "the mapping names neither the probability nor the category"))
    if issues:
        raise InputFileError(issues)
    prob = data.get("probability") or {}
    cat = data.get("category") or {}
    out: dict[str, Any] = {}
    if prob:
        out["probability"] = _concept(name, "probability.concept", prob["concept"], issues)
        if "scale" in prob:
            out["scale"] = _number(name, "probability.scale", prob["scale"], issues)
        if "when_absent" in prob:
            out["when_absent"] = _number(name, "probability.when_absent", prob["when_absent"], issues)
        if "pattern" in prob:
            try:
                out["pattern"] = re.compile(str(prob["pattern"]))
            except re.error as exc:
                issues.append(Issue(name, None, "probability.pattern", prob["pattern"], "sr_map_pattern",
                                    f"not a regular expression ({exc})"))
    if cat:
        out["category"] = _concept(name, "category.concept", cat["concept"], issues)
        values = cat.get("values") or {}
        if not isinstance(values, dict):
            issues.append(Issue(name, None, "category.values", None, "sr_map", "expected a mapping of value → "
                                                                               "category"))
        else:
            out["values"] = {str(k): str(v) for k, v in values.items()}
    for key in ("sent_at", "received_at"):
        if key in data:
            out[key] = _time(name, key, data[key], issues)
    if "version" in data:
        out["version"] = _concept(name, "version", data["version"], issues)
    if issues:
        raise InputFileError(issues)
    return SrMap(**out)
