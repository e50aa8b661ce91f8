"""Application settings, validated once at start-up (pydantic-settings).

Every setting comes from an ``ANSINH_*`` environment variable; the defaults run the embedded demo:

>>> Settings().database_url
'sqlite:///var/ansinh.db'
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "secret", "change-me", "changethis", "password"}


class Settings(BaseSettings):
    """Settings of one ansinh process."""

    model_config = SettingsConfigDict(env_prefix="ANSINH_", extra="ignore")

    database_url: str = "sqlite:///var/ansinh.db"
    #: Key that signs session cookies; generated per process when unset (sessions then end on restart).
    secret_key: str | None = None
    #: Province this office serves (QĐ 19/2025 code).
    province_code: str = "42"
    #: Request bodies (ansinh.web.limits): JSON, urlencoded forms, multipart uploads (bank statements,
    #: declaration files), and the claims upload (POST /api/v1/claims), in bytes; beyond: 413.
    max_json_bytes: int = 2 * 1024 * 1024
    max_form_bytes: int = 1024 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024
    max_claims_upload_bytes: int = 200 * 1024 * 1024
    #: Bytes of claim files one API token may send per day (Vietnam time); beyond: 429.
    claims_daily_quota_bytes: int = 2 * 1024 * 1024 * 1024

    @field_validator("secret_key")
    @classmethod
    def _refuse_placeholder(cls, value: str | None) -> str | None:
        if value is not None and (value.lower() in PLACEHOLDER_SECRETS or len(value) < 16):
            raise ValueError("ANSINH_SECRET_KEY must be a random string of at least 16 characters")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
