"""What a source value may hold before the database sees it: lengths of the store's columns, storable characters.

SQLite keeps what PostgreSQL refuses (a NUL, a lone surrogate, a 100,000-character ID in a 128-character column),
so the ingest checks both here and quarantines the row the same way on either backend. The lengths are read
from the models, never retyped.
"""

from __future__ import annotations

import re
from typing import Any

from oncobank.ingest.models import IngestAdmission, IngestFact, IngestRecord
from oncobank.store.codes import column_length as length
from oncobank.store.models import Centre, Patient, PatientIdentifier

SOURCE_ID = length(PatientIdentifier.value)  # a source system's patient ID (also in link_decision)
SYSTEM = length(PatientIdentifier.system)
SOURCE_NAME = length(IngestRecord.source)
RECORD_KEY = length(IngestRecord.record_key)
FACT_KEY = length(IngestFact.fact_key)
FILE = length(IngestRecord.file)
ADMISSION_KEY = length(IngestAdmission.admission_key)
DEPARTMENT = length(IngestAdmission.department)
CENTRE = length(Centre.code)
REGISTRY_ID = length(Patient.registry_id)

# NUL and lone surrogates cannot be stored alike on both backends; U+FFFD is a character the export already lost
# (and what `storable` puts in their place, so that a quarantined row retried from its payload fails again).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff\ufffd]")
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
_REPLACED = re.compile("[\x00\ud800-\udfff]")


def character_problem(text: str, *, one_line: bool = False) -> str | None:
    """Why `text` cannot be kept (a NUL, a surrogate, U+FFFD; in a one-line value any control character)."""
    found = (_NOT_ONE_LINE if one_line else _UNSTORABLE).search(text)
    return None if found is None else f"holds the character U+{ord(found.group()):04X}, which is not allowed here"


def code_problem(text: str, limit: int) -> tuple[str, str] | None:
    """The rule and message of a one-line ID or key that its column cannot hold, or None."""
    if len(text) > limit:
        return "max_length", f"is {len(text)} characters long, at most {limit} allowed"
    problem = character_problem(text, one_line=True)
    return None if problem is None else ("characters", problem)


def storable(value: Any) -> Any:
    """`value` with NUL and lone surrogates in its strings replaced by U+FFFD (for quarantine payloads and logs)."""
    if isinstance(value, str):
        return _REPLACED.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value
