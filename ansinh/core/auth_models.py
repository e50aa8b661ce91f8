"""Tables of staff accounts: users, their web sessions, API tokens and sign-in attempts.

Secrets are never stored: passwords as argon2id hashes, session and API tokens as SHA-256 digests
(the tokens are 256-bit random strings, so a fast digest is enough and lets us look them up).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ansinh.core.db import Base
from ansinh.registry.models import IdType

ROLES = (
    "administrator",
    "director",
    "collection_officer",
    "benefits_officer",
    "claims_reviewer",
    "inspector",
    "commune_officer",
    "viewer",
    "hospital",
)


class User(Base):
    """A staff account (tài khoản cán bộ). ``area_code`` is a 2-digit province or a 5-digit commune."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(24))
    area_code: Mapped[str] = mapped_column(String(5))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Set by an administrator's reset: the next sign-in must choose a new password first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: A hospital account's facilities (mã cơ sở KCB), space-separated; NULL for staff.
    facility_codes: Mapped[str | None] = mapped_column(Text)


class WebSession(Base):
    """A signed-in browser (phiên đăng nhập), kept server-side so that signing out really ends it."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source_ip: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A token for a machine client (employer payroll software, a hospital), with scopes."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Space-separated, e.g. ``persons:read declarations:write``.
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The facilities a hospital's token may file claims for (a subset of its user's), space-separated.
    facility_codes: Mapped[str | None] = mapped_column(Text)


class ApiTokenUsage(Base):
    """What a token sent on one day (bytes and requests), to hold it to its quota."""

    __tablename__ = "api_token_usage"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)


class SignInThrottle(Base):
    """Failures counted per key (``user:<name>`` or ``ip:<address>``) and the moment before which
    the next attempt is not evaluated; updated atomically so parallel guesses cannot race past it."""

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInAttempt(Base):
    """One sign-in attempt, kept to throttle password guessing by account and by address."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_username_at", "username", "at"),
        Index("ix_sign_in_attempts_source_ip_at", "source_ip", "at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    source_ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    succeeded: Mapped[bool] = mapped_column(Boolean)
