"""Reading CSV and .xlsx files into rows of text, and matching their headings to columns.

- CSV must be UTF-8 (with or without the BOM Excel writes); the delimiter may be ``,``, ``;`` or tab.
  Any other encoding (Windows-1258, CP1252, TCVN3 …) is refused with a message saying how to fix it,
  because guessing an 8-bit encoding silently garbles Vietnamese names.
- .xlsx is read with openpyxl in read-only mode, first sheet; a damaged or truncated file is refused.
- The heading row is the first row, within the first 10, in which at least two cells are known
  headings: official lists often carry a title ("DANH SÁCH …") above the table.
- A cell the system wrote with a leading ``'`` so that it is not taken for a formula (an export, a
  quarantine file: :mod:`ansinh.core.spreadsheet`) is read without it.
- Row numbers are those the user sees: the spreadsheet row, or the CSV record number counting the
  heading as row 1 of the file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ansinh.core.spreadsheet import unescape_text
from ansinh.core.text import name_key
from ansinh.registry.importing.base import Column, ImportFileError

HEADER_SEARCH_ROWS = 10


@dataclass
class RawTable:
    headings: list[str]
    header_row: int
    #: (row number in the file, cells as text) for every non-blank row below the heading.
    rows: list[tuple[int, list[str]]]


def read_rows(path: Path, data: bytes) -> Iterable[tuple[int, list[str]]]:
    """All rows of the file as text cells, numbered as the user sees them."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_rows(path, data)
    if suffix in (".csv", ".txt"):
        return _csv_rows(data)
    raise ImportFileError(f"{path.name}: unsupported file type {suffix!r}; use .csv (UTF-8) or .xlsx")


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} on line {line} cannot be decoded); "
            "it was probably saved as Windows-1258 or another legacy encoding. Save it again as "
            "'CSV UTF-8 (Comma delimited)' in Excel, or convert it: iconv -f CP1258 -t UTF-8"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(number, [unescape_text(c.strip()) for c in cells]) for number, cells in enumerate(reader, 1)]
    except csv.Error as exc:
        raise ImportFileError(f"the CSV file is malformed near record {reader.line_num}: {exc}") from None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unescape_text(str(value).strip())


def _xlsx_rows(path: Path, data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    damaged = (f"{path.name} is not a readable .xlsx file (damaged or truncated?); open it in Excel "
               "and save it again, or export the sheet as CSV UTF-8")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise ImportFileError(f"{damaged} ({exc.__class__.__name__}: {exc})") from None
    except Exception as exc:  # openpyxl raises a zoo of types for damaged parts
        raise ImportFileError(f"{damaged} ({exc.__class__.__name__}: {exc})") from None
    try:
        sheet = workbook.worksheets[0]
        # read-only sheets parse lazily: damage inside the sheet shows up while iterating
        return [(number, [_cell_text(v) for v in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), 1)]
    except Exception as exc:
        raise ImportFileError(f"{damaged} ({exc.__class__.__name__}: {exc})") from None
    finally:
        workbook.close()


def find_table(rows: Iterable[tuple[int, list[str]]], columns: Sequence[Column]) -> RawTable:
    """Locate the heading row and keep the non-blank rows under it."""
    known = set().union(*(c.heading_keys() for c in columns))
    all_rows = list(rows)
    header_at = None
    for index, (_number, cells) in enumerate(all_rows[:HEADER_SEARCH_ROWS]):
        if sum(1 for c in cells if name_key(c) in known) >= min(2, len(columns)):
            header_at = index
            break
    if header_at is None:
        expected = ", ".join(c.headings[0] if c.headings else c.name for c in columns if c.required)
        raise ImportFileError(f"no heading row found in the first {HEADER_SEARCH_ROWS} rows; "
                              f"expected headings such as: {expected}")
    number, headings = all_rows[header_at]
    width = len(headings)
    body = []
    for row_number, cells in all_rows[header_at + 1:]:
        if not any(cells):
            continue  # blank rows carry nothing
        body.append((row_number, (cells + [""] * width)[:max(width, len(cells))]))
    return RawTable(headings=headings, header_row=number, rows=body)


@dataclass
class HeadingMap:
    #: column name → index in the file's cells
    index: dict[str, int]
    #: column name → heading as written in the file
    headings: dict[str, str]
    ignored: list[str]


def map_headings(headings: Sequence[str], columns: Sequence[Column]) -> HeadingMap:
    """Match file headings to columns, case- and diacritic-insensitively. Unknown headings are
    ignored (and reported); two headings meaning the same column or a missing required column
    make the file unusable."""
    by_key = {k: c for c in columns for k in c.heading_keys()}
    index: dict[str, int] = {}
    shown: dict[str, str] = {}
    ignored = []
    for i, heading in enumerate(headings):
        if not heading:
            continue
        column = by_key.get(name_key(heading))
        if column is None:
            ignored.append(heading)
            continue
        if column.name in index:
            raise ImportFileError(f"headings {shown[column.name]!r} and {heading!r} both mean "
                                  f"{column.name}; keep one of them")
        index[column.name] = i
        shown[column.name] = heading
    missing = [c for c in columns if c.required and c.name not in index]
    if missing:
        names = "; ".join(f"{c.name} ({' / '.join(c.headings)})" if c.headings else c.name
                          for c in missing)
        raise ImportFileError(f"missing required column(s): {names}")
    return HeadingMap(index=index, headings=shown, ignored=ignored)
