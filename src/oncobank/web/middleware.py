"""Around every request: security headers, the client address for the audit log, the language and CSRF-seed
cookies, an access log of paths without query strings, and a bare 500 for anything unexpected (no traceback)."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oncobank.store import audit
from oncobank.web.deps import LANG_COOKIE, SEED_COOKIE, SESSION_COOKIE, Settings
from oncobank.web.labels import LANGS

access_log = logging.getLogger("oncobank.web.access")
error_log = logging.getLogger("oncobank.web.error")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


def cookie(name: str, value: str, settings: Settings, *, max_age: int | None = None, http_only: bool = True) -> str:
    """A Set-Cookie value with the app's flags (Secure unless switched off for plain-HTTP tests, SameSite)."""
    parts = [f"{name}={value}", "Path=/", f"SameSite={settings.same_site.capitalize()}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if http_only:
        parts.append("HttpOnly")
    if settings.secure_cookies:
        parts.append("Secure")
    return "; ".join(parts)


class WebMiddleware:
    """The pure-ASGI wrapper of the app (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        address = request.client.host if request.client else "unknown"
        token = audit.ADDRESS.set(address)
        extra: list[str] = []
        lang = request.query_params.get("lang")
        if lang in LANGS and request.cookies.get(LANG_COOKIE) != lang:
            extra.append(cookie(LANG_COOKIE, lang, self.settings, max_age=365 * 86400))
        if SESSION_COOKIE not in request.cookies and SEED_COOKIE not in request.cookies:
            seed = secrets.token_urlsafe(24)
            scope.setdefault("state", {})["seed"] = seed
            extra.append(cookie(SEED_COOKIE, seed, self.settings))
        started, status = time.perf_counter(), 500
        sent_start = False

        async def wrapped(message: Message) -> None:
            nonlocal status, sent_start
            if message["type"] == "http.response.start":
                sent_start, status = True, message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not scope["path"].startswith("/static/"):
                    headers.setdefault("cache-control", "no-store")
                for value in extra:
                    headers.append("set-cookie", value)
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        except Exception as exc:  # never a traceback in a page or the log: it could carry patient data
            error_log.error("unhandled %s on %s %s", type(exc).__name__, scope["method"], scope["path"])
            if not sent_start:
                await _server_error(request, wrapped)
        finally:
            audit.ADDRESS.reset(token)
            # The path only: a query string may hold a name someone searched for.
            access_log.info('%s "%s %s" %d %.1fms', address, scope["method"], scope["path"], status,
                            (time.perf_counter() - started) * 1000)


async def _server_error(request: Request, send: Any) -> None:
    from oncobank.web.errors import server_error

    await server_error(request)(request.scope, request.receive, send)
