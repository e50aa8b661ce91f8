"""Refusals raised by dependencies and routes, turned into pages (HTML) or JSON (under ``/api``)."""

from __future__ import annotations


class SignInRequired(Exception):
    """No valid session or token: pages redirect to the sign-in page, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but the role lacks the permission (403). Out-of-area records are 404, not this."""


class ProvinceOnly(Forbidden):
    """A province-wide operation asked for by a commune-scoped principal (403)."""


class NotInArea(LookupError):
    """The record lies outside the principal's area, or does not exist: the same 404 for both."""


class PasswordChangeRequired(Exception):
    """The account's password was reset by an administrator: pages redirect to the change page
    (``/account/password``) and the API answers 403 until a new password is chosen."""
