"""Catalogs and display formats: every message has a Vietnamese translation; money and dates are
shown the Vietnamese way in both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources

from babel.messages.pofile import read_po

from ansinh.core.money import format_dong
from ansinh.web.i18n import format_count, format_date, format_datetime, translations


def _catalog(name: str):  # type: ignore[no-untyped-def]
    with resources.files("ansinh.web.i18n").joinpath(name).open("rb") as f:
        return read_po(f)


def test_every_message_is_translated_to_vietnamese() -> None:
    template = _catalog("messages.pot")
    vi = _catalog("vi.po")
    missing = [m.id for m in template if m.id and (vi.get(m.id) is None or not vi.get(m.id).string)]
    assert missing == []
    # and nothing stale: the catalog holds what the templates use
    assert {str(m.id) for m in vi if m.id} == {str(m.id) for m in template if m.id}


def test_english_catalog_exists_and_falls_back_to_the_source() -> None:
    assert translations("en").gettext("Persons") == "Persons"
    assert translations("vi").gettext("Persons") == "Người tham gia"
    assert translations("xx").gettext("Sign out") == "Đăng xuất"  # unknown locale → Vietnamese


def test_display_formats() -> None:
    assert format_dong(1_234_567) == "1.234.567 ₫"
    assert format_date(date(2025, 7, 1)) == "01/07/2025"
    assert format_count(1_300_000) == "1.300.000"
    assert format_datetime(datetime(2025, 6, 30, 18, 30, tzinfo=UTC)) == "01/07/2025 01:30"  # UTC+7
