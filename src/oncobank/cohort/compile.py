"""A cohort definition compiled once to Ibis: the people with their index date and rules, attrition, evidence.

Nothing here is backend-specific: the same expressions run on DuckDB, PostgreSQL and Spark.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from oncobank.cohort import derived as derived_fields
from oncobank.cohort.conditions import predicate
from oncobank.cohort.fields import Catalogue, CohortError, Column
from oncobank.cohort.model import Cohort, Leaf, Node, Occurrence, Window
from oncobank.engine import AnalysisStore

NO_KEY = ibis.literal(None, type="string")
NO_DATE = ibis.literal(None, type="date")


@dataclass
class Compiled:
    """The expressions of one definition on one store."""

    people: ir.Table  # pseudonym, index_date, one boolean per rule (rule_1, ...), included, derived columns
    members: ir.Table  # the members (pseudonym, index_date, derived, rules, _n null), then per pattern of rules _n
    evidence: ir.Table  # pseudonym, rule, field, entry_key, date: the entries that made a criterion hold
    rules: list[str]
    derived: list[str] = field(default_factory=list)


class _Compiler:
    def __init__(self, store: AnalysisStore, catalogue: Catalogue):
        self.store = store
        self.catalogue = catalogue
        self.derived: dict[str, Column] = {}

    def derived_rows(self, leaf: Leaf, people: ir.Table) -> ir.Table:
        """A condition on a derived field: the persons whose value meets it, dated at their index date."""
        column = self.derived.get(leaf.field.split(".", 1)[1])
        if column is None:
            raise CohortError(f"{leaf.field}: the definition declares no derived field of that name "
                              f"(derived: {', '.join(self.derived) or 'none'})")
        for other in leaf.same_entry:
            raise CohortError(f"{other.field}: derived fields have no entries to share")
        rows = people.filter(predicate(people, leaf, column, self.catalogue))
        return rows.select(pseudonym=rows.pseudonym, entry_key=NO_KEY, date=rows.index_date)

    def rows(self, leaf: Leaf, people: ir.Table | None) -> ir.Table:
        """The entries matching `leaf` (pseudonym, entry_key, date), within its window of each person's index date."""
        if leaf.section == "derived" and people is not None:
            return self.derived_rows(leaf, people)
        column = self.catalogue.column(leaf.field)
        table = self.store.table(column.table)
        condition = predicate(table, leaf, column, self.catalogue)
        for other in leaf.same_entry:
            condition = condition & predicate(table, other, self.catalogue.column(other.field), self.catalogue)
        key = table["entry_key"] if "entry_key" in table.columns else NO_KEY
        date = table[column.date_column] if column.date_column else NO_DATE
        rows = table.filter(condition).select(pseudonym=table.pseudonym, entry_key=key.cast("string"),
                                              date=date.cast("date"))
        if leaf.which != "any" and people is not None:
            rows = _one_per_person(rows, leaf.which)
        if people is None:
            return rows
        if leaf.window and not column.date_column:
            raise CohortError(f"{leaf.field}: table {column.table} has no dates, so no window applies")
        if leaf.window and leaf.window.anchor is not None:
            rows = self.after_anchor(rows, leaf.window, people)
        if not _dated(leaf, index_only=True):
            return rows  # persons without an index event are not in `people`, whatever their rows
        joined = rows.join(people.select("pseudonym", "index_date", "birth_year"), "pseudonym")
        keep = ibis.literal(True)
        if leaf.window and leaf.window.anchor is None:
            keep = keep & _within(joined.date, joined.index_date, leaf.window)
        if leaf.age_min is not None or leaf.age_max is not None:
            when = joined.date if column.date_column else joined.index_date
            age = when.year() - joined.birth_year
            if leaf.age_min is not None:
                keep = keep & (age >= leaf.age_min)
            if leaf.age_max is not None:
                keep = keep & (age <= leaf.age_max)
        return joined.filter(keep).select("pseudonym", "entry_key", "date")

    def after_anchor(self, rows: ir.Table, window: Window, people: ir.Table) -> ir.Table:
        """The `rows` within `window` of any entry matching the window's anchor, each row once."""
        assert window.anchor is not None
        if window.anchor.section != "derived" and not self.catalogue.column(window.anchor.field).date_column:
            raise CohortError(f"{window.anchor.field}: table {self.catalogue.column(window.anchor.field).table} has "
                              "no dates, so it cannot anchor a window")
        anchor = self.rows(window.anchor, people)
        anchors = anchor.select(pseudonym=anchor.pseudonym, _at=anchor.date)
        joined = rows.join(anchors, "pseudonym")
        kept = joined.filter(_within(joined.date, joined._at, window))
        return kept.select("pseudonym", "entry_key", "date").distinct()

    def held(self, rows: ir.Table, leaf: Leaf, people: ir.Table) -> ir.BooleanValue:
        """Whether each person of `people` has as many matching `rows` as the leaf's occurrence asks."""
        wanted = leaf.occurrence
        if wanted == Occurrence() and leaf.section == "derived" and not _dated(leaf):  # a column of `people`
            return predicate(people, leaf, self.derived[leaf.field.split(".", 1)[1]], self.catalogue).fill_null(False)
        if wanted == Occurrence():
            return people.pseudonym.isin(rows.pseudonym)
        counts = rows.group_by("pseudonym").agg(_n=rows.count())
        meets = {"at_least": counts._n >= wanted.count, "at_most": counts._n <= wanted.count,
                 "exactly": counts._n == wanted.count}[wanted.kind]
        if {"at_least": wanted.count <= 0, "at_most": True, "exactly": wanted.count == 0}[wanted.kind]:
            # no entry at all meets it too: every person but those whose count does not
            return ~people.pseudonym.isin(counts.filter(~meets).pseudonym)
        return people.pseudonym.isin(counts.filter(meets).pseudonym)


def _dated(leaf: Leaf, index_only: bool = False) -> bool:
    """Whether the leaf's entries are kept by their dates: a window (`index_only`: of the index date), or an age."""
    window = leaf.window is not None and not (index_only and leaf.window.anchor is not None)
    return window or leaf.age_min is not None or leaf.age_max is not None


def _one_per_person(rows: ir.Table, which: str) -> ir.Table:
    """Each person's first (or last) row by date, then entry key."""
    order = [rows.date.desc(), rows.entry_key.desc()] if which == "last" else [rows.date, rows.entry_key]
    rank = ibis.row_number().over(group_by=rows.pseudonym, order_by=order)
    return rows.mutate(_rank=rank).filter(lambda t: t._rank == 0).drop("_rank")


def _leaves(node: Node, negated: bool = False) -> list[tuple[Leaf, bool]]:
    """The leaves of a tree, depth first, each with whether it sits under an odd number of NOTs."""
    if isinstance(node, Leaf):
        return [(node, negated)]
    return [leaf for item in node.items for leaf in _leaves(item, negated ^ (node.kind == "not"))]


def _held(node: Node, people: ir.Table, names: list[str]) -> ir.BooleanValue:
    """`node` as a boolean over `people`, its leaves read from the columns `names` (consumed depth first)."""
    if isinstance(node, Leaf):
        return people[names.pop(0)]
    parts = [_held(item, people, names) for item in node.items]
    if node.kind == "not":
        return ~parts[0]
    if node.kind in ("all", "any"):
        result = parts[0]
        for part in parts[1:]:
            result = (result & part) if node.kind == "all" else (result | part)
        return result
    # ifelse, not a cast: PostgreSQL has no cast from boolean to bigint
    total = ibis.ifelse(parts[0], 1, 0)
    for part in parts[1:]:
        total = total + ibis.ifelse(part, 1, 0)
    return total >= node.n if node.kind == "at_least" else total <= node.n


def _within(date: ir.DateValue, index: ir.DateValue, window: Window) -> ir.BooleanValue:
    unit = {"days": "D", "months": "M", "years": "Y"}[window.unit]
    keep = date.notnull()
    if window.start is not None:
        keep = keep & (date >= index + ibis.interval(window.start, unit=unit))
    if window.end is not None:
        keep = keep & (date <= index + ibis.interval(window.end, unit=unit))
    return keep


def _uses_birth_year(definition: Cohort) -> bool:
    """Whether any leaf asks for an age or any derived field for the birth year (else no join with `patient`)."""
    leaves = [definition.index] + [leaf for rule in definition.rules for leaf, _ in _leaves(rule.criteria)]
    while anchors := [leaf.window.anchor for leaf in leaves if leaf.window and leaf.window.anchor
                      and leaf.window.anchor not in leaves]:
        leaves += anchors
    return (any(leaf.age_min is not None or leaf.age_max is not None for leaf in leaves)
            or any("birth_year" in item.expr for item in definition.derived))


def compile_cohort(definition: Cohort, store: AnalysisStore, catalogue: Catalogue) -> Compiled:
    """Compile `definition` against `store` into Ibis expressions (nothing runs yet)."""
    compiler = _Compiler(store, catalogue)
    index_column: Column = catalogue.column(definition.index.field)
    if not index_column.date_column:
        raise CohortError(f"index event {definition.index.field}: table {index_column.table} has no dates")
    matching = compiler.rows(definition.index.model_copy(update={"which": "any"}), None)
    matching = matching.filter(matching.date.notnull())
    # the index date by a group-by (cheap); the index entry itself only for the evidence
    last = definition.index.which == "last"
    people = matching.group_by("pseudonym").agg(index_date=matching.date.max() if last else matching.date.min())
    index_rows = _one_per_person(matching, "last" if last else "first")
    if "patient" in store.tables() and _uses_birth_year(definition):
        patient = store.table("patient")
        people = people.left_join(patient.select("pseudonym", "birth_year"), "pseudonym").drop("pseudonym_right")
    else:
        people = people.mutate(birth_year=ibis.literal(None, type="int64"))
    people, derived_names = derived_fields.add(people, definition.derived, store, catalogue)
    for name in derived_names:
        kind = "double" if people[name].type().is_numeric() else "string"
        compiler.derived[name] = Column(table="derived", column=name, type=kind, unit=None, domain=None,
                                        date_column=None, per_person=True, label_en=name, label_ru=name)
    found: list[tuple[int, Leaf, bool]] = [(position, leaf, negated) for position, rule in enumerate(definition.rules)
                                           for leaf, negated in _leaves(rule.criteria)]
    rules = [f"rule_{position + 1}" for position in range(len(definition.rules))]
    # each leaf a semi-join (IN) of its matching rows, counted per person only when its occurrence asks for it
    matched = [compiler.rows(leaf, people) for _, leaf, _ in found]
    people = people.mutate(**{f"_l{k}": compiler.held(matched[k], leaf, people)
                              for k, (_, leaf, _) in enumerate(found)})
    people = people.mutate(**{rules[position]: _held(rule.criteria, people,
                                                     [f"_l{k}" for k, (p, _, _) in enumerate(found) if p == position])
                              for position, rule in enumerate(definition.rules)})
    included = ibis.literal(True)
    for name in rules:
        included = included & people[name]
    people = people.mutate(included=included)
    evidence = index_rows.select(pseudonym=index_rows.pseudonym, rule=ibis.literal("index"),
                                 field=ibis.literal(definition.index.field), entry_key=index_rows.entry_key,
                                 date=index_rows.date)
    shown = [k for k, (_, _, negated) in enumerate(found) if not negated]  # absence has no entry to show
    if shown:
        tagged = _union([matched[k].mutate(leaf=ibis.literal(k)) for k in shown])
        hits = tagged.join(people, "pseudonym")
        keep = ibis.literal(False)
        for k in shown:
            keep = keep | ((hits.leaf == k) & hits[f"_l{k}"] & hits[rules[found[k][0]]])
        hits = hits.filter(keep)
        rule = ibis.cases(*((hits.leaf == k, definition.rules[found[k][0]].name) for k in shown))
        field = ibis.cases(*((hits.leaf == k, found[k][1].field) for k in shown))
        evidence = _union([evidence, hits.select(pseudonym=hits.pseudonym, rule=rule, field=field,
                                                 entry_key=hits.entry_key, date=hits.date)])
    people = people.select(*(c for c in people.columns if not c.startswith("_l")))
    return Compiled(people=people, members=_members(people, rules, ["pseudonym", "index_date", *derived_names]),
                    evidence=evidence, rules=[r.name for r in definition.rules], derived=derived_names)


def _members(people: ir.Table, rules: list[str], kept: list[str]) -> ir.Table:
    """The members (`_n` null), then one row per pattern of rules held with its number of persons (`_n`).

    One query gives the members and the attrition; the people it reads are computed once (a shared CTE).
    """
    members = people.filter(people.included).select(*kept, *rules, _n=ibis.null("int64"))
    groups = people.group_by(rules).agg(_n=people.count()) if rules else people.aggregate(_n=people.count())
    groups = groups.select(*(ibis.null(people[c].type()).name(c) for c in kept), *rules, _n=groups._n.cast("int64"))
    return _union([members, groups]).order_by("pseudonym")


def _union(parts: list[ir.Table]) -> ir.Table:
    result = parts[0]
    for part in parts[1:]:
        result = result.union(part, distinct=False)
    return result
