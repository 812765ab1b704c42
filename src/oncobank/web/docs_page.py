"""The API's documentation page, rendered here from the OpenAPI description (FastAPI's own page loads from a CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from oncobank.web.pages import render

router = APIRouter()


@router.get("/api/docs", include_in_schema=False)
def api_docs(request: Request) -> Response:
    schema = request.app.openapi()
    operations = [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                   "description": op.get("description", "")}
                  for path, methods in schema["paths"].items() for method, op in methods.items()]
    return render(request, "api_docs.html", operations=operations)
