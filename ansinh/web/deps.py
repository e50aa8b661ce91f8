"""Dependencies of the routes, as ``Annotated`` aliases: ``SessionDep``, ``CurrentUser``, ``EngineDep``;
and the bounded types of their parameters (``RecordId``, ``PageNumber``, ``Limit``, ``MoneyForm`` …).

One request is one unit of work: the session commits when the route returns (before the response is
sent) and rolls back when it raises. Routes stay thin: parse, call a service, render.

Every id, page, limit, offset, version, year and amount a client sends is bounded here, so that no
number reaches the database driver beyond a BIGINT (2^63 − 1) or beyond any plausible figure: out of
range is a 422 naming the parameter for the JSON API and a 404 page for the pages (see
``ansinh.web.app``). For example ``GET /persons/9223372036854775808`` is a 404 page, and
``GET /api/v1/persons/0`` a 422 whose ``loc`` is ``["path", "person_id"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Form, Path, Query, Request
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, Field
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core.auth import Principal, principal_for_token, principal_of, user_for_session
from ansinh.core.money import MAX_AMOUNT_DONG
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


#: The largest id a table can hold (BIGINT); larger ids cannot name a record.
MAX_ID = 2**63 - 1
#: Pages of 100 rows or so: nobody pages past a million rows through a browser.
MAX_PAGE = 10_000
MAX_OFFSET = 1_000_000
#: Optimistic-locking versions of a record (mã phiên bản): a small counter.
MAX_VERSION = 2**31 - 1
#: Years of data the office keeps: social insurance began in 1995 (Decree 12/CP); plans end by 2100.
MIN_YEAR = 1995
MAX_YEAR = 2100
#: Largest amount of đồng anyone may type (ansinh.core.money.MAX_AMOUNT_DONG, 10^15).
MAX_MONEY = MAX_AMOUNT_DONG

#: An id in the path (``/persons/{person_id}``): 1 … 2^63 − 1.
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
#: An id in the query string (e.g. ``before``, the keyset cursor of the audit log).
RecordIdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
#: An id posted in a form (e.g. the person a case is opened for).
RecordIdForm = Annotated[int, Form(ge=1, le=MAX_ID)]
#: A page number (1-based).
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]
#: Rows per answer of the JSON API.
Limit = Annotated[int, Query(ge=1, le=1000)]
#: Rows skipped (0-based).
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
#: A year in the query string (reports, monitoring).
YearQuery = Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR)]
#: The version a form or an API call expects a record to have.
VersionForm = Annotated[int, Form(ge=0, le=MAX_VERSION)]
VersionQuery = Annotated[int, Query(ge=0, le=MAX_VERSION)]
#: A whole number of đồng in a JSON body (số tiền): 0 … 10^15.
Money = Annotated[int, Field(ge=0, le=MAX_MONEY)]
#: A whole number of đồng in a query string or a form.
MoneyQuery = Annotated[int, Query(ge=0, le=MAX_MONEY)]
MoneyForm = Annotated[int, Form(ge=0, le=MAX_MONEY)]


def plain_text(value: str) -> str:
    """Text that can be stored and shown: no NUL or other control character (tab and line breaks
    aside), no lone surrogate (which no database can encode)."""
    for char in value:
        if (ord(char) < 32 and char not in "\t\n\r") or "\ud800" <= char <= "\udfff" or char == "\x7f":
            raise ValueError(f"ký tự không hợp lệ U+{ord(char):04X} / invalid character U+{ord(char):04X}")
    return value


#: A text field of a JSON body, checked by :func:`plain_text`.
PlainText = Annotated[str, AfterValidator(plain_text)]


def _control_error(where: str, name: str, value: str) -> dict[str, Any] | None:
    """An error for ``value`` if it holds a character no database stores (NUL and the other C0
    controls but tab and line breaks, DEL, lone surrogates)."""
    try:
        plain_text(value)
    except ValueError as exc:
        return {"type": "value_error", "loc": (where, name), "msg": f"Value error, {exc}"}
    return None


async def validate_request(request: Request) -> None:
    """Application-wide dependency, run before anything looks at the request's values:

    - the route's path parameters checked against their own types (``RecordId`` …) — the
      authorisation policy locates the record a path names, and an id of 2^64 must be a 422 (API) or
      a 404 page, not a driver overflow; ids typed plain ``int`` are bounded too;
    - no path, query or form value holds a control character or a lone surrogate (PostgreSQL refuses
      NUL in text, no driver encodes a surrogate): 422 naming the parameter.
    """
    errors: list[Any] = []
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is not None and dependant.path_params:
        values, path_errors = request_params_to_args(dependant.path_params, request.path_params)
        errors += path_errors
        for name, value in values.items():
            if name.endswith("_id") and isinstance(value, int) and not 1 <= value <= MAX_ID:
                low = value < 1
                limit = 1 if low else MAX_ID
                word = "greater than or equal to" if low else "less than or equal to"
                errors.append(
                    {
                        "type": "greater_than_equal" if low else "less_than_equal",
                        "loc": ("path", name),
                        "msg": f"Input should be {word} {limit}",
                        "ctx": {"ge" if low else "le": limit},
                    }
                )
    texts = [("path", k, v) for k, v in request.path_params.items() if isinstance(v, str)]
    texts += [("query", k, v) for k, v in request.query_params.multi_items()]
    content_type = request.headers.get("content-type", "")
    if request.method not in ("GET", "HEAD") and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        texts += [("body", k, v) for k, v in form.multi_items() if isinstance(v, str)]
    for where, name, value in texts:
        if (error := _control_error(where, name, value)) is not None and error["loc"] not in {
            tuple(e["loc"]) for e in errors
        }:
            errors.append(error)
    if errors:
        raise RequestValidationError(errors)


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
