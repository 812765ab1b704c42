"""Free text on its way out: references re-mapped, then the scrubber with the patient's own identifying values."""

from __future__ import annotations

from collections.abc import Sequence

from oncobank.deid.keys import Keys


def clean_text(text: str, keys: Keys, *, shift_days: int | None, year_only: bool, known: Sequence[str]) -> str:
    """`text` with DICOM UIDs and content hashes re-mapped, names, identifiers and the like replaced, and dates
    shifted by `shift_days` (or reduced to their year)."""
    from oncobank.deid.scrub import scrub_text  # the one place the publish calls the scrubber

    remapped = keys.remap_references(text)
    return scrub_text(remapped, shift_days=shift_days, year_only=year_only, known=known).text
