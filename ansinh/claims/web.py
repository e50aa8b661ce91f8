"""Claims pages (giám định BHYT) and API.

Pages: ``/claims`` (ranked queue), ``/claims/episodes/{id}`` (lines, findings, patient history, decide),
``/claims/monitoring`` (spending against allocations, forecast, alerts). API: ``POST /api/v1/claims``
(hospital software, scope ``claims:submit``; body: the GIAMDINHHS XML, streamed to a temporary file),
``GET /api/v1/claims/queue``, ``GET /api/v1/claims/episodes/{id}``, ``GET /api/v1/claims/card-check``
(the check-in card look-up, :mod:`ansinh.claims.cardcheck_web`).
"""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from ansinh.claims.cardcheck_web import card_check
from ansinh.claims.codes import message
from ansinh.claims.intake import IntakeSession, load_known
from ansinh.claims.monitoring import bar_chart, monitoring
from ansinh.claims.queue import DecisionError, decide, episode_view, outcome_counts, queue
from ansinh.claims.rules import RULES
from ansinh.claims.screening import SCREENS
from ansinh.core.auth import Principal
from ansinh.web.deps import (
    EngineDep,
    Limit,
    PageNumber,
    RecordId,
    RecordIdForm,
    SessionDep,
    YearQuery,
    require,
)
from ansinh.web.domains import NavItem
from ansinh.web.limits import receive_to_file


def render(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    """:func:`ansinh.web.render.render`, imported at call time (the renderer imports this module)."""
    from ansinh.web.render import render as render_page

    return render_page(request, template, context)


def locale_of(request: Request) -> str:
    from ansinh.web.render import locale_of as locale

    return locale(request)


router = APIRouter()
api = APIRouter(prefix="/api/v1/claims", tags=["claims"])
api.add_api_route("/card-check", card_check, methods=["GET"])

ClaimsReader = Annotated[Principal, Depends(require("claims:read"))]
ClaimsWriter = Annotated[Principal, Depends(require("claims:write"))]
ClaimsSubmitter = Annotated[Principal, Depends(require("claims:submit"))]

NAV = [
    NavItem("/claims", "Claims review", "claims:write"),
    NavItem("/claims/monitoring", "HI costs", "claims:read"),
]


def rule_label(code: str, locale: str) -> str:
    return message(code, locale)


@router.get("/claims", response_class=HTMLResponse, include_in_schema=False)
def queue_page(
    request: Request, session: SessionDep, principal: ClaimsReader, page: PageNumber = 1
) -> HTMLResponse:
    page = max(1, page)
    rows = queue(session, limit=100, offset=(page - 1) * 100, scope=principal.scope)
    return render(
        request,
        "claims/queue.html",
        {
            "rows": rows,
            "counts": outcome_counts(session),
            "page": page,
            "locale": locale_of(request),
            "rule_label": rule_label,
        },
    )


@router.get("/claims/episodes/{episode_id}", response_class=HTMLResponse, include_in_schema=False)
def episode_page(
    request: Request, episode_id: RecordId, session: SessionDep, principal: ClaimsReader, error: str = ""
) -> HTMLResponse:
    view = episode_view(session, episode_id, actor=principal.username)
    if view is None:
        raise HTTPException(status_code=404)
    return render(
        request,
        "claims/episode.html",
        {
            "v": view,
            "rule_label": rule_label,
            "locale": locale_of(request),
            "error": error,
            "can_decide": principal.can("claims:write"),
        },
    )


@router.post("/claims/findings/{finding_id}/decide", include_in_schema=False)
def decide_form(
    finding_id: RecordId,
    session: SessionDep,
    principal: ClaimsWriter,
    episode_id: RecordIdForm,
    action: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> RedirectResponse:
    try:
        decide(session, finding_id, uphold=action == "uphold", reason=reason, actor=principal.username)
    except DecisionError as exc:
        session.rollback()
        return RedirectResponse(f"/claims/episodes/{episode_id}?error={exc}", status_code=303)
    return RedirectResponse(f"/claims/episodes/{episode_id}", status_code=303)


@router.get("/claims/monitoring", response_class=HTMLResponse, include_in_schema=False)
def monitoring_page(
    request: Request, session: SessionDep, principal: ClaimsReader, year: YearQuery | None = None
) -> HTMLResponse:
    year = year or date.today().year
    m = monitoring(session, year)
    return render(request, "claims/monitoring.html", {"m": m, "chart": bar_chart(m.totals), "year": year})


def _facilities_of(principal: Principal) -> frozenset[str] | None:
    """The facilities a sender may file for: a hospital account's own (none if it has none bound);
    None for the office's staff (claims reviewers re-filing a facility's file)."""
    if principal.role == "hospital":
        return principal.facilities or frozenset()
    return None


@api.post("")
async def submit(request: Request, engine: EngineDep, principal: ClaimsSubmitter) -> JSONResponse:
    """Receive one GIAMDINHHS file (request body, ``application/xml``); returns the receipt."""
    with tempfile.TemporaryFile() as tmp:
        # streamed in chunks; ansinh.web.limits bounds the size and the token's daily quota
        size, sha256 = await receive_to_file(request, engine, tmp)
        intake = IntakeSession(engine, load_known(engine), principal.username)
        name = request.headers.get("x-file-name", "api.xml")[:300]
        receipt = intake.ingest(
            tmp, file_name=name, sha256=sha256, size=size, facilities=_facilities_of(principal)
        )
        intake.close()
    return JSONResponse(receipt.as_dict(), status_code=200 if receipt.error_code is None else 422)


@api.get("/queue")
def api_queue(session: SessionDep, principal: ClaimsReader, limit: Limit = 100) -> list[dict[str, Any]]:
    return [
        {
            "episode_id": r.episode_id,
            "ma_lk": r.ma_lk,
            "facility": r.facility_code,
            "risk": r.risk,
            "fund_claimed": r.fund_claimed,
            "priority": r.priority,
            "rules": r.rules.split(),
        }
        for r in queue(session, limit=min(max(1, limit), 1000), scope=principal.scope)
    ]


@api.get("/episodes/{episode_id}")
def api_episode(episode_id: RecordId, session: SessionDep, principal: ClaimsReader) -> dict[str, Any]:
    view = episode_view(session, episode_id, actor=principal.username)
    if view is None:
        raise HTTPException(status_code=404)
    e = view.episode
    return {
        "episode_id": e.id,
        "ma_lk": e.ma_lk,
        "facility": e.facility_code,
        "version": e.version,
        "fund_claimed": e.fund_claimed,
        "total_hi": e.total_hi,
        "outcome": view.review.outcome if view.review else None,
        "disallowed": view.review.disallowed if view.review else None,
        "findings": [
            {
                "id": f.id,
                "rule": f.rule_code,
                "message_vi": message(f.rule_code, "vi"),
                "message_en": message(f.rule_code, "en"),
                "amount": f.amount,
                "evidence": ev,
                "status": f.status,
            }
            for f, ev in view.findings
        ],
    }


assert set(RULES).isdisjoint(SCREENS)
