"""Roles × areas: what each role may open, on both backends. Out-of-area records are 404 (the
commune officer must not even learn that they exist); missing permissions are 403."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ansinh.core.audit import AuditEntry
from ansinh.core.auth import PERMISSIONS
from ansinh.core.auth_models import ROLES
from ansinh.core.db import unit_of_work
from tests.integration.web_seed import COMMUNE_A, Web, csrf_of, make_web, sign_in


@pytest.fixture
def web(engine: Engine) -> Web:
    return make_web(engine)


STAFF = [role for role in ROLES if role != "hospital"]


@pytest.mark.parametrize("role", STAFF)
def test_role_matrix(web: Web, role: str) -> None:
    c, ids = web.client, web.seed
    assert sign_in(c, role).status_code == 303
    province_wide = role != "commune_officer"
    # own-commune person and employer: everyone
    assert c.get(f"/persons/{ids.person_a}").status_code == 200
    assert c.get(f"/api/v1/persons/{ids.person_a}").status_code == 200
    assert c.get(f"/employers/{ids.employer}").status_code == 200
    # another commune's person and employer: 404 for the commune officer, pages and API alike
    expected = 200 if province_wide else 404
    assert c.get(f"/persons/{ids.person_b}").status_code == expected
    assert c.get(f"/api/v1/persons/{ids.person_b}").status_code == expected
    assert c.get(f"/employers/{ids.employer_b}").status_code == expected
    assert c.get(f"/api/v1/employers/{ids.employer_b}").status_code == expected
    # searches only return records in the area
    found = c.get("/api/v1/persons", params={"q": "nguyen"}).json()
    assert {p["commune_code"] for p in found} == ({COMMUNE_A, "18002"} if province_wide else {COMMUNE_A})
    by_id = c.get("/api/v1/persons", params={"q": "042175009876"}).json()
    assert len(by_id) == (1 if province_wide else 0)
    # administration: the administrator only
    admin = role == "administrator"
    assert c.get("/audit").status_code == (200 if admin else 403)
    assert c.get("/api/v1/audit").status_code == (200 if admin else 403)
    assert c.get("/users").status_code == (200 if admin else 403)
    token = csrf_of(c, "/")
    created = c.post(
        "/users",
        data={
            "csrf_token": token,
            "username": f"new_{role}",
            "full_name": "X",
            "role": "viewer",
            "area_code": "42",
        },
    )
    assert created.status_code == (200 if admin else 403)
    # home dashboard for everyone, scoped
    home = c.get("/")
    assert home.status_code == 200


def test_permissions_by_role() -> None:
    writes = {
        role: {p for p in PERMISSIONS[role] if p.endswith(":write") or p == "users:manage"} for role in ROLES
    }
    assert writes["viewer"] == set()
    assert writes["director"] == set()
    assert writes["administrator"] == {"users:manage"}
    assert "declarations:write" in writes["collection_officer"]
    assert "claims:write" in writes["claims_reviewer"]
    assert "benefits:write" in writes["benefits_officer"]
    assert "inspections:write" in writes["inspector"]
    assert all("persons:read" in PERMISSIONS[role] for role in STAFF)
    # a hospital files its claims and reads nothing
    assert PERMISSIONS["hospital"] == {"claims:submit"}
    # patients' records: only those who review, direct or inspect
    assert {r for r in ROLES if "claims:read" in PERMISSIONS[r]} == {
        "director",
        "claims_reviewer",
        "inspector",
    }


def test_person_view_is_audited_and_lists_are_masked(web: Web) -> None:
    c, ids = web.client, web.seed
    sign_in(c, "director")
    listing = c.get("/persons", params={"q": "Nguyễn Văn"})
    assert "Nguyễn Văn An" in listing.text
    assert "042******234" in listing.text and "042088001234" not in listing.text
    assert "0912345678" not in listing.text
    api_list = c.get("/api/v1/persons", params={"q": "nguyen van"}).json()
    assert api_list[0]["personal_id_masked"] == "042******234" and "personal_id" not in api_list[0]
    detail = c.get(f"/persons/{ids.person_a}")
    assert "042088001234" in detail.text and "0912345678" in detail.text
    c.get(f"/api/v1/persons/{ids.person_a}")
    c.get("/persons", params={"q": "042088001234"})
    with unit_of_work(web.engine) as s:
        entries = list(
            s.scalars(select(AuditEntry).where(AuditEntry.actor == "director").order_by(AuditEntry.id))
        )
    views = [e for e in entries if e.action == "view" and e.entity == "person"]
    assert [(e.entity_id, e.source_ip) for e in views] == [(str(ids.person_a), "testclient")] * 2
    assert '"via": "web"' in (views[0].detail or "") and '"via": "api"' in (views[1].detail or "")
    searches = [e for e in entries if e.action == "search"]
    assert (
        searches
        and "042088001234" not in (searches[-1].detail or "")
        and "042******234" in searches[-1].detail
    )
    assert not any("042088001234" in (e.detail or "") for e in entries)


def test_administrator_searches_and_exports_the_audit_trail(web: Web) -> None:
    c, ids = web.client, web.seed
    sign_in(c, "director")
    c.get(f"/persons/{ids.person_b}")
    sign_in(c, "administrator")
    page = c.get("/audit", params={"actor": "director", "entity": "person"})
    assert page.status_code == 200 and f"/persons/{ids.person_b}" in page.text
    api = c.get("/api/v1/audit", params={"actor": "director", "action": "view"}).json()
    assert [(e["entity"], e["entity_id"]) for e in api] == [("person", str(ids.person_b))]
    export = c.get("/audit/export.csv", params={"actor": "director"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert f"person,{ids.person_b}" in export.text
    assert c.get("/api/v1/audit", params={"action": "export"}).json()[0]["actor"] == "administrator"


def test_merged_person_links_to_the_survivor(web: Web) -> None:
    sign_in(web.client, "director")
    page = web.client.get(f"/persons/{web.seed.merged}")
    assert page.status_code == 200
    assert f'href="/persons/{web.seed.person_a}" id="survivor"' in page.text


def test_person_page_content(web: Web) -> None:
    sign_in(web.client, "benefits_officer")
    page = web.client.get(f"/persons/{web.seed.person_a}").text
    for text in (
        "DN4424201234567",
        "Trần Thị Bình",
        "9.850.000 ₫",
        "01/05/1988",
        "Công ty TNHH Thép Hà Tĩnh",
        "BHXH bắt buộc",
        "Bảo hiểm thất nghiệp",
        "Thẻ bảo hiểm y tế",
    ):
        assert text in page, text
    hi_card = web.client.get("/api/v1/persons", params={"q": "GD4424201234568"}).json()
    assert [p["id"] for p in hi_card] == [web.seed.person_a2]
    assert web.client.get("/api/v1/persons", params={"q": "4209876543"}).json()[0]["id"] == web.seed.person_b


def test_language_switch(web: Web) -> None:
    sign_in(web.client, "viewer")
    assert "Đăng xuất" in web.client.get("/").text
    response = web.client.get("/language/en", params={"next": "/persons"})
    assert response.status_code == 303 and response.headers["location"] == "/persons"
    page = web.client.get(f"/persons/{web.seed.person_a}").text
    assert "Sign out" in page and "Compulsory social insurance" in page and "9.850.000 ₫" in page
    assert "01/05/1988" in page


def test_administrator_manages_accounts(web: Web) -> None:
    c = web.client
    sign_in(c, "administrator")
    token = csrf_of(c, "/users")
    refused = c.post(
        "/users",
        data={
            "csrf_token": token,
            "username": "xa_a",
            "full_name": "Cán bộ xã",
            "role": "commune_officer",
            "area_code": "42",
        },
    )
    assert refused.status_code == 422  # a commune officer needs a commune
    created = c.post(
        "/users",
        data={
            "csrf_token": token,
            "username": "xa_a",
            "full_name": "Cán bộ xã",
            "role": "commune_officer",
            "area_code": COMMUNE_A,
        },
    )
    password = re.search(r'id="new-password">([^<]+)<', created.text)
    assert created.status_code == 200 and password
    c.post("/sign-out", data={"csrf_token": token})
    assert sign_in(c, "xa_a", password.group(1)).status_code == 303
    assert c.get(f"/persons/{web.seed.person_b}").status_code == 404


def test_audit_filter_by_vietnamese_dates(web: Web) -> None:
    sign_in(web.client, "administrator")
    today = date.today().strftime("%d/%m/%Y")
    found = web.client.get("/api/v1/audit", params={"date_from": today, "action": "sign_in"}).json()
    assert [e["actor"] for e in found] == ["administrator"]
    assert web.client.get("/api/v1/audit", params={"date_to": "01/01/2000"}).json() == []
    assert web.client.get("/audit", params={"date_from": "31/02/2025"}).status_code == 422
