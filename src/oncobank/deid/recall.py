"""Recall and precision of the text scrubber per category, on texts with gold identifier spans."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from oncobank.deid.scrub import Replacement, scrub_text
from oncobank.deid.seeded import SeededText


@dataclass
class Score:
    """Counts of one category: gold spans wholly removed or not, replacements on an identifier or not."""

    gold: int = 0
    found: int = 0
    typed: int = 0  # found and replaced under this very category
    replaced: int = 0
    correct: int = 0
    missed: list[str] = field(default_factory=list)  # the gold values left (whole or in part) in the text
    spurious: list[str] = field(default_factory=list)  # what was replaced that is no identifier

    @property
    def recall(self) -> float | None:
        return self.found / self.gold if self.gold else None

    @property
    def typed_share(self) -> float | None:
        return self.typed / self.gold if self.gold else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.replaced if self.replaced else None


def _covered(start: int, end: int, replacements: tuple[Replacement, ...]) -> bool:
    spans = sorted((r.start, r.end) for r in replacements if r.end > start and r.start < end)
    at = start
    for s, e in spans:
        if s > at:
            return False
        at = max(at, e)
    return at >= end


def score_texts(texts: Iterable[SeededText], shift_days: int | None = 7) -> dict[str, Score]:
    """Scrub each text with its patient's own values and score every category against the gold spans."""
    scores: dict[str, Score] = {}
    for t in texts:
        scrubbed = scrub_text(t.text, shift_days=shift_days, known=t.known)
        for start, end, category, *_ in t.spans:
            s = scores.setdefault(category, Score())
            s.gold += 1
            if _covered(start, end, scrubbed.replacements):
                s.found += 1
                s.typed += _covered(start, end, tuple(r for r in scrubbed.replacements if r.category == category))
            else:
                s.missed.append(t.text[start:end])
        for r in scrubbed.replacements:
            s = scores.setdefault(r.category, Score())
            s.replaced += 1
            if any(r.start < end and r.end > start for start, end, *_ in t.spans):
                s.correct += 1
            else:
                s.spurious.append(t.text[r.start:r.end])
    return scores
