"""How the later domains (ledger, claims, benefits, coverage) add their pages to the application.

A domain keeps its web code in its own folder, as the design asks:

- ``ansinh/<domain>/web.py`` with ``router`` (pages, an ``APIRouter``), optionally ``api`` (JSON
  routes under ``/api/v1/...``) and ``NAV`` (menu entries: :class:`NavItem`);
- ``ansinh/<domain>/templates/<domain>/*.html``, extending ``base.html``;
- ``ansinh/<domain>/i18n/vi.po`` and ``en.po``, merged into the application's catalogs.

:func:`ansinh.web.app.create_app` mounts every module listed in :data:`DOMAIN_WEB_MODULES` that exists,
behind sign-in; each route still declares the permission it needs.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import ModuleType

DOMAIN_WEB_MODULES = ("ansinh.ledger.web", "ansinh.claims.web", "ansinh.benefits.web", "ansinh.coverage.web")


@dataclass(frozen=True)
class NavItem:
    """A main-menu entry: the path, its English label (a msgid) and the permission that shows it."""

    path: str
    label: str
    permission: str


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@lru_cache(maxsize=1)
def domain_web_modules() -> tuple[ModuleType, ...]:
    return tuple(importlib.import_module(name) for name in DOMAIN_WEB_MODULES if _exists(name))


def domain_packages() -> list[str]:
    """The domain packages (``ansinh.ledger``…) that have a web module."""
    return [module.__name__.rsplit(".", 1)[0] for module in domain_web_modules()]


def domain_template_packages() -> list[str]:
    return [pkg for pkg in domain_packages() if resources.files(pkg).joinpath("templates").is_dir()]


def domain_catalogs(locale: str, first: str | None = None) -> list[bytes]:
    """The ``.po`` sources of the domains for ``locale`` (``first``: that domain's catalog comes
    last, so that its own translation of a word shared with another domain wins)."""
    out = []
    packages = domain_packages()
    if first is not None:
        packages = [p for p in packages if p.rsplit(".", 1)[-1] != first] + [
            p for p in packages if p.rsplit(".", 1)[-1] == first
        ]
    for pkg in packages:
        po = resources.files(pkg).joinpath("i18n", f"{locale}.po")
        if po.is_file():
            out.append(po.read_bytes())
    return out


def navigation() -> list[NavItem]:
    items: list[NavItem] = []
    for module in domain_web_modules():
        items.extend(getattr(module, "NAV", []))
    return items
