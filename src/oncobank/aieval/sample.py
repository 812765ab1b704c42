"""Reproducible pseudo-random stratified samples of studies (80 per period by default) for reviewers."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from oncobank.aieval.errors import HIDDEN, InputFileError, Issue


def uid_keys(uids: pd.Series, seed: int) -> np.ndarray:
    """A 64-bit pseudo-random key per study that depends only on the seed and its UID."""
    # A study's place in the draw depends only on the seed and its UID, not on file order, so the same
    # period always gives the same sample and adding other periods' studies does not change it.
    return np.array([int.from_bytes(hashlib.blake2b(f"{seed}:{u}".encode(), digest_size=8).digest(), "big")
                     for u in uids], dtype=np.uint64)


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Proportional allocation by largest remainder (ties to the larger stratum, then by name)."""
    total = sum(sizes.values())
    if total <= n:
        return dict(sizes)
    exact = {k: n * v / total for k, v in sizes.items()}
    out = {k: int(e) for k, e in exact.items()}
    order = sorted(sizes, key=lambda k: (-(exact[k] - out[k]), -sizes[k], k))
    for k in order[: n - sum(out.values())]:
        out[k] += 1
    return out


def stratified_sample(studies: pd.DataFrame, n: int, seed: int, stratum: str = "category") -> pd.DataFrame:
    """`n` studies drawn without replacement, each stratum in proportion to its size, ordered by UID."""
    strata = studies[stratum].fillna("—").astype(str)
    picked = []
    for name, k in allocate(strata.value_counts().to_dict(), n).items():
        group = studies[strata == name]
        picked.append(group.iloc[np.argsort(uid_keys(group["study_uid"], seed), kind="stable")[:k]])
    if not picked:
        return studies.iloc[0:0]
    return pd.concat(picked).sort_values("study_uid", ignore_index=True)


def check_sample(form: pd.DataFrame, drawn: pd.DataFrame, file: str, command: str, rule: str) -> None:
    """The form must hold exactly the studies of the `drawn` sample: none missing, none from elsewhere.

    `form` is a read form (`study_uid`, `sheet_row`); `command` is how to draw the sample again, for the
    message. Foreign rows are named by their cell, missing studies by their count (UIDs are not shown).
    """
    wanted = set(drawn["study_uid"])
    issues = [Issue(file, f"cell A{row}", "study_uid", HIDDEN, rule,
                    f"this study is not one of the {len(wanted)} studies of the drawn sample")
              for uid, row in zip(form["study_uid"], form["sheet_row"], strict=True) if uid not in wanted]
    missing = len(wanted - set(form["study_uid"]))
    if missing:  # first: the foreign rows may be more than an error message shows
        issues.insert(0, Issue(file, None, "study_uid", HIDDEN, rule,
                            f"{missing} of the {len(wanted)} studies of the drawn sample have no row (the form has "
                            f"{len(form)}); fill the form drawn with `{command}`"))
    if issues:
        raise InputFileError(issues)
