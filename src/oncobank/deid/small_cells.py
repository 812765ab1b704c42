"""Small counts as readers of the analysis store show them: the store's threshold, masks, and the masked texts.

The threshold is the publish policy's `k_anonymity.small_cell`, written by publish into the store's `k_anonymity`
table (measure `small_cell`); a central store holds one such row per centre and the largest applies. A store
without it (published without a k_anonymity section, or before the threshold was written) gets DEFAULT.
"""

from __future__ import annotations

from typing import Any

from oncobank.deid.publish_kanon import REPORT, SMALL_CELL
from oncobank.deid.wording import pick

DEFAULT = 5
SMALL, COMPLEMENTARY = "small", "complementary"  # why a count is masked: it is small, or it would give one away

_LABELS: dict[str, tuple[str, str]] = {
    # key: (en, ru)
    "small": ("≤ {threshold}", "≤ {threshold}"),
    "hidden": ("suppressed", "скрыто"),
    "note": ("counts of 1 to {threshold} and the cells that would give them away are suppressed",
             "числа от 1 до {threshold} и ячейки, по которым их можно вычислить, скрыты"),
}


def label(key: str, lang: str = "en", **values: Any) -> str:
    """The interface text `key` in `lang` ("en" or "ru"), with `values` filled in."""
    return pick(_LABELS, key, lang, **values)


def store_threshold(store: Any) -> int:
    """The small-cell threshold the analysis store `store` (an oncobank.engine.AnalysisStore) was published under."""
    if REPORT not in store.tables():
        return DEFAULT
    table = store.table(REPORT)
    if not {"measure", "after"} <= set(table.columns):
        return DEFAULT
    found = store.to_arrow(table.filter(table.measure == SMALL_CELL).select("after")).column(0).to_pylist()
    values = [int(v) for v in found if v is not None]
    return max(values) if values else DEFAULT


def is_small(count: int | None, threshold: int) -> bool:
    """Whether `count` is a small cell: 1..threshold (0 identifies nobody)."""
    return count is not None and 1 <= count <= threshold


def text(count: int | None, why: str | None, threshold: int, lang: str = "en") -> str:
    """The text of a count: "≤ threshold" for a small one, "suppressed" for one masked to protect another."""
    if why == SMALL:
        return label("small", lang, threshold=threshold)
    if why == COMPLEMENTARY:
        return label("hidden", lang)
    return "" if count is None else str(count)
