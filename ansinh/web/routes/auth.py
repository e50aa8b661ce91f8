"""Signing in and out, choosing the language, and the health check: the only routes open to all.

A successful sign-in leaves a *known device* cookie (thiết bị quen) in the browser, one per account:
``ansinh_device_<digest of the username>`` = ``<random id>.<HMAC(secret key, username, id)>``. It proves
nothing about who is typing (the password still must be right) but lets this browser's attempts count
on their own throttle instead of the account's, so a guesser elsewhere cannot keep the owner out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ansinh.core.auth import (
    BadCredentials,
    Throttled,
    authenticate,
    close_session,
    open_session,
    user_for_session,
)
from ansinh.web.deps import SessionDep
from ansinh.web.i18n import LOCALES
from ansinh.web.render import render
from ansinh.web.security import (
    LANG_COOKIE,
    SESSION_COOKIE,
    clear_session_cookie,
    client_ip,
    safe_next,
    secret_key,
    set_cookie,
    set_session_cookie,
)

router = APIRouter(tags=["auth"])

DEVICE_COOKIE_PREFIX = "ansinh_device_"
DEVICE_LIFETIME_SECONDS = 180 * 24 * 3600


def device_cookie_name(username: str) -> str:
    return DEVICE_COOKIE_PREFIX + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:16]


def _device_mac(username: str, device_id: str) -> str:
    message = f"known-device|{username.strip().lower()}|{device_id}".encode()
    return hmac.new(secret_key(), message, hashlib.sha256).hexdigest()


def device_cookie_value(username: str, device_id: str | None = None) -> str:
    device_id = device_id or secrets.token_urlsafe(16)
    return f"{device_id}.{_device_mac(username, device_id)}"


def known_device(request: Request, username: str) -> str | None:
    """The id of this browser's known-device cookie for ``username``, if it carries a valid one."""
    value = request.cookies.get(device_cookie_name(username), "")
    device_id, _, mac = value.partition(".")
    if device_id and mac and hmac.compare_digest(mac, _device_mac(username, device_id)):
        return device_id
    return None


@router.get("/sign-in", response_class=HTMLResponse, include_in_schema=False)
def sign_in_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "sign_in.html", {"next": safe_next(next), "error": None})


@router.post("/sign-in", include_in_schema=False)
def sign_in(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    ip = client_ip(request)
    device = known_device(request, username)
    try:
        user = authenticate(session, username, password, ip, device=device)
    except Throttled as exc:
        refused = render(
            request,
            "sign_in.html",
            {
                "next": safe_next(next),
                "error": "throttled",
                "retry_after": exc.retry_after,
                "username": username,
            },
            status_code=429,
        )
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except BadCredentials:
        return render(
            request,
            "sign_in.html",
            {"next": safe_next(next), "error": "bad_credentials", "username": username},
            status_code=401,
        )
    token = open_session(session, user, ip)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(request, response, token)
    set_cookie(
        request,
        response,
        device_cookie_name(user.username),
        device_cookie_value(user.username, device),
        DEVICE_LIFETIME_SECONDS,
    )
    return response


@router.post("/sign-out", include_in_schema=False)
def sign_out(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        user = user_for_session(session, token)
        close_session(session, token, actor=user.username if user else "-", source_ip=client_ip(request))
    response = RedirectResponse("/sign-in", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/language/{lang}", include_in_schema=False)
def choose_language(request: Request, lang: str, next: str = "/") -> Response:
    """Remember the display language in a cookie (not security-relevant, so a plain link)."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LOCALES:
        set_cookie(request, response, LANG_COOKIE, lang, 365 * 24 * 3600)
    return response


@router.get("/api/v1/health", tags=["health"])
def health(session: SessionDep) -> dict[str, str]:
    """Liveness and database reachability; no sign-in needed, reveals nothing."""
    from sqlalchemy import text

    session.execute(text("SELECT 1"))
    return {"status": "ok"}
