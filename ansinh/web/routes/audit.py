"""The audit trail, for the administrator (permission ``audit:read``): search, export, API."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from ansinh.core.audit import record
from ansinh.core.spreadsheet import csv_writer
from ansinh.web.audit_search import AuditFilter, AuditRow, export_rows, search_audit
from ansinh.web.deps import AuditReader, RecordIdQuery, SessionDep
from ansinh.web.render import render
from ansinh.web.security import client_ip

router = APIRouter()
api = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def audit_filter(
    actor: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=32)] = "",
    entity: Annotated[str, Query(max_length=32)] = "",
    entity_id: Annotated[str, Query(max_length=64)] = "",
    date_from: Annotated[str, Query(max_length=10, description="dd/mm/yyyy")] = "",
    date_to: Annotated[str, Query(max_length=10, description="dd/mm/yyyy")] = "",
) -> AuditFilter:
    return AuditFilter(actor, action, entity, entity_id, _day(date_from), _day(date_to))


def _day(text: str) -> date | None:
    """A business date typed as dd/mm/yyyy (or ISO yyyy-mm-dd from machine clients)."""
    text = text.strip()
    if not text:
        return None
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(status_code=422, detail=f"not a date (dd/mm/yyyy): {text!r}") from None


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(
    request: Request,
    session: SessionDep,
    principal: AuditReader,
    f: FilterDep,
    before: RecordIdQuery | None = None,
) -> HTMLResponse:
    rows = search_audit(session, f, before_id=before, limit=100)
    query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "before" and v])
    return render(
        request,
        "audit.html",
        {"f": f, "rows": rows, "query": query, "next_before": rows[-1].id if len(rows) == 100 else None},
    )


@router.get("/audit/export.csv", include_in_schema=False)
def audit_export(
    request: Request, session: SessionDep, principal: AuditReader, f: FilterDep
) -> StreamingResponse:
    """CSV of every matching entry (UTF-8 with BOM so that Excel shows Vietnamese correctly; a cell
    that starts like a formula is written as text)."""
    record(
        session,
        actor=principal.username,
        action="export",
        entity="audit",
        entity_id="-",
        source_ip=client_ip(request),
        detail={k: str(v) for k, v in vars(f).items() if v},
    )
    session.commit()  # the export is audited even if the client drops the download
    engine = request.app.state.engine

    def lines() -> Iterator[str]:
        # The request's session closes when the route returns; the stream reads with its own.
        from sqlalchemy.orm import Session

        with Session(engine) as own:
            buffer = io.StringIO()
            writer = csv_writer(buffer)
            buffer.write("\ufeff")
            for n, row in enumerate(export_rows(own, f), start=1):
                writer.writerow(row)
                if n % 1000 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )


@api.get("", response_model=list[AuditRow])
def api_audit(
    session: SessionDep,
    principal: AuditReader,
    f: FilterDep,
    before: RecordIdQuery | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditRow]:
    """Audit entries, newest first; page with ``before`` = last id received. Scope: ``audit:read``."""
    return search_audit(session, f, before_id=before, limit=limit)
