"""Derived fields of a cohort: named arithmetic over one-row-per-person columns, optionally banded into labels.

    {"name": "age_at_index", "expr": "index_year - birth_year"}
    {"name": "total_gbq", "expr": "thyroid_activity.total_mbq / 1000"}
    {"name": "age_band", "expr": "thyroid_stage.age_at_diagnosis", "band": {"edges": [55], "labels": ["<55", "55+"]}}
"""

from __future__ import annotations

import ast

import ibis
import ibis.expr.types as ir

from oncobank.cohort.fields import Catalogue, CohortError
from oncobank.cohort.model import Derived
from oncobank.engine import AnalysisStore

BARE = ("index_year", "birth_year")  # the names an expression may use without a table


def add(people: ir.Table, fields: list[Derived], store: AnalysisStore,
        catalogue: Catalogue) -> tuple[ir.Table, list[str]]:
    """`people` (pseudonym, index_date, birth_year, ...) with one column per derived field, in their order."""
    if not fields:
        return people, []
    people = people.mutate(index_year=people.index_date.year().cast("int64"))
    joined: set[str] = set()
    for item in fields:
        tree = _parse(item)
        for table in _tables(tree):
            if table in joined:
                continue
            source = store.table(catalogue.table_of(table))
            if "entry_key" in source.columns or "entry" in source.columns:
                raise CohortError(f"derived {item.name}: {table} has several rows per person; use a per-person table")
            renamed = source.rename({f"{table}__{c}": c for c in source.columns if c != "pseudonym"})
            people = people.left_join(renamed, "pseudonym").drop("pseudonym_right")
            joined.add(table)
        value = _build(tree, people, item)
        if item.band is not None:
            value = _banded(value, item)
        people = people.mutate(**{item.name: value})
    kept = [c for c in people.columns if "__" not in c and c != "index_year"]
    return people.select(*kept), [f.name for f in fields]


def _parse(item: Derived) -> ast.expr:
    try:
        return ast.parse(item.expr, mode="eval").body
    except SyntaxError:
        raise CohortError(f"derived {item.name}: cannot read the expression {item.expr!r}") from None


def _tables(node: ast.AST) -> list[str]:
    return sorted({n.value.id for n in ast.walk(node)
                   if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)})


def _build(node: ast.AST, people: ir.Table, item: Derived) -> ir.Value:
    operators = {ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__", ast.Div: "__truediv__"}
    if isinstance(node, ast.BinOp) and type(node.op) in operators:
        left, right = _build(node.left, people, item), _build(node.right, people, item)
        return getattr(left, operators[type(node.op)])(right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_build(node.operand, people, item)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return ibis.literal(node.value)
    if isinstance(node, ast.Name) and node.id in BARE:
        return people[node.id]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        name = f"{node.value.id}__{node.attr}"
        if name not in people.columns:
            raise CohortError(f"derived {item.name}: {node.value.id} has no column {node.attr}")
        return people[name]
    raise CohortError(f"derived {item.name}: only numbers, + - * /, table.column, {' and '.join(BARE)} are allowed")


def _banded(value: ir.Value, item: Derived) -> ir.StringValue:
    assert item.band is not None
    cases = [(value < edge, label) for edge, label in zip(item.band.edges, item.band.labels, strict=False)]
    return ibis.ifelse(value.isnull(), ibis.literal(None, type="string"),
                       ibis.cases(*cases, else_=item.band.labels[-1]))
