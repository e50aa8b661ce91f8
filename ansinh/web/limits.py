"""Request bodies bounded (giới hạn dữ liệu gửi lên): an ASGI middleware and the claims upload quota.

:class:`LimitBodies` picks a limit for every request from its path and content type
(:meth:`BodyLimits.for_request`): JSON bodies 2 MiB, urlencoded forms 1 MiB, multipart uploads (bank
statements, declaration files, payment returns) 50 MiB, and the claims upload (``POST /api/v1/claims``,
the GIAMDINHHS XML of a hospital) 200 MiB, all set by ``ANSINH_MAX_*_BYTES``. A declared
``Content-Length`` above the limit is answered 413 before a byte is read; a body without one (chunked)
is counted as it streams and refused with 413 the moment it passes the limit. The answer is JSON under
``/api/`` and the Vietnamese error page otherwise.

Starlette's own ``RequestBodyLimitMiddleware`` has one limit per route and answers in English plain
text; this one chooses by content type and speaks the application's languages.

:func:`receive_to_file` streams a claims upload into a temporary file in chunks (never whole in memory)
and holds an API token to its daily quota of bytes (``ANSINH_CLAIMS_DAILY_QUOTA_BYTES``, default 2 GiB,
counted per Vietnamese calendar day in ``api_token_usage``): 429 beyond.

>>> limits = BodyLimits(json=10, form=5, upload=100, claims=1000, claims_daily_quota=5000)
>>> limits.for_request("/api/v1/ledger/declarations", "application/json")
10
>>> limits.for_request("/api/v1/claims", "application/xml")
1000
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ansinh.core.auth import digest
from ansinh.core.auth_models import ApiToken, ApiTokenUsage
from ansinh.core.db import unit_of_work
from ansinh.core.settings import get_settings
from ansinh.web.errors import BodyTooLarge, QuotaExceeded
from ansinh.web.i18n import VIETNAM_TIME

#: Paths that receive claim files: the API, and the reviewers' upload page when there is one.
CLAIMS_UPLOAD_PATHS = frozenset({"/api/v1/claims", "/claims/upload"})


@dataclass(frozen=True)
class BodyLimits:
    """Largest body, in bytes, of each kind of request."""

    json: int
    form: int
    upload: int
    claims: int
    claims_daily_quota: int

    @classmethod
    def from_settings(cls) -> BodyLimits:
        s = get_settings()
        return cls(
            json=s.max_json_bytes,
            form=s.max_form_bytes,
            upload=s.max_upload_bytes,
            claims=s.max_claims_upload_bytes,
            claims_daily_quota=s.claims_daily_quota_bytes,
        )

    def for_request(self, path: str, content_type: str) -> int:
        if path.rstrip("/") in CLAIMS_UPLOAD_PATHS:
            return self.claims
        kind = content_type.split(";", 1)[0].strip().lower()
        if kind == "multipart/form-data":
            return self.upload
        if kind == "application/x-www-form-urlencoded":
            return self.form
        return self.json


def limits_of(scope: Scope) -> BodyLimits:
    """The limits of the application serving ``scope`` (``app.state.body_limits``)."""
    app = scope.get("app")
    limits = getattr(getattr(app, "state", None), "body_limits", None)
    return limits if isinstance(limits, BodyLimits) else BodyLimits.from_settings()


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


async def too_large_response(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    """The 413 answer: JSON under ``/api/``, the error page (in the user's language) otherwise."""
    error = BodyTooLarge(limit)
    path: str = scope.get("path", "")
    if path.startswith("/api/") and not path.startswith("/api/docs"):
        body = json.dumps({"detail": error.detail, "limit": limit}, ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    from ansinh.web.render import render

    response = render(Request(scope, receive), "error.html", {"status": 413, "limit": limit}, 413)
    await response(scope, receive, send)


class LimitBodies:
    """ASGI middleware: every request body within the limit of its kind, else 413 (nothing stored)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = limits_of(scope).for_request(scope.get("path", ""), headers.get("content-type", ""))
        declared = _declared_length(headers)
        if declared is not None and declared > limit:
            await too_large_response(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            # raised where no exception handler saw it (outside the routes): answer here if we still can
            if started:
                raise
            await too_large_response(scope, receive, send, limit)


# --- the claims upload ------------------------------------------------------------------------


def today_in_vietnam() -> date:
    return datetime.now(VIETNAM_TIME).date()


#: Bytes reserved at a time against the daily quota while an upload streams.
QUOTA_STEP = 8 * 1024 * 1024


class DailyQuota:
    """Bytes one API token has sent today (``api_token_usage``) against ``limit``."""

    def __init__(self, engine: Engine, token_id: int, limit: int, day: date | None = None) -> None:
        self.engine = engine
        self.token_id = token_id
        self.limit = limit
        self.day = day or today_in_vietnam()

    def used(self) -> int:
        with unit_of_work(self.engine) as s:
            row = s.get(ApiTokenUsage, (self.token_id, self.day))
            return row.bytes if row is not None else 0

    def reserve(self, nbytes: int, *, request: bool = False) -> bool:
        """Add ``nbytes`` to today's count if the total stays within the limit, in one conditional
        UPDATE: two uploads of the same token at the same moment cannot both pass a check made
        before either had counted (the race of check-then-charge). False when it would exceed."""
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        with unit_of_work(self.engine) as s:
            s.execute(insert(ApiTokenUsage).values(token_id=self.token_id, day=self.day, bytes=0, requests=0)
                      .on_conflict_do_nothing())
            done = s.execute(
                update(ApiTokenUsage)
                .where(ApiTokenUsage.token_id == self.token_id, ApiTokenUsage.day == self.day,
                       ApiTokenUsage.bytes + nbytes <= self.limit)
                .values(bytes=ApiTokenUsage.bytes + nbytes, requests=ApiTokenUsage.requests + int(request))
            )
            return bool(getattr(done, "rowcount", 0))

    def charge(self, nbytes: int) -> None:
        """Add bytes to today's count whatever the limit (a refused upload's bytes still count)."""
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        with unit_of_work(self.engine) as s:
            s.execute(insert(ApiTokenUsage).values(token_id=self.token_id, day=self.day, bytes=0, requests=0)
                      .on_conflict_do_nothing())
            s.execute(update(ApiTokenUsage)
                      .where(ApiTokenUsage.token_id == self.token_id, ApiTokenUsage.day == self.day)
                      .values(bytes=ApiTokenUsage.bytes + nbytes))


def quota_of(request: Request, engine: Engine) -> DailyQuota | None:
    """The daily quota of the API token the request carries; None for a signed-in person."""
    authorization = request.headers.get("authorization", "")
    if not authorization.lower().startswith("bearer "):
        return None
    with unit_of_work(engine) as s:
        token = authorization[7:].strip()
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest(token)))
    if token_id is None:
        return None
    return DailyQuota(engine, token_id, limits_of(request.scope).claims_daily_quota)


async def receive_to_file(request: Request, engine: Engine, tmp: IO[bytes]) -> tuple[int, str]:
    """Stream the request body into ``tmp`` chunk by chunk; (size, SHA-256). The middleware bounds the
    size; the token's daily quota is reserved atomically before the body is read (the declared
    length) and in steps of :data:`QUOTA_STEP` while it streams, so that parallel uploads cannot
    overrun it together; what was received counts (also when refused), what was reserved and not
    received is given back."""
    quota = quota_of(request, engine)
    declared = _declared_length(request.headers) or 0
    reserved = 0
    if quota is not None:
        if not quota.reserve(declared, request=True):
            raise QuotaExceeded(quota.limit)
        reserved = declared
    sha256 = hashlib.sha256()
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if quota is not None and size > reserved:
                # a step ahead when the quota allows it, else exactly what has arrived
                for step in (max(QUOTA_STEP, size - reserved), size - reserved):
                    if quota.reserve(step):
                        reserved += step
                        break
                else:
                    raise QuotaExceeded(quota.limit)
            sha256.update(chunk)
            tmp.write(chunk)
    finally:
        if quota is not None and reserved != size:
            quota.charge(size - reserved)  # give back the unused reservation (or count the refused chunk)
    tmp.seek(0)
    return size, sha256.hexdigest()
