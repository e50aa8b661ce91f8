"""OpenAPI description of ``/api/v1`` and a readable page of it, both behind sign-in.

The page is rendered on the server from the OpenAPI document, so no Swagger UI is fetched from a CDN.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ansinh.web.deps import CurrentUser
from ansinh.web.render import render

router = APIRouter(prefix="/api")


def openapi_document(request: Request) -> dict[str, Any]:
    app = request.app
    if app.openapi_schema is None:
        schema = app.openapi()
        schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(
            bearer={
                "type": "http",
                "scheme": "bearer",
                "description": "API token issued by an administrator",
            },
            session={"type": "apiKey", "in": "cookie", "name": "ansinh_session"},
        )
        schema["security"] = [{"bearer": []}, {"session": []}]
        app.openapi_schema = schema
    document: dict[str, Any] = app.openapi_schema
    return document


@router.get("/openapi.json", include_in_schema=False)
def openapi_json(request: Request, principal: CurrentUser) -> dict[str, Any]:
    return openapi_document(request)


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request, principal: CurrentUser) -> HTMLResponse:
    document = openapi_document(request)
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "summary": op.get("summary", ""),
            "description": op.get("description", ""),
            "parameters": op.get("parameters", []),
            "tag": (op.get("tags") or ["-"])[0],
        }
        for path, methods in document.get("paths", {}).items()
        for method, op in methods.items()
    ]
    return render(request, "api_docs.html", {"operations": operations, "title": document["info"]["title"]})
