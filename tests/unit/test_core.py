"""Core helpers: rounding of money, display of đồng, Vietnamese name keys, masking, settings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ansinh.core.money import format_dong, round_dong
from ansinh.core.settings import Settings
from ansinh.core.text import mask_id, name_key, nfc, strip_diacritics


def test_round_half_up_to_the_dong() -> None:
    assert round_dong(Decimal("374400.5")) == 374401
    assert round_dong(Decimal("374400.49")) == 374400
    assert round_dong(Decimal("-0.5")) == -1  # half away from zero, as ROUND_HALF_UP does
    assert round_dong(Decimal("4680000") * Decimal("0.175")) == 819000


def test_format_dong() -> None:
    assert format_dong(1234567) == "1.234.567 ₫"
    assert format_dong(-5000) == "-5.000 ₫"


def test_name_key_and_nfc() -> None:
    decomposed = "Nguye\u0302\u0303n"  # "Nguyễn" typed with combining marks
    assert nfc(decomposed) == "Nguyễn"
    assert name_key("  Đặng   Thị  Ánh ") == "dang thi anh"
    assert strip_diacritics("Hồ Chí Minh") == "Ho Chi Minh"


def test_mask_id() -> None:
    assert mask_id("042088001234") == "042******234"
    assert mask_id(None) == ""


def test_settings_refuse_placeholder_secret() -> None:
    with pytest.raises(ValueError, match="random string"):
        Settings(secret_key="changeme")
