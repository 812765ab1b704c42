"""Negation and uncertainty of a finding in its sentence, ConText-style, for Russian and English."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Triggers:
    pre_negation: re.Pattern[str]
    post_negation: re.Pattern[str]
    pseudo: re.Pattern[str]
    pre_uncertainty: re.Pattern[str]
    post_uncertainty: re.Pattern[str]
    terminator: re.Pattern[str]
    window: int


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@lru_cache(maxsize=1)
def triggers() -> Triggers:
    data = yaml.safe_load((resources.files("oncobank.nlp") / "context.yaml").read_text(encoding="utf-8"))
    neg, unc = data["negation"], data["uncertainty"]
    return Triggers(_any(neg["pre"]), _any(neg["post"]), _any(neg["pseudo"]), _any(unc["pre"]), _any(unc["post"]),
                    _any(data["terminators"]), int(data["window"]))


def _before(text: str, t: Triggers) -> str:
    """The words a pre-trigger may stand in: back to the last terminator, at most `window` words."""
    cut = [m.end() for m in t.terminator.finditer(text)]
    text = text[cut[-1]:] if cut else text
    words = list(WORD.finditer(text))
    return text[words[-t.window].start():] if len(words) > t.window else text


def _after(text: str, t: Triggers) -> str:
    m = t.terminator.search(text)
    return text[:m.start()] if m else text


def _has(pattern: re.Pattern[str], text: str, pseudo: re.Pattern[str]) -> bool:
    masked = pseudo.sub(lambda m: " " * len(m.group()), text)  # a pseudo-trigger hides the trigger inside it
    return pattern.search(masked) is not None


def assess(sentence: str, start: int, end: int) -> tuple[bool, bool]:
    """(negated, uncertain) for the finding at sentence[start:end]."""
    t = triggers()
    before, after = _before(sentence[:start], t), _after(sentence[end:], t)
    negated = _has(t.pre_negation, before, t.pseudo) or _has(t.post_negation, after, t.pseudo)
    uncertain = t.pre_uncertainty.search(before) is not None or t.post_uncertainty.search(after) is not None
    return negated, uncertain
