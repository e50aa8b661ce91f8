"""Claims pages and API on both backends: a hospital token submits a file, the review runs, a reviewer
sees the ranked queue, opens the episode and decides a finding (audited); the director sees the costs."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ansinh.claims.models import ClaimFinding, ClaimReview
from ansinh.claims.reference import import_reference
from ansinh.claims.review import run_review
from ansinh.claims.xmlwrite import envelope, episode_hoso
from ansinh.core.audit import AuditEntry
from ansinh.core.auth import issue_token
from ansinh.core.auth_models import User
from ansinh.core.db import unit_of_work
from tests.integration.web_seed import Web, csrf_of, make_web, sign_in

DATA = Path(__file__).parent.parent / "data" / "claims"


@pytest.fixture
def web(engine: Engine) -> Web:
    w = make_web(engine)
    for kind in ("facilities", "services", "licences", "icd", "allocations"):
        written, errors = import_reference(engine, kind, DATA / f"{kind}.csv", actor="test")
        assert written and not errors
    return w


def _episode(ma_lk: str, icd: str, fund: int) -> str:
    e = {
        "ma_lk": ma_lk,
        "patient_name": "Nguyễn Văn An",
        "birth_date": date(1988, 5, 1),
        "gender": 1,
        "card_number": "DN4424201234567",
        "icd_main": icd,
        "admitted_at": datetime(2026, 3, 2, 8, 0),
        "discharged_at": datetime(2026, 3, 2, 9, 0),
        "kind": "01",
        "benefit_rate": 80,
        "total_hospital": 500_000,
        "total_hi": 500_000,
        "patient_copay": 500_000 - fund,
        "fund_claimed": fund,
        "settle_year": 2026,
        "settle_month": 3,
        "facility_code": "42001",
    }
    line = {
        "kind": "service",
        "seq": 1,
        "item_code": "TEST.1",
        "quantity_milli": 1000,
        "unit_price_milli": 500_000_000,
        "payment_rate": 100,
        "amount_hospital": 500_000,
        "amount_hi": 500_000,
        "practitioner": "000001/42-CCHN",
        "ordered_on": datetime(2026, 3, 2, 8, 5),
        "performed_at": datetime(2026, 3, 2, 8, 10),
    }
    return episode_hoso(e, [line])


def test_submit_review_queue_and_decide(web: Web) -> None:
    c = web.client
    with unit_of_work(web.engine) as s:
        user = s.scalars(select(User).where(User.username == "claims_reviewer")).one()
        token = issue_token(s, user, name="BV tỉnh", scopes=["claims:submit"], actor="administrator")
    body = envelope("42001", [_episode("W1", "J06.9", 400_000), _episode("W2", "O80", 400_000)])
    r = c.post(
        "/api/v1/claims",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["accepted"], r.json()["rejected"]) == (2, 0)
    # a token without the scope is refused
    with unit_of_work(web.engine) as s:
        user = s.scalars(select(User).where(User.username == "claims_reviewer")).one()
        reader = issue_token(s, user, name="read", scopes=["claims:read"], actor="administrator")
    assert (
        c.post("/api/v1/claims", content=body, headers={"Authorization": f"Bearer {reader}"}).status_code
        == 403
    )
    run_review(web.engine, (2026, 3), on=date(2026, 4, 1))
    sign_in(c, "claims_reviewer")
    page = c.get("/claims")
    assert page.status_code == 200
    assert "W2" in page.text and "W1" not in page.text  # O80 for a man goes to a reviewer (R08)
    with unit_of_work(web.engine) as s:
        finding = s.scalars(select(ClaimFinding).where(ClaimFinding.rule_code == "R08")).one()
        finding_id, episode_id = finding.id, finding.episode_id
    detail = c.get(f"/claims/episodes/{episode_id}")
    assert detail.status_code == 200 and "R08" in detail.text
    token_csrf = csrf_of(c, f"/claims/episodes/{episode_id}")
    no_reason = c.post(
        f"/claims/findings/{finding_id}/decide",
        data={"episode_id": episode_id, "action": "uphold", "reason": "", "csrf_token": token_csrf},
    )
    assert no_reason.status_code == 303 and "error" in no_reason.headers["location"]
    ok = c.post(
        f"/claims/findings/{finding_id}/decide",
        data={
            "episode_id": episode_id,
            "action": "uphold",
            "reason": "Chẩn đoán sai giới tính",
            "csrf_token": token_csrf,
        },
    )
    assert ok.status_code == 303
    with unit_of_work(web.engine) as s:
        review = s.get(ClaimReview, episode_id)
        assert review is not None and review.closed
        assert (review.disallowed, review.approved) == (400_000, 0)
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "claims_decide")).all()
        assert len(audit) == 1 and audit[0].actor == "claims_reviewer"
    api = c.get(f"/api/v1/claims/episodes/{episode_id}")
    assert api.json()["findings"][0]["status"] == "upheld"
    sign_in(c, "director")
    costs = c.get("/claims/monitoring?year=2026")
    assert costs.status_code == 200 and "<svg" in costs.text and "42001" in costs.text
    assert (
        c.post(
            f"/claims/findings/{finding_id}/decide",
            data={
                "episode_id": episode_id,
                "action": "uphold",
                "reason": "xxxxx",
                "csrf_token": csrf_of(c, "/"),
            },
        ).status_code
        == 403
    )
