"""The periodic coverage report (báo cáo định kỳ) for the provincial Party Committee or People's
Committee: indicators against targets by year, the commune ranking, arrears and the debt ratio,
one-time withdrawals, the non-cash share, charts, and a short generated summary of what improved
and what lags. As .xlsx (openpyxl) and PDF (fpdf2 with DejaVu, for the Vietnamese diacritics), in
Vietnamese (default) or English.

    $ ansinh report coverage --period 2026-06

The figures are those of the snapshot (``ansinh coverage compute``); the projection in the report
is refitted on the months up to the report's period (:mod:`ansinh.coverage.projection`), so a
report for June says what was known in June.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ansinh.core.scope import AreaScope
from ansinh.core.spreadsheet import save_workbook
from ansinh.coverage import queries
from ansinh.coverage.definitions import HEADLINE, INDICATORS
from ansinh.coverage.projection import MODEL, ProjectionResult, project
from ansinh.coverage.targets import governing, targets
from ansinh.law.periods import Period

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
STATUS = {
    "on_track": ("on track", "đạt tiến độ"),
    "at_risk": ("at risk", "có nguy cơ không đạt"),
    "off_track": ("off track", "không đạt tiến độ"),
    "no_data": ("no target / no data", "chưa có chỉ tiêu / dữ liệu"),
}
TEXT = {
    "title": (
        "COVERAGE REPORT: SOCIAL, HEALTH AND UNEMPLOYMENT INSURANCE",
        "BÁO CÁO KẾT QUẢ PHÁT TRIỂN NGƯỜI THAM GIA BHXH, BHYT, BHTN",
    ),
    "period": ("Period", "Kỳ báo cáo"),
    "summary": ("Summary", "Tóm tắt"),
    "targets": ("Indicators against targets", "Các chỉ tiêu so với mục tiêu"),
    "by_year": ("Targets by year", "Mục tiêu theo năm"),
    "ranking": (
        "Commune ranking: SI participants, share of the labour force",
        "Xếp hạng xã: tỷ lệ tham gia BHXH so với lực lượng lao động",
    ),
    "arrears": ("Arrears and debt ratio", "Nợ đóng và tỷ lệ nợ"),
    "one_time": ("One-time withdrawals", "Hưởng BHXH một lần"),
    "non_cash": ("Benefit payments without cash", "Chi trả không dùng tiền mặt"),
    "no_data": (
        "No data: the benefits tables are not there yet.",
        "Chưa có dữ liệu: chưa có bảng dữ liệu chế độ.",
    ),
    "indicator": ("Indicator", "Chỉ tiêu"),
    "value": ("Value", "Kết quả"),
    "target": ("Target", "Mục tiêu"),
    "projection": ("Projection (80% band)", "Dự báo (khoảng 80%)"),
    "status": ("Status", "Đánh giá"),
    "needed": ("Net monthly additions needed", "Cần tăng thuần mỗi tháng"),
    "commune": ("Commune", "Xã/phường"),
    "rank": ("Rank", "Hạng"),
    "growth": ("Net growth", "Tăng thuần"),
    "month": ("Month", "Tháng"),
    "source": ("Source", "Nguồn"),
    "year": ("Year", "Năm"),
    "met": ("met", "đạt"),
    "not_met": ("not met", "không đạt"),
    "model": ("Projection model", "Mô hình dự báo"),
    "chart": (
        "SI participants (share of the labour force) and HI (share of the population), by month",
        "Tỷ lệ tham gia BHXH (so với LLLĐ) và BHYT (so với dân số) theo tháng",
    ),
}


def t(key: str, locale: str) -> str:
    en, vi = TEXT[key]
    return vi if locale == "vi" else en


SHORT = {
    "si_participants": ("SI (compulsory + voluntary) / labour force", "BHXH (bắt buộc + tự nguyện) / LLLĐ"),
    "si_compulsory": ("Compulsory SI / labour force", "BHXH bắt buộc / LLLĐ"),
    "si_voluntary": ("Voluntary SI / labour force", "BHXH tự nguyện / LLLĐ"),
    "si_working_age": ("SI / working-age population", "BHXH / dân số trong tuổi lao động"),
    "ui": ("UI / labour force", "BHTN / LLLĐ"),
    "hi": ("HI / population", "BHYT / dân số"),
    "pension": ("Pension or benefit / past retirement age", "Hưởng lương hưu, trợ cấp / sau tuổi nghỉ hưu"),
    "debt_ratio": ("Debt ratio", "Tỷ lệ nợ"),
    "non_cash": ("Non-cash benefit payments", "Chi trả không dùng tiền mặt"),
}


def short_of(code: str, locale: str) -> str:
    en, vi = SHORT.get(code, (INDICATORS[code].name, INDICATORS[code].name_vi))
    return vi if locale == "vi" else en


def name_of(code: str, locale: str) -> str:
    i = INDICATORS[code]
    return i.name_vi if locale == "vi" else i.name


def pct(value: float | None, locale: str = "vi", digits: int = 1) -> str:
    if value is None:
        return "—"
    text = f"{100 * value:.{digits}f}%"
    return text.replace(".", ",") if locale == "vi" else text


def num(value: int | None, locale: str = "vi") -> str:
    if value is None:
        return "—"
    text = f"{value:,}"
    return text.replace(",", ".") if locale == "vi" else text


@dataclass
class ReportLine:
    indicator: str
    value: float | None
    numerator: int | None
    denominator: int | None
    year_ago: float | None
    projection: ProjectionResult
    target: float | None
    target_year: int | None
    target_source: str | None
    direction: str


@dataclass
class CoverageReport:
    province: str
    province_name: str
    period: str
    generated: date
    lines: list[ReportLine]
    by_year: list[queries.YearRow]
    ranking: list[queries.RankRow]
    monthly: dict[str, list[tuple[str, int, int | None, float | None]]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def summary(self, locale: str = "vi") -> list[str]:
        """What improved and what lags, in a few sentences generated from the figures."""
        vi = locale == "vi"
        out = []
        improved, lagging = [], []
        for line in self.lines:
            if line.value is None:
                continue
            if line.year_ago is not None:
                delta = line.value - line.year_ago
                better = delta < 0 if line.direction == "max" else delta > 0
                if abs(delta) >= 0.0005 and better:
                    improved.append(
                        f"{name_of(line.indicator, locale)} ({pct(line.year_ago, locale)} → "
                        f"{pct(line.value, locale)})"
                    )
            if line.projection.status in ("off_track", "at_risk") and line.target is not None:
                lagging.append(
                    f"{name_of(line.indicator, locale)}: {pct(line.value, locale)}, "
                    + (
                        f"mục tiêu {pct(line.target, locale)} năm {line.target_year}, dự báo "
                        f"{pct(line.projection.projected, locale)}"
                        if vi
                        else f"target {pct(line.target, locale)} by {line.target_year}, projected "
                        f"{pct(line.projection.projected, locale)}"
                    )
                    + (f" ({STATUS[line.projection.status][1 if vi else 0]})")
                )
        if improved:
            out.append(
                ("Cải thiện so với cùng kỳ năm trước: " if vi else "Improved on a year earlier: ")
                + "; ".join(improved)
                + "."
            )
        else:
            out.append(
                "Không chỉ tiêu nào cải thiện so với cùng kỳ năm trước."
                if vi
                else "No indicator improved on a year earlier."
            )
        if lagging:
            out.append(
                ("Chậm so với mục tiêu: " if vi else "Lagging behind the targets: ")
                + "; ".join(lagging)
                + "."
            )
        if self.ranking:
            top = ", ".join(f"{r.name} ({pct(r.value, locale)})" for r in self.ranking[:3])
            bottom = ", ".join(f"{r.name} ({pct(r.value, locale)})" for r in self.ranking[-3:][::-1])
            out.append(
                f"Xã dẫn đầu về tỷ lệ tham gia BHXH: {top}. Xã thấp nhất: {bottom}."
                if vi
                else f"Communes leading in SI coverage: {top}. Lowest: {bottom}."
            )
        for line in self.lines:
            if (
                line.projection.needed_per_month
                and line.direction == "min"
                and line.projection.status != "on_track"
            ):
                out.append(
                    f"Để đạt mục tiêu {name_of(line.indicator, locale)} năm {line.target_year} cần "
                    "tăng thuần "
                    f"{num(line.projection.needed_per_month, locale)} người mỗi tháng."
                    if vi
                    else f"Reaching the {line.target_year} target for {name_of(line.indicator, locale)} "
                    "needs a net "
                    f"{num(line.projection.needed_per_month, locale)} more people each month."
                )
        if self.missing:
            out.append(t("no_data", locale))
        return out


def build_report(session: Session, province: str, period: str) -> CoverageReport:
    """The report's figures for the month ``period`` (YYYY-MM)."""
    m = Period.parse(period)
    at = m.first_day
    all_targets = targets(province, at)
    codes = (*HEADLINE, "arrears", "one_time", "new_participants", "lost_participants", "net_growth")
    history = queries.series(session, province, codes, months=600)
    lines = []
    for code in HEADLINE:
        values = [v for v in history[code] if v.period <= period]
        if not values:
            lines.append(
                ReportLine(code, None, None, None, None, ProjectionResult("no_data"), None, None, None, "min")
            )
            continue
        last = values[-1]
        ago = next((v.value for v in values if v.period == str(Period.from_index(m.index - 12))), None)
        target = governing(all_targets, code, m.year)
        direction = "max" if INDICATORS[code].kind == "ratio_max" else "min"
        result = project(
            [Period.parse(v.period).index for v in values[-36:]],
            [v.value for v in values[-36:]],  # type: ignore[misc]
            target.year if target else None,
            float(target.value) if target else None,
            direction,
            numerator=last.numerator,
            denominator=last.denominator,
        )
        lines.append(
            ReportLine(
                code,
                last.value,
                last.numerator,
                last.denominator,
                ago,
                result,
                float(target.value) if target else None,
                target.year if target else None,
                target.source if target else None,
                direction,
            )
        )
    monthly = {
        code: [(v.period, v.numerator, v.denominator, v.value) for v in history[code] if v.period <= period][
            -36:
        ]
        for code in codes
    }
    missing = [c for c in ("one_time", "non_cash") if not monthly.get(c)]
    return CoverageReport(
        province,
        queries.area_name(session, province) or province,
        period,
        date.today(),
        lines,
        queries.against_targets(session, province, province, at),
        queries.ranking(session, AreaScope(province), "si_participants", period),
        monthly,
        missing,
    )


# --- .xlsx ------------------------------------------------------------------------------------


def report_xlsx(report: CoverageReport, locale: str = "vi") -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tom tat" if locale == "vi" else "Summary"
    ws.append([t("title", locale)])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"{report.province_name} — {t('period', locale)}: {report.period}"])
    ws.append([])
    for sentence in report.summary(locale):
        ws.append([sentence])
    ws.column_dimensions["A"].width = 160

    ws = wb.create_sheet("Chi tieu" if locale == "vi" else "Indicators")
    head = [
        t("indicator", locale),
        t("value", locale),
        "Tử số" if locale == "vi" else "Numerator",
        "Mẫu số" if locale == "vi" else "Denominator",
        t("target", locale),
        t("year", locale),
        t("projection", locale),
        t("status", locale),
        t("needed", locale),
        t("source", locale),
    ]
    ws.append(head)
    for c in ws[1]:
        c.font = Font(bold=True)
    for line in report.lines:
        p = line.projection
        ws.append(
            [
                name_of(line.indicator, locale),
                line.value,
                line.numerator,
                line.denominator,
                line.target,
                line.target_year,
                f"{pct(p.projected, locale)} ({pct(p.lower, locale)} – {pct(p.upper, locale)})"
                if p.projected is not None
                else "—",
                STATUS[p.status][1 if locale == "vi" else 0],
                p.needed_per_month,
                line.target_source,
            ]
        )
        ws.cell(ws.max_row, 2).number_format = "0.00%"
        ws.cell(ws.max_row, 5).number_format = "0.0%"
    ws.append([])
    ws.append([t("model", locale), MODEL])
    for letter, width in zip("ABCDEFGHIJ", (58, 10, 12, 12, 10, 8, 26, 22, 14, 60), strict=True):
        ws.column_dimensions[letter].width = width

    ws = wb.create_sheet("Theo nam" if locale == "vi" else "By year")
    ws.append(
        [
            t("indicator", locale),
            t("year", locale),
            t("value", locale),
            t("target", locale),
            t("status", locale),
            t("source", locale),
        ]
    )
    for c in ws[1]:
        c.font = Font(bold=True)
    for yr in report.by_year:
        for tg in yr.targets:
            met = yr.met(tg)
            ws.append(
                [
                    name_of(yr.indicator, locale),
                    yr.year,
                    yr.value,
                    float(tg.value),
                    "—" if met is None else t("met" if met else "not_met", locale),
                    tg.source,
                ]
            )
            ws.cell(ws.max_row, 3).number_format = "0.00%"
            ws.cell(ws.max_row, 4).number_format = "0.0%"
    ws.column_dimensions["A"].width = 58
    ws.column_dimensions["F"].width = 70

    ws = wb.create_sheet("Xep hang xa" if locale == "vi" else "Communes")
    ws.append(
        [
            t("rank", locale),
            "Mã" if locale == "vi" else "Code",
            t("commune", locale),
            t("value", locale),
            "Tử số" if locale == "vi" else "Numerator",
            "Mẫu số" if locale == "vi" else "Denominator",
            t("growth", locale),
            t("status", locale),
        ]
    )
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in report.ranking:
        ws.append(
            [
                r.rank,
                r.commune_code,
                r.name,
                r.value,
                r.numerator,
                r.denominator,
                r.net_growth,
                STATUS[r.status][1 if locale == "vi" else 0],
            ]
        )
        ws.cell(ws.max_row, 4).number_format = "0.00%"
    ws.column_dimensions["C"].width = 30

    ws = wb.create_sheet("Theo thang" if locale == "vi" else "Monthly")
    codes = [
        c
        for c in ("si_participants", "hi", "ui", "si_voluntary", "pension", "debt_ratio", "non_cash")
        if report.monthly.get(c)
    ]
    ws.append(
        [t("month", locale)]
        + [name_of(c, locale) for c in codes]
        + [
            name_of(c, locale)
            for c in ("arrears", "one_time", "new_participants", "lost_participants", "net_growth")
        ]
    )
    periods = sorted({p for c in report.monthly for (p, *_rest) in report.monthly[c]})
    index = {c: {p: (n, d, v) for p, n, d, v in report.monthly.get(c, [])} for c in report.monthly}
    for month in periods:
        row: list[Any] = [month]
        row += [index[c].get(month, (None, None, None))[2] for c in codes]
        row += [
            index.get(c, {}).get(month, (None, None, None))[0]
            for c in ("arrears", "one_time", "new_participants", "lost_participants", "net_growth")
        ]
        ws.append(row)
        for j in range(2, 2 + len(codes)):
            ws.cell(ws.max_row, j).number_format = "0.00%"
    if periods:
        chart = LineChart()
        chart.title = t("chart", locale)
        chart.height, chart.width = 9, 22
        data = Reference(ws, min_col=2, max_col=1 + min(2, len(codes)), min_row=1, max_row=1 + len(periods))
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + len(periods)))
        ws.add_chart(chart, "N2")
    buf = io.BytesIO()
    save_workbook(wb, buf)  # a cell that starts like a formula stays text
    return buf.getvalue()


# --- PDF --------------------------------------------------------------------------------------


def report_pdf(report: CoverageReport, locale: str = "vi") -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 7, t("title", locale), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(
        0,
        6,
        f"{report.province_name} — {t('period', locale)}: {report.period} — "
        f"{report.generated.strftime('%d/%m/%Y')}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _heading(pdf, "I. " + t("summary", locale))
    pdf.set_font("DejaVu", "", 9.5)
    for sentence in report.summary(locale):
        pdf.multi_cell(0, 5, "• " + sentence, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.5)
    _heading(pdf, "II. " + t("targets", locale))
    widths = (60, 16, 28, 46, 40)
    _row(
        pdf,
        widths,
        [
            t("indicator", locale),
            t("value", locale),
            t("target", locale),
            t("projection", locale),
            t("status", locale),
        ],
        bold=True,
    )
    for line in report.lines:
        p = line.projection
        target = (
            ("≤ " if line.direction == "max" else "≥ ") + pct(line.target, locale) + f" ({line.target_year})"
            if line.target is not None
            else "—"
        )
        proj = (
            f"{pct(p.projected, locale)} ({pct(p.lower, locale)}–{pct(p.upper, locale)})"
            if p.projected is not None
            else "—"
        )
        _row(
            pdf,
            widths,
            [
                short_of(line.indicator, locale),
                pct(line.value, locale, 2),
                target,
                proj,
                STATUS[p.status][1 if locale == "vi" else 0],
            ],
            status=p.status,
        )
    pdf.set_font("DejaVu", "", 7)
    pdf.multi_cell(0, 4, f"{t('model', locale)}: {MODEL}.")
    pdf.ln(1)
    _chart(pdf, report, locale)
    _heading(pdf, "III. " + t("by_year", locale))
    widths2 = (78, 14, 22, 22, 34)
    _row(
        pdf,
        widths2,
        [
            t("indicator", locale),
            t("year", locale),
            t("value", locale),
            t("target", locale),
            t("status", locale),
        ],
        bold=True,
    )
    for yr in report.by_year:
        for tg in yr.targets:
            met = yr.met(tg)
            _row(
                pdf,
                widths2,
                [
                    short_of(yr.indicator, locale),
                    str(yr.year),
                    pct(yr.value, locale, 2),
                    ("≤ " if tg.direction == "max" else "≥ ") + pct(float(tg.value), locale),
                    ("—" if met is None else t("met" if met else "not_met", locale))
                    + ("" if tg.national else " *"),
                ],
            )
    pdf.set_font("DejaVu", "", 7)
    pdf.multi_cell(0, 4, "* " + ("mục tiêu của tỉnh" if locale == "vi" else "the province's own goal"))
    _heading(pdf, "IV. " + t("ranking", locale))
    widths3 = (12, 64, 24, 28, 24, 18)
    _row(
        pdf,
        widths3,
        [
            t("rank", locale),
            t("commune", locale),
            t("value", locale),
            "Người tham gia" if locale == "vi" else "Participants",
            "LLLĐ" if locale == "vi" else "Labour force",
            t("growth", locale),
        ],
        bold=True,
    )
    shown = report.ranking if len(report.ranking) <= 24 else report.ranking[:12] + report.ranking[-12:]
    for r in shown:
        _row(
            pdf,
            widths3,
            [
                str(r.rank),
                r.name,
                pct(r.value, locale, 2),
                num(r.numerator, locale),
                num(r.denominator, locale),
                num(r.net_growth, locale),
            ],
        )
    _heading(pdf, "V. " + t("arrears", locale))
    widths4 = (30, 55, 40)
    debt = {p: (n, d, v) for p, n, d, v in report.monthly.get("debt_ratio", [])}
    if debt:
        _row(
            pdf,
            widths4,
            [
                t("month", locale),
                "Nợ quá hạn (đồng)" if locale == "vi" else "Arrears (đồng)",
                "Tỷ lệ nợ" if locale == "vi" else "Debt ratio",
            ],
            bold=True,
        )
        for month in sorted(debt)[-6:]:
            n, _d, v = debt[month]
            _row(pdf, widths4, [month, num(n, locale), pct(v, locale, 2)])
    else:
        pdf.multi_cell(0, 5, "—")
    _heading(pdf, "VI. " + t("one_time", locale) + " / " + t("non_cash", locale))
    one = report.monthly.get("one_time", [])
    cash = {p: v for p, _n, _d, v in report.monthly.get("non_cash", [])}
    if not one and not cash:
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(0, 5, t("no_data", locale))
    else:
        _row(pdf, widths4, [t("month", locale), t("one_time", locale), t("non_cash", locale)], bold=True)
        for month, n, _d, _v in one[-6:]:
            _row(pdf, widths4, [month, num(n, locale), pct(cash.get(month), locale, 1)])
    out = pdf.output()
    return bytes(out)


def _heading(pdf: Any, text: str) -> None:
    if pdf.will_page_break(24):
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)


COLOURS = {"on_track": (21, 128, 61), "at_risk": (180, 83, 9), "off_track": (185, 28, 28)}


def _row(
    pdf: Any, widths: tuple[int, ...], cells: list[str], bold: bool = False, status: str | None = None
) -> None:
    pdf.set_font("DejaVu", "B" if bold else "", 8.5)
    if pdf.will_page_break(6):
        pdf.add_page()
    for i, (w, text) in enumerate(zip(widths, cells, strict=True)):
        if status in COLOURS and i == len(cells) - 1:
            pdf.set_text_color(*COLOURS[status])
        while len(text) > 3 and pdf.get_string_width(text) > w - 2:
            text = text[:-2] + "…"
        pdf.cell(w, 6, text, border=1, align="L" if i == 0 or not text.lstrip("-")[:1].isdigit() else "R")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(6)


def _chart(pdf: Any, report: CoverageReport, locale: str) -> None:
    """Line chart of SI and HI coverage by month, with their target lines (drawn with fpdf)."""
    series = {
        c: [(p, v) for p, _n, _d, v in report.monthly.get(c, []) if v is not None]
        for c in ("si_participants", "hi")
    }
    points = [v for s in series.values() for _p, v in s]
    if not points:
        return
    if pdf.will_page_break(70):
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(0, 6, t("chart", locale), new_x="LMARGIN", new_y="NEXT")
    x0, y0, w, h = pdf.get_x() + 12, pdf.get_y() + 2, 170, 55
    targets_ = [ln.target for ln in report.lines if ln.indicator in series and ln.target is not None]
    top = min(1.0, max(points + targets_) * 1.08)
    bottom = max(0.0, min(points) * 0.9)
    if top - bottom < 0.05:
        top = bottom + 0.05
    pdf.set_draw_color(200, 200, 200)
    pdf.set_font("DejaVu", "", 7)
    for i in range(5):
        v = bottom + (top - bottom) * i / 4
        y = y0 + h - h * i / 4
        pdf.line(x0, y, x0 + w, y)
        pdf.text(x0 - 11, y + 1, pct(v, locale, 0))
    colours = {"si_participants": (29, 78, 216), "hi": (21, 128, 61)}
    n = max(len(s) for s in series.values())
    for code, s in series.items():
        if not s:
            continue
        pdf.set_draw_color(*colours[code])
        pdf.set_line_width(0.6)
        coords = [
            (x0 + w * i / max(n - 1, 1), y0 + h - h * (v - bottom) / (top - bottom))
            for i, (_p, v) in enumerate(s)
        ]
        for (xa, ya), (xb, yb) in itertools.pairwise(coords):
            pdf.line(xa, ya, xb, yb)
        line = next((ln for ln in report.lines if ln.indicator == code), None)
        if line is not None and line.target is not None and bottom <= line.target <= top:
            y = y0 + h - h * (line.target - bottom) / (top - bottom)
            pdf.set_line_width(0.3)
            pdf.set_dash_pattern(dash=1.5, gap=1.2)
            pdf.line(x0, y, x0 + w, y)
            pdf.set_dash_pattern()
            pdf.set_text_color(*colours[code])
            pdf.text(
                x0 + w - 40,
                y - 1,
                f"{t('target', locale)} {pct(line.target, locale, 0)} ({line.target_year})",
            )
            pdf.set_text_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    periods = [p for p, _v in max(series.values(), key=len)]
    for i, p in enumerate(periods):
        if i % 6 == 0:
            pdf.text(x0 + w * i / max(n - 1, 1) - 4, y0 + h + 4, p[2:].replace("-", "/"))
    pdf.set_y(y0 + h + 6)
    pdf.set_font("DejaVu", "", 7.5)
    for code, colour in colours.items():
        pdf.set_text_color(*colour)
        pdf.cell(80, 4, "— " + short_of(code, locale))
    pdf.set_text_color(0, 0, 0)
    pdf.ln(6)
