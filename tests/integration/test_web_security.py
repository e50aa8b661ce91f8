"""Security of the web application: nothing answers without sign-in except sign-in and health; CSRF
on every form; throttling; cookies; sessions that really end; API tokens and their scopes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from ansinh.core.auth import MAX_FAILURES
from ansinh.core.auth_models import User
from ansinh.core.db import unit_of_work
from tests.integration.web_seed import PASSWORD, Web, csrf_of, make_web, sign_in

#: The only routes that answer without a signed-in user.
PUBLIC = {
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("POST", "/sign-out"),
    ("GET", "/language/{lang}"),
    ("GET", "/api/v1/health"),
}


@pytest.fixture
def web(engine: Engine) -> Web:
    return make_web(engine)


def _walk(routes: Iterable[Any]) -> Iterator[tuple[str, str]]:
    """(method, path) of every endpoint. FastAPI ≥ 0.16x wraps included routers (``_IncludedRouter``,
    whose ``effective_candidates()`` carry the full path); older versions list ``APIRoute``s directly."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield from ((m, route.path) for m in sorted(route.methods))
        elif hasattr(route, "effective_candidates"):
            yield from _walk(route.effective_candidates())
        elif isinstance(getattr(route, "original_route", None), APIRoute):
            yield from ((m, route.path) for m in sorted(route.original_route.methods))


def _routes(web: Web) -> list[tuple[str, str]]:
    return sorted(set(_walk(web.client.app.routes)))  # type: ignore[attr-defined]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_needs_sign_in_except_the_public_ones(web: Web) -> None:
    routes = _routes(web)
    assert {
        ("GET", "/persons/{person_id}"),
        ("GET", "/api/v1/persons/{person_id}"),
        ("GET", "/audit"),
        ("POST", "/users"),
    } <= set(routes)
    token = csrf_of(web.client)  # so that POSTs reach authentication, not the CSRF check
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        response = web.client.request(
            method, _concrete(path), data={"csrf_token": token} if method == "POST" else None
        )
        if path.startswith("/api/") and path != "/api/docs":
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/sign-in?next="), (method, path)


def test_public_routes_answer_without_sign_in(web: Web) -> None:
    assert web.client.get("/api/v1/health").json() == {"status": "ok"}
    assert web.client.get("/sign-in").status_code == 200
    assert web.client.get("/static/app.css").status_code == 200
    assert web.client.get("/api/docs").status_code == 303
    assert web.client.get("/api/openapi.json").status_code == 401


def test_sign_in_and_sign_out(web: Web) -> None:
    response = sign_in(web.client, "director")
    assert response.status_code == 303
    cookie = response.cookies["ansinh_session"]
    set_cookie = response.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "secure" not in set_cookie
    assert web.client.get("/").status_code == 200
    web.client.post("/sign-out", data={"csrf_token": csrf_of(web.client, "/")})
    assert web.client.get("/").status_code == 303
    web.client.cookies.set("ansinh_session", cookie)  # replaying the old cookie does not work
    assert web.client.get("/").status_code == 303


def test_cookie_is_secure_over_https(engine: Engine) -> None:
    web = make_web(engine, base_url="https://testserver")
    response = sign_in(web.client, "viewer")
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()


def test_wrong_password_and_unknown_user_are_refused_alike(web: Web) -> None:
    wrong = sign_in(web.client, "director", "not-the-password")
    unknown = sign_in(web.client, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    assert "ansinh_session" not in wrong.cookies


def test_throttling_after_repeated_failures(web: Web) -> None:
    for _ in range(MAX_FAILURES):
        assert sign_in(web.client, "inspector", "guess-guess-guess").status_code == 401
    refused = sign_in(web.client, "inspector", PASSWORD)  # even the right password, until the wait ends
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    assert "Vui lòng chờ 30 giây rồi thử lại" in refused.text
    assert sign_in(web.client, "viewer").status_code == 303  # other accounts are not locked out


def test_deactivated_account_cannot_sign_in(web: Web) -> None:
    with unit_of_work(web.engine) as s:
        s.scalars(select(User).where(User.username == "viewer")).one().active = False
    assert sign_in(web.client, "viewer").status_code == 401


def test_csrf_is_required_on_every_form(web: Web) -> None:
    assert web.client.post("/sign-in", data={"username": "director", "password": PASSWORD}).status_code == 403
    assert sign_in(web.client, "administrator").status_code == 303
    posts = [path for method, path in _routes(web) if method == "POST"]
    assert len(posts) >= 6
    for path in posts:
        missing = web.client.post(_concrete(path), data={"name": "x", "active": "false"})
        forged = web.client.post(_concrete(path), data={"csrf_token": "0" * 64, "name": "x"})
        assert missing.status_code == 403, path
        assert forged.status_code == 403, path
    assert web.client.get("/").status_code == 200  # still signed in: sign-out was refused too


def test_open_redirects_are_refused(web: Web) -> None:
    response = web.client.get("/language/en", params={"next": "//evil.example/"})
    assert response.headers["location"] == "/"


def test_security_headers(web: Web) -> None:
    response = web.client.get("/sign-in")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_api_tokens_carry_scopes(web: Web) -> None:
    sign_in(web.client, "administrator")
    viewer_id = web.client.get("/users").text.split('href="/users/')[1:]
    ids = {chunk.split('"')[0] for chunk in viewer_id}
    page = web.client.get("/users")
    viewer = re.search(r'href="/users/(\d+)">viewer<', page.text)
    assert viewer and viewer.group(1) in ids
    response = web.client.post(
        f"/users/{viewer.group(1)}/tokens",
        data={
            "csrf_token": csrf_of(web.client, "/users"),
            "name": "hospital",
            "scopes": ["persons:read", "audit:read"],
        },
    )
    # a scope beyond the role is refused, with the scope named
    assert response.status_code == 422
    assert "không có quyền: audit:read" in response.text
    assert 'value="audit:read"' not in response.text  # the page offers only the role's scopes
    response = web.client.post(
        f"/users/{viewer.group(1)}/tokens",
        data={"csrf_token": csrf_of(web.client, "/users"), "name": "hospital", "scopes": ["persons:read"]},
    )
    token = re.search(r'id="new-token">([^<]+)<', response.text)
    assert token, response.text
    api = make_bearer(web, token.group(1))
    assert api.get(f"/api/v1/persons/{web.seed.person_a}").status_code == 200
    assert api.get(f"/api/v1/employers/{web.seed.employer}").status_code == 403  # scope not granted
    assert api.get("/api/v1/audit").status_code == 403  # not granted, and the viewer's role lacks it
    assert api.get("/persons").status_code == 200  # pages accept tokens too, with the same checks
    bad = make_bearer(web, "ans_not-a-token")
    assert bad.get(f"/api/v1/persons/{web.seed.person_a}").status_code == 401
    # revoke it
    token_id = re.search(r"/tokens/(\d+)/revoke", web.client.get(f"/users/{viewer.group(1)}").text)
    assert token_id
    web.client.post(
        f"/users/{viewer.group(1)}/tokens/{token_id.group(1)}/revoke",
        data={"csrf_token": csrf_of(web.client, "/users")},
    )
    assert api.get(f"/api/v1/persons/{web.seed.person_a}").status_code == 401


def make_bearer(web: Web, token: str):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    client = TestClient(web.client.app, headers={"Authorization": f"Bearer {token}"})
    return client


def test_audit_log_is_append_only(web: Web) -> None:
    sign_in(web.client, "director")
    web.client.get(f"/persons/{web.seed.person_a}")
    with pytest.raises(Exception, match="append-only"), web.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone-else'"))
    with pytest.raises(Exception, match="append-only"), web.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
