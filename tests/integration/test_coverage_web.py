"""Coverage pages through the web application: the director sees the province, drills down to a
commune and to the people behind a number; a commune officer sees their commune only (another
commune, the province and the report are "not found"), records outreach outcomes; the report files."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from ansinh.core.db import unit_of_work
from ansinh.coverage.models import Denominator
from ansinh.coverage.service import compute_and_write
from ansinh.ledger.close import rebuild
from tests.integration.web_seed import COMMUNE_A, COMMUNE_B, Web, csrf_of, make_web, sign_in

JAN, MAR = 2026 * 12, 2026 * 12 + 2


@pytest.fixture
def web(engine: Engine) -> Web:
    w = make_web(engine)
    rebuild(engine, "2026-01", "2026-03")
    now = datetime.now(UTC)
    with unit_of_work(engine) as s:
        s.add(
            Denominator(
                area_code=COMMUNE_A,
                year=2026,
                population=3,
                labour_force=2,
                working_age_population=2,
                source="test",
                updated_at=now,
            )
        )
        s.add(
            Denominator(
                area_code=COMMUNE_B,
                year=2026,
                population=1,
                labour_force=1,
                working_age_population=1,
                source="test",
                updated_at=now,
            )
        )
    compute_and_write(engine, "42", JAN, MAR)
    return w


def test_director_drills_down_from_province_to_people(web: Web) -> None:
    c = web.client
    sign_in(c, "director")
    home = c.get("/")
    assert home.status_code == 200 and 'id="coverage-panel"' in home.text
    page = c.get("/coverage")
    assert page.status_code == 200 and 'id="headline"' in page.text and 'id="ranking"' in page.text
    assert f"/coverage/areas/{COMMUNE_A}" in page.text and f"/coverage/areas/{COMMUNE_B}" in page.text
    assert (
        "66,7%" in page.text and "100,00%" in page.text
    )  # SI: 2 of a labour force of 3 (person A compulsory, person B voluntary)
    commune = c.get(f"/coverage/areas/{COMMUNE_B}")
    assert commune.status_code == 200 and "Xã Thạch Hà" in commune.text
    assert f"/coverage/areas/{COMMUNE_B}/people?indicator=si_participants" in commune.text
    people = c.get(
        f"/coverage/areas/{COMMUNE_B}/people", params={"indicator": "si_participants", "period": "2026-03"}
    )
    assert people.status_code == 200 and "Nguyễn Thị Cúc" in people.text
    assert re.search(r'id="people-total">1<', people.text)
    hi = c.get(f"/coverage/areas/{COMMUNE_A}/people", params={"indicator": "hi", "period": "2026-03"})
    assert "Nguyễn Văn An" in hi.text and "Trần Thị Bình" in hi.text and "Cúc" not in hi.text
    definition = c.get("/coverage/indicators/si_participants")
    assert (
        definition.status_code == 200 and "Nghị quyết" in definition.text
    ) or "Resolution 28-NQ/TW" in definition.text
    assert c.get("/coverage/indicators/nonsense").status_code == 404
    report = c.get("/coverage/report", params={"period": "2026-03"})
    assert report.status_code == 200 and 'id="summary"' in report.text
    pdf = c.get("/coverage/report.pdf", params={"period": "2026-03"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = c.get("/coverage/report.xlsx", params={"period": "2026-03", "lang": "en"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    api = c.get("/api/v1/coverage/indicators").json()
    si = next(i for i in api["indicators"] if i["indicator"] == "si_participants")
    assert (si["numerator"], si["denominator"], si["target"]) == (2, 3, 0.6)
    # the director reads; recording outreach is the commune staff's
    token = csrf_of(c, "/coverage")
    assert (
        c.post(
            "/coverage/outreach/campaigns",
            data={"csrf_token": token, "name": "x", "list_kind": "voluntary_prospects"},
        ).status_code
        == 403
    )


def test_commune_officer_sees_own_commune_only(web: Web) -> None:
    c, ids = web.client, web.seed
    sign_in(c, "commune_officer")  # commune A
    page = c.get("/coverage")
    assert page.status_code == 200 and "Phường Thành Sen" in page.text and 'id="ranking"' not in page.text
    assert c.get(f"/coverage/areas/{COMMUNE_A}").status_code == 200
    assert c.get(f"/coverage/areas/{COMMUNE_B}").status_code == 404
    assert c.get(f"/coverage/areas/{COMMUNE_B}/people", params={"indicator": "hi"}).status_code == 404
    assert c.get("/coverage/areas/42").status_code == 404
    assert c.get("/coverage/report").status_code == 403  # the leadership report is province-wide
    assert c.get("/api/v1/coverage/indicators", params={"area": COMMUNE_B}).status_code == 404
    assert c.get("/coverage/outreach", params={"commune": COMMUNE_B}).text.count("Xã Thạch Hà") == 0
    # outreach: a campaign, an outcome for a person of the commune; another commune's person is not found
    lists = c.get("/coverage/outreach", params={"list": "household_hi_gaps"})
    assert lists.status_code == 200
    token = csrf_of(c, "/coverage/outreach")
    made = c.post(
        "/coverage/outreach/campaigns",
        data={"csrf_token": token, "name": "Tháng 4", "list_kind": "voluntary_prospects"},
    )
    assert made.status_code == 303 and "campaign_created" in made.headers["location"]
    page = c.get("/coverage/outreach")
    campaign = int(re.search(r'name="campaign_id"[^>]*><option value="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    ok = c.post(
        "/coverage/outreach/contacts",
        data={
            "csrf_token": token,
            "campaign_id": campaign,
            "person_id": ids.person_a2,
            "outcome": "enrolled",
        },
    )
    assert ok.status_code == 303 and "contact_recorded" in ok.headers["location"]
    other = c.post(
        "/coverage/outreach/contacts",
        data={"csrf_token": token, "campaign_id": campaign, "person_id": ids.person_b, "outcome": "refused"},
    )
    assert other.status_code == 404
    conversion = c.get("/coverage/outreach/conversion")
    assert "Tháng 4" in conversion.text and "100,0%" in conversion.text
    export = c.get("/coverage/outreach.xlsx")
    assert export.status_code == 200 and export.content.startswith(b"PK")


def test_english_pages(web: Web) -> None:
    c = web.client
    sign_in(c, "viewer")
    c.get("/language/en", params={"next": "/coverage"})
    page = c.get("/coverage")
    assert "Coverage against targets" in page.text and "no target" in page.text  # three months: no trend yet
