"""Errors as pages (or JSON under /api): the status, a one-line reason, never a traceback."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from oncobank.dictionary import DictionaryError
from oncobank.dictionary.validate import EntryRejected
from oncobank.store.access import AccessDenied
from oncobank.store.errors import ConflictError, NotFound, StoreError
from oncobank.web.deps import CsrfRefused, SignInRequired
from oncobank.web.labels import text
from oncobank.web.pages import lang_of, redirect, render


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def problem(request: Request, status: int, code: str, message: str, **more: Any) -> Response:
    """The error as JSON for the API, as a page otherwise."""
    if is_api(request):
        return JSONResponse({"error": code, "message": message, **more}, status_code=status)
    title_key = f"error_{status}" if f"error_{status}" in _TITLES else "error_400"
    return render(request, "error.html", status_code=status, title=text(title_key, lang_of(request)),
                  message=message, details=more.get("issues", []))


_TITLES = {f"error_{n}" for n in (400, 401, 403, 404, 405, 409, 413, 422, 429, 500)}


def server_error(request: Request) -> Response:
    message = text("error_500", lang_of(request))
    if is_api(request):
        return JSONResponse({"error": "internal", "message": message}, status_code=500)
    return Response(f"<!doctype html><title>500</title><p>{message}</p>", status_code=500, media_type="text/html")


def install(app: FastAPI) -> None:
    """Register the handlers: each store error has one status, the same for pages and the API."""

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        if is_api(request):
            return JSONResponse({"error": "sign_in_required", "message": text("error_401", "en")}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return redirect("/login?next=" + request.url.path)  # the path only: a query may hold a searched name

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return problem(request, 403, "csrf", text("csrf_failed", lang_of(request)))

    @app.exception_handler(AccessDenied)
    async def _denied(request: Request, exc: AccessDenied) -> Response:
        return problem(request, 403, "forbidden", str(exc))

    @app.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> Response:
        return problem(request, 404, "not_found", str(exc))

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> Response:
        return problem(request, 409, "conflict", str(exc), entry=exc.entry_id, expected=exc.expected,
                       actual=exc.actual)

    @app.exception_handler(EntryRejected)
    async def _rejected(request: Request, exc: EntryRejected) -> Response:
        return problem(request, 422, "rejected", "; ".join(str(i) for i in exc.issues),
                       issues=[i.to_dict() for i in exc.issues])

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> Response:
        return problem(request, 400, "refused", str(exc))

    @app.exception_handler(DictionaryError)
    async def _dictionary(request: Request, exc: DictionaryError) -> Response:
        return problem(request, 400, "refused", str(exc))

    @app.exception_handler(ValueError)  # the store's and the dictionary's refusals of a value, as the CLI shows them
    async def _value(request: Request, exc: ValueError) -> Response:
        return problem(request, 400, "refused", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # Without the "input" FastAPI adds: it echoes what was sent, possibly patient data.
        issues = [{"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
                  for e in exc.errors()]
        return problem(request, 422, "invalid", "; ".join(f"{i['where']}: {i['message']}" for i in issues),
                       issues=issues)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return problem(request, exc.status_code, "http", str(exc.detail))
