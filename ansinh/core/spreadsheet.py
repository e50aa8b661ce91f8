"""Cells that spreadsheets show as text: the one defence against formula injection (CSV injection)
in every CSV and .xlsx file the system writes (xuất tệp CSV/Excel an toàn).

A name, address or note typed by a citizen, an employer or a hospital may start with ``=``, ``+``,
``-`` or ``@`` (or a tab or carriage return before one). Excel, LibreOffice and Google Sheets take
such a cell for a formula when the officer opens the file: ``=HYPERLINK("http://…","Bấm vào đây")``
becomes a live link, ``=cmd|' /C calc'!A0`` a DDE call. Following the OWASP guidance
(https://owasp.org/www-community/attacks/CSV_Injection), every text cell that starts with one of
those six characters is written so that it is shown as text:

- **CSV**: the cell is prefixed with a single quote ``'`` (the CSV writer still quotes the cell
  when it holds a separator or a double quote, as RFC 4180 wants); a text in which quotes already
  come before such a character (``'=1``) gets one more, so that reading back is exact;
- **.xlsx**: the cell is an inline string (``data_type='s'``; openpyxl would otherwise store any
  text starting with ``=`` as a formula) with the "quote prefix" style, so that Excel keeps it as
  text even after the officer edits it. The text itself is not changed.

Numbers are never touched: ``int``, ``Decimal``, ``float``, dates and ``None`` pass through, so
amounts stay numbers in both formats. A text that is a plain number (``-5``, ``+84912345678``,
``-1.500.000``, ``-0,5``) is not a formula either and is written as it is. ``-2+3`` or ``-abc`` is
neutralised.

One implementation, four entry points:

- :func:`safe_text` / :func:`safe_row` / :func:`csv_writer` for CSV written from Python rows;
- :func:`safe_arrow_table` for CSV written by ``pyarrow.csv`` (vectorised with pyarrow.compute:
  the registry export of 1.3M persons is not a Python loop per cell);
- :func:`xlsx_row` for openpyxl write-only sheets (``sheet.append(xlsx_row(sheet, values))``);
- :func:`save_workbook` for ordinary openpyxl workbooks: every cell of every sheet is made safe,
  then the workbook is saved.

:func:`unescape_text` undoes the CSV prefix when a file the system wrote (an export, a quarantine
file) is imported again, so that the round trip changes nothing.

>>> safe_text('=HYPERLINK("http://x","y")')
'\\'=HYPERLINK("http://x","y")'
>>> safe_text("-2+3"), safe_text("-5"), safe_text(-5), safe_text(None), safe_text("Nguyễn Văn An")
("'-2+3", '-5', -5, None, 'Nguyễn Văn An')
>>> unescape_text("'@SUM(A1)")
'@SUM(A1)'
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"

# The same patterns for Python (re) and Arrow (RE2): ASCII digits only, no look-arounds. In CSV a
# text in which quotes come before a risky text gets one more quote, so that reading it back
# (unescape_text) gives exactly what was written: the Arrow patterns allow for leading quotes.
_NUMBER_BODY = r"[+-]?(?:[0-9][0-9.,]*|[.,][0-9][0-9.,]*)(?:[eE][+-]?[0-9]+)?"
_NUMBER = re.compile(_NUMBER_BODY)
_QUOTED_RISKY_PATTERN = r"^'*[=+\-@\t\r]"
_QUOTED_NUMBER_PATTERN = rf"^'*{_NUMBER_BODY}$"


def is_risky(value: object) -> bool:
    """Whether ``value`` is text a spreadsheet would take for a formula."""
    return isinstance(value, str) and value[:1] in DANGEROUS_FIRST and _NUMBER.fullmatch(value) is None


def _needs_prefix(value: object) -> bool:
    return isinstance(value, str) and is_risky(value.lstrip(PREFIX))


def safe_text(value: Any) -> Any:
    """The value for a CSV cell: risky text prefixed with ``'`` (also when quotes already come before
    it, so that :func:`unescape_text` is its exact inverse), anything else unchanged."""
    return PREFIX + value if _needs_prefix(value) else value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """A CSV row with :func:`safe_text` applied to every cell."""
    return [safe_text(v) for v in row]


def unescape_text(value: str) -> str:
    """The text as it was before :func:`safe_text` (for files the system wrote and reads back)."""
    if value[:1] == PREFIX and _needs_prefix(value[1:]):
        return value[1:]
    return value


class SafeCsvWriter:
    """``csv.writer`` whose rows go through :func:`safe_row`."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle: IO[str], **options: Any) -> SafeCsvWriter:
    """A CSV writer (options as for :func:`csv.writer`) that never writes a live formula."""
    return SafeCsvWriter(handle, **options)


def safe_arrow_text(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A string column with risky cells prefixed with ``'`` (nulls stay null), computed by
    pyarrow.compute; the column itself is returned when no cell is risky."""
    starts = pc.match_substring_regex(column, _QUOTED_RISKY_PATTERN)
    if not pc.any(starts).as_py():  # the usual case: one anchored regex per column
        return column
    risky = pc.and_not(starts, pc.match_substring_regex(column, _QUOTED_NUMBER_PATTERN))
    if not pc.any(risky).as_py():
        return column
    kind = column.type
    prefixed = pc.binary_join_element_wise(pa.scalar(PREFIX, kind), column, pa.scalar("", kind))
    return pc.if_else(risky, prefixed, column)


def safe_arrow_table(table: pa.Table) -> pa.Table:
    """``table`` with :func:`safe_arrow_text` applied to every string column (other types are
    untouched, so numbers stay numbers)."""
    for index, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = table.column(index)
            safe = safe_arrow_text(column)
            if safe is not column:
                table = table.set_column(index, field, safe)
    return table


def _as_text(cell: Any) -> None:
    cell.data_type = "s"
    cell.quotePrefix = True


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """Values for ``sheet.append`` in which every risky text is a text cell (works for write-only
    and ordinary sheets)."""
    from openpyxl.cell import WriteOnlyCell

    row: list[Any] = []
    for value in values:
        if is_risky(value):
            cell = WriteOnlyCell(sheet, value)
            _as_text(cell)
            row.append(cell)
        else:
            row.append(value)
    return row


def make_workbook_safe(workbook: Any) -> None:
    """Every text cell of every sheet of an ordinary (not write-only) workbook that a spreadsheet
    would take for a formula becomes a text cell. The system writes no formulas of its own."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if is_risky(cell.value):
                    _as_text(cell)


def save_workbook(workbook: Any, target: Any) -> None:
    """:func:`make_workbook_safe`, then ``workbook.save(target)`` (a path or a binary buffer)."""
    make_workbook_safe(workbook)
    workbook.save(target)
