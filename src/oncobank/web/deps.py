"""Who is asking: the signed-in `Actor` of a request (session cookie or API token), the permission a route needs,
and the CSRF token every unsafe request sent with a cookie must carry."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.templating import Jinja2Templates

from oncobank.store import accounts
from oncobank.store.access import AccessDenied, Actor, Permission
from oncobank.store.clinical import ClinicalStore
from oncobank.web.sessions import Lifetime, session_user, token_user
from oncobank.web.signin import Throttle

SESSION_COOKIE = "ob_session"
SEED_COOKIE = "ob_seed"  # a visitor who has not signed in: the seed of her CSRF token (double submit)
LANG_COOKIE = "ob_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# What a refusal says the user tried to do, per permission (AccessDenied: "user X (role) may not <what>").
WHAT = {
    Permission.MANAGE_STORE: "manage the store",
    Permission.MANAGE_USERS: "manage accounts",
    Permission.READ_AUDIT: "read the audit trail",
    Permission.READ_PATIENTS: "read patients' records",
    Permission.WRITE_PATIENTS: "enter patients' data",
    Permission.REVIEW: "give second opinions",
    Permission.LOAD: "load data",
    Permission.REPORT_REGISTRY: "report on the whole registry",
    Permission.PUBLISH: "publish the analysis store",
    Permission.EVALUATE_AI: "evaluate AI services",
    Permission.READ_ANALYSIS: "read the analysis store",
    Permission.QUERY: "open or close data queries",
}


@dataclass(frozen=True)
class Settings:
    """How the web registry runs: its secret, cookie security, session lifetime, sign-in limits."""

    secret: bytes
    secure_cookies: bool = True
    same_site: str = "lax"
    lifetime: Lifetime = field(default_factory=lambda: Lifetime(timedelta(minutes=30), timedelta(hours=12)))
    max_failures: int = 5
    lock: timedelta = timedelta(minutes=15)
    throttle_limit: int = 20
    throttle_window: float = 600.0


@dataclass
class Web:
    """What every request shares: the store, the settings, the templates and the sign-in throttle."""

    store: ClinicalStore
    settings: Settings
    templates: Jinja2Templates
    throttle: Throttle


class SignInRequired(Exception):
    """No live session or valid token: pages send the visitor to the sign-in page, the API answers 401."""


class CsrfRefused(Exception):
    """An unsafe request sent with cookies but without this site's CSRF token."""


def web_of(request: Request) -> Web:
    return request.app.state.web


def bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def current_actor(request: Request) -> Actor:
    """The signed-in, active user of the request; SignInRequired otherwise (a disabled account is signed out)."""
    found = getattr(request.state, "actor", None)
    if found is not None:
        return found
    web = web_of(request)
    token = bearer(request)
    if token is not None:
        username = token_user(web.store, token)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        username = session_user(web.store, cookie, web.settings.lifetime) if cookie else None
    if username is None:
        raise SignInRequired()
    try:
        actor = accounts.acting(web.store, username)
    except AccessDenied:
        raise SignInRequired() from None
    request.state.actor = actor
    return actor


SignedIn = Annotated[Actor, Depends(current_actor)]


@cache
def requires(permission: Permission) -> Callable[..., Actor]:
    """The dependency of a route that needs `permission`: the signed-in actor, refused (403) unless her role has it."""

    def allowed(actor: SignedIn) -> Actor:
        actor.require(permission, WHAT[permission])
        return actor

    allowed.permission = permission  # type: ignore[attr-defined]
    return allowed


def csrf_seed(request: Request) -> str:
    """What the CSRF token is derived from: the session cookie, else the visitor's seed cookie (see middleware)."""
    return request.cookies.get(SESSION_COOKIE) or getattr(request.state, "seed", None) or \
        request.cookies.get(SEED_COOKIE, "")


def csrf_token(request: Request) -> str:
    """The token a form of this page carries: an HMAC of the seed under the app's secret."""
    return token_for(web_of(request).settings.secret, csrf_seed(request))


def token_for(secret: bytes, seed: str) -> str:
    return hmac.new(secret, seed.encode(), hashlib.sha256).hexdigest()


async def csrf_guard(request: Request) -> None:
    """Refuse an unsafe request made with cookies unless it carries the token (form field or X-CSRF-Token)."""
    if request.method in SAFE_METHODS or bearer(request) is not None:
        return
    sent = request.headers.get(CSRF_HEADER)
    kind = request.headers.get("content-type", "")
    if sent is None and kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value: Any = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not csrf_seed(request) or not hmac.compare_digest(sent, csrf_token(request)):
        raise CsrfRefused()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
