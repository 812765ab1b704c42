"""Pages of entries: the dictionary-generated form (new and edit), its validate call, the field history,
retraction and reinstatement, the second opinion, and the page shown when two people edit one entry."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from oncobank.dictionary.schema import Section
from oncobank.dictionary.validate import EntryRejected
from oncobank.store import accounts, queries
from oncobank.store.access import Actor, Permission
from oncobank.store.card import EntryView, PatientCard, read_card
from oncobank.store.errors import ConflictError, NotFound, RuleViolation
from oncobank.store.models import Entry, Patient
from oncobank.web import patient_labels, query_labels  # noqa: F401  (registers the pages' labels)
from oncobank.web.deps import requires, web_of
from oncobank.web.forms import messages, prefill, read_form, typed_date, widgets
from oncobank.web.labels import text
from oncobank.web.pages import lang_of, redirect, render
from oncobank.web.patient_view import shown

router = APIRouter()
Reader = Annotated[Actor, Depends(requires(Permission.READ_PATIENTS))]
Writer = Annotated[Actor, Depends(requires(Permission.WRITE_PATIENTS))]
Reviewer = Annotated[Actor, Depends(requires(Permission.REVIEW))]
Text = Annotated[str, Form()]


def _section(request: Request, name: str) -> Section:
    found = web_of(request).store.dictionary.sections.get(name)
    if found is None:
        raise NotFound(f"no section {name}")
    return found


def _form(request: Request, section: Section, rid: str, action: str, *, values: dict[str, Any] | None = None,
          issues: dict[str, list[dict[str, str]]] | None = None, status_code: int = 200, **more: Any) -> Response:
    store = web_of(request).store
    return render(request, "forms/entry.html", status_code=status_code, section=section, registry_id=rid,
                  widgets=widgets(store.dictionary, section, lang_of(request)), values=values or {},
                  issues=issues or {}, action=action, check=f"/patients/{rid}/sections/{section.name}/check", **more)


def _posted_values(section: Section, form: Any) -> dict[str, Any]:
    """What the user typed, as the form shows it again (nothing typed is lost when the entry is refused)."""
    return {k[2:]: (form.getlist(k) if section.field(k[2:].split(".")[0]).multiple else form.get(k))
            for k in form if k.startswith("f.") and k[2:].split(".")[0] in {f.name for f in section.fields}}


@router.get("/patients/{registry_id}/sections/{section}/new")
def new_entry_page(request: Request, registry_id: str, section: str, actor: Writer) -> Response:
    accounts.require_reach(web_of(request).store, actor, patient=registry_id)
    sec = _section(request, section)
    return _form(request, sec, registry_id, f"/patients/{registry_id}/sections/{section}/new",
                 entry_date="", facility="", mode="new")


@router.post("/patients/{registry_id}/sections/{section}/new")
async def new_entry(request: Request, registry_id: str, section: str, actor: Writer) -> Response:
    store = web_of(request).store
    accounts.require_reach(store, actor, patient=registry_id)
    sec = _section(request, section)
    form = await request.form()
    posted = read_form(sec, form)
    try:
        ref = store.add_entry(registry_id, section, posted.values, user=actor.username, entry_date=posted.entry_date,
                              facility=posted.facility)
    except EntryRejected as exc:
        return _form(request, sec, registry_id, f"/patients/{registry_id}/sections/{section}/new",
                     values=_posted_values(sec, form), status_code=422, mode="new",
                     issues=messages(store.dictionary, exc.issues, lang_of(request)),
                     entry_date=form.get("entry_date", ""), facility=form.get("facility", ""))
    return redirect(f"/patients/{registry_id}?saved={ref.entry_id}&v={ref.version}")


@router.post("/patients/{registry_id}/sections/{section}/check")
async def check_entry(request: Request, registry_id: str, section: str, actor: Writer) -> Response:
    """The store's validator on the form as it stands, without writing: errors and warnings per field (JSON)."""
    store = web_of(request).store
    accounts.require_reach(store, actor, patient=registry_id)
    sec = _section(request, section)
    posted = read_form(sec, await request.form())
    with store.session() as s:
        pid = store.patient_id(s, registry_id)
        born = None if section == "demographics" else store.birth_date(s, pid)
    try:
        valid = store.validator.validate(section, posted.values, entry_date=posted.entry_date if sec.dated else None,
                                         facility=posted.facility, patient=registry_id, birth_date=born)
        issues = valid.warnings
    except EntryRejected as exc:
        issues = exc.issues
    return JSONResponse({"messages": messages(store.dictionary, issues, lang_of(request))})


def _entry(request: Request, actor: Actor, entry_id: int) -> tuple[PatientCard, EntryView]:
    """The entry with its card (an audited read), once the user's reach is checked."""
    store = web_of(request).store
    accounts.require_reach(store, actor, entry=entry_id)
    with store.session() as s:
        rid = s.scalar(select(Patient.registry_id).join(Entry, Entry.patient_id == Patient.id)
                       .where(Entry.id == entry_id))
    card = read_card(store, rid, user=actor.username)
    return card, next(e for e in card.entries if e.entry_id == entry_id)


def _current_values(section: Section, entry: EntryView) -> dict[str, Any]:
    v = entry.current
    return prefill(section, v.values, v.entered, v.reference_ranges)


@router.get("/entries/{entry_id}/edit")
def edit_page(request: Request, entry_id: int, actor: Writer) -> Response:
    card, entry = _entry(request, actor, entry_id)
    section = _section(request, entry.section)
    v = entry.current
    with web_of(request).store.session() as s:
        queried = {name: found for (_, name), found in queries.markers(s, entry_id=entry_id).items()}
    return _form(request, section, card.registry_id, f"/entries/{entry_id}/edit", queried=queried,
                 values=_current_values(section, entry), mode="edit", version=v.version, entry=entry,
                 entry_date=v.entry_date.isoformat() if v.entry_date else "", facility=v.facility or "")


@router.post("/entries/{entry_id}/edit")
async def edit(request: Request, entry_id: int, actor: Writer) -> Response:
    store = web_of(request).store
    card, entry = _entry(request, actor, entry_id)
    section = _section(request, entry.section)
    form = await request.form()
    posted = read_form(section, form)
    version = int(str(form.get("version") or 0))
    reason = str(form.get("reason") or "")
    again = {"values": _posted_values(section, form), "mode": "edit", "entry": entry, "reason": reason,
             "entry_date": form.get("entry_date", ""), "facility": form.get("facility", "")}
    try:
        ref = store.edit_entry(entry_id, version, posted.values, user=actor.username, reason=reason,
                               entry_date=posted.entry_date, facility=posted.facility)
    except ConflictError:
        theirs = entry.current
        rows = [(w.label, again["values"].get(w.name) or "—",
                 shown(store.dictionary, section, w.name, theirs.values.get(w.name), theirs.entered, lang_of(request)))
                for w in widgets(store.dictionary, section, lang_of(request))]
        return _form(request, section, card.registry_id, f"/entries/{entry_id}/edit", status_code=409,
                     version=theirs.version, conflict={"mine": version, "theirs": theirs, "rows": rows}, **again)
    except EntryRejected as exc:
        return _form(request, section, card.registry_id, f"/entries/{entry_id}/edit", status_code=422,
                     version=version, issues=messages(store.dictionary, exc.issues, lang_of(request)), **again)
    except RuleViolation as exc:  # no reason given, or a retracted entry: the form again, nothing typed lost
        said = text("reason_needed", lang_of(request)) if not reason.strip() else str(exc)
        return _form(request, section, card.registry_id, f"/entries/{entry_id}/edit", status_code=422,
                     version=version, issues={"reason": [{"severity": "error", "text": said}]}, **again)
    return redirect(f"/patients/{card.registry_id}?saved={ref.entry_id}&v={ref.version}")


@router.get("/entries/{entry_id}/history")
def history(request: Request, entry_id: int, actor: Reader) -> Response:
    """Per field, every change: who, when, the old and the new value, and why."""
    store = web_of(request).store
    lang = lang_of(request)
    card, entry = _entry(request, actor, entry_id)
    section = _section(request, entry.section)
    changes = []
    for before, after in zip(entry.versions, entry.versions[1:], strict=False):
        if before.status != after.status:
            changes.append({"field": text("entry_status", lang), "old": text(before.status, lang),
                            "new": text(after.status, lang), "v": after})
        for f in section.fields:
            old, new = before.values.get(f.name), after.values.get(f.name)
            if old != new:
                changes.append({"field": f.label.get(lang),
                                "old": shown(store.dictionary, section, f.name, old, before.entered, lang),
                                "new": shown(store.dictionary, section, f.name, new, after.entered, lang), "v": after})
        if before.entry_date != after.entry_date:
            changes.append({"field": text("entry_date", lang), "old": before.entry_date, "new": after.entry_date,
                            "v": after})
    return render(request, "patient/history.html", card=card, entry=entry, section=section, changes=changes,
                  first=entry.versions[0])


@router.post("/entries/{entry_id}/retract")
def retract(request: Request, entry_id: int, actor: Writer, version: Annotated[int, Form()], reason: Text) -> Response:
    """Withdraw an entry: a new version; the history stays."""
    card, _ = _entry(request, actor, entry_id)
    web_of(request).store.retract_entry(entry_id, version, user=actor.username, reason=reason)
    return redirect(f"/patients/{card.registry_id}#entry-{entry_id}")


@router.post("/entries/{entry_id}/reinstate")
def reinstate(request: Request, entry_id: int, actor: Writer, version: Annotated[int, Form()],
              reason: Text) -> Response:
    """Make a retracted entry active again."""
    card, _ = _entry(request, actor, entry_id)
    web_of(request).store.reinstate_entry(entry_id, version, user=actor.username, reason=reason)
    return redirect(f"/patients/{card.registry_id}#entry-{entry_id}")


@router.get("/entries/{entry_id}/review")
def review_page(request: Request, entry_id: int, actor: Reviewer) -> Response:
    card, entry = _entry(request, actor, entry_id)
    section = _section(request, entry.section)
    return _form(request, section, card.registry_id, f"/entries/{entry_id}/review",
                 values=_current_values(section, entry), mode="review", entry=entry,
                 review_date=date.today().isoformat())


@router.post("/entries/{entry_id}/review")
async def review(request: Request, entry_id: int, actor: Reviewer) -> Response:
    """A second opinion beside the original: only the fields the reviewer changed are her revised values."""
    store = web_of(request).store
    card, entry = _entry(request, actor, entry_id)
    section = _section(request, entry.section)
    form = await request.form()
    before = read_form(section, {"f." + k: (v if isinstance(v, list) else [v])
                                 for k, v in _current_values(section, entry).items() if v is not None})
    after = read_form(section, form)
    revised = {k: v for k, v in after.values.items() if before.values.get(k) != v}
    revised.update({k: None for k in before.values if k not in after.values})
    revised = {k: v for k, v in revised.items() if v is not None}
    try:
        store.review_entry(entry_id, reviewer=actor.username, review_date=typed_date(str(form.get("review_date", ""))),
                           agreement=str(form.get("agreement", "")), revised_values=revised,
                           comment=str(form.get("comment") or "") or None, version=entry.current.version)
    except EntryRejected as exc:
        return _form(request, section, card.registry_id, f"/entries/{entry_id}/review", status_code=422,
                     values=_posted_values(section, form), mode="review", entry=entry,
                     review_date=form.get("review_date", ""),
                     issues=messages(store.dictionary, exc.issues, lang_of(request)))
    return redirect(f"/patients/{card.registry_id}#entry-{entry_id}")
