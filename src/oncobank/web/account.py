"""The pages of one's own account: sign in (and renew a reset password), sign out, register, the start page,
change the password, and the API tokens a user makes for her own scripts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from oncobank.store import accounts, audit
from oncobank.store.access import SYSTEM, Permission, Role
from oncobank.store.errors import NotFound, RuleViolation
from oncobank.store.models import Centre, User
from oncobank.web.deps import SEED_COOKIE, SESSION_COOKIE, SignedIn, client_address, web_of
from oncobank.web.labels import text
from oncobank.web.middleware import cookie
from oncobank.web.pages import lang_of, redirect, render
from oncobank.web.passwords import hash_password, password_problem, verify_password
from oncobank.web.sessions import create_token, end_session, end_sessions_of, open_session, revoke_token, tokens_of
from oncobank.web.signin import sign_in

router = APIRouter()
Field = Annotated[str, Form()]
Optional = Annotated[str, Form()]
ABILITIES = (
    (Permission.READ_PATIENTS, "perm_read_patients"),
    (Permission.WRITE_PATIENTS, "perm_write_patients"),
    (Permission.REVIEW, "perm_review"),
    (Permission.MANAGE_USERS, "perm_manage_users"),
    (Permission.READ_AUDIT, "perm_read_audit"),
    (Permission.EVALUATE_AI, "perm_evaluate_ai"),
    (Permission.READ_ANALYSIS, "perm_read_analysis"),
)


def _safe_next(target: str) -> str:
    """Where to go after signing in: a path of this site only (never `//host` or a full URL)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _signed_in(request: Request, user_id: int, target: str) -> Response:
    web = web_of(request)
    response = redirect(_safe_next(target))
    secret = open_session(web.store, user_id)
    response.headers.append("set-cookie", cookie(SESSION_COOKIE, secret, web.settings,
                                                 max_age=int(web.settings.lifetime.absolute.total_seconds())))
    response.headers.append("set-cookie", cookie(SEED_COOKIE, "", web.settings, max_age=0))
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=_safe_next(next), username="", error=None)


@router.post("/login")
def login(request: Request, username: Field, password: Field, next: Optional = "/") -> Response:
    web, lang, address = web_of(request), lang_of(request), client_address(request)
    if web.throttle.blocked(address):
        return render(request, "login.html", status_code=429, next=next, username=username,
                      error=text("throttled", lang))
    outcome = sign_in(web.store, username, password, max_failures=web.settings.max_failures, lock=web.settings.lock)
    if outcome.kind == "ok" and outcome.user_id is not None:
        if outcome.must_change:
            return render(request, "account/renew.html", username=username, error=None)
        return _signed_in(request, outcome.user_id, next)
    web.throttle.failed(address)
    minutes = str(int(web.settings.lock.total_seconds() // 60))
    message = {"locked": text("locked", lang, minutes=minutes), "pending": text("not_active_pending", lang),
               "disabled": text("not_active_disabled", lang)}.get(outcome.kind, text("sign_in_failed", lang))
    return render(request, "login.html", status_code=401, next=next, username=username, error=message)


@router.post("/login/renew")
def renew(request: Request, username: Field, current: Field, password: Field, password_again: Field) -> Response:
    """Sign in with the one-time password an administrator set, choosing one's own in the same step."""
    web, lang, address = web_of(request), lang_of(request), client_address(request)
    if web.throttle.blocked(address):
        return render(request, "login.html", status_code=429, next="/", username=username,
                      error=text("throttled", lang))
    outcome = sign_in(web.store, username, current, max_failures=web.settings.max_failures, lock=web.settings.lock)
    if outcome.kind != "ok" or outcome.user_id is None:
        web.throttle.failed(address)
        return render(request, "login.html", status_code=401, next="/", username=username,
                      error=text("sign_in_failed", lang))
    issue = password_problem(password, password_again)
    if issue is not None or password == current:
        return render(request, "account/renew.html", status_code=400, username=username,
                      error=text(issue or "must_change", lang))
    accounts.set_password_hash(web.store, username, hash_password(password), by=None)
    end_sessions_of(web.store, username)
    return _signed_in(request, outcome.user_id, "/")


@router.post("/logout")
def logout(request: Request, actor: SignedIn) -> Response:
    web = web_of(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        end_session(web.store, secret)
    with web.store.session() as s:
        audit.record(s, "sign_out", actor.id)
    response = redirect("/login")
    response.headers.append("set-cookie", cookie(SESSION_COOKIE, "", web.settings, max_age=0))
    return response


def _centres(request: Request) -> list[tuple[str, str]]:
    with web_of(request).store.session() as s:
        return [(c, n) for c, n in s.execute(select(Centre.code, Centre.name).order_by(Centre.name))]


REGISTRATION = ("full_name", "specialty", "centre", "email", "username")


@router.get("/register")
def register_page(request: Request) -> Response:
    return render(request, "register.html", centres=_centres(request), form=dict.fromkeys(REGISTRATION, ""),
                  errors=[])


@router.post("/register")
def register(request: Request, full_name: Field, specialty: Field, centre: Field, email: Field, username: Field,
             password: Field, password_again: Field) -> Response:
    """A doctor's sign-up: a pending clinician account of her centre, active once approved."""
    web, lang, address = web_of(request), lang_of(request), client_address(request)
    form = {"full_name": full_name, "specialty": specialty, "centre": centre, "email": email, "username": username}
    errors = [text("field_required", lang, field=text(k, lang)) for k, v in form.items() if not v.strip()]
    issue = password_problem(password, password_again)
    if issue:
        errors.append(text(issue, lang))
    if web.throttle.blocked(address):
        errors.append(text("throttled", lang))
    if not errors:
        web.throttle.failed(address)  # sign-ups count against the address too: no account flood
        try:
            accounts.add_user(web.store, username.strip(), str(Role.CLINICIAN), by=None, centre=centre,
                              status="pending", full_name=full_name.strip(), email=email.strip(),
                              specialty=specialty.strip())
        except (RuleViolation, NotFound) as exc:
            errors.append(str(exc))
        else:
            accounts.set_password_hash(web.store, username.strip(), hash_password(password), by=None)
            return render(request, "login.html", next="/", username=username, error=None,
                          notes=[text("registered", lang)])
    return render(request, "register.html", status_code=400, centres=_centres(request), form=form, errors=errors)


@router.get("/")
def home(request: Request, actor: SignedIn) -> Response:
    abilities = [key for permission, key in ABILITIES if actor.can(permission)]
    return render(request, "home.html", abilities=abilities, researcher=actor.role is Role.RESEARCHER)


@router.get("/account")
def account_page(request: Request, actor: SignedIn) -> Response:
    return render(request, "account/password.html", error=None, must_change=False)


@router.post("/account/password")
def change_password(request: Request, current: Field, password: Field, password_again: Field,
                    actor: SignedIn) -> Response:
    web, lang = web_of(request), lang_of(request)
    with web.store.session() as s:
        stored = s.scalar(select(User.password_hash).where(User.id == actor.id, User.role != SYSTEM))
    issue = "sign_in_failed" if not verify_password(stored, current) else password_problem(password, password_again)
    if issue is not None:
        return render(request, "account/password.html", status_code=400, error=text(issue, lang), must_change=False)
    accounts.set_password_hash(web.store, actor.username, hash_password(password), by=actor)
    end_sessions_of(web.store, actor.username)  # a stolen session ends with the old password
    return _signed_in(request, actor.id, "/account")


@router.get("/account/tokens")
def tokens_page(request: Request, actor: SignedIn) -> Response:
    return render(request, "account/tokens.html", tokens=tokens_of(web_of(request).store, actor.id), new_token=None)


@router.post("/account/tokens")
def new_token(request: Request, name: Field, actor: SignedIn) -> Response:
    store = web_of(request).store
    secret = create_token(store, actor.id, name)
    return render(request, "account/tokens.html", tokens=tokens_of(store, actor.id), new_token=secret)


@router.post("/account/tokens/{token_id}/revoke")
def revoke(request: Request, token_id: int, actor: SignedIn) -> Response:
    revoke_token(web_of(request).store, actor.id, token_id)
    return redirect("/account/tokens")
