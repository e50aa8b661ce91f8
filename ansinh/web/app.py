"""The staff web application: ``create_app()`` builds it; each domain adds its router here.

Everything needs a signed-in user (or an API token) except the sign-in page, the language switch,
the health check and static files; :func:`create_app` wires the authentication into every other
router, and ``tests/integration/test_web_security.py`` walks ``app.routes`` to prove it.

    uvicorn --factory ansinh.web.app:create_app
"""

from __future__ import annotations

import importlib.util
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException

from ansinh.core.audit import guard as audit_guard
from ansinh.core.db import get_engine, session_factory
from ansinh.web.deps import current_principal, validate_request
from ansinh.web.domains import domain_web_modules, navigation
from ansinh.web.errors import (
    BodyTooLarge,
    Forbidden,
    NotInArea,
    PasswordChangeRequired,
    ProvinceOnly,
    SignInRequired,
    describe,
)
from ansinh.web.limits import BodyLimits, LimitBodies
from ansinh.web.policy import enforce_policy, enforce_public
from ansinh.web.render import render
from ansinh.web.routes import api_docs, audit, auth, employers, home, persons, users
from ansinh.web.security import CSRF_COOKIE, enforce_csrf, set_cookie

STATIC = Path(__file__).parent / "static"

#: Pages show personal data: no third-party anything, no framing, no caching by the browser.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def _is_api(request: Request) -> bool:
    """JSON answers for machine clients; ``/api/docs`` is a page for people."""
    path = request.url.path
    return path.startswith("/api/") and not path.startswith("/api/docs")


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _exc: SignInRequired) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": "Not authenticated"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def password_change_required(request: Request, _exc: PasswordChangeRequired) -> Response:
        if _is_api(request):
            detail = (
                "Cần đổi mật khẩu: mật khẩu của tài khoản đã được quản trị viên cấp lại; hãy đổi mật khẩu "
                "tại /account/password. (Password change required: the password was reset by an "
                "administrator; change it at /account/password.)"
            )
            return JSONResponse({"detail": detail}, status_code=403)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/account/password?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        if _is_api(request):
            if isinstance(exc, ProvinceOnly):
                detail = "A province-wide operation: it needs a province-scoped account"
            else:
                detail = f"Missing permission: {exc}"
            return JSONResponse({"detail": detail}, status_code=403)
        return render(request, "error.html", {"status": 403}, status_code=403)

    @app.exception_handler(NotInArea)
    async def not_in_area(request: Request, _exc: NotInArea) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Not found"}, status_code=404)
        return render(request, "error.html", {"status": 404}, status_code=404)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _is_api(request) or exc.status_code < 400:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        context: dict[str, Any] = {"status": exc.status_code}
        if isinstance(exc, BodyTooLarge):
            context["limit"] = exc.limit
        return render(request, "error.html", context, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        """422 naming each field for the API; for pages, a path or query parameter out of range names
        no page (404), a form field out of range is a 422 page listing the fields."""
        errors = describe(exc.errors())
        if _is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        if all(e["loc"][:1] in (["path"], ["query"]) for e in errors):
            return render(request, "error.html", {"status": 404}, status_code=404)
        return render(request, "error.html", {"status": 422, "errors": errors}, status_code=422)


def _calculators_available() -> bool:
    """The law domain's calculators, mounted when that module exists (it is built in parallel)."""
    try:
        return (
            importlib.util.find_spec("ansinh.law.api") is not None
            and importlib.util.find_spec("ansinh.law.calculators") is not None
        )
    except ModuleNotFoundError:
        return False


def create_app(engine: Engine | None = None) -> FastAPI:
    """The application, bound to ``engine`` (default: the configured database)."""
    app = FastAPI(
        title="ansinh",
        summary="Provincial social security office: staff application and API",
        version="1",
        docs_url=None,  # served by api_docs behind sign-in, without any CDN
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(validate_request), Depends(enforce_csrf)],
    )
    app.state.engine = engine or get_engine()
    # every change a request makes commits with its audit entry, or not at all
    app.state.sessions = audit_guard(session_factory(app.state.engine))
    app.state.features = {"calculators": False}
    app.state.body_limits = BodyLimits.from_settings()
    app.add_middleware(LimitBodies)  # inside browser_hygiene: its 413 answers get the headers too

    @app.middleware("http")
    async def browser_hygiene(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        seed = getattr(request.state, "new_csrf_seed", None)
        if seed and CSRF_COOKIE not in request.cookies:
            set_cookie(request, response, CSRF_COOKIE, seed, None)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # Open to everyone: sign-in, language, health.
    app.include_router(auth.router, dependencies=[Depends(enforce_public)])
    # Everything else: signed in, and the route's rule in ansinh.web.policy.POLICY applied.
    signed_in: list[Any] = [Depends(current_principal), Depends(enforce_policy)]
    for module in (home, persons, employers, audit):
        app.include_router(module.router, dependencies=signed_in)
        if hasattr(module, "api"):
            app.include_router(module.api, dependencies=signed_in)
    app.include_router(users.router, dependencies=signed_in)
    app.include_router(api_docs.router, dependencies=signed_in)

    for module in domain_web_modules():
        app.include_router(module.router, dependencies=signed_in)
        if hasattr(module, "api"):
            app.include_router(module.api, dependencies=signed_in)
    app.state.features["nav"] = navigation()

    if _calculators_available():
        from ansinh.web.routes import calculators

        calculators.mount(app, signed_in)
        app.state.features["calculators"] = True
    return app
