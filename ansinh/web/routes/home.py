"""Home dashboard: people, households, employers and participants by scheme in the user's area."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ansinh.registry.queries import dashboard
from ansinh.web.deps import PersonsReader, SessionDep
from ansinh.web.render import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, session: SessionDep, principal: PersonsReader) -> HTMLResponse:
    from ansinh.coverage.web import panel  # the director's headline coverage figures (issue 7)

    figures = dashboard(session, principal.scope)
    peak = max(figures.participants.values(), default=0) or 1
    return render(
        request, "home.html", {"figures": figures, "peak": peak, "coverage_panel": panel(session, principal)}
    )
