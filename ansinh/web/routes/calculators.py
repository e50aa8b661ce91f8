"""Calculator pages built from the law domain's catalogue, and its JSON API mounted behind sign-in.

The form of each calculator is generated from :data:`ansinh.law.calculators.CATALOG` (field kinds,
labels, bounds, choices); the result shows its figures and every step with its legal basis.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from ansinh.law.api import router as law_api
from ansinh.law.calculators import CATALOG, CalculationError, calculate
from ansinh.web.deps import require
from ansinh.web.render import locale_of, render

router = APIRouter(prefix="/calculators")
Calculating = Depends(require("calc:use"))


def mount(app: FastAPI, signed_in: list[Any]) -> None:
    app.include_router(router, dependencies=[*signed_in, Calculating])
    app.include_router(law_api, dependencies=[*signed_in, Calculating])


def _payload(fields: tuple[Any, ...], form: Any) -> dict[str, Any]:
    """Form strings → the JSON types the calculator expects; empty optional fields are left out."""
    payload: dict[str, Any] = {}
    for f in fields:
        if f.kind == "choices":
            payload[f.name] = form.getlist(f.name)
            continue
        if f.kind == "boolean":
            payload[f.name] = form.get(f.name) == "on"
            continue
        raw = str(form.get(f.name, "")).strip()
        if raw == "":
            if f.required:
                payload[f.name] = None  # the calculator names the missing field
            continue
        if f.kind in ("dong", "integer"):
            digits = raw.replace(".", "").replace(",", "").replace(" ", "")
            payload[f.name] = int(digits) if digits.lstrip("-").isdigit() else raw
        elif f.kind == "choice" and f.choices and all(isinstance(c, int) for c in f.choices):
            payload[f.name] = int(raw) if raw.isdigit() else raw
        else:
            payload[f.name] = raw
    return {k: v for k, v in payload.items() if v is not None or k in {f.name for f in fields if f.required}}


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [row for k, v in value.items() for row in _flatten(v, f"{prefix}{k}." if prefix or k else k)]
    return [(prefix.rstrip("."), value)]


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def calculators_page(request: Request) -> HTMLResponse:
    return render(
        request, "calculators/list.html", {"catalog": CATALOG.values(), "vi": locale_of(request) == "vi"}
    )


def _spec(name: str) -> Any:
    spec = CATALOG.get(name)
    if spec is None:
        raise HTTPException(status_code=404, detail="No such calculator")
    return spec


@router.get("/{name}", response_class=HTMLResponse, include_in_schema=False)
def calculator_page(request: Request, name: str) -> HTMLResponse:
    spec = _spec(name)
    return render(
        request,
        "calculators/form.html",
        {"spec": spec, "values": {}, "result": None, "error": None, "vi": locale_of(request) == "vi"},
    )


@router.post("/{name}", response_class=HTMLResponse, include_in_schema=False)
async def calculator_run(request: Request, name: str) -> HTMLResponse:
    spec = _spec(name)
    form = await request.form()
    values = {key: form.getlist(key) if len(form.getlist(key)) > 1 else form.get(key) for key in form}
    result, error = None, None
    try:
        body = calculate(name, _payload(spec.fields, form))
        steps = body.pop("steps", [])
        body.pop("calculator", None)
        result = {"figures": _flatten(body), "steps": steps}
    except CalculationError as exc:
        error = exc
    return render(
        request,
        "calculators/form.html",
        {"spec": spec, "values": values, "result": result, "error": error, "vi": locale_of(request) == "vi"},
        status_code=200 if error is None else 422,
    )
