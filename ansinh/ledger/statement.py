"""Employer statement (thông báo kết quả đóng BHXH, BHYT, BHTN) and reminder letter (văn bản đôn đốc,
Law 41/2024/QH15 Art. 35) as .xlsx (openpyxl) and PDF (fpdf2 with the DejaVu font, so that Vietnamese
diacritics print).

Both read an :class:`~ansinh.ledger.queries.EmployerLedger`: months, amounts due, paid, open and
surcharge (posted, and accrued on what is still open), with the payment reference to quote.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from ansinh.core.money import format_dong
from ansinh.core.spreadsheet import save_workbook
from ansinh.ledger.payments import reference_of
from ansinh.ledger.queries import EmployerLedger

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
STATUS_VI = {
    "paid": "đã đóng",
    "due": "trong hạn",
    "late": "chậm đóng",
    "reminded": "đã đôn đốc",
    "evasion": "trốn đóng",
}
HEADINGS = ("Tháng", "Hạn đóng", "Phải đóng", "Đã đóng", "Còn nợ", "Lãi chậm đóng", "Tình trạng")


def _rows(ledger: EmployerLedger) -> list[tuple[str, str, int, int, int, int, str]]:
    return [
        (
            r.period,
            r.deadline.strftime("%d/%m/%Y") if r.deadline else "",
            r.due,
            r.paid,
            r.open_amount,
            r.surcharge + r.surcharge_accrued,
            STATUS_VI.get(r.status, r.status),
        )
        for r in ledger.rows
    ]


def statement_xlsx(ledger: EmployerLedger) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Thong bao"
    e = ledger.employer
    ws.append([f"THÔNG BÁO KẾT QUẢ ĐÓNG BHXH, BHYT, BHTN — {e.name}"])
    ws["A1"].font = Font(bold=True)
    ws.append(
        [
            f"Mã số thuế: {e.tax_code}",
            f"Mã tham chiếu: {reference_of(e.id)}",
            f"Đến ngày: {ledger.as_of.strftime('%d/%m/%Y') if ledger.as_of else ''}",
        ]
    )
    ws.append([])
    ws.append(list(HEADINGS))
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for row in _rows(ledger):
        ws.append(list(row))
    t = ledger.totals
    ws.append(["Cộng", "", t.due, t.paid, t.open_amount, t.surcharge + t.surcharge_accrued, ""])
    for column in "CDEF":
        for cell in ws[column][4:]:
            cell.number_format = "#,##0"
        ws.column_dimensions[column].width = 16
    buffer = io.BytesIO()
    save_workbook(wb, buffer)  # a cell that starts like a formula stays text
    return buffer.getvalue()


def _pdf() -> object:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def _header(pdf: object, title: str, ledger: EmployerLedger) -> None:
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(95, 5, "BẢO HIỂM XÃ HỘI TỈNH")
    pdf.cell(95, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(95, 5, "Phòng Quản lý thu")
    pdf.cell(95, 5, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    e = ledger.employer
    pdf.set_font("DejaVu", "", 10)
    as_of = ledger.as_of.strftime("%d/%m/%Y") if ledger.as_of else ""
    for line in (
        f"Đơn vị: {e.name}",
        f"Mã số thuế: {e.tax_code}    Mã tham chiếu khi nộp tiền: {reference_of(e.id)}",
        f"Địa bàn: {ledger.commune_name}    Số liệu đến ngày: {as_of}",
    ):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _table(pdf: object, rows: list[tuple[str, str, int, int, int, int, str]], ledger: EmployerLedger) -> None:
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    widths = (18, 22, 30, 30, 30, 27, 27)
    pdf.set_font("DejaVu", "B", 8)
    pdf.set_fill_color(230, 236, 245)
    for w, h in zip(widths, HEADINGS, strict=True):
        pdf.cell(w, 7, h, border=1, align="C", fill=True)
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    for row in rows:
        cells = (row[0], row[1], *(format_dong(v).replace(" ₫", "") for v in row[2:6]), row[6])
        for i, (w, text) in enumerate(zip(widths, cells, strict=True)):
            pdf.cell(w, 6, str(text), border=1, align="R" if 2 <= i <= 5 else "C")
        pdf.ln()
    t = ledger.totals
    pdf.set_font("DejaVu", "B", 8)
    total_cells = (
        "Cộng",
        "",
        *(
            format_dong(v).replace(" ₫", "")
            for v in (t.due, t.paid, t.open_amount, t.surcharge + t.surcharge_accrued)
        ),
        "",
    )
    for i, (w, text) in enumerate(zip(widths, total_cells, strict=True)):
        pdf.cell(w, 7, text, border=1, align="R" if 2 <= i <= 5 else "C")
    pdf.ln(9)


def statement_pdf(ledger: EmployerLedger) -> bytes:
    from fpdf import FPDF

    pdf = _pdf()
    assert isinstance(pdf, FPDF)
    _header(pdf, "THÔNG BÁO KẾT QUẢ ĐÓNG BHXH, BHYT, BHTN", ledger)
    _table(pdf, _rows(ledger)[:48], ledger)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(
        0,
        4.5,
        "Lãi chậm đóng: 0,03%/ngày trên số tiền chậm đóng (Luật BHXH 41/2024/QH15 Điều 40, 41); "
        "hạn đóng: ngày cuối cùng của tháng tiếp theo (Điều 34.4).",
    )
    return bytes(pdf.output())


def reminder_pdf(ledger: EmployerLedger, number: str, sent_on: date) -> bytes:
    """The written reminder (văn bản đôn đốc) listing the months still open."""
    from fpdf import FPDF

    pdf = _pdf()
    assert isinstance(pdf, FPDF)
    _header(pdf, "VĂN BẢN ĐÔN ĐỐC ĐÓNG BHXH, BHYT, BHTN", ledger)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, f"Số: {number}    Ngày {sent_on.strftime('%d/%m/%Y')}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    t = ledger.totals
    pdf.multi_cell(
        0,
        5.5,
        f"Căn cứ Điều 35, 38, 39, 40 Luật Bảo hiểm xã hội số 41/2024/QH15, cơ quan bảo hiểm xã hội đề nghị "
        f"đơn vị nộp ngay số tiền còn nợ {format_dong(t.open_amount)} và tiền lãi chậm đóng "
        f"{format_dong(t.surcharge_open + t.surcharge_accrued)} (tính đến ngày lập văn bản) "
        f"của các tháng dưới đây. "
        f"Quá 60 ngày kể từ hạn đóng mà đơn vị vẫn chưa nộp sau khi đã được đôn đốc là hành vi trốn đóng "
        f"(Điều 39.1 điểm đ, e). Khi nộp tiền, ghi mã số thuế hoặc mã tham chiếu "
        f"{reference_of(ledger.employer.id)} "
        f"trong nội dung chuyển khoản.",
    )
    pdf.ln(3)
    open_rows = [r for r in _rows(ledger) if r[4] > 0]
    _table(pdf, open_rows[:40], ledger)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(95, 6, "")
    pdf.cell(95, 6, "TRƯỞNG PHÒNG QUẢN LÝ THU", align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
