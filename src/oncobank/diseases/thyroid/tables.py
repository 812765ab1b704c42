"""Terminal tables of `oncobank thyroid`: RAIR counts of a population, one patient's criteria, derived facts."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from oncobank.diseases.thyroid.population import Population
from oncobank.diseases.thyroid.rair import CRITERIA, MET
from oncobank.diseases.thyroid.settings import Settings
from oncobank.diseases.thyroid.wording import (
    RESULT,
    STATUS,
    activity,
    code_label,
    criterion,
    evidence_line,
    fact,
    number,
    pick,
    population_text,
    problem,
    reason,
    word,
)

DASH = "—"


def settings_line(settings: Settings, lang: str) -> str:
    return f"{word('settings_file', lang)}: {settings.to_json()['file']} ({settings.digest[:12]})"


def _pct(n: int, of: int, lang: str) -> str:
    return number(100.0 * n / of, lang, 1) if of else DASH


def counts_table(results: dict[str, dict[str, Any]], population: Population, settings: Settings,
                 lang: str) -> Table:
    """RAIR results of a population (n and %), and the criteria met (n and % of the refractory)."""
    table = Table(title=word("rair", lang), caption=f"{population_text(population, settings, lang)}\n"
                                                    f"{settings_line(settings, lang)}")
    table.add_column(word("patients", lang))
    table.add_column("n", justify="right")
    table.add_column("%", justify="right")
    rows = [results[rid] for rid in population.members]
    for key in (True, False, None):
        n = sum(r["rair"] is key for r in rows)
        table.add_row(pick(RESULT[key], lang), str(n), _pct(n, len(rows), lang))
    refractory = sum(r["rair"] is True for r in rows)
    table.add_row(Text(f"{word('criteria_met', lang)} ({pick(('% of RAIR', '% от РЙР'), lang)})", style="bold"))
    for name in CRITERIA:
        met = sum(r["criteria"][name]["status"] == MET for r in rows)
        table.add_row(Text(f"  {criterion(name, lang)}"), str(met), _pct(met, refractory, lang))
    return table


def patient_table(rid: str, result: dict[str, Any], membership: str, settings: Settings, lang: str) -> Table:
    """One patient's criteria: status, date, reason and the entries that decided them."""
    table = Table(title=Text(f"{rid}: {pick(RESULT[result['rair']], lang)}; "
                             f"{word('rr_date', lang)}: {result['rr_date'] or DASH}"),
                  caption=f"{membership}\n{settings_line(settings, lang)}")
    for key in ("criterion", "status", "date", "reason", "evidence"):
        table.add_column(word(key, lang))
    for name, c in result["criteria"].items():
        table.add_row(criterion(name, lang), pick(STATUS[c["status"]], lang), c["date"] or DASH,
                      reason(c["reason"], settings, lang), Text("\n".join(evidence_line(e, lang)
                                                                          for e in c["evidence"])))
    return table


def _pairs(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=Text(title), show_header=False)
    table.add_column()
    table.add_column()
    for name, value in rows:
        table.add_row(Text(name), Text(value))
    return table


def _activity(rid: str, found: dict[str, Any], lang: str) -> Table:
    lines = "\n".join(evidence_line(e, lang) for e in found["evidence"])
    return _pairs(f"{rid}: {fact('activity', lang)}", [
        (fact("courses", lang), str(found["courses"])),
        (fact("first_course", lang), found["first_course"] or DASH),
        (fact("last_course", lang), found["last_course"] or DASH),
        (fact("total", lang), activity(found["total"], lang)),
        (word("evidence", lang), lines or DASH)])


def _maybe(value: float | None, lang: str, digits: int = 1) -> str:
    return DASH if value is None else number(value, lang, digits)


def _coded(domain: str, value: Any, lang: str) -> str:
    return code_label(domain, value, lang) if value else DASH


def _recist(rid: str, found: dict[str, Any], lang: str) -> Table:
    table = Table(title=Text(f"{rid}: {fact('recist', lang)}"))
    for key in ("date", "sum_mm", "baseline", "nadir", "from_baseline", "from_nadir", "new_lesions", "computed",
                "recorded"):
        table.add_column(word(key, lang) if key == "date" else fact(key, lang))
    for s in found["studies"]:
        table.add_row(
            s["date"], _maybe(s["sum_mm"], lang),
            f"{_maybe(s['baseline_mm'], lang)} ({s['baseline_date'] or DASH})",
            f"{_maybe(s['nadir_mm'], lang)} ({s['nadir_date'] or DASH})",
            _maybe(s["change_from_baseline_pct"], lang),
            f"{_maybe(s['change_from_nadir_pct'], lang)} ({_maybe(s['change_from_nadir_mm'], lang)})",
            _coded("yes_no", s["new_lesions"], lang), _coded("recist_response", s["response"], lang),
            _coded("recist_response", s["recorded_response"], lang))
    return table


def _stage(rid: str, found: dict[str, Any], lang: str) -> Table:
    age = found["age_at_diagnosis"]
    return _pairs(f"{rid}: {fact('stage', lang)}", [
        (fact("sex", lang), _coded("sex", found["sex"], lang)),
        (fact("diagnosis_date", lang), found["diagnosis_date"] or DASH),
        (fact("age_at_diagnosis", lang), DASH if age is None else str(age)),
        (fact("histology", lang), _coded("thyroid_histology", found["histology"], lang)),
        *((fact(axis, lang), found[axis] or DASH) for axis in ("t", "n", "m")),
        (fact("metastasis_sites", lang), ", ".join(code_label("body_site", s, lang) for s in found["metastasis_sites"])
         or DASH),
        (fact("stage_group", lang), found["stage_group"] or DASH),
        (fact("recorded_stage_group", lang), found["recorded_stage_group"] or DASH),
        (fact("problem", lang), problem(found["problem"], lang) if found["problem"] else DASH)])


def _progression(rid: str, found: dict[str, Any], lang: str) -> Table:
    event = {True: word("yes", lang), False: word("no", lang), None: DASH}[found["event"]]
    return _pairs(f"{rid}: {fact('rai_to_progression', lang)}", [
        (fact("last_course", lang), found["last_course"] or DASH),
        (fact("event", lang), event),
        (fact("progression_date", lang), found["progression_date"] or DASH),
        (fact("end_date", lang), found["end_date"] or DASH),
        (fact("days", lang), DASH if found["days"] is None else str(found["days"])),
        (fact("months", lang), _maybe(found["months"], lang))])


def facts_tables(rid: str, facts: dict[str, dict[str, Any] | None], membership: str, settings: Settings,
                 lang: str) -> list[Table]:
    """One table per kind of derived fact of one patient (a kind with no fact says so)."""
    render = {"activity": _activity, "recist": _recist, "stage": _stage, "rai_to_progression": _progression}
    tables = []
    for kind, found in facts.items():
        if found is None:
            title = word("rair", lang) if kind == "rair" else fact(kind, lang)
            tables.append(_pairs(f"{rid}: {title}", [(fact("none", lang), DASH)]))
        elif kind == "rair":
            tables.append(patient_table(rid, found, membership, settings, lang))
        else:
            tables.append(render[kind](rid, found, lang))
    return tables
