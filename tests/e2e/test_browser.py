"""End-to-end in a real headless Chromium (Debian's ``chromium``, driven by Playwright; no browser is
ever downloaded). A uvicorn server runs in a thread on a free port over a small seeded SQLite file.

Skips when ``/usr/bin/chromium`` is missing, unless ``ANSINH_REQUIRE_BROWSER=1`` (CI), which fails.
Screenshots of the main pages go to ``screenshots/`` (git-ignored) for a human to look at.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ansinh.core.db import make_engine
from ansinh.core.migrate import upgrade
from tests.integration.web_seed import PASSWORD, Seed, seed, seed_users

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


def _require_browser() -> None:
    if CHROMIUM.exists():
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as exc:
            if os.environ.get("ANSINH_REQUIRE_BROWSER") == "1":
                pytest.fail(f"ANSINH_REQUIRE_BROWSER=1 but playwright is not installed: {exc}")
            pytest.skip("playwright (Python package) is not installed")
        return
    if os.environ.get("ANSINH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"ANSINH_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seed]]:
    _require_browser()
    import uvicorn

    from ansinh.web.app import create_app

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'ansinh.db'}")
    upgrade(engine)
    ids = seed(engine)
    seed_users(engine)
    port = _free_port()
    config = uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", ids
    srv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser(server: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/")
    assert "/sign-in" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_commune_officer_flow(server: tuple[str, Seed], browser: Any) -> None:
    base, ids = server
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page.goto(base + "/")
    page.screenshot(path=str(SHOTS / "01-sign-in.png"), full_page=True)
    _sign_in(page, base, "commune_officer")
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
    _sign_in(page, base, "administrator")
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
    _sign_in(phone, base, "director")
    phone.screenshot(path=str(SHOTS / "13-phone-home.png"), full_page=True)
    phone.goto(f"{base}/persons/{ids.person_a}")
    phone.screenshot(path=str(SHOTS / "14-phone-person.png"), full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"page is {width}px wide at phone width"
    phone.close()
