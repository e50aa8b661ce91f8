"""Web security machinery: cookies, CSRF tokens, safe redirects, the client address.

CSRF uses the signed double-submit pattern: every browser gets a random ``ansinh_csrf`` cookie, and
every form carries ``HMAC(secret_key, cookie)``. A forged cross-site form can neither read the cookie
nor compute the HMAC without the server's key. Requests authenticated by a bearer token (machine
clients, no cookies) are not exposed to CSRF and are exempt.

>>> safe_next("//evil.example/x")
'/'
>>> safe_next("/persons/7?tab=hi")
'/persons/7?tab=hi'
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from fastapi import HTTPException, Request, Response
from sqlalchemy.orm import Session

from ansinh.core.audit import record
from ansinh.core.auth import SESSION_LIFETIME, Principal
from ansinh.core.settings import get_settings

SESSION_COOKIE = "ansinh_session"
CSRF_COOKIE = "ansinh_csrf"
LANG_COOKIE = "ansinh_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@lru_cache(maxsize=1)
def secret_key() -> bytes:
    """The configured key, or one generated for this process (sessions' CSRF tokens end on restart)."""
    configured = get_settings().secret_key
    return (configured or secrets.token_urlsafe(32)).encode()


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    """Every cookie of ours: HttpOnly, SameSite=Lax, Secure when the request came over HTTPS."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=is_https(request)
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    set_cookie(request, response, SESSION_COOKIE, token, int(SESSION_LIFETIME.total_seconds()))


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def csrf_seed(request: Request) -> str:
    """The browser's CSRF cookie, or a new one that the middleware will set on the response."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(32)
        request.state.new_csrf_seed = seed
    return str(seed)


def csrf_token(request: Request) -> str:
    """The token that forms rendered for this browser must send back."""
    return hmac.new(secret_key(), csrf_seed(request).encode(), hashlib.sha256).hexdigest()


async def enforce_csrf(request: Request) -> None:
    """Application-wide dependency: every unsafe request carries a valid CSRF token (403 otherwise)."""
    if request.method in SAFE_METHODS:
        return
    bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    if bearer and SESSION_COOKIE not in request.cookies:
        return
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    seed = request.cookies.get(CSRF_COOKIE)
    if not sent or not seed:
        raise HTTPException(status_code=403, detail="CSRF token missing")
    expected = hmac.new(secret_key(), seed.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sent, expected):
        raise HTTPException(status_code=403, detail="CSRF token invalid")


def safe_next(value: str | None) -> str:
    """A redirect target inside this site only (no open redirects)."""
    if not value or not value.startswith("/") or value.startswith("//") or value.startswith("/\\"):
        return "/"
    return value


def client_ip(request: Request) -> str:
    """The peer address. Behind a reverse proxy run uvicorn with --proxy-headers so this is the client."""
    return request.client.host if request.client else "-"


def record_view(
    request: Request, session: Session, principal: Principal, entity: str, entity_id: int, via: str
) -> None:
    """Audit that ``principal`` opened a record in full (who, what, when, from where): personal data
    shown on a detail page is always logged, in the request's unit of work."""
    record(
        session,
        actor=principal.username,
        action="view",
        entity=entity,
        entity_id=entity_id,
        source_ip=client_ip(request),
        detail={"via": via},
    )
