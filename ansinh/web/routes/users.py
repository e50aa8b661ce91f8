"""User administration (quản trị tài khoản): list, create, reset password, (de)activate, API tokens.

Generated passwords and tokens are shown once, on the page that created them, and never stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from ansinh.core.auth import (
    ALL_SCOPES,
    InvalidAccount,
    create_user,
    issue_token,
    reset_password,
    revoke_token,
    set_active,
)
from ansinh.core.auth_models import ROLES, ApiToken, User
from ansinh.registry.areas import communes_of
from ansinh.web.deps import SessionDep, UserManager
from ansinh.web.render import render

router = APIRouter(prefix="/users")


def _user(session: SessionDep, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="Account not found")
    return user


def _list(request: Request, session: SessionDep, principal: UserManager, **extra: object) -> HTMLResponse:
    users = list(session.scalars(select(User).order_by(User.username)))
    communes = communes_of(session, principal.scope.province_code)
    context = {"users": users, "roles": ROLES, "communes": communes, "error": None, "created": None, **extra}
    status = 422 if context["error"] else 200
    return render(request, "users/list.html", context, status_code=status)


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def users_page(request: Request, session: SessionDep, principal: UserManager) -> HTMLResponse:
    return _list(request, session, principal)


@router.post("", response_class=HTMLResponse, include_in_schema=False)
def create_account(
    request: Request,
    session: SessionDep,
    principal: UserManager,
    username: Annotated[str, Form(max_length=64)],
    full_name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form()],
    area_code: Annotated[str, Form(max_length=5)],
) -> HTMLResponse:
    try:
        user, password = create_user(
            session,
            username=username,
            full_name=full_name.strip() or None,
            role=role,
            area_code=area_code.strip(),
            actor=principal.username,
        )
    except InvalidAccount as exc:
        session.rollback()
        return _list(request, session, principal, error=str(exc))
    return _list(request, session, principal, created=(user.username, password))


def _detail(request: Request, session: SessionDep, user: User, **extra: object) -> HTMLResponse:
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))
    context = {
        "user": user,
        "tokens": tokens,
        "all_scopes": ALL_SCOPES,
        "new_password": None,
        "new_token": None,
        "error": None,
        **extra,
    }
    return render(request, "users/detail.html", context, status_code=422 if context["error"] else 200)


@router.get("/{user_id}", response_class=HTMLResponse, include_in_schema=False)
def user_page(request: Request, session: SessionDep, principal: UserManager, user_id: int) -> HTMLResponse:
    return _detail(request, session, _user(session, user_id))


@router.post("/{user_id}/reset-password", response_class=HTMLResponse, include_in_schema=False)
def reset_account_password(
    request: Request, session: SessionDep, principal: UserManager, user_id: int
) -> HTMLResponse:
    user = _user(session, user_id)
    password = reset_password(session, user, actor=principal.username)
    return _detail(request, session, user, new_password=password)


@router.post("/{user_id}/active", include_in_schema=False)
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


@router.post("/{user_id}/tokens", response_class=HTMLResponse, include_in_schema=False)
def issue_account_token(
    request: Request,
    session: SessionDep,
    principal: UserManager,
    user_id: int,
    name: Annotated[str, Form(max_length=100)],
    scopes: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    user = _user(session, user_id)
    try:
        token = issue_token(session, user, name=name, scopes=scopes or [], actor=principal.username)
    except InvalidAccount as exc:
        session.rollback()
        return _detail(request, session, user, error=str(exc))
    return _detail(request, session, user, new_token=token)


@router.post("/{user_id}/tokens/{token_id}/revoke", include_in_schema=False)
def revoke_account_token(
    session: SessionDep, principal: UserManager, user_id: int, token_id: int
) -> Response:
    api_token = session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user_id:
        raise HTTPException(status_code=404, detail="Token not found")
    revoke_token(session, api_token, actor=principal.username)
    return RedirectResponse(f"/users/{user_id}", status_code=303)
