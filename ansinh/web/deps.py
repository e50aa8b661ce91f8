"""Dependencies of the routes, as ``Annotated`` aliases: ``SessionDep``, ``CurrentUser``, ``EngineDep``.

One request is one unit of work: the session commits when the route returns (before the response is
sent) and rolls back when it raises. Routes stay thin: parse, call a service, render.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core.auth import Principal, principal_for_token, principal_of, user_for_session
from ansinh.web.errors import Forbidden, PasswordChangeRequired, SignInRequired
from ansinh.web.security import SESSION_COOKIE


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_principal(request: Request, session: SessionDep) -> Principal:
    """The signed-in user (session cookie) or the machine client (``Authorization: Bearer``)."""
    authorization = request.headers.get("authorization", "")
    principal: Principal | None = None
    if authorization.lower().startswith("bearer "):
        principal = principal_for_token(session, authorization[7:].strip())
    elif (token := request.cookies.get(SESSION_COOKIE)) is not None:
        user = user_for_session(session, token)
        # After an administrator's reset, nothing but choosing a new password (tokens unaffected).
        if user is not None and user.must_change_password and request.url.path != "/account/password":
            raise PasswordChangeRequired()
        principal = principal_of(session, user) if user is not None else None
    if principal is None:
        raise SignInRequired()
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Callable[[Principal], Principal]:
    """A dependency that admits only principals holding ``permission`` (403 otherwise)."""

    def check(principal: CurrentUser) -> Principal:
        if not principal.can(permission):
            raise Forbidden(permission)
        return principal

    return check


PersonsReader = Annotated[Principal, Depends(require("persons:read"))]
EmployersReader = Annotated[Principal, Depends(require("employers:read"))]
AuditReader = Annotated[Principal, Depends(require("audit:read"))]
UserManager = Annotated[Principal, Depends(require("users:manage"))]
