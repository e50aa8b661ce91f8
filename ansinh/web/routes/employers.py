"""Employer search and the employer page, as HTML and as JSON (``/api/v1/employers``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from ansinh.core.auth import Principal
from ansinh.registry.queries import EmployerDetail, EmployerRow, NotFound, employer_detail, search_employers
from ansinh.web.deps import EmployersReader, RecordId, SessionDep
from ansinh.web.render import render
from ansinh.web.security import record_view

router = APIRouter()
api = APIRouter(prefix="/api/v1/employers", tags=["employers"])

EmployerQuery = Annotated[str, Query(max_length=200, description="Tax code or the start of the name")]


def _audited_detail(
    request: Request, session: SessionDep, principal: Principal, employer_id: int, via: str
) -> EmployerDetail:
    try:
        employer = employer_detail(session, principal.scope, employer_id)
    except NotFound:
        raise HTTPException(status_code=404, detail="Employer not found") from None
    record_view(request, session, principal, "employer", employer_id, via)
    return employer


@router.get("/employers", response_class=HTMLResponse, include_in_schema=False)
def employers_page(
    request: Request,
    session: SessionDep,
    principal: EmployersReader,
    q: EmployerQuery = "",
    partial: bool = False,
) -> HTMLResponse:
    rows = search_employers(session, principal.scope, q) if q.strip() else []
    template = "employers/_results.html" if partial else "employers/search.html"
    return render(request, template, {"q": q, "rows": rows})


@router.get("/employers/{employer_id}", response_class=HTMLResponse, include_in_schema=False)
def employer_page(
    request: Request, session: SessionDep, principal: EmployersReader, employer_id: RecordId
) -> HTMLResponse:
    employer = _audited_detail(request, session, principal, employer_id, "web")
    return render(request, "employers/detail.html", {"employer": employer})


@api.get("", response_model=list[EmployerRow])
def api_search_employers(
    session: SessionDep,
    principal: EmployersReader,
    q: EmployerQuery,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[EmployerRow]:
    """Search employers in the caller's area by tax code or name. Scope: ``employers:read``."""
    return search_employers(session, principal.scope, q, limit)


@api.get("/{employer_id}", response_model=EmployerDetail)
def api_employer(
    request: Request, session: SessionDep, principal: EmployersReader, employer_id: RecordId
) -> EmployerDetail:
    """One employer with its current insured employees (audited). Scope: ``employers:read``."""
    return _audited_detail(request, session, principal, employer_id, "api")
