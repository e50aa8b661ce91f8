"""Regenerate the binary fixtures of this folder from persons_vi.csv:

- persons_cp1258.csv: the same rows saved as Windows-1258 (what old Excel/Vietnamese Windows write)
- persons_vi.xlsx: the same rows in a sheet under a title row, identifiers as text
- persons_truncated.xlsx: persons_vi.xlsx cut to 60% of its bytes (an interrupted download)

Run: .venv/bin/python tests/data/import/make_binary_fixtures.py
"""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """CP1258 has â, ê, ô, ơ, ư, ă, đ but no toned vowels: a tone is a combining mark after them."""
    out = []
    for ch in text:
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
        out.append(base + "".join(c for c in decomposed if c in TONES))
    return "".join(out).encode("cp1258")


def main() -> None:
    text = (HERE / "persons_vi.csv").read_text(encoding="utf-8")
    (HERE / "persons_cp1258.csv").write_bytes(to_cp1258(text))

    rows = list(csv.reader(text.splitlines()))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH NGƯỜI THAM GIA — XÃ THÀNH SEN"])
    for row in rows:
        sheet.append(row)
    workbook.save(HERE / "persons_vi.xlsx")
    data = (HERE / "persons_vi.xlsx").read_bytes()
    (HERE / "persons_truncated.xlsx").write_bytes(data[: len(data) * 6 // 10])


if __name__ == "__main__":
    main()
