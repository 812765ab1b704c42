"""Pages of data quality: the last stored run's scores, failed checks with suggestions, trends and problem records.

The scores are counts, never patient values: any user who reads the analysis store or patients sees them (a
centre-bound user the scores of her own centre only). Problem records are identified on the clinical store and need
the *read patients* permission; like every patient page they show only the patients within the user's reach.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from oncobank.engine import connect
from oncobank.engine.errors import EngineError
from oncobank.quality.clinical import identify
from oncobank.quality.compile import Context
from oncobank.quality.history import load_runs, trend
from oncobank.quality.html import dimension_chart, trend_chart
from oncobank.quality.issues import problems
from oncobank.quality.model import DIMENSIONS
from oncobank.quality.scoring import ERROR, FAILED, count_text, rescore, scores, shown, shown_changes, suggestion_counts
from oncobank.quality.service import checks_for, history_folder, store_modules
from oncobank.quality.wording import kahn, label, suggestion, word
from oncobank.store.access import AccessDenied, Actor, Permission
from oncobank.store.clinical import ClinicalStore
from oncobank.web.deps import SignedIn, requires, web_of
from oncobank.web.labels import WEB_LABELS
from oncobank.web.pages import NAV, NavItem, lang_of, render

PROBLEMS_SHOWN = 200
WEB_LABELS.update({
    # key: (en, ru)
    "quality": ("Data quality", "Качество данных"),
    "quality_open": ("records", "записи"),
    "quality_no_store": ("The analysis store cannot be opened: {reason}", "Аналитическое хранилище не открывается: "
                                                                          "{reason}"),
    "quality_no_check": ("The last run has no check {check}.", "В последнем запуске нет проверки {check}."),
    "quality_researcher": ("Problem records are identified on the clinical store, for users who read patients.",
                           "Проблемные записи раскрываются в клиническом хранилище — для пользователей с доступом "
                           "к пациентам."),
    "quality_reach": ("Only the records of patients within your reach are shown.",
                      "Показаны только записи пациентов, доступных вам."),
    "quality_none_reach": ("No problem record of this check is within your reach.",
                           "Проблемных записей этой проверки среди доступных вам пациентов нет."),
    "quality_shown_max": ("The first {n} records are shown.", "Показаны первые {n} записей."),
})
NAV.insert(len(NAV) - 1, NavItem("/quality", "quality", Permission.READ_PATIENTS))

router = APIRouter()
Reader = Annotated[Actor, Depends(requires(Permission.READ_PATIENTS))]


def _viewer(actor: SignedIn) -> Actor:
    """Users who read the analysis store or patients; others are refused (403)."""
    if not (actor.can(Permission.READ_ANALYSIS) or actor.can(Permission.READ_PATIENTS)):
        raise AccessDenied(f"user {actor.username} ({actor.role}) may not read the data-quality results")
    return actor


Viewer = Annotated[Actor, Depends(_viewer)]


def _in_reach(actor: Actor, centre: str) -> bool:
    return actor.whole_registry or centre == actor.centre_code


@router.get("/quality")
def quality_page(request: Request, actor: Viewer) -> Response:
    lang = lang_of(request)
    runs = load_runs(history_folder())
    if not runs:
        return render(request, "quality/index.html", run=None, w=lambda key: word(key, lang))
    scored = rescore(runs[-1], None)
    summary = scores(scored)
    failed = [{**_counted(r, lang), "label": label(r, lang), "kahn_text": kahn(r["kahn"], lang),
               "suggestion_text": r["error"] or suggestion(suggestion_counts(r, lang), lang)}
              for r in shown(scored, runs[-1]) if r["status"] in (FAILED, ERROR)]
    history = trend(runs)
    changes = [_counted(c, lang) for c in shown_changes(history["changes"], runs[-1])]
    points = [{**p, "when": p["started_at"][:16].replace("T", " ")} for p in history["runs"]]
    return render(request, "quality/index.html", run=runs[-1], summary=summary, dimensions=DIMENSIONS,
                  sections=summary["section"],
                  centres={c: s for c, s in summary["centre"].items() if _in_reach(actor, c)},
                  failed=failed, points=points, changes=changes,
                  dimension_chart=dimension_chart(summary, lang), trend_chart=trend_chart(history["runs"], lang),
                  may_list=actor.can(Permission.READ_PATIENTS), w=lambda key: word(key, lang))


@router.get("/quality/issues")
def quality_issues(request: Request, actor: Reader, check: str = "") -> Response:
    lang = lang_of(request)
    runs = load_runs(history_folder())
    run = runs[-1] if runs else None
    row = next((r for r in shown(rescore(run, None), run) if r["id"] == check), None) if run else None
    context: dict[str, Any] = {"check": check, "row": row, "found": [], "error": None, "limit": PROBLEMS_SHOWN,
                               "w": lambda key: word(key, lang)}
    if row is None:
        context["error"] = "quality_no_check"
        return render(request, "quality/issues.html", status_code=404, **context)
    context["row"] = {**_counted(row, lang), "label": label(row, lang)}
    try:
        found = _identified(web_of(request).store, actor, run, check)
    except (EngineError, OSError) as exc:
        context["error"], context["reason"] = "quality_no_store", str(exc).splitlines()[0][:200]
        return render(request, "quality/issues.html", **context)
    if found is None:  # a check of the user's own rule files: the web knows only the modules' checks
        context["error"] = "quality_no_check"
        return render(request, "quality/issues.html", status_code=404, **context)
    return render(request, "quality/issues.html", **{**context, "found": found})


def _counted(row: dict[str, Any], lang: str) -> dict[str, Any]:
    """A shown check or trend change with its counts as text (a small one masked: scoring.shown)."""
    keys = [k for k in ("violated", "was_violated", "denominator", "pct") if k in row]
    return {**row, **{f"{k}_text": count_text(row, k, lang) for k in keys}}


def _identified(store: ClinicalStore, actor: Actor, run: dict[str, Any], check_id: str) -> list[dict[str, Any]] | None:
    """The check's problem records on the analysis store (the default one, as the run's dates), identified on the
    clinical store within the actor's reach; None when the modules have no such check."""
    ctx = Context(dt.date.fromisoformat(run["as_of"]), int(run["margin_days"]))
    with connect() as analysis:
        found = {c.id: c for c in checks_for(store_modules(analysis))}
        if check_id not in found:
            return None
        rows = problems(analysis, found[check_id], ctx, None)  # all: those within reach are picked after
    return identify(store, rows, check_id, actor)[:PROBLEMS_SHOWN]
