"""End-to-end in a real headless Chromium (Debian's ``chromium``, driven by Playwright; no browser is
ever downloaded). A uvicorn server runs in a thread on a free port over a small seeded SQLite file.

Skips when ``/usr/bin/chromium`` is missing, unless ``ANSINH_REQUIRE_BROWSER=1`` (CI), which fails.
Screenshots of the main pages go to ``screenshots/`` (git-ignored) for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ansinh.core.db import make_engine
from ansinh.core.migrate import upgrade
from tests.e2e.live import SHOTS, require_browser, serve, sign_in
from tests.integration.web_seed import Seed, seed, seed_users

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seed]]:
    require_browser()
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'ansinh.db'}")
    upgrade(engine)
    ids = seed(engine)
    seed_users(engine)
    with serve(engine) as base:
        yield base, ids


def test_commune_officer_flow(server: tuple[str, Seed], browser: Any) -> None:
    base, ids = server
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page.goto(base + "/")
    page.screenshot(path=str(SHOTS / "01-sign-in.png"), full_page=True)
    sign_in(page, base, "commune_officer")
    assert page.locator("h1").inner_text() == "Tổng quan"
    page.screenshot(path=str(SHOTS / "02-home.png"), full_page=True)

    # search a person (the live search replaces the results as one types; Enter submits the form)
    page.click("nav >> text=Người tham gia")
    page.fill("input[name=q]", "nguyen")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("table.grid")
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 2  # Nguyễn Văn An and his merged duplicate; Nguyễn Thị Cúc is in commune B
    assert "042******234" in page.content()
    page.screenshot(path=str(SHOTS / "03-person-search.png"), full_page=True)

    # open the person
    page.click("text=Nguyễn Văn An >> nth=0")
    page.wait_for_url(f"{base}/persons/*")
    assert page.locator("h1").inner_text() == "Nguyễn Văn An"
    assert "DN4424201234567" in page.content()
    page.screenshot(path=str(SHOTS / "04-person-vi.png"), full_page=True)

    # switch language
    page.click("#lang-en")
    page.wait_for_load_state()
    assert page.locator("text=Compulsory social insurance").first.is_visible()
    assert "Sign out" in page.content()
    page.screenshot(path=str(SHOTS / "05-person-en.png"), full_page=True)

    # another commune's person: refused as "not found"
    response = page.goto(f"{base}/persons/{ids.person_b}")
    assert response is not None and response.status == 404
    assert "outside your area" in page.content()
    page.screenshot(path=str(SHOTS / "06-other-commune-404.png"), full_page=True)

    # sign out
    page.goto(base + "/")
    page.click("text=Sign out")
    page.wait_for_url(f"{base}/sign-in")
    page.goto(f"{base}/persons/{ids.person_a}")
    assert "/sign-in" in page.url
    page.close()


def test_administrator_pages_and_phone_width(server: tuple[str, Seed], browser: Any) -> None:
    base, ids = server
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(page, base, "administrator")
    page.goto(f"{base}/persons/{ids.person_b}")
    page.goto(f"{base}/employers?q=cong")
    page.screenshot(path=str(SHOTS / "07-employer-search.png"), full_page=True)
    page.goto(f"{base}/employers/{ids.employer}")
    assert "Công ty TNHH Thép Hà Tĩnh" in page.content()
    page.screenshot(path=str(SHOTS / "08-employer.png"), full_page=True)
    page.goto(f"{base}/audit")
    assert page.locator("table.grid tbody tr").count() >= 2
    page.screenshot(path=str(SHOTS / "09-audit.png"), full_page=True)
    page.goto(f"{base}/users")
    page.screenshot(path=str(SHOTS / "10-users.png"), full_page=True)
    page.goto(f"{base}/api/docs")
    page.screenshot(path=str(SHOTS / "11-api-docs.png"), full_page=True)
    if page.locator("nav >> text=Công cụ tính").count():
        page.goto(f"{base}/calculators/contribution")
        page.fill("input[name=period]", "2025-07")
        page.fill("input[name=salary]", "10000000")
        page.click("button:has-text('Tính')")
        page.wait_for_selector("text=Căn cứ pháp lý", timeout=5000)
        page.screenshot(path=str(SHOTS / "12-calculator.png"), full_page=True)
    page.close()

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(phone, base, "director")
    phone.screenshot(path=str(SHOTS / "13-phone-home.png"), full_page=True)
    phone.goto(f"{base}/persons/{ids.person_a}")
    phone.screenshot(path=str(SHOTS / "14-phone-person.png"), full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"page is {width}px wide at phone width"
    phone.close()
