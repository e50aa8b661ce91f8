"""JSON API of the calculators: ``POST /api/v1/calc/{name}`` (and ``GET /api/v1/calc`` for the catalogue).

Same input and output as ``ansinh calc NAME``; invalid input gives 400 with
``{"error": {"code", "field", "message"}}``, an unknown calculator 404 with the same body.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ansinh.law.calculators import CATALOG, CalculationError, calculate

router = APIRouter(prefix="/api/v1/calc", tags=["calculators"])


@router.get("")
def catalogue() -> list[dict[str, Any]]:
    """The calculators, their input fields (types, choices, labels) and main outputs."""
    return [spec.describe() for spec in CATALOG.values()]


@router.post("/{name}")
async def run_calculator(name: str, request: Request) -> JSONResponse:
    """Run calculator ``name`` on the JSON body."""
    if name not in CATALOG:
        error = CalculationError("unknown_calculator", "name", f"no calculator {name!r}")
        return JSONResponse(error.to_json(), status_code=404)
    raw = await request.body()
    try:
        payload = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return JSONResponse(
            CalculationError("invalid_json", None, f"body is not valid JSON: {exc}").to_json(),
            status_code=400,
        )
    try:
        return JSONResponse(calculate(name, payload))
    except CalculationError as error:
        return JSONResponse(error.to_json(), status_code=400)
