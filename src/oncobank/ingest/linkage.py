"""Patient linkage: source-system IDs tied to registry patients on identifiers, then by Splink on identity."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from typing import Any, Protocol

from oncobank.ingest.records import Identity


class Tables(Protocol):
    """What linkage reads the survey's working tables through (`ingest.survey.Survey`, which imports this module)."""

    con: Any

    def rows(self, sql: str, params: list[Any] | None = None, size: int = 5000) -> Iterator[list[tuple[Any, ...]]]: ...

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any: ...


AUTO_LINK = 0.95  # at or above: linked without a person
REVIEW = 0.30  # between REVIEW and AUTO_LINK, or two close candidates: the review list
CLOSE_BITS = 8.0  # a runner-up within this many match-weight bits of the best makes the pair uncertain
# DuckDB's working memory while Splink scores pairs: small, so that a run's memory does not grow with the
# number of patients (DuckDB spills what it can to disk); raised only when a join cannot run within it.
MEMORY_LIMITS = ("64MB", "256MB", "1GB")
U_PAIRS = 200_000  # random pairs sampled to estimate chance agreement (seeded: the same data gives the same u)

_CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r",
                      "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "iu", "ia"], strict=True))
# Latin spellings of the same Russian sound differ between ICAO and informal schemes; fold them together.
_FOLD = [("shch", "sh"), ("sch", "sh"), ("kh", "h"), ("ks", "x"), ("ts", "c"), ("tc", "c"), ("yu", "iu"),
         ("ju", "iu"), ("ya", "ia"), ("ja", "ia"), ("yo", "e"), ("ie", "e"), ("y", "i"), ("j", "i"), ("w", "v")]


@lru_cache(maxsize=16384)  # first names, patronymics and common surnames repeat across patients
def name_key(name: str) -> str:
    """A spelling-insensitive form of a name: Cyrillic and Latin spellings of one name meet."""
    text = "".join(_CYRILLIC.get(ch, ch) for ch in name.casefold())
    text = re.sub(r"[^a-z]", "", text)
    for old, new in _FOLD:
        text = text.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", text)  # doubled letters are a common typo and a scheme difference


@dataclass(frozen=True)
class Candidate:
    source_id: str
    patient_id: int
    probability: float
    weight: float  # Splink match weight (log2 Bayes factor): probabilities near 1 hide big differences


@dataclass(frozen=True)
class Proposal:
    """What linkage proposes for one source ID: linked, review (with candidates) or no match."""

    system: str
    source_id: str
    status: str  # linked | review | none
    patient_id: int | None
    probability: float | None
    candidates: list[dict[str, float | int]]


IDENTITY_COLUMNS = ("surname", "first_name", "first_initial", "patronymic", "patronymic_initial", "birth_date", "sex")


def identity_columns(i: Identity) -> tuple[str | None, ...]:
    """An identity as linkage compares it (IDENTITY_COLUMNS): folded names, initials, ISO birth date, sex."""
    first, patronymic = name_key(i.first_name), name_key(i.patronymic)
    return (
        name_key(i.surname) or None,
        first if len(i.first_name.strip(".")) > 1 else None,
        first[:1] or None,
        patronymic if len(i.patronymic.strip(".")) > 1 else None,
        patronymic[:1] or None,
        i.birth_date or None,
        i.sex or None,
    )


# m-probabilities: how often the same person's two records agree at each level (non-null levels, best first).
# They describe the sources' error rates, not the population, so they are fixed here rather than trained by EM:
# EM is the slow part of a run and is unstable on large, clean populations (its m-values can underflow). The
# u-probabilities (chance agreement) depend on the population and are estimated on every run by random sampling.
# Values: typo and transliteration rates of hospital identity data (a few per cent per name), maiden surnames,
# lab systems that give first names and patronymics as initials, day/month swaps in birth dates.
M_SURNAME = [0.88, 0.06, 0.03, 0.03]  # exact, Jaro-Winkler ≥ 0.92, ≥ 0.80, else (maiden name)
M_FIRST = [0.55, 0.03, 0.01, 0.40, 0.01]  # exact, JW ≥ 0.92, ≥ 0.80, initial only (lab short names), else
M_PATRONYMIC = [0.55, 0.03, 0.02, 0.36, 0.04]  # exact, JW ≥ 0.92, ≥ 0.80, initial only, else
M_BIRTH = [0.92, 0.03, 0.04, 0.01]  # exact, day and month swapped, one character off, else
M_SEX = [0.995, 0.005]


def _settings(people: int):  # type: ignore[no-untyped-def]
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    def names(column: str, m: list[float], initial: str | None = None) -> cl.CustomComparison:
        null = cll.NullLevel(column) if initial is None else cll.And(cll.NullLevel(column), cll.NullLevel(initial))
        similar = [cll.ExactMatchLevel(column), cll.JaroWinklerLevel(column, 0.92), cll.JaroWinklerLevel(column, 0.80)]
        # With `initial`: one side gives initials only ("Иванова М.П."), and the initials agree.
        last = [cll.ExactMatchLevel(initial)] if initial else []
        return cl.CustomComparison(
            output_column_name=column, comparison_levels=[null, *similar, *last, cll.ElseLevel()]
        ).configure(m_probabilities=m)

    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date"),
            # Day and month swapped (1987-10-12 for 1987-12-10), a common entry error.
            cll.CustomLevel(
                "substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) "
                "and substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) "
                "and substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)",
                label_for_charts="day and month swapped",
            ),
            cll.LevenshteinLevel("birth_date", 1),
            cll.ElseLevel(),
        ],
    ).configure(m_probabilities=M_BIRTH)
    return SettingsCreator(
        link_type="link_only",
        comparisons=[names("surname", M_SURNAME), names("first_name", M_FIRST, "first_initial"),
                     names("patronymic", M_PATRONYMIC, "patronymic_initial"), birth,
                     cl.ExactMatch("sex").configure(m_probabilities=M_SEX)],
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"),
            block_on("surname", "first_initial"),
            block_on("first_name", "patronymic"),
            block_on("substr(birth_date, 1, 4)", "first_initial"),
        ],
        # Each source ID belongs to at most one of the registry's patients: the prior of a random pair.
        probability_two_random_records_match=1 / max(people, 2),
        retain_intermediate_calculation_columns=False,
    )


def probabilistic(survey: Tables, system: str, master: str) -> Iterator[Proposal]:
    """Splink (DuckDB) link of one system's open IDs (survey table `open_id`) to registry patients, in ID order.

    The registry side is the master system's identities of registered patients (table `registry`: source ID
    → patient). The u-probabilities are estimated on all of the system's IDs, linked or not, so a re-run with a
    handful of open IDs sees the same population as the first run; the m-probabilities are fixed (see M_SURNAME).
    """
    columns = ", ".join(f"b.{c}" for c in IDENTITY_COLUMNS)
    con = survey.con
    con.execute(f"""CREATE OR REPLACE TABLE registry_side AS SELECT 'p' || r.pid AS unique_id,
        'registry' AS source_dataset, {columns} FROM best b JOIN registry r ON r.sid = b.sid WHERE b.system = ?""",
                [master])
    con.execute(f"""CREATE OR REPLACE TABLE system_side AS SELECT 's' || b.sid AS unique_id,
        b.system AS source_dataset, {columns} FROM best b WHERE b.system = ?""", [system])
    con.execute("CREATE OR REPLACE TABLE candidates (sid VARCHAR, p_id VARCHAR, p DOUBLE, w DOUBLE)")
    people = survey.scalar("SELECT count(*) FROM registry_side")
    if people:
        for limit in MEMORY_LIMITS:
            con.execute(f"SET memory_limit = '{limit}'")
            try:
                _score(con, people)
                break
            except Exception as exc:  # Splink wraps DuckDB's error in its own
                if limit == MEMORY_LIMITS[-1] or not _out_of_memory(exc):
                    raise
    rows = (row for batch in survey.rows("""
        SELECT o.sid, c.p_id, c.p, c.w FROM open_id o LEFT JOIN candidates c ON c.sid = o.sid
        WHERE o.system = ? ORDER BY o.sid, c.w DESC""", [system]) for row in batch)
    for sid, group in groupby(rows, key=lambda r: r[0]):
        found = [Candidate(sid, int(p_id[1:]), float(p), float(w)) for _, p_id, p, w in group if p_id is not None]
        yield decide(system, sid, found)


def _score(con: Any, people: int) -> None:
    """Splink's predictions for every pair of the two sides, kept as the five best candidates per source ID."""
    from splink import DuckDBAPI, Linker

    db = DuckDBAPI(connection=con)
    linker = Linker([db.register("registry_side"), db.register("system_side")], _settings(people), log_level=40)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=1)
    scored = linker.inference.predict(threshold_match_probability=0.01).physical_name
    con.execute(f"""INSERT INTO candidates SELECT sid, p_id, p, w FROM (
        SELECT CASE WHEN starts_with(unique_id_l, 's') THEN unique_id_l ELSE unique_id_r END AS s_id,
               CASE WHEN starts_with(unique_id_l, 's') THEN unique_id_r ELSE unique_id_l END AS p_id,
               match_probability AS p, match_weight AS w, substr(s_id, 2) AS sid FROM {scored})
        QUALIFY row_number() OVER (PARTITION BY sid ORDER BY w DESC) <= 5""")


def _out_of_memory(exc: BaseException | None) -> bool:
    import duckdb

    while exc is not None:
        if isinstance(exc, duckdb.OutOfMemoryException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def decide(system: str, source_id: str, candidates: list[Candidate]) -> Proposal:
    """Linked when one candidate is sure and no other is close; review when uncertain; else no match."""
    ranked = sorted(candidates, key=lambda c: -c.weight)[:5]
    shown = [{"patient_id": c.patient_id, "probability": round(c.probability, 6)} for c in ranked]
    if not ranked or ranked[0].probability < REVIEW:
        return Proposal(system, source_id, "none", None, None, shown)
    top = ranked[0]
    gap = top.weight - ranked[1].weight if len(ranked) > 1 else math.inf
    if top.probability >= AUTO_LINK and gap >= CLOSE_BITS:
        return Proposal(system, source_id, "linked", top.patient_id, top.probability, shown)
    return Proposal(system, source_id, "review", None, top.probability, shown)
