"""Languages of the staff application: Vietnamese by default, English selectable.

Catalogs are Babel ``.po`` files in this folder (``messages.pot`` is extracted from the templates and
the web code with ``pybabel extract -F ansinh/web/i18n/babel.cfg -k N_ -o ansinh/web/i18n/messages.pot
ansinh/web``). They are compiled in memory on first use, so a clean clone needs no build step.

Display formats do not depend on the language: money ``1.234.567 ₫``, dates ``dd/mm/yyyy``.

>>> format_date(date(2025, 7, 1))
'01/07/2025'
>>> format_count(1234567)
'1.234.567'
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
#: Vietnam has no daylight saving time: UTC+7 all year.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is displayed."""
    return message


@lru_cache(maxsize=8 * len(LOCALES))
def translations(locale: str, domain: str | None = None) -> Translations:
    """The compiled catalog of ``locale`` (English msgids stand for themselves) for a page of
    ``domain`` (``ledger``, ``claims``…; None: the application's own pages).

    Every domain brings its own catalog and they are merged; a word two domains translate
    differently ("Status": "Tình trạng" of a debt, "Đánh giá" of an indicator) takes the translation
    of the page's own domain, and the application's own on its pages."""
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    from ansinh.web.domains import domain_catalogs

    source = resources.files("ansinh.web.i18n").joinpath(f"{locale}.po").read_bytes()
    merged = _compile(source, locale)
    for domain_source in domain_catalogs(locale, first=domain):
        merged.merge(_compile(domain_source, locale))
    if domain is None:
        merged.merge(_compile(source, locale))
    return merged


def _compile(source: bytes, locale: str) -> Translations:
    catalog = read_po(io.BytesIO(source), locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def format_datetime(value: datetime | None) -> str:
    """A timestamp in Vietnam time, ``dd/mm/yyyy HH:MM``."""
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(VIETNAM_TIME).strftime("%d/%m/%Y %H:%M")


def format_count(value: int | None) -> str:
    """Whole numbers grouped with dots, as Vietnamese readers (and our money format) expect."""
    return f"{value or 0:,}".replace(",", ".")
