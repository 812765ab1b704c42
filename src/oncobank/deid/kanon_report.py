"""What a k-anonymity run found and did, as a Rich table (Russian or English) and as JSON-ready data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

from oncobank.deid.wording import pick

_LABELS: dict[str, tuple[str, str]] = {
    # key: (en, ru)
    "title": ("k-anonymity of the published patient table", "k-анонимность публикуемой таблицы пациентов"),
    "measure": ("Measure", "Показатель"),
    "before": ("Before", "До"),
    "after": ("After", "После"),
    "k": ("k (smallest class; target {k})", "k (наименьший класс; цель {k})"),
    "classes": ("Equivalence classes", "Классы эквивалентности"),
    "rows": ("Rows", "Строки"),
    "below_k": ("Rows in classes below k", "Строки в классах меньше k"),
    "l": ("Distinct l of {column}", "Различное l по {column}"),
    "l_target": ("Distinct l of {column} (target {l})", "Различное l по {column} (цель {l})"),
    "entropy_l": ("Entropy l of {column}", "Энтропийное l по {column}"),
    "level": ("Generalisation of {column}", "Обобщение {column}"),
    "masked": ("Rows with quasi-identifiers masked", "Строки со скрытыми квазиидентификаторами"),
    "removed": ("Rows removed", "Удалённые строки"),
    "loss": ("Precision lost", "Потеря точности"),
    "holds": ("Target holds", "Цель достигнута"),
    "yes": ("yes", "да"),
    "no": ("no", "нет"),
    "original": ("none (original values)", "нет (исходные значения)"),
    "band5": ("5-year bands", "5-летние интервалы"),
    "band10": ("10-year bands", "10-летние интервалы"),
    "district": ("federal districts", "федеральные округа"),
    "parent": ("parent groups", "родительские группы"),
    "rare_other": ("rare values → other", "редкие значения → «другое»"),
    "suppressed": ("suppressed (*)", "скрыто (*)"),
}


def label(key: str, lang: str = "en", **values: Any) -> str:
    """The interface text `key` in `lang` ("en" or "ru"), with `values` filled in."""
    return pick(_LABELS, key, lang, **values)


@dataclass(frozen=True)
class KAnonymityReport:
    """k, l and classes before and after, what each quasi-identifier was generalised to, what was suppressed."""

    k_target: int
    l_target: int | None
    rows_before: int
    rows_after: int
    k_before: int
    k_after: int
    classes_before: int
    classes_after: int
    below_k_before: float
    below_k_after: float
    l_before: dict[str, int]
    l_after: dict[str, int]
    entropy_l_before: dict[str, float]
    entropy_l_after: dict[str, float]
    levels: dict[str, str]  # quasi-identifier → the level it was generalised to (a key of the labels)
    masked_rows: int
    removed: tuple[Any, ...] = field(repr=False)  # index labels (pandas) or positions (Arrow) of removed rows
    information_loss: float = 0.0

    @property
    def holds(self) -> bool:
        """Whether the published table meets the target (an empty one does, having no class to single out)."""
        if self.rows_after == 0:
            return True
        l_ok = self.l_target is None or all(v >= self.l_target for v in self.l_after.values())
        return self.k_after >= self.k_target and l_ok

    def to_dict(self) -> dict[str, Any]:
        """The report for --json (without the removed rows' labels, only their number)."""
        return {
            "k_target": self.k_target, "l_target": self.l_target, "holds": self.holds,
            "rows": {"before": self.rows_before, "after": self.rows_after},
            "k": {"before": self.k_before, "after": self.k_after},
            "classes": {"before": self.classes_before, "after": self.classes_after},
            "share_below_k": {"before": self.below_k_before, "after": self.below_k_after},
            "distinct_l": {c: {"before": self.l_before[c], "after": self.l_after[c]} for c in self.l_before},
            "entropy_l": {c: {"before": self.entropy_l_before[c], "after": self.entropy_l_after[c]}
                          for c in self.entropy_l_before},
            "generalisations": dict(self.levels),
            "masked_rows": self.masked_rows, "removed_rows": len(self.removed),
            "information_loss": self.information_loss,
        }

    def table(self, lang: str = "en") -> Table:
        """The report as a Rich table, labels in `lang`."""
        t = Table(title=label("title", lang))
        for key in ("measure", "before", "after"):
            t.add_column(label(key, lang))
        t.add_row(label("rows", lang), f"{self.rows_before:,}", f"{self.rows_after:,}")
        t.add_row(label("k", lang, k=self.k_target), str(self.k_before), str(self.k_after))
        t.add_row(label("classes", lang), f"{self.classes_before:,}", f"{self.classes_after:,}")
        t.add_row(label("below_k", lang), f"{self.below_k_before:.1%}", f"{self.below_k_after:.1%}")
        for column in self.l_before:
            key = "l" if self.l_target is None else "l_target"
            t.add_row(label(key, lang, column=column, l=self.l_target), str(self.l_before[column]),
                      str(self.l_after[column]))
            t.add_row(label("entropy_l", lang, column=column), f"{self.entropy_l_before[column]:.2f}",
                      f"{self.entropy_l_after[column]:.2f}")
        for column, level in self.levels.items():
            t.add_row(label("level", lang, column=column), "", label(level, lang))
        t.add_row(label("masked", lang), "", f"{self.masked_rows:,}")
        t.add_row(label("removed", lang), "", f"{len(self.removed):,}")
        t.add_row(label("loss", lang), "", f"{self.information_loss:.1%}")
        t.add_row(label("holds", lang), "", label("yes" if self.holds else "no", lang))
        return t
