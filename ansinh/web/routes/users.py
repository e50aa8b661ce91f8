"""User administration (quản trị tài khoản): list, create, reset password, (de)activate, API tokens;
and every signed-in user's own page for changing their password (đổi mật khẩu, ``/account/password``).

Generated passwords and tokens are shown once, on the page that created them, and never stored.
An administrator's reset makes the account choose a new password at its next sign-in: until then
:func:`ansinh.web.deps.current_principal` sends its pages here (the API answers 403).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from ansinh.core.auth import (
    ALL_SCOPES,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PERMISSIONS,
    InvalidAccount,
    Throttled,
    change_password,
    create_user,
    facility_codes_of,
    issue_token,
    reset_password,
    revoke_token,
    set_active,
)
from ansinh.core.auth_models import ROLES, ApiToken, User
from ansinh.registry.areas import communes_of
from ansinh.web.deps import CurrentUser, SessionDep, UserManager
from ansinh.web.errors import Forbidden
from ansinh.web.render import locale_of, render
from ansinh.web.security import SESSION_COOKIE, client_ip, safe_next

#: Both routers below; the application includes this one behind sign-in.
router = APIRouter()
admin = APIRouter(prefix="/users")
account = APIRouter(prefix="/account")

PASSWORD_PAGE = "/account/password"


def _user(session: SessionDep, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="Account not found")
    return user


def _list(request: Request, session: SessionDep, principal: UserManager, **extra: object) -> HTMLResponse:
    users = list(session.scalars(select(User).order_by(User.username)))
    communes = communes_of(session, principal.scope.province_code)
    context = {
        "users": users,
        "roles": ROLES,
        "communes": communes,
        "error": None,
        "created": None,
        "form": {},
        **extra,
    }
    status = 422 if context["error"] else 200
    return render(request, "users/list.html", context, status_code=status)


@admin.get("", response_class=HTMLResponse, include_in_schema=False)
def users_page(request: Request, session: SessionDep, principal: UserManager) -> HTMLResponse:
    return _list(request, session, principal)


@admin.post("", response_class=HTMLResponse, include_in_schema=False)
def create_account(
    request: Request,
    session: SessionDep,
    principal: UserManager,
    username: Annotated[str, Form(max_length=64)],
    full_name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=32)],
    area_code: Annotated[str, Form(max_length=5)],
    facility_codes: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    try:
        user, password = create_user(
            session,
            username=username,
            full_name=full_name.strip() or None,
            role=role,
            area_code=area_code.strip(),
            facility_codes=facility_codes,
            actor=principal.username,
        )
    except InvalidAccount as exc:
        session.rollback()
        form = {"username": username, "full_name": full_name, "role": role, "facility_codes": facility_codes}
        return _list(request, session, principal, error=exc.text(locale_of(request)), form=form)
    return _list(request, session, principal, created=(user.username, password))


def _detail(request: Request, session: SessionDep, user: User, **extra: object) -> HTMLResponse:
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))
    context = {
        "user": user,
        "tokens": tokens,
        # Only what the role allows can be granted (issue_token refuses the rest).
        "all_scopes": [s for s in ALL_SCOPES if s in PERMISSIONS[user.role]],
        "facilities": sorted(facility_codes_of(user.facility_codes)),
        "new_password": None,
        "new_token": None,
        "error": None,
        **extra,
    }
    return render(request, "users/detail.html", context, status_code=422 if context["error"] else 200)


@admin.get("/{user_id}", response_class=HTMLResponse, include_in_schema=False)
def user_page(request: Request, session: SessionDep, principal: UserManager, user_id: int) -> HTMLResponse:
    return _detail(request, session, _user(session, user_id))


@admin.post("/{user_id}/reset-password", response_class=HTMLResponse, include_in_schema=False)
def reset_account_password(
    request: Request, session: SessionDep, principal: UserManager, user_id: int
) -> HTMLResponse:
    user = _user(session, user_id)
    password = reset_password(session, user, actor=principal.username)
    return _detail(request, session, user, new_password=password)


@admin.post("/{user_id}/active", include_in_schema=False)
def set_account_active(
    request: Request,
    session: SessionDep,
    principal: UserManager,
    user_id: int,
    active: Annotated[bool, Form()],
) -> Response:
    user = _user(session, user_id)
    if user.id == principal.user_id and not active:
        return _detail(request, session, user, error="cannot_deactivate_self")
    set_active(session, user, active, actor=principal.username)
    return RedirectResponse(f"/users/{user.id}", status_code=303)


@admin.post("/{user_id}/tokens", response_class=HTMLResponse, include_in_schema=False)
def issue_account_token(
    request: Request,
    session: SessionDep,
    principal: UserManager,
    user_id: int,
    name: Annotated[str, Form(max_length=100)],
    scopes: Annotated[list[str] | None, Form()] = None,
    facility_codes: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    user = _user(session, user_id)
    try:
        token = issue_token(
            session,
            user,
            name=name,
            scopes=scopes or [],
            facility_codes=facility_codes or None,
            actor=principal.username,
        )
    except InvalidAccount as exc:
        session.rollback()
        return _detail(request, session, user, error=exc.text(locale_of(request)))
    return _detail(request, session, user, new_token=token)


@admin.post("/{user_id}/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_account_token(
    session: SessionDep, principal: UserManager, user_id: int, token_id: int
) -> Response:
    api_token = session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user_id:
        raise HTTPException(status_code=404, detail="Token not found")
    revoke_token(session, api_token, actor=principal.username)
    return RedirectResponse(f"/users/{user_id}", status_code=303)


# --- one's own account -------------------------------------------------------------------------


def _password_page(
    request: Request, user: User, next: str, status_code: int = 200, **extra: object
) -> HTMLResponse:
    context = {
        "account": user,
        "next": safe_next(next),
        "error": None,
        "error_field": None,
        "done": False,
        "min_length": MIN_PASSWORD_LENGTH,
        "max_length": MAX_PASSWORD_LENGTH,
        **extra,
    }
    return render(request, "account/password.html", context, status_code=status_code)


def _own_user(session: SessionDep, principal: CurrentUser) -> User:
    if principal.via_token:  # a machine client has no password to change
        raise Forbidden("a signed-in session")
    user = session.get(User, principal.user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="Account not found")
    return user


@account.get("/password", response_class=HTMLResponse, include_in_schema=False)
def password_page(
    request: Request, session: SessionDep, principal: CurrentUser, next: str = "/", done: bool = False
) -> HTMLResponse:
    return _password_page(request, _own_user(session, principal), next, done=done)


@account.post("/password", include_in_schema=False)
def change_own_password(
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    current_password: Annotated[str, Form(max_length=1024)],
    new_password: Annotated[str, Form(max_length=1024)],
    new_password_again: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    user = _own_user(session, principal)
    try:
        change_password(
            session,
            user,
            current=current_password,
            new=new_password,
            repeated=new_password_again,
            source_ip=client_ip(request),
            keep_session=request.cookies.get(SESSION_COOKIE),
        )
    except Throttled as exc:
        refused = _password_page(request, user, next, 429, error="throttled", retry_after=exc.retry_after)
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except InvalidAccount as exc:
        # Nothing was changed; a wrong current password's audit entry is kept (the unit of work commits).
        return _password_page(
            request, user, next, 422, error=exc.text(locale_of(request)), error_field=exc.field
        )
    target = safe_next(next)
    return RedirectResponse(target if target != "/" else f"{PASSWORD_PAGE}?done=1", status_code=303)


router.include_router(admin)
router.include_router(account)
