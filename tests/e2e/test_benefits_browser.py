"""Benefits pages in a real headless Chromium: the benefits officer drafts a one-time withdrawal,
opens the counselling sheet (screen and print), records that the applicant stays, runs the payroll;
the commune officer cannot open another commune's case. Screenshots go to ``screenshots/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from ansinh.benefits.cases import draft_cases, open_case
from ansinh.benefits.models import Beneficiary
from ansinh.benefits.payroll import run_monthly, set_channel
from ansinh.core.db import make_engine, unit_of_work
from ansinh.core.migrate import upgrade
from ansinh.law.periods import Period
from ansinh.registry.models import Participation, Person
from tests.e2e.live import SHOTS, require_browser, serve, sign_in
from tests.integration.web_seed import COMMUNE_A, seed, seed_users

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    require_browser()
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('e2e-benefits') / 'ansinh.db'}")
    upgrade(engine)
    ids = seed(engine)
    seed_users(engine)
    with unit_of_work(engine) as s:
        worker = Person(
            full_name="Lê Thị Hoa",
            name_key="le thi hoa",
            personal_id="042190001111",
            si_number="4200001111",
            birth_date=date(1990, 2, 3),
            gender="female",
            commune_code=COMMUNE_A,
            phone="0911222333",
        )
        s.add(worker)
        s.flush()
        s.add(
            Participation(
                person_id=worker.id,
                scheme="si",
                valid_from=date(2016, 1, 1),
                valid_to=date(2024, 8, 31),
                employer_id=ids.employer,
                salary=8_000_000,
            )
        )
        s.add(
            Beneficiary(
                person_id=ids.person_a2,
                kind="pension",
                monthly_amount=4_250_000,
                start_period="2025-01",
                created_at=datetime.now(UTC),
            )
        )
        s.add(
            Beneficiary(
                person_id=ids.person_b,
                kind="survivor",
                monthly_amount=1_170_000,
                start_period="2025-05",
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
            actor="e2e",
        )
        set_channel(
            s,
            person_id=ids.person_b,
            channel="cash",
            account=None,
            provider="BD18002",
            valid_from=date(2025, 1, 1),
            actor="e2e",
        )
        one_time = open_case(
            s,
            person_id=worker.id,
            kind="one_time",
            received_on=date(2026, 2, 13),
            actor="e2e",
            facts={"ground": "dd"},
            documents=["application", "SI book"],
            reference="HS42-000001",
        )
        other = open_case(
            s,
            person_id=ids.person_b,
            kind="one_time",
            received_on=date(2026, 2, 13),
            actor="e2e",
            facts={"ground": "dd"},
            reference="HS42-000002",
        )
        cases = {"one_time": one_time.id, "other": other.id, "worker": worker.id, "person_b": ids.person_b}
    draft_cases(engine, actor="e2e", decided=date(2026, 3, 2))
    run_monthly(engine, Period(2026, 2), actor="e2e")
    with serve(engine) as base:
        yield base, cases


def test_benefits_officer_case_counselling_and_payroll(
    server: tuple[str, dict[str, int]], browser: Any
) -> None:
    base, ids = server
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    sign_in(page, base, "benefits_officer")
    page.click("nav >> text=Chế độ")
    page.wait_for_selector("#cases")
    assert "HS42-000001" in page.content()
    page.screenshot(path=str(SHOTS / "benefits-01-cases.png"), full_page=True)

    page.click("text=HS42-000001")
    page.wait_for_selector("#draft")
    # 2016-01..2024-08: 104 months → 9 years × 2 × 9,760,000 (revalued average) = 175,680,000
    assert page.locator("#amount").inner_text().startswith("175.680.000")
    assert "Law 41/2024/QH15 Art. 70.3" in page.content()
    page.screenshot(path=str(SHOTS / "benefits-02-case.png"), full_page=True)

    page.click("#counselling-link")
    page.wait_for_selector("#counselling")
    assert page.locator("#lump-sum").inner_text().startswith("175.680.000")
    assert page.locator("#months-missing").inner_text() == "76"
    page.screenshot(path=str(SHOTS / "benefits-03-counselling.png"), full_page=True)
    pdf = page.request.get(base + str(page.locator("#counselling-pdf").get_attribute("href")))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    (SHOTS / "benefits-04-counselling.pdf").write_bytes(pdf.body())

    page.goto(f"{base}/benefits/cases/{ids['one_time']}")
    page.check("input[value=stayed]")
    page.click("button:has-text('Ghi nhận kết quả')")
    page.wait_for_selector("#notice")
    assert page.locator("#status").inner_text() == "từ chối"

    page.goto(f"{base}/benefits/payroll")
    page.fill("input[name=period]", "2026-03")
    page.click("#run-form button[type=submit]")
    page.wait_for_selector("#run-total")
    assert page.locator("#run-total").inner_text().startswith("5.420.000")  # 4,250,000 + 1,170,000
    page.screenshot(path=str(SHOTS / "benefits-05-run.png"), full_page=True)

    page.goto(f"{base}/benefits/beneficiaries/{ids['person_b']}")
    page.wait_for_selector("#channels")
    page.screenshot(path=str(SHOTS / "benefits-06-beneficiary.png"), full_page=True)
    page.goto(f"{base}/benefits/noncash?period=2026-03")
    page.wait_for_selector("#cash")
    assert "Nguyễn Thị Cúc" in page.content()
    page.screenshot(path=str(SHOTS / "benefits-07-noncash.png"), full_page=True)
    page.click("#lang-en")
    page.wait_for_load_state()
    assert "Non-cash payments" in page.content()
    page.close()


def test_commune_officer_sees_only_own_commune(server: tuple[str, dict[str, int]], browser: Any) -> None:
    base, ids = server
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    sign_in(page, base, "commune_officer")
    page.goto(f"{base}/benefits")
    assert "HS42-000001" in page.content() and "HS42-000002" not in page.content()
    response = page.goto(f"{base}/benefits/cases/{ids['other']}")
    assert response is not None and response.status == 404
    page.close()
