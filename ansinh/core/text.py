"""Vietnamese text helpers: Unicode NFC for storage, a diacritic-free key for search and matching.

>>> name_key("Nguyễn Thị Ánh  Đào")
'nguyen thi anh dao'
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Unicode NFC with single spaces: how names are stored."""
    # Most cells already are (checked in C, without building a new string): an import of millions
    # of names calls this for each. ``isprintable`` is False for every whitespace but the ASCII space.
    if (text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "
            and unicodedata.is_normalized("NFC", text)):
        return text
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese tone and vowel marks; đ/Đ become d/D (they are letters, not marks)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def name_key(text: str) -> str:
    """Lower-case, diacritic-free, single-spaced: the key for name search and de-duplication."""
    return strip_diacritics(nfc(text)).lower()


def mask_id(value: str | None, keep: int = 3) -> str:
    """Mask a personal ID or phone number for lists and logs: 042******123."""
    if not value:
        return ""
    if len(value) <= keep * 2:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]
