"""Rendering a page: the template with the language, the signed-in user, her navigation and the CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from oncobank.store.access import Actor, Permission
from oncobank.web.deps import LANG_COOKIE, csrf_token, web_of
from oncobank.web.labels import pick_lang, text


@dataclass(frozen=True)
class NavItem:
    """A link of the top navigation, shown to users whose role has `permission` (None: every signed-in user)."""

    href: str
    label: str  # a label key
    permission: Permission | None


# Other page modules append their own items (in the order they should appear).
NAV: list[NavItem] = [
    NavItem("/", "home", None),
    NavItem("/admin/users", "admin_users", Permission.MANAGE_USERS),
    NavItem("/admin/audit", "audit_page", Permission.READ_AUDIT),
    NavItem("/api/docs", "api_docs", None),
]


def lang_of(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                     request.headers.get("accept-language"))


def nav_for(actor: Actor | None) -> list[NavItem]:
    """The navigation a user sees: decided by her role's permissions, never by a template."""
    if actor is None:
        return []
    return [item for item in NAV if item.permission is None or actor.can(item.permission)]


def render(request: Request, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page `template` (under web/templates) with the shared context; `t(key, **values)` gives labels."""
    lang = lang_of(request)
    actor = getattr(request.state, "actor", None)
    shared = {
        "request": request,
        "lang": lang,
        "t": lambda key, **values: text(key, lang, **values),
        "actor": actor,
        "nav": nav_for(actor),
        "csrf_token": csrf_token(request),
        "path": request.url.path,
    }
    return web_of(request).templates.TemplateResponse(request, template, {**shared, **context},
                                                      status_code=status_code)


def redirect(path: str) -> RedirectResponse:
    """After a form: see the page at `path` (303, so the browser asks for it with GET)."""
    return RedirectResponse(path, status_code=303)
