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

Files are streamed (đọc từng phần): :func:`open_rows` and :func:`locate_table` yield one row at a
time, so a 200 MB list of 2 million persons is never held whole. A CSV is decoded 1 MiB at a time
(the line and byte of a non-UTF-8 byte are still named), lines end with ``\\n``, ``\\r\\n`` or ``\\r``
(mixed in one file too), and a line longer than :data:`MAX_LINE_CHARS` is refused rather than held.
:func:`read_rows` and :func:`find_table` are the same readers collected into lists, for small files
already in memory (a web upload)::

    table = locate_table(open_rows(Path("xa_18631.csv")), PersonsImporter.columns)
    for number, cells in table.body:
        ...
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from ansinh.core.spreadsheet import unescape_text
from ansinh.core.text import name_key
from ansinh.registry.importing.base import Column, ImportFileError

HEADER_SEARCH_ROWS = 10
#: Bytes decoded at a time.
CHUNK_BYTES = 1 << 20
#: A CSV line (a record may span several when a quoted cell holds line breaks) longer than this is
#: refused: no real list has one, and holding it would make memory grow with a damaged file.
MAX_LINE_CHARS = 1 << 20
_BOM = codecs.BOM_UTF8
_NOT_UTF8 = (
    "the file is not UTF-8 (byte 0x{byte:02x} on line {line} cannot be decoded); "
    "it was probably saved as Windows-1258 or another legacy encoding. Save it again as "
    "'CSV UTF-8 (Comma delimited)' in Excel, or convert it: iconv -f CP1258 -t UTF-8"
)


@dataclass
class RawTable:
    headings: list[str]
    header_row: int
    #: (row number in the file, cells as text) for every non-blank row below the heading.
    rows: list[tuple[int, list[str]]]


@dataclass
class StreamTable:
    """The heading row found, and the data rows below it still to be read (each padded to the
    heading's width, blank rows skipped)."""

    headings: list[str]
    header_row: int
    body: Generator[tuple[int, list[str]], None, None]


Rows = Generator[tuple[int, list[str]], None, None]


def read_rows(path: Path, data: bytes) -> list[tuple[int, list[str]]]:
    """All rows of a file already in memory, as text cells numbered as the user sees them."""
    return list(open_rows(path, data))


def open_rows(path: Path, data: bytes | None = None) -> Rows:
    """The rows of ``path`` one at a time (read from ``data`` when given, else from the file).

    The file type is checked at once; reading problems raise :class:`ImportFileError` while
    iterating, at the row where they are met."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_rows(path, data)
    if suffix in (".csv", ".txt"):
        return _csv_rows(path, data)
    raise ImportFileError(f"{path.name}: unsupported file type {suffix!r}; use .csv (UTF-8) or .xlsx")


def _open_binary(path: Path, data: bytes | None) -> IO[bytes]:
    if data is not None:
        return io.BytesIO(data)
    try:
        return path.open("rb")
    except OSError as exc:
        raise ImportFileError(f"cannot read {path.name}: {exc.strerror or exc}") from None


def _decoded_lines(handle: IO[bytes]) -> Iterator[str]:
    """UTF-8 text lines (with their line break), as ``open(newline="")`` would give them."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0  # b"\n" in the chunks before this one: the line of a bad byte
    pending = ""
    first = True
    while True:
        try:
            chunk = handle.read(CHUNK_BYTES)
        except OSError as exc:
            raise ImportFileError(f"cannot read the file: {exc.strerror or exc}") from None
        if first:
            first = False
            while len(chunk) < len(_BOM) and chunk and _BOM.startswith(chunk):
                more = handle.read(CHUNK_BYTES)
                if not more:
                    break
                chunk += more
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM):]
        final = not chunk
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            line = newlines + exc.object[:exc.start].count(b"\n") + 1
            raise ImportFileError(_NOT_UTF8.format(byte=exc.object[exc.start], line=line)) from None
        newlines += chunk.count(b"\n")
        if final:
            if pending:
                yield pending
            return
        lines = io.StringIO(pending + text, newline="").readlines()
        # the last piece may be an unfinished line, or a "\r" whose "\n" is in the next chunk
        pending = lines.pop() if lines and (not lines[-1].endswith(("\n", "\r"))
                                            or lines[-1].endswith("\r")) else ""
        if len(pending) > MAX_LINE_CHARS:
            raise ImportFileError(f"line {newlines + 1} is longer than {MAX_LINE_CHARS:,} characters; "
                                  "this is not a list of records (damaged file?)")
        yield from lines


def _csv_rows(path: Path, data: bytes | None) -> Rows:
    handle = _open_binary(path, data)
    try:
        lines = _decoded_lines(handle)
        head = next(lines, "")
        delimiter = max(",;\t", key=head.split("\n", 1)[0].count)
        reader = csv.reader(_chain(head, lines), delimiter=delimiter)
        number = 0
        try:
            for number, cells in enumerate(reader, 1):
                # unescape_text only where a cell starts with its quote: millions of cells
                yield number, [unescape_text(c) if c[:1] == "'" else c for c in map(str.strip, cells)]
        except csv.Error as exc:
            raise ImportFileError(
                f"the CSV file is malformed near record {number + 1} (line {reader.line_num}): {exc}"
            ) from None
    finally:
        handle.close()


def _chain(head: str, rest: Iterator[str]) -> Iterator[str]:
    if head:
        yield head
    yield from rest


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


def _xlsx_rows(path: Path, data: bytes | None) -> Rows:
    from openpyxl import load_workbook

    damaged = (f"{path.name} is not a readable .xlsx file (damaged or truncated?); open it in Excel "
               "and save it again, or export the sheet as CSV UTF-8")
    try:
        workbook = load_workbook(io.BytesIO(data) if data is not None else path, read_only=True,
                                 data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise ImportFileError(f"{damaged} ({exc.__class__.__name__}: {exc})") from None
    except Exception as exc:  # openpyxl raises a zoo of types for damaged parts
        raise ImportFileError(f"{damaged} ({exc.__class__.__name__}: {exc})") from None
    return _xlsx_iter(workbook, damaged)


def _xlsx_iter(workbook: Any, damaged: str) -> Rows:
    try:
        if not workbook.worksheets:
            raise ImportFileError(f"{damaged} (no worksheet)")
        sheet = workbook.worksheets[0]
        # read-only sheets parse lazily: damage inside the sheet shows up while iterating
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as exc:
                raise ImportFileError(f"{damaged} ({exc.__class__.__name__}: {exc})") from None
            number += 1
            yield number, [_cell_text(v) for v in values]
    finally:
        workbook.close()


def find_table(rows: Iterable[tuple[int, list[str]]], columns: Sequence[Column]) -> RawTable:
    """Locate the heading row and keep the non-blank rows under it (a list: small files)."""
    table = locate_table(iter(rows), columns)
    return RawTable(headings=table.headings, header_row=table.header_row, rows=list(table.body))


def locate_table(rows: Iterator[tuple[int, list[str]]], columns: Sequence[Column]) -> StreamTable:
    """Find the heading row among the first :data:`HEADER_SEARCH_ROWS` rows; the rows below it are
    read as the caller iterates ``body``."""
    known = set().union(*(c.heading_keys() for c in columns))
    for _ in range(HEADER_SEARCH_ROWS):
        found = next(rows, None)
        if found is None:
            break
        number, cells = found
        if sum(1 for c in cells if name_key(c) in known) >= min(2, len(columns)):
            return StreamTable(headings=cells, header_row=number, body=_body(rows, len(cells)))
    expected = ", ".join(c.headings[0] if c.headings else c.name for c in columns if c.required)
    raise ImportFileError(f"no heading row found in the first {HEADER_SEARCH_ROWS} rows; "
                          f"expected headings such as: {expected}")


def _body(rows: Iterator[tuple[int, list[str]]], width: int) -> Rows:
    for row_number, cells in rows:
        if not any(cells):
            continue  # blank rows carry nothing
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        yield row_number, cells


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
