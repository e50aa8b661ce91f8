"""The findings of the least-privilege review, each reproduced and refused, on SQLite and PostgreSQL:
a commune officer cannot declare for another commune's employer; a hospital token files only its own
facilities' claims; patients' claims are not readable by commune officers or viewers; a payroll
confirmation is province-wide, cannot be dated in the future and is audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ansinh.benefits.models import PayrollRun
from ansinh.benefits.payroll import PaymentError, confirm_run
from ansinh.claims.models import ClaimFile
from ansinh.claims.xmlwrite import envelope
from ansinh.core.audit import AuditEntry
from ansinh.core.auth import issue_token
from ansinh.core.auth_models import User
from ansinh.core.db import unit_of_work
from tests.integration.test_claims_web import _episode
from tests.integration.test_claims_web import web as claims_web  # noqa: F401  (fixture)
from tests.integration.web_seed import COMMUNE_A, PASSWORD, Web, csrf_of, make_web, sign_in


@pytest.fixture
def web(engine: Engine) -> Web:
    return make_web(engine)


def _commune_collector(web: Web) -> None:
    with unit_of_work(web.engine) as s:
        user = s.scalars(select(User).where(User.username == "collection_officer")).one()
        user.area_code = COMMUNE_A


def test_a_commune_officer_cannot_declare_for_another_communes_employer(web: Web) -> None:
    _commune_collector(web)
    c = web.client
    assert sign_in(c, "collection_officer", PASSWORD).status_code == 303
    token = csrf_of(c, "/ledger/declarations")
    body = {
        "employer_tax_code": "3000999888",  # the employer of commune B
        "declarations": [
            {"kind": "join", "personal_id": "042175009876", "from_period": "2026-03", "salary": 6_000_000}
        ],
    }
    refused = c.post("/api/v1/ledger/declarations", json=body, headers={"X-CSRF-Token": token})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "employer"
    assert "unknown employer" in refused.json()["detail"][0]["reason"]
    form = c.post(
        "/ledger/declarations",
        data={
            "csrf_token": token,
            "tax_code": "3000999888",
            "person": "042175009876",
            "kind": "join",
            "from_month": "2026-03",
            "schemes": ["si"],
            "salary": "6000000",
        },
    )
    assert form.status_code == 422 and "unknown employer" in form.text
    # its own commune's employer is fine (the declaration itself may still be refused on its merits)
    own = dict(body, employer_tax_code="3000123456")
    answer = c.post("/api/v1/ledger/declarations", json=own, headers={"X-CSRF-Token": token})
    assert answer.status_code in (200, 422)
    assert all(e["field"] != "employer" for e in answer.json().get("detail", []) or [])


def test_claims_are_not_readable_by_commune_officers_or_viewers(web: Web) -> None:
    for role in ("commune_officer", "viewer", "collection_officer", "benefits_officer", "administrator"):
        c = TestClient(web.client.app, follow_redirects=False)
        assert sign_in(c, role, PASSWORD).status_code == 303
        assert c.get("/claims").status_code == 403, role
        assert c.get("/claims/episodes/1").status_code == 403, role
        assert c.get("/api/v1/claims/episodes/1").status_code == 403, role


def test_a_hospital_token_files_only_its_own_facilities_claims(claims_web: Web) -> None:  # noqa: F811
    web = claims_web
    with unit_of_work(web.engine) as s:
        hospital = s.scalars(select(User).where(User.username == "hospital")).one()
        hospital.facility_codes = "42002"
        s.flush()
        token = issue_token(s, hospital, name="BV huyện", scopes=["claims:submit"], actor="administrator")
    body = envelope("42001", [_episode("H1", "J06.9", 400_000)])
    r = web.client.post(
        "/api/v1/claims",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "F07" and r.json()["accepted"] == 0
    assert "42001" in r.json()["error"]["message"]
    with unit_of_work(web.engine) as s:
        file = s.scalars(select(ClaimFile).order_by(ClaimFile.id.desc())).first()
        assert file is not None and file.error_code == "F07" and file.accepted == 0
        logged = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "claim_file", AuditEntry.entity_id == str(file.id))
        ).all()
        assert len(logged) == 1 and logged[0].actor == "hospital" and '"F07"' in (logged[0].detail or "")
    # its own facility's file is received
    with unit_of_work(web.engine) as s:
        hospital = s.scalars(select(User).where(User.username == "hospital")).one()
        hospital.facility_codes = "42001"
        s.flush()
        own = issue_token(s, hospital, name="BV tỉnh", scopes=["claims:submit"], actor="administrator")
    r = web.client.post(
        "/api/v1/claims",
        content=body,
        headers={"Authorization": f"Bearer {own}", "Content-Type": "application/xml"},
    )
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text


def test_a_payroll_confirmation_is_not_in_the_future_and_is_audited(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        run = PayrollRun(
            key="monthly:2026-11",
            period="2026-11",
            kind="monthly",
            status="open",
            payments=0,
            total_amount=0,
            noncash_payments=0,
            exceptions=0,
            created_by="test",
            created_at=datetime.now(UTC),
        )
        s.add(run)
        s.flush()
        run_id = run.id
    with pytest.raises(PaymentError, match="paid_on"), unit_of_work(engine) as s:
        confirm_run(s, run_id, date(2030, 1, 1), actor="officer", today=date(2026, 12, 3))
    with unit_of_work(engine) as s:
        assert confirm_run(s, run_id, date(2026, 12, 3) - timedelta(days=1), actor="officer") == 0
    with unit_of_work(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "payroll_run")).one()
        assert (entry.actor, entry.action, entry.entity_id) == ("officer", "confirm", str(run_id))
        assert '"payments": 0' in (entry.detail or "")
