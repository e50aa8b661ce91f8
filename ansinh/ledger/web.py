"""Ledger pages and API: collection dashboard, arrears list, employer ledger (HTML/.xlsx/PDF),
reminder letters, unmatched payments queue, declarations (form, .xlsx, API), person view.

Collection officers write (``ledger:write``, ``declarations:write``); directors, viewers and
administrators read the province; a commune officer reads its commune's employers only (404
elsewhere). Thin edges: each route parses, calls one service or query, renders.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import AfterValidator, BaseModel, Field, ValidationInfo
from sqlalchemy import select

from ansinh.core.auth import Principal
from ansinh.law.periods import Period, checked_period
from ansinh.ledger import queries
from ansinh.ledger.debt_ratio import DENOMINATORS, NUMERATORS, Variant
from ansinh.ledger.declarations import (
    DeclarationInput,
    DeclarationService,
    check_tax_code,
    import_declarations,
    parse_period,
    parse_salary,
)
from ansinh.ledger.models import Payment, Reminder
from ansinh.ledger.payments import PaymentError, assign_payment, import_statement, reverse_payment
from ansinh.ledger.periods import AGING_LABELS
from ansinh.ledger.reminders import NothingToRemind, create_reminder
from ansinh.ledger.statement import reminder_pdf, statement_pdf, statement_xlsx
from ansinh.registry.importing.base import ImportFileError
from ansinh.registry.importing.lookup import PersonRef
from ansinh.registry.models import Commune, Employer
from ansinh.web.deps import MAX_MONEY, EngineDep, PlainText, RecordId, SessionDep, require
from ansinh.web.domains import NavItem
from ansinh.web.security import record_view


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """:func:`ansinh.web.render.render`, imported at call time: the renderer imports this module
    while it builds its template loader."""
    from ansinh.web.render import render as render_page

    return render_page(request, template, context, status_code)


router = APIRouter()
api = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])

NAV = [NavItem("/ledger", "Collection", "ledger:read")]

Reader = Annotated[Principal, Depends(require("ledger:read"))]
Writer = Annotated[Principal, Depends(require("ledger:write"))]
Declarer = Annotated[Principal, Depends(require("declarations:write"))]
STATUSES = ("due", "late", "reminded", "evasion")


def _variant(text: str | None) -> Variant:
    try:
        return Variant.parse(text)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


def _ledger(
    session: SessionDep, principal: Principal, employer_id: int, request: Request, via: str
) -> queries.EmployerLedger:
    try:
        ledger = queries.employer_ledger(session, principal.scope, employer_id)
    except queries.NotFound:
        raise HTTPException(status_code=404, detail="Employer not found") from None
    record_view(request, session, principal, "employer_ledger", employer_id, via)
    return ledger


def _chart(rows: list[queries.KpiRow], target: float) -> dict[str, Any]:
    """Server-side SVG geometry: bars = arrears, line = debt ratio, dashed line = target."""
    width, height, left, bottom = 720, 220, 50, 30
    if not rows:
        return {"bars": [], "points": "", "width": width, "height": height}
    peak = max(max(r.arrears for r in rows), 1)
    top_ratio = max([float(r.ratio.value or 0) for r in rows] + [target]) * 1.15 or 0.05
    step = (width - left - 10) / len(rows)
    plot = height - bottom - 10
    bars, points = [], []
    for i, r in enumerate(rows):
        x = left + i * step
        h = plot * r.arrears / peak
        bars.append(
            {
                "x": round(x + 2, 1),
                "y": round(10 + plot - h, 1),
                "w": round(step - 4, 1),
                "h": round(h, 1),
                "label": r.period[2:].replace("-", "/") if i % 3 == 0 else "",
            }
        )
        y = 10 + plot * (1 - float(r.ratio.value or 0) / top_ratio)
        points.append(f"{x + step / 2:.1f},{y:.1f}")
    target_y = round(10 + plot * (1 - target / top_ratio), 1)
    return {
        "bars": bars,
        "points": " ".join(points),
        "width": width,
        "height": height,
        "left": left,
        "target_y": target_y,
        "plot_bottom": 10 + plot,
        "top_ratio": top_ratio,
    }


@router.get("/ledger", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page(
    request: Request, session: SessionDep, principal: Reader, variant: str | None = None
) -> HTMLResponse:
    chosen = _variant(variant)
    rows = queries.dashboard(session, chosen, 24, principal.scope)
    year = int(rows[-1].period[:4]) if rows else date.today().year
    target, basis = queries.debt_ratio_target(year)
    totals = queries.arrears_totals(session, principal.scope)
    return render(
        request,
        "ledger/dashboard.html",
        {
            "rows": rows,
            "variant": chosen,
            "numerators": NUMERATORS,
            "denominators": DENOMINATORS,
            "target": target,
            "target_basis": basis,
            "chart": _chart(rows, float(target)),
            "totals": totals,
            "aging_labels": AGING_LABELS,
            "last": rows[-1] if rows else None,
            "commune": session.get(Commune, principal.scope.commune_code)
            if principal.scope.commune_code
            else None,
        },
    )


@router.get("/ledger/arrears", response_class=HTMLResponse, include_in_schema=False)
def arrears_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    commune: Annotated[str | None, Query(max_length=5)] = None,
    sector: Annotated[str | None, Query(max_length=1)] = None,
    status: Annotated[str | None, Query(max_length=10)] = None,
    aging: Annotated[int | None, Query(ge=0, le=5)] = None,
    sort: Annotated[str, Query(max_length=10)] = "amount",
) -> HTMLResponse:
    rows = queries.arrears_list(
        session,
        principal.scope,
        commune=commune or None,
        sector=sector or None,
        status=status or None,
        aging=aging,
        sort=sort,
    )
    return render(
        request,
        "ledger/arrears.html",
        {
            "rows": rows,
            "statuses": STATUSES,
            "aging_labels": AGING_LABELS,
            "filters": {
                "commune": commune or "",
                "sector": sector or "",
                "status": status or "",
                "aging": aging,
                "sort": sort,
            },
        },
    )


@router.get("/ledger/employers/{employer_id}", response_class=HTMLResponse, include_in_schema=False)
def employer_page(
    request: Request, session: SessionDep, principal: Reader, employer_id: RecordId, notice: str | None = None
) -> HTMLResponse:
    ledger = _ledger(session, principal, employer_id, request, "web")
    return render(request, "ledger/employer.html", {"ledger": ledger, "notice": notice})


@router.get("/ledger/employers/{employer_id}/statement.{fmt}", include_in_schema=False)
def statement_file(
    request: Request, session: SessionDep, principal: Reader, employer_id: RecordId, fmt: str
) -> Response:
    if fmt not in ("pdf", "xlsx"):
        raise HTTPException(status_code=404)
    ledger = _ledger(session, principal, employer_id, request, fmt)
    name = f"thong-bao-{ledger.employer.tax_code}.{fmt}"
    if fmt == "pdf":
        return Response(
            statement_pdf(ledger),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return Response(
        statement_xlsx(ledger),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/ledger/employers/{employer_id}/reminders", include_in_schema=False)
def remind(request: Request, session: SessionDep, principal: Writer, employer_id: RecordId) -> Response:
    try:
        queries.scoped_employer(session, principal.scope, employer_id)
        reminder = create_reminder(session, employer_id, actor=principal.username)
    except queries.NotFound:
        raise HTTPException(status_code=404, detail="Employer not found") from None
    except NothingToRemind:
        return RedirectResponse(f"/ledger/employers/{employer_id}?notice=nothing_late", status_code=303)
    return RedirectResponse(f"/ledger/reminders/{reminder.id}.pdf", status_code=303)


@router.get("/ledger/reminders/{reminder_id}.pdf", include_in_schema=False)
def reminder_file(
    request: Request, session: SessionDep, principal: Reader, reminder_id: RecordId
) -> Response:
    reminder = session.get(Reminder, reminder_id)
    if reminder is None:
        raise HTTPException(status_code=404)
    ledger = _ledger(session, principal, reminder.employer_id, request, "reminder")
    return Response(
        reminder_pdf(ledger, reminder.number, reminder.sent_on),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="don-doc-{reminder.id}.pdf"'},
    )


@router.get("/ledger/payments", response_class=HTMLResponse, include_in_schema=False)
def payments_page(
    request: Request, session: SessionDep, principal: Writer, notice: str | None = None
) -> HTMLResponse:
    return render(
        request,
        "ledger/payments.html",
        {"payments": queries.unmatched_payments(session), "notice": notice, "report": None},
    )


@router.post("/ledger/payments/import", response_class=HTMLResponse, include_in_schema=False)
async def payments_import(
    request: Request,
    engine: EngineDep,
    session: SessionDep,
    principal: Writer,
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    data = await file.read()
    try:
        report = import_statement(
            engine, Path(file.filename or "statement.csv"), actor=principal.username, data=data
        )
    except ImportFileError as exc:
        return render(
            request,
            "ledger/payments.html",
            {"payments": queries.unmatched_payments(session), "report": None, "file_error": str(exc)},
            422,
        )
    return render(
        request,
        "ledger/payments.html",
        {"payments": queries.unmatched_payments(session), "report": report},
        200 if report.written else 422,
    )


@router.post("/ledger/payments/{payment_id}/assign", include_in_schema=False)
def payment_assign(
    session: SessionDep,
    principal: Writer,
    payment_id: RecordId,
    tax_code: Annotated[str, Form(max_length=14)],
) -> Response:
    employer_id = session.scalar(
        principal.scope.apply(
            select(Employer.id).where(Employer.tax_code == tax_code.strip()), Employer.commune_code
        )
    )
    try:
        if employer_id is None:
            raise PaymentError("unknown employer")
        assign_payment(session, payment_id, employer_id, actor=principal.username)
    except PaymentError:
        return RedirectResponse("/ledger/payments?notice=assign_failed", status_code=303)
    return RedirectResponse("/ledger/payments?notice=assigned", status_code=303)


@router.post("/ledger/payments/{payment_id}/reverse", include_in_schema=False)
def payment_reverse(
    session: SessionDep,
    principal: Writer,
    payment_id: RecordId,
    reason: Annotated[str, Form(max_length=60)] = "bank reversal",
) -> Response:
    payment = session.get(Payment, payment_id)
    try:
        reverse_payment(session, payment_id, actor=principal.username, reason=reason)
    except PaymentError:
        raise HTTPException(status_code=409, detail="Payment cannot be reversed") from None
    target = (
        f"/ledger/employers/{payment.employer_id}" if payment and payment.employer_id else "/ledger/payments"
    )
    return RedirectResponse(target + "?notice=reversed", status_code=303)


@router.get("/ledger/declarations", response_class=HTMLResponse, include_in_schema=False)
def declarations_page(request: Request, principal: Declarer) -> HTMLResponse:
    return render(request, "ledger/declarations.html", {"report": None, "errors": []})


def _form_salary(text: str) -> int | None:
    """The salary typed in the form (dots or commas may group thousands), bounded (MAX_AMOUNT_DONG)."""
    if not text.strip():
        return None
    try:
        return parse_salary(text)
    except ValueError as exc:
        raise ValueError(f"salary: {exc}") from None


@router.post("/ledger/declarations", response_class=HTMLResponse, include_in_schema=False)
def declare_form(
    request: Request,
    session: SessionDep,
    principal: Declarer,
    tax_code: Annotated[str, Form(max_length=14)],
    person: Annotated[str, Form(max_length=12)],
    kind: Annotated[str, Form(max_length=12)],
    from_month: Annotated[str, Form(max_length=10)],
    schemes: Annotated[list[str], Form()],
    salary: Annotated[str, Form(max_length=20)] = "",
    to_month: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    person = person.strip()
    ref = PersonRef(person, None) if len(person) == 10 else PersonRef(None, person)
    try:
        tax_code = check_tax_code(tax_code, "tax_code")
        if not re.fullmatch(r"[0-9]{10}|[0-9]{12}", person):
            raise ValueError(
                "person: mã số BHXH (10 chữ số) hoặc số định danh (12 chữ số)"
                " / person: the SI number (10 digits) or the personal ID (12 digits)"
            )
        item = DeclarationInput(
            1,
            kind,
            ref,
            tuple(s for s in ("si", "hi", "ui") if s in schemes),
            parse_period(from_month, "from_month"),
            parse_period(to_month, "to_month") if to_month else None,
            _form_salary(salary),
        )
    except ValueError as exc:
        return render(request, "ledger/declarations.html", {"report": None, "errors": [str(exc)]}, 422)
    report = DeclarationService(
        session, actor=principal.username, source="web", scope=principal.scope
    ).submit(tax_code, [item])
    if not report.ok:
        session.rollback()
    return render(
        request, "ledger/declarations.html", {"report": report, "errors": []}, 200 if report.ok else 422
    )


@router.post("/ledger/declarations/upload", response_class=HTMLResponse, include_in_schema=False)
async def declare_upload(
    request: Request,
    session: SessionDep,
    principal: Declarer,
    tax_code: Annotated[str, Form(max_length=14)],
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    data = await file.read()  # bounded by the upload body limit; read in batches from memory
    try:
        report = import_declarations(
            session,
            tax_code,
            Path(file.filename or "ke_khai.xlsx"),
            data,
            actor=principal.username,
            source="xlsx",
            scope=principal.scope,
        )
    except ImportFileError as exc:
        return render(request, "ledger/declarations.html", {"report": None, "errors": [str(exc)]}, 422)
    if report.unreadable:
        return render(
            request,
            "ledger/declarations.html",
            {"report": None, "errors": [f"row {e.row}: {e.column}: {e.reason}" for e in report.errors]},
            422,
        )
    return render(
        request, "ledger/declarations.html", {"report": report, "errors": []}, 200 if report.ok else 422
    )


@router.get("/ledger/persons/{person_id}", response_class=HTMLResponse, include_in_schema=False)
def person_page(
    request: Request, session: SessionDep, principal: Reader, person_id: RecordId
) -> HTMLResponse:
    try:
        months = queries.person_months(session, principal.scope, person_id)
    except queries.NotFound:
        raise HTTPException(status_code=404, detail="Person not found") from None
    record_view(request, session, principal, "person", person_id, "ledger")
    unpaid = sum(1 for m in months if not m.paid)
    return render(request, "ledger/person.html", {"person_id": person_id, "months": months, "unpaid": unpaid})


# --- JSON API ----------------------------------------------------------------------------------


def _period_field(value: str, info: ValidationInfo) -> str:
    return str(checked_period(value, info.field_name or "period"))


def _tax_code_field(value: str, info: ValidationInfo) -> str:
    return check_tax_code(value, info.field_name or "tax_code")


#: ``YYYY-MM`` in ASCII digits, month 01–12, year 1995–2100 (ansinh.law.periods.checked_period).
PeriodText = Annotated[str, Field(max_length=7), AfterValidator(_period_field)]
#: Mã số thuế: 10 ASCII digits, or 10-3 for a branch (ansinh.ledger.declarations.check_tax_code).
TaxCodeText = Annotated[str, Field(max_length=14), AfterValidator(_tax_code_field)]


class DeclarationItem(BaseModel):
    kind: str = Field(pattern="^(join|leave|salary|unpaid_leave)$")
    si_number: str | None = Field(None, pattern=r"^[0-9]{10}$")
    personal_id: str | None = Field(None, pattern=r"^[0-9]{12}$")
    schemes: list[Annotated[str, Field(max_length=8)]] = Field(
        default_factory=lambda: ["si", "hi", "ui"], max_length=3
    )
    from_period: PeriodText
    to_period: PeriodText | None = None
    salary: int | None = Field(None, gt=0, le=MAX_MONEY, description="đồng, at most 10^15")
    key: PlainText | None = Field(None, max_length=80, description="Idempotency key: resending it is a no-op")


class DeclarationBatch(BaseModel):
    employer_tax_code: TaxCodeText
    declarations: list[DeclarationItem] = Field(max_length=5000)


@api.post("/declarations")
def api_declare(batch: DeclarationBatch, session: SessionDep, principal: Declarer) -> dict[str, Any]:
    """Declarations from payroll software (token scope ``declarations:write``): all or nothing;
    each refusal names the item (1-based) and the reason. Items with a known ``key`` are skipped."""
    items = [
        DeclarationInput(
            i,
            d.kind,
            PersonRef(d.si_number, d.personal_id),
            tuple(s for s in ("si", "hi", "ui") if s in d.schemes),
            Period.parse(d.from_period),  # checked by the schema (PeriodText)
            Period.parse(d.to_period) if d.to_period else None,
            d.salary,
            key=f"api|{d.key}" if d.key else None,
        )
        for i, d in enumerate(batch.declarations, 1)
    ]
    report = DeclarationService(
        session, actor=principal.username, source="api", scope=principal.scope
    ).submit(batch.employer_tax_code, items)
    if not report.ok:
        session.rollback()
        raise HTTPException(
            status_code=422,
            detail=[
                {"item": e.row, "field": e.column, "value": e.value, "reason": e.reason}
                for e in report.errors
            ],
        )
    return {"applied": report.applied, "repeated": report.repeated}


@api.get("/arrears")
def api_arrears(
    session: SessionDep,
    principal: Reader,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    rows = queries.arrears_list(session, principal.scope, status=status, limit=limit)
    return [vars(r) for r in rows]


@api.get("/employers/{employer_id}")
def api_employer(
    request: Request, session: SessionDep, principal: Reader, employer_id: RecordId
) -> dict[str, Any]:
    ledger = _ledger(session, principal, employer_id, request, "api")
    return {
        "employer_id": employer_id,
        "tax_code": ledger.employer.tax_code,
        "as_of": ledger.as_of.isoformat() if ledger.as_of else None,
        "months": [
            {**vars(r), "deadline": r.deadline.isoformat() if r.deadline else None} for r in ledger.rows
        ],
    }


@api.get("/persons/{person_id}")
def api_person(session: SessionDep, principal: Reader, person_id: RecordId) -> list[dict[str, Any]]:
    try:
        return [vars(m) for m in queries.person_months(session, principal.scope, person_id)]
    except queries.NotFound:
        raise HTTPException(status_code=404, detail="Person not found") from None


@api.get("/debt-ratio")
def api_debt_ratio(session: SessionDep, principal: Reader, variant: str | None = None) -> dict[str, Any]:
    chosen = _variant(variant)
    rows = queries.dashboard(session, chosen, 36, principal.scope)
    return {
        "area_code": principal.scope.area_code,
        "variant": chosen.code,
        "definition": chosen.label,
        "months": [
            {
                "period": r.period,
                "numerator": r.ratio.numerator,
                "denominator": r.ratio.denominator,
                "ratio": str(r.ratio.value) if r.ratio.value is not None else None,
                "projected": r.ratio.projected,
            }
            for r in rows
        ],
    }
