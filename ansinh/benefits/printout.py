"""The counselling sheet as a PDF (phiếu tư vấn), in Vietnamese, for the conversation before a one-time
withdrawal (fpdf2 with the DejaVu font, as the ledger's statements): the lump sum now against the
pension reachable on voluntary SI, in plain numbers (see :mod:`ansinh.benefits.counselling`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ansinh.benefits.counselling import Comparison
from ansinh.core.money import format_dong

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
GROUPS_VI = {
    "poor": "hộ nghèo",
    "near_poor": "hộ cận nghèo",
    "ethnic_minority": "người dân tộc thiểu số",
    "other": "đối tượng khác",
}


def counselling_pdf(c: Comparison, *, name: str, birth_date: date, reference: str, on: date) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(95, 5, "BẢO HIỂM XÃ HỘI TỈNH")
    pdf.cell(95, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(95, 5, "Phòng Chế độ BHXH")
    pdf.cell(95, 5, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(
        0,
        7,
        "PHIẾU TƯ VẤN\nNhận BHXH một lần hay bảo lưu để hưởng lương hưu",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 10)
    years, months = divmod(c.months_paid, 12)
    for line in (
        f"Người lao động: {name}    Ngày sinh: {birth_date.strftime('%d/%m/%Y')}",
        f"Hồ sơ: {reference}    Ngày tư vấn: {on.strftime('%d/%m/%Y')}",
        f"Thời gian đã đóng BHXH: {c.months_paid} tháng ({years} năm {months} tháng)",
    ):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    top = pdf.get_y()
    width = 88
    for x, title, big, small in (
        (10, "NHẬN MỘT LẦN NGAY", format_dong(c.lump_sum_now), "một lần duy nhất; thời gian đã đóng bị xoá"),
        (
            112,
            "BẢO LƯU VÀ CHỜ LƯƠNG HƯU",
            f"{format_dong(c.projected_monthly_pension)}/tháng",
            f"từ {c.pension_from.strftime('%d/%m/%Y')}, suốt đời, được cấp thẻ BHYT",
        ),
    ):
        pdf.set_xy(x, top)
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(width, 7, title, border="LTR", new_x="LEFT", new_y="NEXT")
        pdf.set_font("DejaVu", "B", 16)
        pdf.cell(width, 11, big, border="LR", new_x="LEFT", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(width, 5, small, border="LBR", new_x="LEFT", new_y="NEXT")
    pdf.set_xy(10, top + 32)
    pdf.ln(2)
    rows = (
        ("Số tháng còn thiếu để đủ 15 năm đóng (Luật BHXH 2024 Điều 64)", str(c.months_missing)),
        (
            f"BHXH tự nguyện mỗi tháng, thu nhập {format_dong(c.voluntary_income)} (22%)",
            format_dong(c.voluntary_monthly_contribution),
        ),
        (
            f"Nhà nước hỗ trợ mỗi tháng ({GROUPS_VI.get(c.support_group, c.support_group)}, NĐ 159/2025)",
            "− " + format_dong(c.voluntary_monthly_support),
        ),
        ("Ông/bà tự đóng mỗi tháng", format_dong(c.voluntary_monthly_payable)),
        ("Tổng số tiền tự đóng cho các tháng còn thiếu", format_dong(c.voluntary_total_payable)),
        ("Mức bình quân thu nhập dự kiến", format_dong(c.projected_average_salary)),
        ("Tỷ lệ hưởng lương hưu dự kiến", f"{c.projected_rate_percent}%"),
        (
            f"Tổng lương hưu trong {c.life_expectancy_years} năm tuổi thọ bình quân",
            format_dong(c.pension_value_over_life),
        ),
    )
    pdf.set_font("DejaVu", "", 10)
    for label, value in rows:
        pdf.cell(140, 7, label, border=1)
        pdf.cell(50, 7, value, border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(
        0,
        6,
        f"Cả đời, lương hưu bằng khoảng {c.ratio:.1f} lần khoản nhận một lần.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(
        0,
        4.5,
        "Căn cứ: Luật BHXH 41/2024/QH15 Điều 64, 66, 70, 72, 73; Nghị định 159/2025/NĐ-CP Điều 5, 11. "
        "Tuổi thọ bình quân lấy từ bảng sống của cơ quan thống kê, chỉ để minh hoạ; lương hưu tính theo "
        "quy định tại thời điểm nghỉ hưu.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(10)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(95, 6, "Người lao động", align="C")
    pdf.cell(95, 6, "Cán bộ tư vấn", align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
