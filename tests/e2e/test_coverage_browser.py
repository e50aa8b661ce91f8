"""Coverage pages in a real headless Chromium (Debian's ``chromium`` through Playwright, as
tests/e2e/test_browser.py): the director's dashboard with its server-drawn charts, the drill-down
from the commune ranking to a commune and to the people behind a number, the leadership report; a
commune officer's outreach list and another commune refused. Screenshots go to ``screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ansinh.core.db import make_engine, unit_of_work
from ansinh.core.migrate import upgrade
from ansinh.coverage.models import Denominator
from ansinh.coverage.service import compute_and_write
from tests.e2e.live import SHOTS, require_browser, serve, sign_in
from tests.integration.web_seed import COMMUNE_A, COMMUNE_B, Seed, seed, seed_users

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seed]]:
    require_browser()
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('e2e-coverage') / 'ansinh.db'}")
    upgrade(engine)
    ids = seed(engine)
    seed_users(engine)
    now = datetime.now(UTC)
    with unit_of_work(engine) as s:
        for code, pop, lf in ((COMMUNE_A, 3, 2), (COMMUNE_B, 2, 2)):
            for year in (2025, 2026):
                s.add(
                    Denominator(
                        area_code=code,
                        year=year,
                        population=pop,
                        labour_force=lf,
                        working_age_population=lf,
                        source="test",
                        updated_at=now,
                    )
                )
    compute_and_write(engine, "42", 2025 * 12, 2026 * 12 + 2)  # 15 months: trends and projections
    with serve(engine) as base:
        yield base, ids


def test_director_dashboard_and_drill_down(server: tuple[str, Seed], browser: Any) -> None:
    base, _ids = server
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    sign_in(page, base, "director")
    assert page.locator("#coverage-panel").is_visible()
    page.click("#coverage-panel >> text=Mở bảng theo dõi độ bao phủ")
    page.wait_for_url(f"{base}/coverage")
    assert "Độ bao phủ so với mục tiêu" in page.locator("h1").inner_text()
    assert page.locator("svg.cov-chart polyline").count() >= 6  # monthly lines and projections
    assert page.locator("#ranking tbody tr").count() == 2
    page.screenshot(path=str(SHOTS / "20-coverage-dashboard.png"), full_page=True)
    page.click("#ranking >> text=Xã Thạch Hà")
    page.wait_for_url(f"{base}/coverage/areas/{COMMUNE_B}")
    page.screenshot(path=str(SHOTS / "21-coverage-commune.png"), full_page=True)
    page.click("a[href*='/people?indicator=si_participants']")
    page.wait_for_url(f"{base}/coverage/areas/{COMMUNE_B}/people*")
    assert "Nguyễn Thị Cúc" in page.content()
    page.screenshot(path=str(SHOTS / "22-coverage-people.png"), full_page=True)
    page.goto(f"{base}/coverage/report")
    assert page.locator("#summary li").count() >= 1
    page.screenshot(path=str(SHOTS / "23-coverage-report.png"), full_page=True)
    page.close()


def test_commune_officer_outreach(server: tuple[str, Seed], browser: Any) -> None:
    base, _ids = server
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    sign_in(page, base, "commune_officer")
    page.goto(f"{base}/coverage/outreach?list=household_hi_gaps")
    assert "Phường Thành Sen" in page.locator("h1").inner_text()
    page.fill("input[name=name]", "Vận động tháng 4")
    page.click("button:has-text('Tạo đợt vận động')")
    page.wait_for_selector("#notice")
    page.screenshot(path=str(SHOTS / "24-coverage-outreach.png"), full_page=True)
    response = page.goto(f"{base}/coverage/areas/{COMMUNE_B}")
    assert response is not None and response.status == 404
    page.close()
