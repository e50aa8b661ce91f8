"""Server-side rendering: one Jinja2 environment, translated per request through its context.

The gettext callables read the request's catalog from the template context (``translations``), so
one shared environment serves Vietnamese and English concurrently without global state.
"""

from __future__ import annotations

from typing import Any

from babel.support import Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from ansinh.core.money import format_dong
from ansinh.core.text import mask_id
from ansinh.web import labels
from ansinh.web.domains import domain_packages, domain_template_packages
from ansinh.web.i18n import DEFAULT_LOCALE, LOCALES, format_count, format_date, format_datetime, translations
from ansinh.web.security import LANG_COOKIE, csrf_token


def locale_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LOCALE)
    return lang if lang in LOCALES else DEFAULT_LOCALE


def translations_of(request: Request, template: str | None = None) -> Translations:
    """The request's catalog; for a domain's template (``ledger/…``), with that domain's words first."""
    prefix = template.split("/", 1)[0] if template and "/" in template else None
    domains = {pkg.rsplit(".", 1)[-1] for pkg in domain_packages()}
    return translations(locale_of(request), prefix if prefix in domains else None)


@pass_context
def _gettext(context: Context, message: str) -> str:
    catalog: Translations = context["translations"]
    return catalog.gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    catalog: Translations = context["translations"]
    return catalog.ngettext(singular, plural, n)


def _make_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader("ansinh.web", "templates")]
            + [PackageLoader(pkg, "templates") for pkg in domain_template_packages()]
        ),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        dong=lambda v: format_dong(v) if v is not None else "",
        ddmmyyyy=format_date,
        when=format_datetime,
        count=format_count,
        mask=mask_id,
    )
    env.globals.update(labels=labels)
    return env


environment = _make_environment()


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with what every page needs: catalog, locale, user, CSRF token, current path."""
    full: dict[str, Any] = {
        "request": request,
        "translations": translations_of(request, template),
        "locale": locale_of(request),
        "principal": getattr(request.state, "principal", None),
        "csrf_token": csrf_token(request),
        "path": request.url.path,
        "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "features": request.app.state.features,
    }
    full.update(context or {})
    html = environment.get_template(template).render(full)
    return HTMLResponse(html, status_code=status_code)
