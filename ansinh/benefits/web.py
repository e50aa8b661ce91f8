"""Benefits pages and API: case list, case page with the draft decision and its explanation, the
counselling page (printable) before a one-time withdrawal, payroll runs with totals and exceptions,
bank files and returned-payment files, the beneficiary page, and the non-cash share.

Benefits officers write (``benefits:write``); directors and other staff read the province
(``benefits:read``); a commune officer reads its commune's people only (404 elsewhere). Thin edges:
each route parses, calls one service or query, renders.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy import select

from ansinh.benefits import queries
from ansinh.benefits.cases import (
    CaseConflict,
    CaseError,
    approve,
    draft_case,
    open_case,
    record_counselling,
    reject,
    return_case,
)
from ansinh.benefits.counselling import Comparison, compare
from ansinh.benefits.history import history_for
from ansinh.benefits.indicators import cash_recipients, noncash_share_by_commune
from ansinh.benefits.models import CASE_KINDS, CASE_STATUSES, PayrollRun
from ansinh.benefits.payroll import (
    PaymentError,
    confirm_run,
    import_returns,
    pay_approved_cases,
    payment_files,
    retry,
    run_exceptions,
    run_monthly,
    set_channel,
)
from ansinh.benefits.rules import ONE_TIME_GROUNDS, Applicant
from ansinh.core.auth import Principal
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period
from ansinh.registry.models import Commune, Person
from ansinh.web.deps import (
    EngineDep,
    MoneyQuery,
    RecordId,
    RecordIdForm,
    SessionDep,
    VersionForm,
    VersionQuery,
    require,
)
from ansinh.web.domains import NavItem
from ansinh.web.i18n import N_
from ansinh.web.security import record_view


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """:func:`ansinh.web.render.render`, imported at call time (the renderer imports this module)."""
    from ansinh.web.render import render as render_page

    return render_page(request, template, context, status_code)


router = APIRouter()
api = APIRouter(prefix="/api/v1/benefits", tags=["benefits"])

NAV = [NavItem("/benefits", "Benefits", "benefits:read")]

Reader = Annotated[Principal, Depends(require("benefits:read"))]
Writer = Annotated[Principal, Depends(require("benefits:write"))]

KIND_LABELS = {
    "pension": N_("Pension"),
    "one_time": N_("One-time withdrawal"),
    "unemployment": N_("Unemployment benefit"),
    "sickness": N_("Sickness"),
    "maternity": N_("Maternity"),
    "funeral": N_("Funeral allowance"),
    "survivor": N_("Survivor allowance"),
    "monthly_allowance": N_("Monthly allowance (Art. 23)"),
}
STATUS_LABELS = {
    "received": N_("received"),
    "drafted": N_("drafted"),
    "approved": N_("approved"),
    "returned": N_("returned"),
    "rejected": N_("rejected"),
    "paid": N_("paid out"),
    "pending": N_("pending"),
    "failed": N_("failed"),
    "recovered": N_("recovered"),
    "open": N_("not sent"),
    "sent": N_("sent"),
    "closed": N_("closed"),
}
#: Codes shown as they are (``_(code)``) in the templates: case history actions, run kinds, stop
#: reasons, payroll exceptions, support groups and counselling outcomes.
CODE_LABELS = (
    N_("first_approval"),
    N_("updated"),
    N_("monthly"),
    N_("one_off"),
    N_("death"),
    N_("deceased"),
    N_("no_channel"),
    N_("invalid_account"),
    N_("overlapping_channels"),
    N_("other"),
    N_("ethnic_minority"),
    N_("near_poor"),
    N_("poor"),
    N_("withdrew"),
    N_("stayed"),
)
CHANNEL_LABELS = {"bank": N_("Bank account"), "ewallet": N_("E-wallet"), "cash": N_("Cash at a post office")}
NOTICES = {
    "opened": N_("The case was registered."),
    "drafted": N_("The decision was drafted."),
    "approved": N_("The case was approved."),
    "first_approval": N_("First approval recorded: a second officer must approve this amount."),
    "returned": N_("The case was returned."),
    "rejected": N_("The case was rejected."),
    "counselled": N_("The counselling outcome was recorded."),
    "channel": N_("The payment channel was changed."),
    "run": N_("The payroll run is ready."),
    "run_exists": N_("This month's payroll had already been run: nothing changed."),
    "confirmed": N_("The bank confirmed the run: payments are paid."),
    "retried": N_("The payment will be made again."),
}


def _ctx(**kw: Any) -> dict[str, Any]:
    return {
        "kinds": KIND_LABELS,
        "statuses": STATUS_LABELS,
        "channels": CHANNEL_LABELS,
        "notices": NOTICES,
        **kw,
    }


def _not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"{what} not found")


# --- cases ---------------------------------------------------------------------------------------


@router.get("/benefits", response_class=HTMLResponse, include_in_schema=False)
def case_list_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    status: Annotated[str | None, Query(max_length=10)] = None,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    overdue: bool = False,
) -> HTMLResponse:
    if status and status not in CASE_STATUSES:
        raise HTTPException(status_code=422, detail=f"status must be one of {CASE_STATUSES}")
    if kind and kind not in CASE_KINDS:
        raise HTTPException(status_code=422, detail=f"kind must be one of {CASE_KINDS}")
    today = date.today()
    rows = queries.case_list(session, principal.scope, today, status=status, kind=kind, overdue=overdue)
    counts = queries.case_counts(session, principal.scope, today)
    return render(
        request,
        "benefits/cases.html",
        _ctx(
            rows=rows,
            counts=counts,
            status=status,
            kind=kind,
            overdue=overdue,
            today=today,
            all_statuses=CASE_STATUSES,
            all_kinds=CASE_KINDS,
            grounds=ONE_TIME_GROUNDS,
        ),
    )


@router.post("/benefits/cases", include_in_schema=False)
def case_open(
    session: SessionDep,
    principal: Writer,
    person_id: RecordIdForm,
    kind: Annotated[str, Form(max_length=12)],
    received_on: Annotated[date, Form()],
    event_date: Annotated[date | None, Form()] = None,
    ground: Annotated[str | None, Form(max_length=4)] = None,
    days: Annotated[int | None, Form(ge=0, le=400)] = None,
    documents: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        queries.scoped_person(session, principal.scope, person_id)
    except queries.NotFound:
        raise _not_found("Person") from None
    facts: dict[str, Any] = {}
    if ground:
        facts["ground"] = ground
    if days:
        facts["days"] = days
    try:
        case = open_case(
            session,
            person_id=person_id,
            kind=kind,
            received_on=received_on,
            actor=principal.username,
            event_date=event_date,
            facts=facts,
            documents=[d.strip() for d in documents.split(",") if d.strip()],
        )
    except CaseError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return RedirectResponse(f"/benefits/cases/{case.id}?notice=opened", status_code=303)


def _case(session: SessionDep, principal: Principal, case_id: int) -> tuple[Any, Person]:
    try:
        return queries.scoped_case(session, principal.scope, case_id)
    except queries.NotFound:
        raise _not_found("Case") from None


@router.get("/benefits/cases/{case_id}", response_class=HTMLResponse, include_in_schema=False)
def case_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    case_id: RecordId,
    notice: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    case, person = _case(session, principal, case_id)
    record_view(request, session, principal, "benefit_case", case_id, "web")
    data = queries.explanation(case)
    return render(
        request,
        "benefits/case.html",
        _ctx(
            case=case,
            person=person,
            data=data,
            events=queries.case_events(session, case_id),
            facts=json.loads(case.facts or "{}"),
            notice=notice if notice in NOTICES else None,
            error=error,
            overdue=case.status in queries.OPEN_STATUSES and case.due_on < date.today(),
        ),
    )


def _act(session: SessionDep, principal: Principal, case_id: int, action: str, **kw: Any) -> Response:
    _case(session, principal, case_id)
    try:
        if action == "draft":
            draft_case(session, case_id, actor=principal.username)
            notice = "drafted"
        elif action == "approve":
            notice = approve(session, case_id, actor=principal.username, version=kw.get("version"))
        elif action == "return":
            return_case(
                session,
                case_id,
                actor=principal.username,
                note=kw.get("note") or "",
                version=kw.get("version"),
            )
            notice = "returned"
        elif action == "reject":
            reject(session, case_id, actor=principal.username, note=kw.get("note") or "")
            notice = "rejected"
        else:
            record_counselling(session, case_id, actor=principal.username, outcome=kw.get("outcome") or "")
            notice = "counselled"
    except CaseConflict as exc:
        return RedirectResponse(f"/benefits/cases/{case_id}?error={_q(exc.message)}", status_code=303)
    except CaseError as exc:
        return RedirectResponse(f"/benefits/cases/{case_id}?error={_q(exc.message)}", status_code=303)
    return RedirectResponse(f"/benefits/cases/{case_id}?notice={notice}", status_code=303)


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])


@router.post("/benefits/cases/{case_id}/draft", include_in_schema=False)
def case_draft(session: SessionDep, principal: Writer, case_id: RecordId) -> Response:
    return _act(session, principal, case_id, "draft")


@router.post("/benefits/cases/{case_id}/approve", include_in_schema=False)
def case_approve(
    session: SessionDep, principal: Writer, case_id: RecordId, version: VersionForm | None = None
) -> Response:
    return _act(session, principal, case_id, "approve", version=version)


@router.post("/benefits/cases/{case_id}/return", include_in_schema=False)
def case_return(
    session: SessionDep,
    principal: Writer,
    case_id: RecordId,
    note: Annotated[str, Form(max_length=500)] = "",
    version: VersionForm | None = None,
) -> Response:
    return _act(session, principal, case_id, "return", note=note, version=version)


@router.post("/benefits/cases/{case_id}/reject", include_in_schema=False)
def case_reject(
    session: SessionDep, principal: Writer, case_id: RecordId, note: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    return _act(session, principal, case_id, "reject", note=note)


@router.post("/benefits/cases/{case_id}/counselling", include_in_schema=False)
def case_counselling(
    session: SessionDep, principal: Writer, case_id: RecordId, outcome: Annotated[str, Form(max_length=8)]
) -> Response:
    return _act(session, principal, case_id, "counselling", outcome=outcome)


def _comparison(engine: EngineDep, case: Any, person: Person, group: str, income: int | None) -> Comparison:
    import pyarrow as pa

    at = date.today()
    cases = pa.table(
        {
            "case_id": pa.array([case.id], pa.int64()),
            "person_id": pa.array([person.id], pa.int64()),
            "event_date": pa.array([at], pa.date32()),
        }
    )
    hist = history_for(engine, cases, at).to_pylist()[0]
    applicant = Applicant(person.id, person.gender, person.birth_date, person.death_date)
    return compare(get_parameters(), applicant, hist, at, support_group=group, income=income)


@router.get("/benefits/cases/{case_id}/counselling", response_class=HTMLResponse, include_in_schema=False)
def counselling_page(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    principal: Reader,
    case_id: RecordId,
    group: Annotated[str, Query(pattern="^(poor|near_poor|ethnic_minority|other)$")] = "other",
    income: MoneyQuery | None = None,
) -> HTMLResponse:
    case, person = _case(session, principal, case_id)
    if case.kind != "one_time":
        raise HTTPException(status_code=422, detail="counselling is for one-time withdrawal cases")
    record_view(request, session, principal, "benefit_counselling", case_id, "web")
    try:
        comparison = _comparison(engine, case, person, group, income)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return render(
        request,
        "benefits/counselling.html",
        _ctx(case=case, person=person, c=comparison, group=group, today=date.today()),
    )


@router.get("/benefits/cases/{case_id}/counselling.pdf", include_in_schema=False)
def counselling_pdf_page(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    principal: Reader,
    case_id: RecordId,
    group: Annotated[str, Query(pattern="^(poor|near_poor|ethnic_minority|other)$")] = "other",
    income: MoneyQuery | None = None,
) -> Response:
    from ansinh.benefits.printout import counselling_pdf

    case, person = _case(session, principal, case_id)
    if case.kind != "one_time":
        raise HTTPException(status_code=422, detail="counselling is for one-time withdrawal cases")
    record_view(request, session, principal, "benefit_counselling", case_id, "pdf")
    try:
        comparison = _comparison(engine, case, person, group, income)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    data = counselling_pdf(
        comparison,
        name=person.full_name,
        birth_date=person.birth_date,
        reference=case.reference,
        on=date.today(),
    )
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="tu-van-{case.reference}.pdf"'},
    )


# --- beneficiaries ---------------------------------------------------------------------------------


@router.get("/benefits/beneficiaries/{person_id}", response_class=HTMLResponse, include_in_schema=False)
def beneficiary_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    person_id: RecordId,
    notice: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    try:
        view = queries.beneficiary(session, principal.scope, person_id)
    except queries.NotFound:
        raise _not_found("Person") from None
    record_view(request, session, principal, "beneficiary", person_id, "web")
    return render(
        request,
        "benefits/beneficiary.html",
        _ctx(v=view, notice=notice if notice in NOTICES else None, error=error, today=date.today()),
    )


@router.post("/benefits/beneficiaries/{person_id}/channel", include_in_schema=False)
def beneficiary_channel(
    session: SessionDep,
    principal: Writer,
    person_id: RecordId,
    channel: Annotated[str, Form(max_length=7)],
    valid_from: Annotated[date, Form()],
    account: Annotated[str, Form(max_length=40)] = "",
    provider: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        queries.scoped_person(session, principal.scope, person_id)
    except queries.NotFound:
        raise _not_found("Person") from None
    try:
        set_channel(
            session,
            person_id=person_id,
            channel=channel,
            account=account or None,
            provider=provider,
            valid_from=valid_from,
            actor=principal.username,
        )
    except PaymentError as exc:
        session.rollback()
        return RedirectResponse(f"/benefits/beneficiaries/{person_id}?error={_q(str(exc))}", status_code=303)
    return RedirectResponse(f"/benefits/beneficiaries/{person_id}?notice=channel", status_code=303)


# --- payroll ---------------------------------------------------------------------------------------


@router.get("/benefits/payroll", response_class=HTMLResponse, include_in_schema=False)
def payroll_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    notice: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "benefits/payroll.html",
        _ctx(
            runs=queries.runs(session),
            notice=notice if notice in NOTICES else None,
            error=error,
            next_period=str(Period.of(date.today())),
        ),
    )


@router.post("/benefits/payroll", include_in_schema=False)
def payroll_run(engine: EngineDep, principal: Writer, period: Annotated[str, Form(max_length=7)]) -> Response:
    try:
        p = Period.parse(period)
    except ValueError as exc:
        return RedirectResponse(f"/benefits/payroll?error={_q(str(exc))}", status_code=303)
    report = run_monthly(engine, p, actor=principal.username)
    return RedirectResponse(
        f"/benefits/payroll/{report.run_id}?notice={'run' if report.created else 'run_exists'}",
        status_code=303,
    )


@router.post("/benefits/payroll/one-off", include_in_schema=False)
def payroll_one_off(session: SessionDep, principal: Writer) -> Response:
    report = pay_approved_cases(session, date.today(), actor=principal.username)
    return RedirectResponse(f"/benefits/payroll/{report.run_id}?notice=run", status_code=303)


@router.get("/benefits/payroll/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    principal: Reader,
    run_id: RecordId,
    notice: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    try:
        view = queries.run_view(session, principal.scope, run_id)
    except queries.NotFound:
        raise _not_found("Payroll run") from None
    exceptions = [e for e in run_exceptions(engine, view.run) if e["reason"] not in ("failed", "returned")]
    if not principal.scope.is_province and exceptions:
        ids = [int(e["person_id"]) for e in exceptions]
        allowed = set(
            session.scalars(
                principal.scope.apply(select(Person.id).where(Person.id.in_(ids)), Person.commune_code)
            )
        )
        exceptions = [e for e in exceptions if int(e["person_id"]) in allowed]
    problems = queries.problem_payments(session, principal.scope, run_id)
    files = sorted(payment_files(session, run_id, principal.scope))
    return render(
        request,
        "benefits/run.html",
        _ctx(
            v=view,
            exceptions=exceptions[:200],
            n_exceptions=len(exceptions),
            problems=problems,
            files=files,
            notice=notice if notice in NOTICES else None,
            error=error,
        ),
    )


@router.get("/benefits/payroll/{run_id}/files/{name}.csv", include_in_schema=False)
def run_file(
    request: Request, session: SessionDep, principal: Writer, run_id: RecordId, name: str
) -> Response:
    files = payment_files(session, run_id, principal.scope)
    if name not in files:
        raise _not_found("File")
    # bank files carry names, accounts and amounts: every download is recorded
    record_view(request, session, principal, "payroll_file", run_id, name)
    return PlainTextResponse(
        files[name],
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="run{run_id}-{name}.csv"'},
    )


@router.post("/benefits/payroll/{run_id}/confirm", include_in_schema=False)
def run_confirm(
    session: SessionDep, principal: Writer, run_id: RecordId, paid_on: Annotated[date, Form()]
) -> Response:
    if session.get(PayrollRun, run_id) is None:
        raise _not_found("Payroll run")
    try:
        confirm_run(session, run_id, paid_on, actor=principal.username)
    except PaymentError as exc:
        return RedirectResponse(f"/benefits/payroll/{run_id}?error={_q(str(exc))}", status_code=303)
    return RedirectResponse(f"/benefits/payroll/{run_id}?notice=confirmed", status_code=303)


@router.post("/benefits/returns", response_class=HTMLResponse, include_in_schema=False)
async def returns_upload(
    request: Request, session: SessionDep, principal: Writer, file: Annotated[UploadFile, File()]
) -> HTMLResponse:
    data = await file.read()
    try:
        report = import_returns(session, data, file.filename or "returns.csv", actor=principal.username)
    except PaymentError as exc:
        session.rollback()
        return render(
            request,
            "benefits/payroll.html",
            _ctx(
                runs=queries.runs(session),
                error=str(exc),
                notice=None,
                next_period=str(Period.of(date.today())),
            ),
            status_code=422,
        )
    return render(
        request,
        "benefits/payroll.html",
        _ctx(
            runs=queries.runs(session),
            returns=report,
            notice=None,
            error=None,
            next_period=str(Period.of(date.today())),
        ),
    )


@router.post("/benefits/payments/{payment_id}/retry", include_in_schema=False)
def payment_retry(session: SessionDep, principal: Writer, payment_id: RecordId) -> Response:
    from ansinh.benefits.models import BenefitPayment

    pay = session.get(BenefitPayment, payment_id)
    if pay is None:
        raise _not_found("Payment")
    try:
        queries.scoped_person(session, principal.scope, pay.person_id)
        new = retry(session, payment_id, actor=principal.username, day=date.today())
    except queries.NotFound:
        raise _not_found("Payment") from None
    except PaymentError as exc:
        session.rollback()
        return RedirectResponse(
            f"/benefits/beneficiaries/{pay.person_id}?error={_q(str(exc))}", status_code=303
        )
    return RedirectResponse(f"/benefits/payroll/{new.run_id}?notice=retried", status_code=303)


# --- non-cash share ---------------------------------------------------------------------------------


@router.get("/benefits/noncash", response_class=HTMLResponse, include_in_schema=False)
def noncash_page(
    request: Request,
    session: SessionDep,
    engine: EngineDep,
    principal: Reader,
    period: Annotated[str | None, Query(max_length=7)] = None,
) -> HTMLResponse:
    last = session.scalar(select(PayrollRun.period).order_by(PayrollRun.period.desc()).limit(1))
    try:
        chosen = Period.parse(period or last or str(Period.of(date.today())))
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    first = str(Period.from_index(chosen.index - 11))
    table = noncash_share_by_commune(engine, first, str(chosen)).to_pylist()
    commune = principal.scope.commune_code
    if commune:
        table = [r for r in table if r["commune_code"] == commune]
    months: dict[str, list[int]] = {}
    for r in table:
        m = months.setdefault(r["period"], [0, 0])
        m[0] += r["payments"]
        m[1] += r["noncash_payments"]
    by_commune = [r for r in table if r["period"] == str(chosen)]
    names: dict[str, str] = {code: name for code, name in session.execute(select(Commune.code, Commune.name))}
    cash = cash_recipients(engine, chosen.first_day, commune, limit=300).to_pylist()
    goal = get_parameters().records("target_ha_tinh_non_cash_payments", chosen.first_day)[0]
    target = {"year": int(goal["year"]), "percent": float(goal["target"]) * 100}
    return render(
        request,
        "benefits/noncash.html",
        _ctx(
            period=str(chosen),
            months=sorted(months.items()),
            rows=by_commune,
            names=names,
            cash=cash,
            target=target,
        ),
    )


# --- API ---------------------------------------------------------------------------------------------


@api.get("/cases")
def api_cases(
    session: SessionDep,
    principal: Reader,
    status: str | None = None,
    kind: str | None = None,
    overdue: bool = False,
) -> list[dict[str, Any]]:
    """Cases in the caller's area (most urgent first)."""
    rows = queries.case_list(
        session, principal.scope, date.today(), status=status, kind=kind, overdue=overdue
    )
    return [
        {
            "id": r.id,
            "reference": r.reference,
            "person_id": r.person_id,
            "kind": r.kind,
            "status": r.status,
            "received_on": r.received_on.isoformat(),
            "due_on": r.due_on.isoformat(),
            "amount": r.amount,
            "overdue": r.overdue,
        }
        for r in rows
    ]


@api.get("/cases/{case_id}")
def api_case(request: Request, session: SessionDep, principal: Reader, case_id: RecordId) -> dict[str, Any]:
    """One case with its draft decision: checks, steps and legal basis."""
    case, _person = _case(session, principal, case_id)
    record_view(request, session, principal, "benefit_case", case_id, "api")
    return {
        "id": case.id,
        "reference": case.reference,
        "person_id": case.person_id,
        "kind": case.kind,
        "status": case.status,
        "received_on": case.received_on.isoformat(),
        "due_on": case.due_on.isoformat(),
        "decided_on": case.decided_on.isoformat() if case.decided_on else None,
        "amount": case.amount,
        "monthly_amount": case.monthly_amount,
        "counselling_outcome": case.counselling_outcome,
        "version": case.version,
        "draft": queries.explanation(case),
    }


@api.post("/cases/{case_id}/approve")
def api_approve(
    session: SessionDep, principal: Writer, case_id: RecordId, version: VersionQuery | None = None
) -> dict[str, Any]:
    """Approve a drafted case (409 if someone else decided it first)."""
    _case(session, principal, case_id)
    try:
        outcome = approve(session, case_id, actor=principal.username, version=version)
    except CaseConflict as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    except CaseError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return {"id": case_id, "outcome": outcome}


@api.get("/noncash")
def api_noncash(
    engine: EngineDep, principal: Reader, period_from: str, period_to: str
) -> list[dict[str, Any]]:
    """Payments and the non-cash part by commune and month."""
    try:
        rows: list[dict[str, Any]] = noncash_share_by_commune(engine, period_from, period_to).to_pylist()
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    if principal.scope.commune_code:
        rows = [r for r in rows if r["commune_code"] == principal.scope.commune_code]
    return rows
