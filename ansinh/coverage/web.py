"""Coverage pages and API: the director's dashboard, an area's page, the people behind a number,
indicator definitions, outreach lists (with .xlsx export, campaigns and contact outcomes), the
conversion report and the leadership report (HTML, .xlsx, PDF).

Everyone reads coverage (``coverage:read``) within their area: a commune officer sees their commune
only, and another commune is "not found" (404). Recording outreach needs ``outreach:write``
(commune officers). Pages read the precomputed snapshot (``ansinh coverage compute``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ansinh.core.auth import Principal
from ansinh.core.scope import AreaScope, NotFound
from ansinh.coverage import outreach, queries
from ansinh.coverage.definitions import DENOMINATORS, HEADLINE, INDICATORS
from ansinh.coverage.models import LIST_KINDS, OUTCOMES
from ansinh.coverage.projection import MODEL
from ansinh.coverage.targets import targets
from ansinh.law.periods import Period
from ansinh.web.deps import EngineDep, RecordIdForm, SessionDep, require
from ansinh.web.domains import NavItem
from ansinh.web.security import record_view


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    from ansinh.web.render import render as render_page

    return render_page(request, template, context, status_code)


router = APIRouter()
api = APIRouter(prefix="/api/v1/coverage", tags=["coverage"])

NAV = [NavItem("/coverage", "Coverage", "coverage:read")]

Reader = Annotated[Principal, Depends(require("coverage:read"))]
Writer = Annotated[Principal, Depends(require("outreach:write"))]
STATUS_CLASS = {"on_track": "ok", "at_risk": "warn", "off_track": "bad", "no_data": ""}
STATUS_LABEL = {
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "no_data": "no target",
}
CHART_CODES = (
    "si_participants",
    "si_voluntary",
    "si_working_age",
    "ui",
    "hi",
    "pension",
    "debt_ratio",
    "non_cash",
)


def _area(session: Session, scope: AreaScope, code: str) -> str:
    try:
        return queries.check_area(session, scope, code)
    except NotFound:
        raise HTTPException(status_code=404, detail="Area not found") from None


def trend_chart(values: list[tuple[str, float | None]], row: queries.HeadlineRow | None) -> dict[str, Any]:
    """Server-drawn SVG geometry: the monthly values, the target line and the projection band to
    December of the target year."""
    width, height, left, right, top, bottom = 360, 170, 40, 8, 10, 22
    pts = [(p, v) for p, v in values if v is not None]
    if not pts:
        return {"empty": True, "width": width, "height": height}
    first = Period.parse(pts[0][0]).index
    path = row.path if row is not None else []
    last = (
        max(Period.parse(pts[-1][0]).index, *(Period.parse(str(p[0])).index for p in path))
        if path
        else (Period.parse(pts[-1][0]).index)
    )
    ys = [v for _p, v in pts] + [float(x) for p in path for x in p[1:]]
    if row is not None and row.target is not None:
        ys.append(row.target)
    lo, hi = min(ys), max(ys)
    pad = max((hi - lo) * 0.12, 0.005)
    lo, hi = max(lo - pad, 0.0), hi + pad
    span = max(last - first, 1)

    def x(period: str) -> float:
        return round(left + (width - left - right) * (Period.parse(period).index - first) / span, 1)

    def y(value: float) -> float:
        return round(top + (height - top - bottom) * (1 - (value - lo) / (hi - lo)), 1)

    out: dict[str, Any] = {
        "empty": False,
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "bottom": height - bottom,
        "points": " ".join(f"{x(p)},{y(v)}" for p, v in pts),
        "ticks": [{"y": y(lo + (hi - lo) * i / 4), "label": lo + (hi - lo) * i / 4} for i in range(5)],
        "xlabels": [
            {"x": x(f"{yr}-01"), "label": str(yr)}
            for yr in range(first // 12 + (1 if first % 12 else 0), last // 12 + 1)
        ],
    }
    if path:
        upper = " ".join(f"{x(str(p[0]))},{y(float(p[3]))}" for p in path)
        lower = " ".join(f"{x(str(p[0]))},{y(float(p[2]))}" for p in reversed(path))
        out["band"] = f"{upper} {lower}"
        out["mean"] = " ".join(f"{x(str(p[0]))},{y(float(p[1]))}" for p in path)
    if row is not None and row.target is not None:
        out["target_y"] = y(row.target)
    return out


def _charts(session: Session, area: str, rows: list[queries.HeadlineRow]) -> dict[str, dict[str, Any]]:
    history = queries.series(session, area, CHART_CODES)
    by_code = {r.indicator: r for r in rows}
    return {
        code: trend_chart([(v.period, v.value) for v in history[code]], by_code.get(code))
        for code in CHART_CODES
    }


def _area_context(session: Session, principal: Principal, code: str, indicator: str) -> dict[str, Any]:
    name = _area(session, principal.scope, code)
    rows = queries.headline(session, code)
    period = rows[0].period if rows and rows[0].period else queries.latest_period(session, code)
    is_province = len(code) == 2
    ranking = queries.ranking(session, principal.scope, indicator, period) if is_province else []
    flows = queries.series(session, code, ("new_participants", "lost_participants", "net_growth"), 12)
    run = queries.last_run(session)
    return {
        "area": code,
        "area_name": name,
        "is_province": is_province,
        "rows": rows,
        "period": period,
        "charts": _charts(session, code, rows),
        "ranking": ranking,
        "indicator": indicator,
        "indicators": INDICATORS,
        "headline": HEADLINE,
        "flows": flows,
        "run": run,
        "status_class": STATUS_CLASS,
        "status_label": STATUS_LABEL,
        "people_codes": tuple(queries.PEOPLE_SCHEMES),
    }


def panel(session: Session, principal: Principal) -> dict[str, Any] | None:
    """The home page's coverage panel (headline figures of the user's area), or None."""
    if not principal.can("coverage:read"):
        return None
    code = principal.scope.area_code
    rows = queries.headline(session, code)
    if not any(r.value is not None for r in rows):
        return None
    return {
        "area": code,
        "rows": rows,
        "status_class": STATUS_CLASS,
        "status_label": STATUS_LABEL,
        "indicators": INDICATORS,
    }


STYLESHEET = Path(__file__).parent / "static" / "coverage.css"


@router.get("/coverage/coverage.css", include_in_schema=False)
def stylesheet(principal: Reader) -> Response:
    """The pages' few extra styles (a file: the content security policy allows no inline style)."""
    return Response(
        STYLESHEET.read_text(encoding="utf-8"),
        media_type="text/css",
        headers={"Cache-Control": "private, max-age=3600"},
    )


@router.get("/coverage", response_class=HTMLResponse, include_in_schema=False)
def dashboard(
    request: Request,
    session: SessionDep,
    principal: Reader,
    indicator: Annotated[str, Query(max_length=32)] = "si_participants",
) -> HTMLResponse:
    if indicator not in INDICATORS:
        raise HTTPException(status_code=404)
    context = _area_context(session, principal, principal.scope.area_code, indicator)
    return render(request, "coverage/dashboard.html", context)


@router.get("/coverage/areas/{code}", response_class=HTMLResponse, include_in_schema=False)
def area_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    code: str,
    indicator: Annotated[str, Query(max_length=32)] = "si_participants",
) -> HTMLResponse:
    if indicator not in INDICATORS:
        raise HTTPException(status_code=404)
    return render(request, "coverage/dashboard.html", _area_context(session, principal, code, indicator))


@router.get("/coverage/areas/{code}/people", response_class=HTMLResponse, include_in_schema=False)
def people_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    code: str,
    indicator: Annotated[str, Query(max_length=32)] = "si_participants",
    period: Annotated[str | None, Query(max_length=7)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    name = _area(session, principal.scope, code)
    if len(code) != 5 or indicator not in queries.PEOPLE_SCHEMES:
        raise HTTPException(status_code=404)
    period = period or queries.latest_period(session, code) or str(Period.of(date.today()))
    try:
        Period.parse(period)
    except ValueError:
        raise HTTPException(status_code=422, detail="period must be YYYY-MM") from None
    size = 100
    total, rows = queries.people_behind(
        session, principal.scope, code, indicator, period, limit=size, offset=(page - 1) * size
    )
    record_view(request, session, principal, "coverage_people", int(code), f"{indicator} {period}")
    return render(
        request,
        "coverage/people.html",
        {
            "area": code,
            "area_name": name,
            "indicator": INDICATORS[indicator],
            "period": period,
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // size)),
        },
    )


@router.get("/coverage/indicators", response_class=HTMLResponse, include_in_schema=False)
def indicators_page(request: Request, principal: Reader) -> HTMLResponse:
    return render(
        request, "coverage/indicators.html", {"indicators": INDICATORS, "denominators": DENOMINATORS}
    )


@router.get("/coverage/indicators/{code}", response_class=HTMLResponse, include_in_schema=False)
def indicator_page(request: Request, session: SessionDep, principal: Reader, code: str) -> HTMLResponse:
    if code not in INDICATORS:
        raise HTTPException(status_code=404)
    area = principal.scope.area_code
    values = queries.series(session, area, (code,))[code]
    rows = {r.indicator: r for r in queries.headline(session, area)}
    all_targets = [t for t in targets(principal.scope.province_code, date.today()) if t.indicator == code]
    return render(
        request,
        "coverage/indicator.html",
        {
            "i": INDICATORS[code],
            "denominators": DENOMINATORS,
            "values": values[::-1],
            "targets": all_targets,
            "row": rows.get(code),
            "model": MODEL,
            "area": area,
            "chart": trend_chart([(v.period, v.value) for v in values], rows.get(code)),
            "status_class": STATUS_CLASS,
            "status_label": STATUS_LABEL,
            "denominator_rows": queries.denominators(session, area),
        },
    )


# --- outreach ---------------------------------------------------------------------------------


def _commune_for(
    session: Session, principal: Principal, commune: str | None
) -> tuple[str | None, str | None]:
    code = principal.scope.commune_code or commune
    if not code:
        return None, None
    return code, _area(session, principal.scope, code)


@router.get("/coverage/outreach", response_class=HTMLResponse, include_in_schema=False)
def outreach_page(
    request: Request,
    engine: EngineDep,
    session: SessionDep,
    principal: Reader,
    commune: Annotated[str | None, Query(max_length=5)] = None,
    kind: Annotated[str, Query(alias="list", max_length=24)] = "voluntary_prospects",
    notice: str | None = None,
) -> HTMLResponse:
    if kind not in LIST_KINDS:
        raise HTTPException(status_code=404)
    code, name = _commune_for(session, principal, commune)
    communes = queries.ranking(session, principal.scope, "si_participants") if code is None else []
    lists = outreach.compute_lists(engine, code, date.today()) if code else {}
    if code:
        record_view(request, session, principal, "outreach_list", int(code), kind)
    return render(
        request,
        "coverage/outreach.html",
        {
            "commune": code,
            "commune_name": name,
            "kind": kind,
            "lists": lists,
            "list_labels": outreach.LIST_LABELS,
            "current": lists.get(kind),
            "reason_text": outreach.reason_text,
            "communes": communes,
            "campaigns": [c for c in outreach.campaigns(session, principal.scope) if c.list_kind == kind],
            "outcomes": OUTCOMES,
            "notice": notice,
            "today": date.today().isoformat(),
        },
    )


@router.get("/coverage/outreach.xlsx", include_in_schema=False)
def outreach_xlsx(
    request: Request,
    engine: EngineDep,
    session: SessionDep,
    principal: Reader,
    commune: Annotated[str | None, Query(max_length=5)] = None,
) -> Response:
    code, name = _commune_for(session, principal, commune)
    if code is None or name is None:
        raise HTTPException(status_code=404)
    lists = outreach.compute_lists(engine, code, date.today())
    record_view(request, session, principal, "outreach_list", int(code), "xlsx")
    from ansinh.web.render import locale_of

    return Response(
        outreach.lists_xlsx(lists, name, locale_of(request)),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="van-dong-{code}.xlsx"'},
    )


@router.post("/coverage/outreach/campaigns", include_in_schema=False)
def campaign_create(
    session: SessionDep,
    principal: Writer,
    name: Annotated[str, Form(max_length=120)],
    list_kind: Annotated[str, Form(max_length=24)],
    started_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        day = date.fromisoformat(started_on) if started_on else date.today()
        outreach.create_campaign(
            session, principal.scope, name=name, list_kind=list_kind, started_on=day, actor=principal.username
        )
    except (ValueError, outreach.OutreachError):
        return RedirectResponse(
            f"/coverage/outreach?list={list_kind}&notice=campaign_failed", status_code=303
        )
    return RedirectResponse(f"/coverage/outreach?list={list_kind}&notice=campaign_created", status_code=303)


@router.post("/coverage/outreach/contacts", include_in_schema=False)
def contact_record(
    session: SessionDep,
    principal: Writer,
    campaign_id: RecordIdForm,
    person_id: RecordIdForm,
    outcome: Annotated[str, Form(max_length=12)],
    list_kind: Annotated[str, Form(max_length=24)] = "voluntary_prospects",
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        outreach.record_contact(
            session,
            principal.scope,
            campaign_id=campaign_id,
            person_id=person_id,
            outcome=outcome,
            contacted_on=date.today(),
            actor=principal.username,
            note=note,
        )
    except NotFound:
        raise HTTPException(status_code=404, detail="Person not found") from None
    except outreach.OutreachError:
        return RedirectResponse(f"/coverage/outreach?list={list_kind}&notice=contact_failed", status_code=303)
    return RedirectResponse(f"/coverage/outreach?list={list_kind}&notice=contact_recorded", status_code=303)


@router.get("/coverage/outreach/conversion", response_class=HTMLResponse, include_in_schema=False)
def conversion_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    rows = outreach.conversion(session, principal.scope)
    return render(request, "coverage/conversion.html", {"rows": rows, "list_labels": outreach.LIST_LABELS})


# --- the leadership report ---------------------------------------------------------------------


def _report_period(session: Session, principal: Principal, period: str | None) -> str:
    chosen = period or queries.latest_period(session, principal.scope.province_code)
    if chosen is None:
        raise HTTPException(status_code=404, detail="No coverage figures yet")
    try:
        Period.parse(chosen)
    except ValueError:
        raise HTTPException(status_code=422, detail="period must be YYYY-MM") from None
    return chosen


@router.get("/coverage/report", response_class=HTMLResponse, include_in_schema=False)
def report_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    period: Annotated[str | None, Query(max_length=7)] = None,
) -> HTMLResponse:
    from ansinh.coverage.report import STATUS, build_report, name_of

    if not principal.scope.is_province:
        raise HTTPException(status_code=404)
    chosen = _report_period(session, principal, period)
    report = build_report(session, principal.scope.province_code, chosen)
    from ansinh.web.render import locale_of

    locale = locale_of(request)
    return render(
        request,
        "coverage/report.html",
        {
            "report": report,
            "summary": report.summary(locale),
            "status": STATUS,
            "name_of": name_of,
            "status_class": STATUS_CLASS,
            "model": MODEL,
        },
    )


@router.get("/coverage/report.{fmt}", include_in_schema=False)
def report_file(
    request: Request,
    session: SessionDep,
    principal: Reader,
    fmt: str,
    period: Annotated[str | None, Query(max_length=7)] = None,
    lang: Annotated[str | None, Query(max_length=2)] = None,
) -> Response:
    from ansinh.coverage.report import build_report, report_pdf, report_xlsx
    from ansinh.web.render import locale_of

    if fmt not in ("pdf", "xlsx") or not principal.scope.is_province:
        raise HTTPException(status_code=404)
    chosen = _report_period(session, principal, period)
    locale = lang if lang in ("vi", "en") else locale_of(request)
    report = build_report(session, principal.scope.province_code, chosen)
    name = f"bao-cao-bao-phu-{chosen}.{fmt}"
    if fmt == "pdf":
        return Response(
            report_pdf(report, locale),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )
    return Response(
        report_xlsx(report, locale),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- JSON API ------------------------------------------------------------------------------------


@api.get("/indicators")
def api_indicators(
    session: SessionDep, principal: Reader, area: Annotated[str | None, Query(max_length=5)] = None
) -> dict[str, Any]:
    """Headline indicators of an area (default: the caller's), with target, projection and status."""
    code = area or principal.scope.area_code
    _area(session, principal.scope, code)
    rows = queries.headline(session, code)
    return {
        "area": code,
        "model": MODEL,
        "indicators": [
            {
                "indicator": r.indicator,
                "period": r.period,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "value": r.value,
                "target": r.target,
                "target_year": r.target_year,
                "target_source": r.target_source,
                "projected": r.projected,
                "lower": r.lower,
                "upper": r.upper,
                "status": r.status,
                "needed_per_month": r.needed_per_month,
            }
            for r in rows
        ],
    }
