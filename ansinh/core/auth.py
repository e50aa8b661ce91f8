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

Signing in (đăng nhập) does the same work whether or not the account exists (an unknown name is
checked against a dummy argon2 hash), so the answer's timing does not reveal who has an account.

Password guessing is slowed, not turned into a lock-out: every attempt first *claims* a turn for its
account (``user:<name>``) and its address (``ip:<address>``) in ``sign_in_throttles``, in its own
short transaction with the rows locked, before any password is evaluated. The first
:data:`MAX_FAILURES` failures of an account (4× as many of an address) are free; after that the next
attempt must wait 30 s, then 1, 2, 4… minutes, at most 15. An attempt arriving during the wait is
refused unevaluated (HTTP 429 with the seconds to wait). A browser in which the account signed in
before carries a signed *known device* cookie (thiết bị quen) and is counted on its own key
(``device:<id>``) instead, so the owner gets in while someone elsewhere guesses.

>>> backoff(MAX_FAILURES - 1, MAX_FAILURES), backoff(MAX_FAILURES, MAX_FAILURES)
(datetime.timedelta(0), datetime.timedelta(seconds=30))
>>> backoff(40, MAX_FAILURES) == MAX_DELAY
True

Passwords (mật khẩu) chosen by people must have 12 to 128 characters, must not contain the username,
must not be one character repeated, and must not be guessable: not in the lists of common passwords
of *zxcvbn* (30,000 leaked passwords, dictionaries and names) and a *zxcvbn* strength of at least 3.

>>> for problem in password_problems("aaaaaaaaaa", username="lan"):
...     print(problem)
Mật khẩu phải có ít nhất 12 ký tự (hiện có 10).
Mật khẩu không được chỉ là một hoặc hai ký tự lặp lại.
>>> print(password_problems("password1234", username="lan")[0].english)
This password is in the list of common passwords.
>>> password_problems("mây-trắng-bay-về-núi", username="lan")
[]

>>> "users:manage" in PERMISSIONS["administrator"]
True
>>> "persons:write" in PERMISSIONS["viewer"]
False
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn  # type: ignore[import-untyped]
from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

from ansinh.core.audit import record
from ansinh.core.auth_models import ROLES, ApiToken, SignInAttempt, SignInThrottle, User, WebSession
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
#: Roles bound to health-care facilities (cơ sở KCB) rather than to staff work.
FACILITY_ROLES = frozenset({"hospital"})
#: A facility code (mã cơ sở KCB, MA_CSKCB of QĐ 130/QĐ 4750): five digits.
FACILITY_CODE = re.compile(r"\d{5}")

SESSION_LIFETIME = timedelta(hours=8)

#: Throttling: failures of one account (4× as many from one address, as many from one known device)
#: that cost nothing; each further failure doubles the wait before the next attempt is evaluated.
MAX_FAILURES = 5
ADDRESS_FAILURES = 4 * MAX_FAILURES
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
#: A key's failures are forgotten after this long without a new one.
FORGET_AFTER = timedelta(hours=1)
#: About one sign-in attempt in this many also purges the stale throttle rows.
PURGE_ONE_IN = 200

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
#: zxcvbn's score (0–4) a chosen password must reach: 3 = "safely unguessable" (≥ 10⁸ guesses).
MIN_PASSWORD_SCORE = 3
#: Words of this office that make a password guessable here (zxcvbn's ``user_inputs``).
SITE_WORDS = ("ansinh", "bhxh", "bhyt", "bhtn", "baohiem", "baohiemxahoi", "matkhau", "vietnam")

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


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash of a random secret with the same parameters as real ones, made once per process: an
    unknown username is verified against it, so that it costs as much time as a known one."""
    return _hasher.hash(secrets.token_urlsafe(32))


def generate_password() -> str:
    """A random password to hand over once (about 96 bits)."""
    return secrets.token_urlsafe(12)


class AuthError(Exception):
    """Base of the refusals below; the message is for logs, never shown verbatim to a user."""


class BadCredentials(AuthError):
    pass


class Throttled(AuthError):
    """Too many failures: the attempt was not evaluated; ``retry_after`` seconds must pass first."""

    def __init__(self, username: str, retry_after: int) -> None:
        super().__init__(f"{username}: retry after {retry_after} s")
        self.username = username
        self.retry_after = retry_after


class InvalidAccount(ValueError):
    """An account, password or token that cannot be made as asked. ``str()`` is the Vietnamese
    message; ``english`` its English form; ``field`` the form field it is about."""

    def __init__(self, message: str, english: str | None = None, *, field: str = "") -> None:
        super().__init__(message)
        self.english = english or message
        self.field = field

    def text(self, locale: str) -> str:
        return self.english if locale == "en" else str(self)


class WeakPassword(InvalidAccount):
    """A chosen password that the policy refuses (the first problem; ``problems`` has them all)."""

    def __init__(self, problems: list[InvalidAccount]) -> None:
        super().__init__(
            " ".join(str(p) for p in problems), " ".join(p.english for p in problems), field=problems[0].field
        )
        self.problems = problems


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user, or a machine client holding an API token.

    ``facilities`` are the health-care facilities (mã cơ sở KCB) a hospital account or its token may
    act for; ``None`` for staff, who are bound by ``scope`` instead."""

    user_id: int
    username: str
    full_name: str
    role: str
    scope: AreaScope
    permissions: frozenset[str] = field(default_factory=frozenset)
    via_token: bool = False
    facilities: frozenset[str] | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def facility_codes_of(value: str | None) -> frozenset[str]:
    return frozenset((value or "").split())


def principal_of(
    session: Session,
    user: User,
    token_scopes: frozenset[str] | None = None,
    token_facilities: frozenset[str] | None = None,
) -> Principal:
    role_permissions = PERMISSIONS[user.role]
    permissions = role_permissions if token_scopes is None else role_permissions & token_scopes
    facilities: frozenset[str] | None = None
    if user.role in FACILITY_ROLES:
        facilities = facility_codes_of(user.facility_codes)
        if token_facilities is not None:
            facilities &= token_facilities
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        scope=AreaScope.of_area(user.area_code, session),
        permissions=permissions,
        via_token=token_scopes is not None,
        facilities=facilities,
    )


# --- password policy ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """zxcvbn's list of the 30,000 most common passwords (from leaked password sets)."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, username: str, full_name: str | None = None) -> list[InvalidAccount]:
    """Everything wrong with a chosen password (empty: acceptable). Field ``password``."""
    problems: list[InvalidAccount] = []

    def problem(vi: str, en: str) -> None:
        problems.append(InvalidAccount(vi, en, field="password"))

    if len(password) < MIN_PASSWORD_LENGTH:
        problem(
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự (hiện có {len(password)}).",
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters (it has {len(password)}).",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        problem(
            f"Mật khẩu không được dài quá {MAX_PASSWORD_LENGTH} ký tự.",
            f"The password must not be longer than {MAX_PASSWORD_LENGTH} characters.",
        )
        return problems
    if password and len(set(password.lower())) <= 2:
        problem(
            "Mật khẩu không được chỉ là một hoặc hai ký tự lặp lại.",
            "The password must not be one or two characters repeated.",
        )
    name = username.strip().lower()
    if len(name) >= 3 and name in password.lower():
        problem("Mật khẩu không được chứa tên đăng nhập.", "The password must not contain the username.")
    if password.lower() in _common_passwords():
        problem(
            "Mật khẩu này nằm trong danh sách mật khẩu phổ biến.",
            "This password is in the list of common passwords.",
        )
    elif password and not problems:
        inputs = [name, *SITE_WORDS, *(full_name or "").lower().split()]
        result = zxcvbn(password, user_inputs=inputs, max_length=MAX_PASSWORD_LENGTH)
        if int(result["score"]) < MIN_PASSWORD_SCORE:
            problem(
                "Mật khẩu quá dễ đoán: hãy dùng một cụm từ dài hơn, ít gặp, hoặc thêm từ.",
                "The password is too easy to guess: use a longer, less common phrase, or add words.",
            )
    return problems


def check_password(password: str, *, username: str, full_name: str | None = None) -> None:
    """Raise :class:`WeakPassword` when the policy refuses ``password``."""
    problems = password_problems(password, username=username, full_name=full_name)
    if problems:
        raise WeakPassword(problems)


# --- accounts ----------------------------------------------------------------------------------


def parse_facility_codes(value: str | Iterable[str] | None) -> list[str]:
    """Facility codes as typed (space- or comma-separated), checked: five digits each."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value or [])
    bad = [code for code in items if not FACILITY_CODE.fullmatch(code)]
    if bad:
        raise InvalidAccount(
            f"Mã cơ sở KCB phải gồm 5 chữ số: {', '.join(bad)}.",
            f"A facility code (MA_CSKCB) has 5 digits: {', '.join(bad)}.",
            field="facility_codes",
        )
    return sorted(set(items))


def create_user(
    session: Session,
    *,
    username: str,
    role: str,
    area_code: str,
    full_name: str | None = None,
    password: str | None = None,
    facility_codes: str | Iterable[str] | None = None,
    actor: str = "system",
) -> tuple[User, str]:
    """Create an account; returns it with its password (generated when none is given; a chosen one
    must pass the password policy). A hospital account needs its facility codes and the province."""
    username = username.strip().lower()
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").isalnum():
        raise InvalidAccount(
            f"Tên đăng nhập {username!r} chỉ gồm chữ, số, '.' hoặc '_' (tối đa 64 ký tự).",
            f"Username {username!r} must be letters, digits, '.' or '_' (at most 64).",
            field="username",
        )
    if role not in ROLES:
        raise InvalidAccount(
            f"Vai trò {role!r} không tồn tại; các vai trò: {', '.join(ROLES)}.",
            f"Unknown role {role!r}; roles: {', '.join(ROLES)}.",
            field="role",
        )
    try:
        scope = AreaScope.of_area(area_code, session)
    except ValueError as exc:
        raise InvalidAccount(
            f"Địa bàn {area_code!r} không hợp lệ: {exc}", f"Area {area_code!r}: {exc}", field="area_code"
        ) from exc
    if role == "commune_officer" and scope.is_province:
        raise InvalidAccount(
            "Địa bàn của cán bộ xã phải là một xã.",
            "A commune officer's area must be a commune.",
            field="area_code",
        )
    if (role in PROVINCE_ROLES or role in FACILITY_ROLES) and not scope.is_province:
        raise InvalidAccount(
            f"Địa bàn của vai trò {role} phải là cả tỉnh.",
            f"A {role}'s area must be the province.",
            field="area_code",
        )
    facilities = parse_facility_codes(facility_codes)
    if role in FACILITY_ROLES and not facilities:
        raise InvalidAccount(
            "Tài khoản cơ sở KCB cần ít nhất một mã cơ sở KCB (5 chữ số).",
            "A hospital account needs at least one facility code (5 digits).",
            field="facility_codes",
        )
    if role not in FACILITY_ROLES and facilities:
        raise InvalidAccount(
            "Chỉ tài khoản cơ sở KCB mới có mã cơ sở KCB.",
            "Only a hospital account has facility codes.",
            field="facility_codes",
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise InvalidAccount(
            f"Tên đăng nhập {username!r} đã có người dùng.",
            f"Username {username!r} is taken.",
            field="username",
        )
    if password:
        check_password(password, username=username, full_name=full_name)
    else:
        password = generate_password()
    user = User(
        username=username,
        full_name=full_name or username,
        role=role,
        area_code=area_code,
        password_hash=hash_password(password),
        active=True,
        created_at=utcnow(),
        must_change_password=False,
        facility_codes=" ".join(facilities) or None,
    )
    session.add(user)
    session.flush()
    detail: dict[str, object] = {"username": username, "role": role, "area": area_code}
    if facilities:
        detail["facility_codes"] = facilities
    record(session, actor=actor, action="create", entity="user", entity_id=user.id, detail=detail)
    return user, password


def reset_password(
    session: Session, user: User, *, actor: str, password: str | None = None, force_change: bool = True
) -> str:
    """An administrator's reset (cấp lại mật khẩu): a generated password (or a chosen one that passes
    the policy); the account's sessions end and, unless ``force_change`` is False, its next sign-in
    must choose a new password first. API tokens are not affected."""
    if password:
        check_password(password, username=user.username, full_name=user.full_name)
    else:
        password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = force_change
    user.password_changed_at = utcnow()
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    record(
        session,
        actor=actor,
        action="reset_password",
        entity="user",
        entity_id=user.id,
        detail={"must_change_password": force_change},
    )
    return password


def change_password(
    session: Session,
    user: User,
    *,
    current: str,
    new: str,
    repeated: str,
    source_ip: str,
    keep_session: str | None = None,
) -> int:
    """A user changes their own password (đổi mật khẩu): the current one is checked (throttled like a
    sign-in), the new one against the policy; the user's other sessions end. Returns how many ended."""
    _claim_turn(session, [(f"user:{user.username}", MAX_FAILURES)], utcnow(), user.username, source_ip)
    if not verify_password(user.password_hash, current):
        record(
            session,
            actor=user.username,
            action="change_password_failed",
            entity="user",
            entity_id=user.id,
            source_ip=source_ip,
        )
        raise InvalidAccount(
            "Mật khẩu hiện tại không đúng.", "The current password is wrong.", field="current_password"
        )
    _release_turn(session, [f"user:{user.username}"], [])
    if new != repeated:
        raise InvalidAccount(
            "Hai lần nhập mật khẩu mới không giống nhau.",
            "The two entries of the new password differ.",
            field="new_password_again",
        )
    if new == current:
        raise InvalidAccount(
            "Mật khẩu mới phải khác mật khẩu hiện tại.",
            "The new password must differ from the current one.",
            field="new_password",
        )
    check_password(new, username=user.username, full_name=user.full_name)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    others = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session:
        others = others.where(WebSession.token_hash != digest(keep_session))
    closed = session.execute(others).rowcount  # type: ignore[attr-defined]
    record(
        session,
        actor=user.username,
        action="change_password",
        entity="user",
        entity_id=user.id,
        source_ip=source_ip,
        detail={"other_sessions_closed": int(closed or 0)},
    )
    return int(closed or 0)


def set_active(session: Session, user: User, active: bool, *, actor: str) -> None:
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    record(
        session, actor=actor, action="activate" if active else "deactivate", entity="user", entity_id=user.id
    )


# --- throttling --------------------------------------------------------------------------------


def backoff(failures: int, free: int) -> timedelta:
    """The wait after ``failures`` failures of a key allowed ``free`` of them."""
    if failures < free:
        return timedelta(0)
    delay: timedelta = FIRST_DELAY * (2 ** min(failures - free, 30))
    return min(delay, MAX_DELAY)


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def _claim(engine: Engine, keys: list[tuple[str, int]], now: datetime) -> int:
    """Claim a turn for every key, atomically, in a transaction of its own: 0 when admitted (the
    attempt counts as a failure until :func:`_release_turn`), else the seconds to wait (nothing
    counted). The rows are locked (PostgreSQL: ``FOR UPDATE``; SQLite: the write lock taken by the
    first INSERT), so parallel attempts queue here and see each other's counts."""
    keys = sorted(keys)
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    with Session(engine) as s, s.begin():
        for key, _free in keys:
            s.execute(insert(SignInThrottle).values(key=key, failures=0).on_conflict_do_nothing())
        rows = {
            row.key: row
            for row in s.scalars(
                select(SignInThrottle)
                .where(SignInThrottle.key.in_([key for key, _ in keys]))
                .order_by(SignInThrottle.key)
                .with_for_update()
            )
        }
        wait = max(
            (
                (_aware(row.blocked_until) - now).total_seconds()
                for row in rows.values()
                if row.blocked_until is not None
            ),
            default=0.0,
        )
        if wait > 0:
            return max(1, math.ceil(wait))
        for key, free in keys:
            row = rows[key]
            if row.last_failure_at is None or now - _aware(row.last_failure_at) > FORGET_AFTER:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            delay = backoff(row.failures, free)
            row.blocked_until = now + delay if delay else None
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        purge_throttles(engine, now)
    return 0


def purge_throttles(engine: Engine, now: datetime) -> int:
    """Forget the keys that no longer slow anyone (last failure older than :data:`FORGET_AFTER`, no
    delay running): an attacker trying a million names or addresses must not grow the table for
    ever. Run by about one attempt in :data:`PURGE_ONE_IN`; returns the rows removed."""
    with Session(engine) as s, s.begin():
        done = s.execute(delete(SignInThrottle).where(
            SignInThrottle.last_failure_at < now - FORGET_AFTER,
            (SignInThrottle.blocked_until.is_(None)) | (SignInThrottle.blocked_until < now)))
        return int(getattr(done, "rowcount", 0) or 0)


def _claim_turn(
    session: Session, keys: list[tuple[str, int]], now: datetime, username: str, source_ip: str
) -> None:
    wait = _claim(_engine_of(session), keys, now)
    if wait:
        record(
            session,
            actor=username or "-",
            action="sign_in_throttled",
            entity="user",
            entity_id=username or "-",
            source_ip=source_ip,
            detail={"retry_after": wait},
        )
        raise Throttled(username, wait)


def _release_turn(session: Session, reset: list[str], undo: list[tuple[str, int]]) -> None:
    """After a success: ``reset`` keys forget their failures, ``undo`` keys take back this turn."""
    with Session(_engine_of(session)) as s, s.begin():
        for key in sorted(reset):
            row = s.get(SignInThrottle, key, with_for_update=True)
            if row is not None:
                row.failures, row.blocked_until = 0, None
        for key, free in sorted(undo):
            row = s.get(SignInThrottle, key, with_for_update=True)
            if row is not None:
                row.failures = max(0, row.failures - 1)
                if row.failures < free:
                    row.blocked_until = None


def throttle_keys(username: str, source_ip: str, device: str | None) -> list[tuple[str, int]]:
    """The keys an attempt counts on: its known device alone, or its account and its address."""
    if device:
        return [(f"device:{device}", MAX_FAILURES)]
    return [(f"user:{username}", MAX_FAILURES), (f"ip:{source_ip}", ADDRESS_FAILURES)]


# --- signing in --------------------------------------------------------------------------------


def authenticate(
    session: Session, username: str, password: str, source_ip: str, device: str | None = None
) -> User:
    """Check a username and password; every attempt is recorded and audited.

    ``device`` is the id of a known-device cookie already verified for this username by the caller
    (see :func:`ansinh.web.routes.auth.known_device`). Raises :class:`Throttled` without evaluating
    the password when the attempt's keys must wait, :class:`BadCredentials` when it is wrong."""
    username = username.strip().lower()[:64]
    now = utcnow()
    keys = throttle_keys(username, source_ip, device)
    _claim_turn(session, keys, now, username, source_ip)
    user = session.scalar(select(User).where(User.username == username))
    # The same argon2 work for an unknown or disabled account as for a real one.
    password_ok = verify_password(user.password_hash if user is not None else dummy_hash(), password)
    ok = user is not None and user.active and password_ok
    session.add(SignInAttempt(username=username, source_ip=source_ip, at=now, succeeded=ok))
    if not ok or user is None:
        record(
            session,
            actor=username or "-",
            action="sign_in_failed",
            entity="user",
            entity_id=username or "-",
            source_ip=source_ip,
            detail={"known_device": True} if device else None,
        )
        raise BadCredentials(username)
    if device:
        _release_turn(session, [keys[0][0]], [])
    else:
        _release_turn(session, [keys[0][0]], [keys[1]])
    user.last_sign_in_at = now
    record(
        session,
        actor=user.username,
        action="sign_in",
        entity="user",
        entity_id=user.id,
        source_ip=source_ip,
        detail={"known_device": True} if device else None,
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
    facility_codes: str | Iterable[str] | None = None,
) -> str:
    """Issue an API token; returns it once (only its digest is stored). Its scopes must lie within
    the user's role; a hospital's token carries the user's facility codes (or the subset given)."""
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise InvalidAccount(
            f"Phạm vi không tồn tại: {', '.join(unknown)}.",
            f"Unknown scopes: {', '.join(unknown)}.",
            field="scopes",
        )
    if not scopes:
        raise InvalidAccount(
            "Mã truy cập cần ít nhất một phạm vi.", "A token needs at least one scope.", field="scopes"
        )
    beyond = [s for s in scopes if s not in PERMISSIONS[user.role]]
    if beyond:
        raise InvalidAccount(
            f"Vai trò {user.role} của tài khoản {user.username} không có quyền: {', '.join(beyond)}; "
            "mã truy cập không thể có phạm vi rộng hơn vai trò.",
            f"The {user.role} role of account {user.username} lacks: {', '.join(beyond)}; "
            "a token cannot have scopes beyond its role.",
            field="scopes",
        )
    facilities: list[str] = []
    if user.role in FACILITY_ROLES:
        own = facility_codes_of(user.facility_codes)
        facilities = parse_facility_codes(facility_codes) or sorted(own)
        outside = [code for code in facilities if code not in own]
        if outside:
            raise InvalidAccount(
                f"Mã cơ sở KCB không thuộc tài khoản {user.username}: {', '.join(outside)}.",
                f"Facility codes not of account {user.username}: {', '.join(outside)}.",
                field="facility_codes",
            )
        if not facilities:
            raise InvalidAccount(
                f"Tài khoản {user.username} chưa có mã cơ sở KCB nào.",
                f"Account {user.username} has no facility codes.",
                field="facility_codes",
            )
    elif parse_facility_codes(facility_codes):
        raise InvalidAccount(
            "Chỉ mã truy cập của cơ sở KCB mới có mã cơ sở KCB.",
            "Only a hospital's token has facility codes.",
            field="facility_codes",
        )
    token = "ans_" + secrets.token_urlsafe(32)
    api_token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100] or "token",
        token_hash=digest(token),
        scopes=" ".join(scopes),
        created_at=utcnow(),
        expires_at=expires_at,
        facility_codes=" ".join(facilities) or None,
    )
    session.add(api_token)
    session.flush()
    detail: dict[str, object] = {"token_id": api_token.id, "scopes": api_token.scopes}
    if facilities:
        detail["facility_codes"] = facilities
    record(session, actor=actor, action="issue_token", entity="user", entity_id=user.id, detail=detail)
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
    facilities = facility_codes_of(api_token.facility_codes) if api_token.facility_codes else None
    return principal_of(session, user, frozenset(api_token.scopes.split()), facilities)
