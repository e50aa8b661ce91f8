"""Staff accounts: passwords (argon2id), roles and their permissions, sessions, API tokens, throttling.

Roles (vai trò) and what they may do; every role also has an area (see :mod:`ansinh.core.scope`):

=====================  ==============================================================
administrator          manages accounts, reads the audit trail, reads the whole province
director               reads the whole province (giám đốc / lãnh đạo)
collection_officer     employers, declarations, payments (phòng thu)
benefits_officer       benefit cases and payment lists (chế độ BHXH)
claims_reviewer        HI claims review (giám định BHYT)
inspector              inspections of employers (thanh tra, kiểm tra)
commune_officer        own commune only (cán bộ xã)
viewer                 reads, never writes
hospital               files claims for its own facilities (cơ sở KCB), nothing else
=====================  ==============================================================

>>> "users:manage" in PERMISSIONS["administrator"]
True
>>> "persons:write" in PERMISSIONS["viewer"]
False
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ansinh.core.audit import record
from ansinh.core.auth_models import ROLES, ApiToken, SignInAttempt, User, WebSession
from ansinh.core.scope import AreaScope

#: Every permission a token may carry. Web sessions carry all of their role's permissions.
ALL_SCOPES = (
    "persons:read",
    "persons:write",
    "employers:read",
    "employers:write",
    "declarations:write",
    "claims:read",
    "claims:write",
    "claims:submit",
    "ledger:read",
    "ledger:write",
    "benefits:read",
    "benefits:write",
    "coverage:read",
    "outreach:write",
    "inspections:write",
    "calc:use",
    "audit:read",
    "users:manage",
)

_READ = frozenset(
    {
        "persons:read",
        "employers:read",
        "calc:use",
        "ledger:read",
        "benefits:read",
        "coverage:read",
    }
)

PERMISSIONS: dict[str, frozenset[str]] = {
    "administrator": _READ | {"audit:read", "users:manage"},
    # Patients' records (diagnoses, treatment) are read only by those who review, direct or inspect.
    "director": _READ | {"claims:read"},
    "collection_officer": _READ | {"employers:write", "declarations:write", "ledger:write"},
    "benefits_officer": _READ | {"persons:write", "benefits:write"},
    "claims_reviewer": _READ | {"claims:read", "claims:write", "claims:submit"},
    "inspector": _READ | {"claims:read", "inspections:write"},
    "commune_officer": _READ | {"persons:write", "outreach:write"},
    "viewer": _READ,
    # A hospital's account files its own facilities' claims and nothing else (bound in facility_codes).
    "hospital": frozenset({"claims:submit"}),
}

#: Roles whose work spans the province: their area must be the province, not a commune.
PROVINCE_ROLES = frozenset({"administrator", "director"})

SESSION_LIFETIME = timedelta(hours=8)
#: Throttling: this many failures for one account (or 4× as many from one address) within the window
#: refuse further attempts, even with the right password, until the window has passed.
MAX_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they are UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A random password to hand over once (about 96 bits)."""
    return secrets.token_urlsafe(12)


class AuthError(Exception):
    """Base of the refusals below; the message is for logs, never shown verbatim to a user."""


class BadCredentials(AuthError):
    pass


class Throttled(AuthError):
    pass


class InvalidAccount(ValueError):
    """An account that cannot be created as asked (unknown role, area, duplicate username)."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user, or a machine client holding an API token."""

    user_id: int
    username: str
    full_name: str
    role: str
    scope: AreaScope
    permissions: frozenset[str] = field(default_factory=frozenset)
    via_token: bool = False

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def principal_of(session: Session, user: User, token_scopes: frozenset[str] | None = None) -> Principal:
    role_permissions = PERMISSIONS[user.role]
    permissions = role_permissions if token_scopes is None else role_permissions & token_scopes
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        scope=AreaScope.of_area(user.area_code, session),
        permissions=permissions,
        via_token=token_scopes is not None,
    )


# --- accounts ----------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    username: str,
    role: str,
    area_code: str,
    full_name: str | None = None,
    password: str | None = None,
    actor: str = "system",
) -> tuple[User, str]:
    """Create an account; returns it with its password (generated when none is given)."""
    username = username.strip().lower()
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").isalnum():
        raise InvalidAccount(f"username {username!r} must be letters, digits, '.' or '_'")
    if role not in ROLES:
        raise InvalidAccount(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    try:
        scope = AreaScope.of_area(area_code, session)
    except ValueError as exc:
        raise InvalidAccount(str(exc)) from exc
    if role == "commune_officer" and scope.is_province:
        raise InvalidAccount("a commune officer's area must be a commune")
    if role in PROVINCE_ROLES and not scope.is_province:
        raise InvalidAccount(f"a {role}'s area must be the province")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidAccount(f"username {username!r} is taken")
    password = password or generate_password()
    if len(password) < 10:
        raise InvalidAccount("password must have at least 10 characters")
    user = User(
        username=username,
        full_name=full_name or username,
        role=role,
        area_code=area_code,
        password_hash=hash_password(password),
        active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity="user",
        entity_id=user.id,
        detail={"username": username, "role": role, "area": area_code},
    )
    return user, password


def reset_password(session: Session, user: User, *, actor: str, password: str | None = None) -> str:
    password = password or generate_password()
    user.password_hash = hash_password(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    record(session, actor=actor, action="reset_password", entity="user", entity_id=user.id)
    return password


def set_active(session: Session, user: User, active: bool, *, actor: str) -> None:
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    record(
        session, actor=actor, action="activate" if active else "deactivate", entity="user", entity_id=user.id
    )


# --- signing in --------------------------------------------------------------------------------


def is_throttled(session: Session, username: str, source_ip: str, now: datetime | None = None) -> bool:
    since = (now or utcnow()) - THROTTLE_WINDOW
    failures = (
        select(func.count())
        .select_from(SignInAttempt)
        .where(SignInAttempt.at >= since, SignInAttempt.succeeded.is_(False))
    )
    by_user = session.scalar(failures.where(SignInAttempt.username == username)) or 0
    by_ip = session.scalar(failures.where(SignInAttempt.source_ip == source_ip)) or 0
    return by_user >= MAX_FAILURES or by_ip >= 4 * MAX_FAILURES


def authenticate(session: Session, username: str, password: str, source_ip: str) -> User:
    """Check a username and password; every attempt is recorded, failures count towards throttling."""
    username = username.strip().lower()[:64]
    now = utcnow()
    if is_throttled(session, username, source_ip, now):
        record(
            session,
            actor=username or "-",
            action="sign_in_throttled",
            entity="user",
            entity_id=username or "-",
            source_ip=source_ip,
        )
        raise Throttled(username)
    user = session.scalar(select(User).where(User.username == username))
    ok = user is not None and user.active and verify_password(user.password_hash, password)
    session.add(SignInAttempt(username=username, source_ip=source_ip, at=now, succeeded=ok))
    if not ok or user is None:
        record(
            session,
            actor=username or "-",
            action="sign_in_failed",
            entity="user",
            entity_id=username or "-",
            source_ip=source_ip,
        )
        raise BadCredentials(username)
    user.last_sign_in_at = now
    record(
        session, actor=user.username, action="sign_in", entity="user", entity_id=user.id, source_ip=source_ip
    )
    return user


def open_session(session: Session, user: User, source_ip: str | None) -> str:
    """Start a web session; returns the cookie value (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            token_hash=digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
            source_ip=source_ip,
        )
    )
    return token


def user_for_session(session: Session, token: str) -> User | None:
    web_session = session.get(WebSession, digest(token))
    if web_session is None or _aware(web_session.expires_at) <= utcnow():
        return None
    user = session.get(User, web_session.user_id)
    return user if user is not None and user.active else None


def close_session(session: Session, token: str, *, actor: str, source_ip: str | None) -> None:
    web_session = session.get(WebSession, digest(token))
    if web_session is None:
        return
    session.delete(web_session)
    record(
        session,
        actor=actor,
        action="sign_out",
        entity="user",
        entity_id=web_session.user_id,
        source_ip=source_ip,
    )


# --- API tokens --------------------------------------------------------------------------------


def issue_token(
    session: Session,
    user: User,
    *,
    name: str,
    scopes: list[str],
    actor: str,
    expires_at: datetime | None = None,
) -> str:
    """Issue an API token; returns it once (only its digest is stored)."""
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise InvalidAccount(f"unknown scopes: {', '.join(unknown)}")
    if not scopes:
        raise InvalidAccount("a token needs at least one scope")
    token = "ans_" + secrets.token_urlsafe(32)
    api_token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100] or "token",
        token_hash=digest(token),
        scopes=" ".join(sorted(set(scopes))),
        created_at=utcnow(),
        expires_at=expires_at,
    )
    session.add(api_token)
    session.flush()
    record(
        session,
        actor=actor,
        action="issue_token",
        entity="user",
        entity_id=user.id,
        detail={"token_id": api_token.id, "scopes": api_token.scopes},
    )
    return token


def revoke_token(session: Session, api_token: ApiToken, *, actor: str) -> None:
    api_token.revoked_at = utcnow()
    record(
        session,
        actor=actor,
        action="revoke_token",
        entity="user",
        entity_id=api_token.user_id,
        detail={"token_id": api_token.id},
    )


def principal_for_token(session: Session, token: str) -> Principal | None:
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    now = utcnow()
    if api_token is None or api_token.revoked_at is not None:
        return None
    if api_token.expires_at is not None and _aware(api_token.expires_at) <= now:
        return None
    user = session.get(User, api_token.user_id)
    if user is None or not user.active:
        return None
    # Recording every use would write on every request; a minute's precision is enough.
    if api_token.last_used_at is None or now - _aware(api_token.last_used_at) > timedelta(minutes=1):
        api_token.last_used_at = now
    return principal_of(session, user, frozenset(api_token.scopes.split()))
