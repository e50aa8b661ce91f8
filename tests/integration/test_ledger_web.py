"""Ledger pages and API through the web application: roles, area scope, CSRF-protected forms,
bank import, declarations (form, .xlsx, API with a token), statements and reminder letters."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine

from ansinh.core.auth import issue_token
from ansinh.core.auth_models import User
from ansinh.core.db import unit_of_work
from ansinh.ledger.close import close_month, rebuild
from tests.integration.web_seed import Web, csrf_of, make_web, sign_in


@pytest.fixture
def web(engine: Engine) -> Web:
    w = make_web(engine)
    rebuild(engine, "2026-01", "2026-03")
    return w


def test_pages_by_role_and_area(web: Web) -> None:
    c, ids = web.client, web.seed
    sign_in(c, "director")
    page = c.get("/ledger")
    assert page.status_code == 200 and "Tỷ lệ nợ" in page.text and "late/receivable_year" in page.text
    assert c.get("/ledger", params={"variant": "collectible/receivable_ytd"}).status_code == 200
    assert c.get("/ledger", params={"variant": "nonsense"}).status_code == 422
    arrears = c.get("/ledger/arrears")
    assert arrears.status_code == 200 and "Công ty TNHH Thép Hà Tĩnh" in arrears.text
    employer = c.get(f"/ledger/employers/{ids.employer}")
    assert employer.status_code == 200 and "2.708.750" in employer.text  # SI 25.5% + UI 2% of 9,850,000
    assert c.get("/ledger/payments").status_code == 403  # the director reads, does not write
    pdf = c.get(f"/ledger/employers/{ids.employer}/statement.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = c.get(f"/ledger/employers/{ids.employer}/statement.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    person = c.get(f"/ledger/persons/{ids.person_a}")
    assert person.status_code == 200 and "2026-03" in person.text
    sign_in(c, "commune_officer")  # commune A
    assert c.get(f"/ledger/employers/{ids.employer}").status_code == 200
    assert c.get(f"/ledger/employers/{ids.employer_b}").status_code == 404
    assert c.get(f"/api/v1/ledger/persons/{ids.person_b}").status_code == 404


def test_collection_officer_imports_assigns_and_reminds(web: Web) -> None:
    c, ids = web.client, web.seed
    sign_in(c, "collection_officer")
    token = csrf_of(c, "/ledger/payments")
    csv = (
        "Nội dung,Số tiền,Ngày giao dịch,Mã giao dịch,Tài khoản\n"  # columns in another order
        "BHXH T01 MST 3000123456,2.708.750,15/02/2026,FT1,001\n"
        "nop tien,500.000,16/02/2026,FT2,002\n"
    )
    resp = c.post(
        "/ledger/payments/import",
        data={"csrf_token": token},
        files={"file": ("sao_ke.csv", csv.encode(), "text/csv")},
    )
    assert resp.status_code == 200 and 'id="import-result"' in resp.text
    bad = "Mã giao dịch,Ngày giao dịch,Số tiền\nFT9,01/03/2026,abc\n"
    resp = c.post(
        "/ledger/payments/import",
        data={"csrf_token": token},
        files={"file": ("bad.csv", bad.encode(), "text/csv")},
    )
    assert resp.status_code == 422 and "abc" in resp.text
    queue = c.get("/ledger/payments")
    assert "nop tien" in queue.text
    pid = int(re.search(r"/ledger/payments/(\d+)/assign", queue.text).group(1))  # type: ignore[union-attr]
    assert (
        c.post(
            f"/ledger/payments/{pid}/assign", data={"csrf_token": token, "tax_code": "3000999888"}
        ).status_code
        == 303
    )
    assert c.post(f"/ledger/payments/{pid}/assign", data={"tax_code": "3000999888"}).status_code == 403
    close_month(web.engine, "2026-04")
    page = c.get(f"/ledger/employers/{ids.employer}")
    assert "FT1" in page.text
    letter = c.post(f"/ledger/employers/{ids.employer}/reminders", data={"csrf_token": token})
    assert letter.status_code == 303 and letter.headers["location"].endswith(".pdf")
    assert c.get(letter.headers["location"]).content.startswith(b"%PDF")


def test_declarations_form_file_and_api(web: Web) -> None:
    c, ids = web.client, web.seed
    sign_in(c, "collection_officer")
    token = csrf_of(c, "/ledger/declarations")
    low = c.post(
        "/ledger/declarations",
        data={
            "csrf_token": token,
            "tax_code": "3000999888",
            "person": "042190005678",
            "kind": "join",
            "schemes": ["si", "hi", "ui"],
            "from_month": "04/2026",
            "salary": "3.000.000",
        },
    )
    assert low.status_code == 422 and "minimum wage" in low.text
    ok = c.post(
        "/ledger/declarations",
        data={
            "csrf_token": token,
            "tax_code": "3000999888",
            "person": "042190005678",
            "kind": "join",
            "schemes": ["si", "hi", "ui"],
            "from_month": "04/2026",
            "salary": "7.000.000",
        },
    )
    assert ok.status_code == 200 and 'id="declared"' in ok.text
    # the same person by the other employer for the same months: refused
    twice = c.post(
        "/ledger/declarations",
        data={
            "csrf_token": token,
            "tax_code": "3000123456",
            "person": "042190005678",
            "kind": "join",
            "schemes": ["si"],
            "from_month": "05/2026",
            "salary": "7.000.000",
        },
    )
    assert twice.status_code == 422 and "another employer" in twice.text
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["DANH SÁCH LAO ĐỘNG THAM GIA BHXH, BHYT, BHTN"])
    ws.append(
        ["Số định danh", "Họ và tên", "Mức lương", "Từ tháng", "Đến tháng", "Loại bảo hiểm", "Phương án"]
    )
    ws.append(["042175009876", "Nguyễn Thị Cúc", "6500000", "04/2026", "", "BHXH, BHYT, BHTN", "TM"])
    buffer = io.BytesIO()
    wb.save(buffer)
    unknown = c.post(
        "/ledger/declarations/upload",
        data={"csrf_token": token, "tax_code": "9999999999"},
        files={"file": ("ke_khai.xlsx", buffer.getvalue(), "application/octet-stream")},
    )
    assert unknown.status_code == 422 and "unknown employer" in unknown.text
    good = c.post(
        "/ledger/declarations/upload",
        data={"csrf_token": token, "tax_code": "3000999888"},
        files={"file": ("ke_khai.xlsx", buffer.getvalue(), "application/octet-stream")},
    )
    assert good.status_code == 200
    with unit_of_work(web.engine) as s:
        user = s.query(User).filter_by(username="collection_officer").one()
        api_token = issue_token(s, user, name="payroll", scopes=["declarations:write"], actor="test")
    body = {
        "employer_tax_code": "3000123456",
        "declarations": [
            {
                "kind": "salary",
                "si_number": "4201234567",
                "schemes": ["si", "ui"],
                "from_period": "2026-04",
                "salary": 11_000_000,
                "key": "payroll-2026-04-1",
            }
        ],
    }
    headers = {"Authorization": f"Bearer {api_token}"}
    web.client.cookies.clear()  # a machine client: no browser session
    first = web.client.post("/api/v1/ledger/declarations", json=body, headers=headers)
    assert first.status_code == 200 and first.json() == {"applied": 1, "repeated": 0}
    again = web.client.post("/api/v1/ledger/declarations", json=body, headers=headers)
    assert again.json() == {"applied": 0, "repeated": 1}
    close_month(web.engine, "2026-04", as_of=date(2026, 4, 30))
    months = web.client.get(f"/api/v1/ledger/employers/{ids.employer}", headers=headers)
    assert months.status_code == 403  # the token carries declarations:write only
