"""Saved cohorts: definitions kept as versioned JSON in the data home, and their results cached per store snapshot.

    <data home>/cohorts/<name>/v1.json, v2.json, ...    (a new version only when the definition changes)
    <data home>/cohorts/.cache/<key>.json, <key>.parquet (key: definition hash, store, snapshot)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from oncobank.cohort.describe import sentence as spoken
from oncobank.cohort.fields import CohortError
from oncobank.cohort.model import Cohort, Derived, Leaf, Rule
from oncobank.cohort.sentence import AGE_FIELD, Parsed
from oncobank.dictionary import Dictionary
from oncobank.store.home import data_home

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
SENTENCE_INDEX = Leaf(field="diagnosis.icd10", op="present", which="first")  # a sentence's cohort: from diagnosis


def folder() -> Path:
    return Path(os.environ.get("ONCOBANK_COHORTS") or data_home() / "cohorts")


def _check(name: str) -> str:
    if not NAME.fullmatch(name):
        raise CohortError(f"cohort name {name!r}: use letters, digits, _ . - (up to 100)")
    return name


def from_sentence(name: str, parsed: Parsed, text: str, dictionary: Dictionary) -> Cohort:
    """A cohort whose index is each person's first diagnosis and whose rules are the sentence's conjuncts in order."""
    if parsed.tree is None:
        raise CohortError("the sentence names no criterion")
    rules = [Rule(name=f"{i}. {spoken(item, dictionary, 'en')}"[:200], criteria=item)
             for i, item in enumerate(parsed.tree.items, start=1)]
    uses_age = AGE_FIELD in json.dumps(parsed.tree.model_dump(mode="json"))
    derived = [Derived(name="age_at_index", expr="index_year - birth_year")] if uses_age else []
    return Cohort(name=name, description=text, index=SENTENCE_INDEX, rules=rules, derived=derived)


def read_definition(path: Path) -> Cohort:
    """A definition from a JSON file, refused with the file and the first problem named."""
    try:
        return Cohort.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise CohortError(f"{path}: cannot read ({exc.strerror})") from None
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "(top)"
        raise CohortError(f"{path}: {where}: {problem['msg']}") from None


def versions(name: str) -> list[int]:
    where = folder() / _check(name)
    return sorted(int(p.stem[1:]) for p in where.glob("v*.json") if p.stem[1:].isdigit())


def save(definition: Cohort) -> tuple[int, bool]:
    """Save `definition` under its name: (version, whether it is new); the same definition again is not a version."""
    name = _check(definition.name)
    known = versions(name)
    if known and load(name, known[-1]).digest() == definition.digest():
        return known[-1], False
    number = (known[-1] + 1) if known else 1
    _write(folder() / name / f"v{number}.json",
           json.dumps(definition.model_dump(mode="json"), ensure_ascii=False, indent=2).encode())
    return number, True


def load(name: str, version: int | None = None) -> Cohort:
    known = versions(name)
    if not known:
        raise CohortError(f"no saved cohort {name} (oncobank cohort list shows them)")
    number = version or known[-1]
    if number not in known:
        raise CohortError(f"cohort {name} has no version {number} (versions: {', '.join(map(str, known))})")
    return read_definition(folder() / name / f"v{number}.json")


def names() -> list[str]:
    root = folder()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []


def cache_key(definition: Cohort, store_id: str, snapshot: str | None, dictionary: Dictionary) -> str:
    """The key of a run's cached result: the definition, the store and its snapshot, and the dictionary it was
    compiled with (a code list's new hierarchy changes who a criterion selects)."""
    parts = f"{definition.digest()}|{store_id}|{snapshot}|{dictionary_digest(dictionary)}"
    return hashlib.sha256(parts.encode()).hexdigest()[:32]


@lru_cache(maxsize=16)  # resolved dictionaries are shared (load_module caches them); hashing one is ~20 ms
def dictionary_digest(dictionary: Dictionary) -> str:
    modules = [m.model_dump(mode="json") for m in dictionary.modules]
    return hashlib.sha256(json.dumps(modules, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def cached(key: str) -> tuple[dict[str, Any], pa.Table] | None:
    """The cached summary and members of `key`, or None."""
    root = folder() / ".cache"
    summary, members = root / f"{key}.json", root / f"{key}.parquet"
    if not (summary.is_file() and members.is_file()):
        return None
    return json.loads(summary.read_text(encoding="utf-8")), pq.read_table(members)


def remember(key: str, summary: dict[str, Any], members: pa.Table) -> None:
    root = folder() / ".cache"
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, suffix=".tmp", delete=False) as handle:
        pq.write_table(members, handle.name)
    os.replace(handle.name, root / f"{key}.parquet")
    _write(root / f"{key}.json", json.dumps(summary, ensure_ascii=False).encode())


def _write(path: Path, data: bytes) -> None:
    """Write whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, path)
