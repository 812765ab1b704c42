"""Run a cohort definition on an analysis store: count, attrition, members with index dates, per-person evidence."""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from oncobank.cohort.compile import Compiled, compile_cohort
from oncobank.cohort.fields import Catalogue
from oncobank.cohort.model import Cohort
from oncobank.deid.small_cells import COMPLEMENTARY, SMALL, is_small
from oncobank.dictionary import Dictionary, load_module
from oncobank.engine import AnalysisStore


@dataclass
class Attrition:
    """Persons with an index event, then remaining after each rule in order, and failing each rule alone."""

    initial: int
    rules: list[tuple[str, int, int]]  # name, remaining after it, failing it alone

    def to_dict(self) -> dict[str, Any]:
        return {"initial": self.initial, "rules": [{"rule": n, "remaining": r, "failing_alone": f}
                                                   for n, r, f in self.rules]}


@dataclass
class CohortResult:
    """What a run gives: members (pseudonym, index_date, rules, derived), attrition, evidence."""

    count: int
    attrition: Attrition
    members: pa.Table  # pseudonym, index_date, derived fields, sorted by pseudonym
    people: pa.Table | None  # every person with an index event: rule_1.. booleans, included (when asked)
    evidence: pa.Table | None  # pseudonym, rule, field, entry_key, date (None when not asked for)

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "attrition": self.attrition.to_dict()}


def shown_count(count: int, threshold: int) -> dict[str, Any]:
    """The cohort's count as it may be shown: null and `suppressed` when it is 1..threshold."""
    small = is_small(count, threshold)
    return {"count": None if small else count, "suppressed": small}


def shown_attrition(attrition: dict[str, Any], threshold: int) -> dict[str, Any]:
    """The attrition table (`Attrition.to_dict()`) with small counts and those that would give them away masked.

    The remaining column is a chain: the difference of two neighbouring shown values counts the persons dropped
    between them, so while such a difference is 1..threshold the earlier value is masked too (never the last, the
    cohort's count, shown on its own by `cohort run`). The first rule's failing count is the initial count less its
    remaining one, so of those three none or at least two are masked. Masked values are null, and a row with one
    has `suppressed`, naming them with why (small, or complementary).
    """
    rules = attrition["rules"]
    chain = [attrition["initial"], *(r["remaining"] for r in rules)]
    failing = [r["failing_alone"] for r in rules]
    gone: dict[tuple[str, int], str] = {("remaining", i): SMALL for i, v in enumerate(chain) if is_small(v, threshold)}
    gone |= {("failing_alone", i): SMALL for i, v in enumerate(failing, start=1) if is_small(v, threshold)}
    changed = True
    while changed:
        changed = False
        line = [("remaining", 0), ("remaining", 1), ("failing_alone", 1)] if rules else []
        if sum(c in gone for c in line) == 1:
            extra = ("remaining", 0) if ("failing_alone", 1) in gone else ("failing_alone", 1)
            gone[extra] = COMPLEMENTARY
            changed = True
        open_cells = [i for i in range(len(chain)) if ("remaining", i) not in gone]
        for a, b in itertools.pairwise(open_cells):
            if is_small(chain[a] - chain[b], threshold):
                gone[("remaining", a)] = COMPLEMENTARY
                changed = True
                break

    def row(i: int, values: dict[str, Any]) -> dict[str, Any]:
        masked = {c: why for (c, j), why in sorted(gone.items()) if j == i}
        return {k: None if k in masked else v for k, v in values.items()} | ({"suppressed": masked} if masked else {})

    first = row(0, {"remaining": chain[0]})
    return {"initial": first["remaining"], **({"suppressed": first["suppressed"]} if "suppressed" in first else {}),
            "rules": [row(i, {"rule": r["rule"], "remaining": r["remaining"], "failing_alone": r["failing_alone"]})
                      for i, r in enumerate(rules, start=1)]}


def store_dictionary(store: AnalysisStore) -> Dictionary:
    """The dictionary of the store's disease module (the first one its patients belong to), else core."""
    if "patient" in store.tables():
        patient = store.table("patient")
        modules = sorted(m for m in store.to_arrow(patient.select("module").distinct()).column(0).to_pylist() if m)
        if modules:
            return load_module(modules[0])
    return load_module("core")


_catalogues: dict[tuple[str, str | None], Catalogue] = {}


def catalogue_of(store: AnalysisStore, dictionary: Dictionary | None = None) -> Catalogue:
    """The store's column catalogue, read once per snapshot."""
    key = (store.target.describe(), store.snapshot)
    if dictionary is not None:
        return Catalogue(store, dictionary)
    if key not in _catalogues:
        _catalogues[key] = Catalogue(store, store_dictionary(store))
    return _catalogues[key]


# per open store: (definition digest, snapshot) -> its compiled expressions, so that a re-run builds none again
_compiled: weakref.WeakKeyDictionary[AnalysisStore, dict[tuple[str, str | None], Compiled]] = (
    weakref.WeakKeyDictionary())


def compiled_for(definition: Cohort, store: AnalysisStore, dictionary: Dictionary | None = None) -> Compiled:
    """`definition` compiled for `store`, once per definition and snapshot while the store is open."""
    if dictionary is not None:  # another dictionary than the store's: compiled afresh
        return compile_cohort(definition, store, catalogue_of(store, dictionary))
    known = _compiled.setdefault(store, {})
    key = (definition.digest(), store.snapshot)
    if key not in known:
        known[key] = compile_cohort(definition, store, catalogue_of(store))
    return known[key]


def attrition_of(people: pa.Table, rules: list[str]) -> Attrition:
    """The attrition table from rows of rule columns (rule_1, ...), each standing for `_n` persons (else one):
    remaining after rules 1..i, failing rule i alone."""
    weight = (people.column("_n").combine_chunks() if "_n" in people.column_names
              else pa.array([1] * people.num_rows, pa.int64()))

    def total(mask: pa.Array) -> int:
        return pc.sum(pc.if_else(mask, weight, 0)).as_py() or 0

    so_far = pa.array([True] * people.num_rows, pa.bool_())
    rows = []
    for position, name in enumerate(rules, start=1):
        held = people.column(f"rule_{position}").combine_chunks()
        so_far = pc.and_(so_far, held)
        rows.append((name, total(so_far), total(pc.invert(held))))
    return Attrition(initial=pc.sum(weight).as_py() or 0, rules=rows)


def _sorted(members: pa.Table) -> pa.Table:
    """`members` by pseudonym as Arrow orders them (the backend sorted them already unless its collation differs)."""
    names = members.column("pseudonym").combine_chunks()
    if len(names) < 2 or pc.all(pc.less_equal(names[:-1], names[1:])).as_py():
        return members
    return members.sort_by("pseudonym")


def run(definition: Cohort, store: AnalysisStore, dictionary: Dictionary | None = None, *,
        evidence: bool = True, people: bool = True) -> CohortResult:
    """Run `definition` on `store`, compiled once per definition and snapshot while the store is open.

    With `people` every person with an index event comes back with their rules (and the attrition is counted from
    them); without, only the members travel, with the number of persons per pattern of rules held for the attrition,
    in the same query. `evidence` adds its query.
    """
    compiled = compiled_for(definition, store, dictionary)
    everyone = None
    if people:
        everyone = store.to_arrow(compiled.people)
        everyone = everyone.sort_by("pseudonym") if everyone.num_rows else everyone
        members = everyone.filter(everyone.column("included")).select(["pseudonym", "index_date", *compiled.derived])
        attrition = attrition_of(everyone, compiled.rules)
    else:
        fetched = store.to_arrow(compiled.members)
        counted = pc.is_valid(fetched.column("_n"))
        attrition = attrition_of(fetched.filter(counted), compiled.rules)
        members = _sorted(fetched.filter(pc.invert(counted)).select(["pseudonym", "index_date", *compiled.derived]))
    found = (store.to_arrow(compiled.evidence.order_by(["pseudonym", "rule", "field", "date", "entry_key"]))
             if evidence else None)
    return CohortResult(count=members.num_rows, attrition=attrition, members=members, people=everyone,
                        evidence=found)
