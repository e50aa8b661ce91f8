"""Benefits pages and API through the web application: the benefits officer writes, the director
reads but cannot write, a commune officer sees only their commune (404 for another)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine

from ansinh.benefits.cases import open_case
from ansinh.benefits.models import Beneficiary
from ansinh.benefits.payroll import set_channel
from ansinh.core.db import unit_of_work
from tests.integration.web_seed import Web, csrf_of, make_web, sign_in


@pytest.fixture
def web(engine: Engine) -> Web:
    return make_web(engine)


def _data(web: Web) -> dict[str, int]:
    ids = web.seed
    with unit_of_work(web.engine) as s:
        one_time = open_case(
            s,
            person_id=ids.person_a,
            kind="one_time",
            received_on=date(2026, 3, 2),
            actor="o",
            facts={"ground": "dd"},
            reference="HS-A-1",
        )
        pension = open_case(
            s,
            person_id=ids.person_b,
            kind="pension",
            received_on=date(2026, 3, 2),
            actor="o",
            reference="HS-B-1",
        )
        for person, amount in ((ids.person_a2, 4_000_000), (ids.person_b, 3_000_000)):
            s.add(
                Beneficiary(
                    person_id=person,
                    kind="pension",
                    monthly_amount=amount,
                    start_period="2025-01",
                    created_at=datetime.now(UTC),
                )
            )
        set_channel(
            s,
            person_id=ids.person_a2,
            channel="bank",
            account="0123456789",
            provider="VCB",
            valid_from=date(2025, 1, 1),
            actor="o",
        )
        set_channel(
            s,
            person_id=ids.person_b,
            channel="cash",
            account=None,
            provider="BD18002",
            valid_from=date(2025, 1, 1),
            actor="o",
        )
        return {"one_time": one_time.id, "pension": pension.id}


def test_benefits_officer_works_a_case_and_a_payroll(web: Web) -> None:
    cases = _data(web)
    c = web.client
    sign_in(c, "benefits_officer")
    page = c.get("/benefits")
    assert page.status_code == 200 and "HS-A-1" in page.text and "Hồ sơ hưởng chế độ" in page.text
    token = csrf_of(c, f"/benefits/cases/{cases['one_time']}")
    resp = c.post(f"/benefits/cases/{cases['one_time']}/draft", data={"csrf_token": token})
    assert resp.status_code == 303 and resp.headers["location"].endswith("notice=drafted")
    case = c.get(f"/benefits/cases/{cases['one_time']}")
    # Still contributing: ground (đ) not met — the page says why and cites the law.
    assert (
        case.status_code == 200 and 'id="draft"' in case.text and "Law 41/2024/QH15 Art. 70.1(đ)" in case.text
    )
    sheet = c.get(f"/benefits/cases/{cases['one_time']}/counselling")
    assert sheet.status_code == 200 and 'id="lump-sum"' in sheet.text and "Phiếu tư vấn" in sheet.text
    resp = c.post(
        f"/benefits/cases/{cases['one_time']}/counselling", data={"csrf_token": token, "outcome": "stayed"}
    )
    assert resp.status_code == 303
    assert "ở lại hệ thống" in c.get(f"/benefits/cases/{cases['one_time']}").text

    resp = c.post("/benefits/payroll", data={"csrf_token": token, "period": "2026-03"})
    assert resp.status_code == 303 and "notice=run" in resp.headers["location"]
    run = c.get(resp.headers["location"])
    assert run.status_code == 200 and "7.000.000" in run.text  # 4,000,000 + 3,000,000
    again = c.post("/benefits/payroll", data={"csrf_token": token, "period": "2026-03"})
    assert again.headers["location"].endswith("notice=run_exists")
    run_id = int(re.search(r"/benefits/payroll/(\d+)", again.headers["location"]).group(1))  # type: ignore[union-attr]
    csv_file = c.get(f"/benefits/payroll/{run_id}/files/bank-VCB.csv")
    assert csv_file.status_code == 200 and "0123456789" in csv_file.text

    bad = c.post(
        "/benefits/returns",
        data={"csrf_token": token},
        files={"file": ("r.csv", b"reference,status,reason\nNOPE,failed,x\n", "text/csv")},
    )
    assert bad.status_code == 422 and "NOPE" in bad.text

    ben = c.get(f"/benefits/beneficiaries/{web.seed.person_a2}")
    assert ben.status_code == 200 and "4.000.000" in ben.text
    resp = c.post(
        f"/benefits/beneficiaries/{web.seed.person_a2}/channel",
        data={
            "csrf_token": token,
            "channel": "bank",
            "account": "12AB",
            "provider": "VCB",
            "valid_from": "2026-04-01",
        },
    )
    assert resp.status_code == 303 and "error=" in resp.headers["location"]
    assert "6–19 digits" in c.get(resp.headers["location"]).text

    noncash = c.get("/benefits/noncash", params={"period": "2026-03"})
    assert noncash.status_code == 200 and "Nguyễn Thị Cúc" in noncash.text  # paid in cash
    api = c.get(f"/api/v1/benefits/cases/{cases['one_time']}")
    assert api.status_code == 200 and api.json()["counselling_outcome"] == "stayed"
    assert c.get("/benefits", params={"status": "nonsense"}).status_code == 422


def test_director_reads_but_cannot_write(web: Web) -> None:
    cases = _data(web)
    c = web.client
    sign_in(c, "director")
    assert c.get("/benefits").status_code == 200
    assert c.get(f"/benefits/cases/{cases['pension']}").status_code == 200
    assert c.get("/benefits/payroll").status_code == 200
    token = csrf_of(c, "/benefits")
    assert c.post(f"/benefits/cases/{cases['pension']}/draft", data={"csrf_token": token}).status_code == 403
    assert c.post("/benefits/payroll", data={"csrf_token": token, "period": "2026-03"}).status_code == 403


def test_commune_officer_sees_own_commune_only(web: Web) -> None:
    cases = _data(web)
    c = web.client
    sign_in(c, "commune_officer")  # commune A
    listing = c.get("/benefits")
    assert listing.status_code == 200 and "HS-A-1" in listing.text and "HS-B-1" not in listing.text
    assert c.get(f"/benefits/cases/{cases['one_time']}").status_code == 200
    assert c.get(f"/benefits/cases/{cases['pension']}").status_code == 404
    assert c.get(f"/benefits/beneficiaries/{web.seed.person_b}").status_code == 404
    assert c.get(f"/api/v1/benefits/cases/{cases['pension']}").status_code == 404
    assert c.get(f"/benefits/cases/{cases['pension']}/counselling").status_code == 404
