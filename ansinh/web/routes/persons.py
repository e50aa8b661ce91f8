"""Person search and the person page, as HTML and as JSON (``/api/v1/persons``).

Lists show masked identifiers; the detail shows them in full and every detail view is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from ansinh.core.audit import record
from ansinh.core.auth import Principal
from ansinh.core.text import mask_id
from ansinh.registry.queries import (
    NotFound,
    PersonDetail,
    PersonRow,
    classify_query,
    person_detail,
    search_persons,
)
from ansinh.web.deps import PersonsReader, RecordId, SessionDep
from ansinh.web.render import render
from ansinh.web.security import client_ip, record_view
from ansinh.web.timeline import timeline_bars

router = APIRouter()
api = APIRouter(prefix="/api/v1/persons", tags=["persons"])

SearchQuery = Annotated[
    str,
    Query(
        max_length=100,
        description="12-digit personal ID, 10-digit SI number, HI card number or the start of a name",
    ),
]


def _audited_search(
    request: Request, session: SessionDep, principal: Principal, q: str, limit: int
) -> list[PersonRow]:
    rows = search_persons(session, principal.scope, q, limit)
    # Looking up a given identifier is audited (masked); name prefixes, typed letter by letter in the
    # live search and showing only masked data, are not: they would drown the trail.
    kind, _ = classify_query(q)
    if kind != "name":
        record(
            session,
            actor=principal.username,
            action="search",
            entity="person",
            entity_id="-",
            source_ip=client_ip(request),
            detail={"q": mask_id(q.strip()), "results": len(rows)},
        )
    return rows


def _audited_detail(
    request: Request, session: SessionDep, principal: Principal, person_id: int, via: str
) -> PersonDetail:
    try:
        person = person_detail(session, principal.scope, person_id)
    except NotFound:
        raise HTTPException(status_code=404, detail="Person not found") from None
    record_view(request, session, principal, "person", person_id, via)
    return person


@router.get("/persons", response_class=HTMLResponse, include_in_schema=False)
def persons_page(
    request: Request,
    session: SessionDep,
    principal: PersonsReader,
    q: SearchQuery = "",
    partial: bool = False,
) -> HTMLResponse:
    rows = _audited_search(request, session, principal, q, 50) if q.strip() else []
    return render(
        request, "persons/_results.html" if partial else "persons/search.html", {"q": q, "rows": rows}
    )


@router.get("/persons/{person_id}", response_class=HTMLResponse, include_in_schema=False)
def person_page(
    request: Request, session: SessionDep, principal: PersonsReader, person_id: RecordId
) -> HTMLResponse:
    person = _audited_detail(request, session, principal, person_id, "web")
    today = date.today()
    bars, ticks = timeline_bars(person.timeline, today)
    return render(
        request, "persons/detail.html", {"person": person, "today": today, "bars": bars, "ticks": ticks}
    )


@api.get("", response_model=list[PersonRow])
def api_search_persons(
    request: Request,
    session: SessionDep,
    principal: PersonsReader,
    q: SearchQuery,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[PersonRow]:
    """Search persons in the caller's area; identifiers are masked. Scope: ``persons:read``."""
    return _audited_search(request, session, principal, q, limit)


@api.get("/{person_id}", response_model=PersonDetail)
def api_person(
    request: Request, session: SessionDep, principal: PersonsReader, person_id: RecordId
) -> PersonDetail:
    """One person in full (audited). 404 when outside the caller's area. Scope: ``persons:read``."""
    return _audited_detail(request, session, principal, person_id, "api")
