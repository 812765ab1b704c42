"""Score the sentence parser on a set of sentence -> tree pairs: the share parsed to exactly the expected tree."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oncobank.cohort.fields import CohortError
from oncobank.cohort.model import Group, Leaf
from oncobank.cohort.sentence import parse
from oncobank.dictionary import Dictionary


def compact(node: Any) -> Leaf | Group:
    """A tree from the compact form: [field, op, value(, unit)], {"not": x}, {"any": [...]}, {"all": [...]}."""
    if isinstance(node, list):
        field_, op, value, *unit = node
        return Leaf(field=field_, op=op, value=value, unit=unit[0] if unit else None)
    if isinstance(node, dict) and len(node) == 1:
        kind, items = next(iter(node.items()))
        children = [compact(items)] if kind == "not" else [compact(i) for i in items]
        return Group(kind=kind, items=children)
    raise CohortError(f"cannot read {node!r} as a compact tree")


@dataclass
class Score:
    total: int
    exact: int
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.exact / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "exact": self.exact, "share": round(self.share, 4), "misses": self.misses}


def score(path: Path, dictionary: Dictionary) -> Score:
    """Parse every sentence of the pair file `path` and compare its tree with the expected one."""
    try:
        pairs = json.loads(path.read_text(encoding="utf-8"))["pairs"]
    except (OSError, ValueError, KeyError) as exc:
        raise CohortError(f"{path}: not a sentence pair file ({exc.__class__.__name__})") from None
    result = Score(total=len(pairs), exact=0)
    for number, (sentence, conjuncts) in enumerate(pairs, start=1):
        expected = Group(kind="all", items=[compact(c) for c in conjuncts])
        parsed = parse(sentence, dictionary)
        got = parsed.tree.model_dump(mode="json") if parsed.tree else None
        if got == expected.model_dump(mode="json") and not parsed.unplaced:
            result.exact += 1
        else:
            result.misses.append({"pair": number, "sentence": sentence, "unplaced": parsed.unplaced, "got": got,
                                  "expected": expected.model_dump(mode="json")})
    return result
