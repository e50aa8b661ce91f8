"""What every browser test needs: Debian's Chromium (never a downloaded browser), the application
served by uvicorn in a thread on a free port, and signing in.

Without ``/usr/bin/chromium`` the tests skip, unless ``ANSINH_REQUIRE_BROWSER=1`` (CI), which fails.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests.integration.web_seed import PASSWORD

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


def require_browser() -> None:
    """Skip (or, under ANSINH_REQUIRE_BROWSER=1, fail) when Chromium or Playwright is missing."""
    required = os.environ.get("ANSINH_REQUIRE_BROWSER") == "1"
    if not CHROMIUM.exists():
        if required:
            pytest.fail(f"ANSINH_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        if required:
            pytest.fail(f"ANSINH_REQUIRE_BROWSER=1 but playwright is not installed: {exc}")
        pytest.skip("playwright (Python package) is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(engine: Engine) -> Iterator[str]:
    """The application on ``engine``, served in a thread; yields its base URL."""
    import uvicorn

    from ansinh.web.app import create_app

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium driven by Playwright; screenshots go to ``SHOTS``."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/")
    assert "/sign-in" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
