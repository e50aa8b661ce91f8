"""Signing in and out, choosing the language, and the health check: the only routes open to all."""

from __future__ import annotations

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
    set_cookie,
    set_session_cookie,
)

router = APIRouter(tags=["auth"])


@router.get("/sign-in", response_class=HTMLResponse, include_in_schema=False)
def sign_in_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "sign_in.html", {"next": safe_next(next), "error": None})


@router.post("/sign-in", include_in_schema=False)
def sign_in(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    ip = client_ip(request)
    try:
        user = authenticate(session, username, password, ip)
    except Throttled:
        return render(
            request,
            "sign_in.html",
            {"next": safe_next(next), "error": "throttled", "username": username},
            status_code=429,
        )
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
