"""In a real Chromium: an administrator's reset forces a new password at the next sign-in (a weak one
is refused with a Vietnamese message), and out-of-area or province-wide pages are refused — at desktop
and phone width. Screenshots go to ``screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from ansinh.core.auth import reset_password
from ansinh.core.auth_models import User
from ansinh.core.db import make_engine, unit_of_work
from ansinh.core.migrate import upgrade
from tests.e2e.live import SHOTS, require_browser, serve, sign_in
from tests.integration.web_seed import PASSWORD, Seed, seed, seed_users

pytestmark = pytest.mark.browser

RESET_TO = "tam-thoi-Lua-Hong-7391"
NEW = "Sông Lam chảy qua Hồng Lĩnh 2026"
#: the change form's button (the header's sign-out form has one too)
CHANGE = "form:has(input[name=new_password]) button[type=submit]"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seed, Any]]:
    require_browser()
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('e2e-sec') / 'ansinh.db'}")
    upgrade(engine)
    ids = seed(engine)
    seed_users(engine)
    with serve(engine) as base:
        yield base, ids, engine


def test_a_reset_password_must_be_changed_at_next_sign_in(
    server: tuple[str, Seed, Any], browser: Any
) -> None:
    base, _ids, engine = server
    with unit_of_work(engine) as s:
        user = s.scalars(select(User).where(User.username == "inspector")).one()
        reset_password(s, user, actor="administrator", password=RESET_TO)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(base + "/")
    page.fill("input[name=username]", "inspector")
    page.fill("input[name=password]", RESET_TO)
    page.click("button[type=submit]")
    page.wait_for_url("**/account/password**")
    assert "Đổi mật khẩu" in page.content()
    # a weak new password is refused, in Vietnamese, and the page stays
    page.fill("input[name=current_password]", RESET_TO)
    page.fill("input[name=new_password]", "aaaaaaaaaaaa")
    page.fill("input[name=new_password_again]", "aaaaaaaaaaaa")
    page.click(CHANGE)
    page.wait_for_load_state()
    assert "/account/password" in page.url
    assert "mật khẩu" in page.inner_text("main").lower()
    page.screenshot(path=str(SHOTS / "security-weak-password-phone.png"), full_page=True)
    # every other page sends the user back to the change page
    page.goto(base + "/persons")
    assert "/account/password" in page.url
    page.fill("input[name=current_password]", RESET_TO)
    page.fill("input[name=new_password]", NEW)
    page.fill("input[name=new_password_again]", NEW)
    page.click(CHANGE)
    page.wait_for_load_state()
    assert "/account/password" not in page.url
    page.goto(base + "/persons")
    assert "/persons" in page.url and "/account/password" not in page.url
    with unit_of_work(engine) as s:
        user = s.scalars(select(User).where(User.username == "inspector")).one()
        assert user.must_change_password is False
    page.close()


def test_refusals_are_pages_in_vietnamese(server: tuple[str, Seed, Any], browser: Any) -> None:
    base, ids, _engine = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, base, "commune_officer")
    assert PASSWORD  # the seeded accounts' password
    answer = page.goto(f"{base}/persons/{ids.person_b}")  # another commune's person
    assert answer is not None and answer.status == 404
    answer = page.goto(f"{base}/claims")  # patients' records: not for a commune officer
    assert answer is not None and answer.status == 403
    page.screenshot(path=str(SHOTS / "security-403.png"))
    answer = page.goto(f"{base}/persons/99999999999999999999")  # beyond any id
    assert answer is not None and answer.status == 404
    page.close()
