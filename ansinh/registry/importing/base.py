"""Shared shapes of an import: column specs, row errors as data, the per-kind importer contract.

Errors are values (beancount style): a row collects every problem it has, so one bad cell never
hides the others, and the service decides afterwards whether anything is written.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy.orm import Session

from ansinh.core.text import name_key
from ansinh.registry.importing import fields

R = TypeVar("R")

#: ``progress(stage, done, total)``: stages are "reading", "validating", "writing".
Progress = Callable[[str, int, int], None]


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong encoding, damaged .xlsx, missing columns)."""


@dataclass(frozen=True)
class Column:
    """One importable column: its English name and the headings accepted for it (any case,
    with or without diacritics)."""

    name: str
    headings: tuple[str, ...] = ()
    required: bool = False

    def heading_keys(self) -> set[str]:
        return {name_key(h) for h in (self.name, self.name.replace("_", " "), *self.headings)}


@dataclass(frozen=True)
class RowError:
    """One problem: the row number as the user sees it in the file, the column heading as written
    in the file, the offending value and the reason."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class Item(Generic[R]):
    """One data row on its way through validation and writing."""

    row: int
    original: list[str]
    cells: dict[str, str]
    record: R | None = None
    errors: list[RowError] = field(default_factory=list)
    #: "inserted", "updated" or "unchanged" once written.
    outcome: str = ""

    @property
    def ok(self) -> bool:
        return self.record is not None and not self.errors


@dataclass
class ImportReport:
    """What an import did (or would have done)."""

    kind: str
    filename: str
    sha256: str
    rows_total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    errors: list[RowError] = field(default_factory=list)
    #: Headings in the file that match no column (ignored).
    ignored_headings: list[str] = field(default_factory=list)
    #: Set when this exact file was imported before: nothing was done.
    already_imported_at: datetime | None = None
    written: bool = False
    errors_path: Path | None = None
    quarantine_path: Path | None = None
    #: Every error found; ``errors`` keeps the first :data:`MAX_ERRORS_KEPT` (all are in the file).
    error_count: int = 0
    #: Rows with at least one error.
    rows_with_errors: int = 0

    @property
    def rejected(self) -> bool:
        """True when errors stopped the whole import (all-or-nothing)."""
        return bool(self.errors) and not self.written


#: Errors kept in an :class:`ImportReport` (all of them go to the error table or quarantine file):
#: a file of two million bad rows must not hold two million errors in memory.
MAX_ERRORS_KEPT = 10_000


def compact_key(key: Hashable) -> int:
    """A 128-bit number standing for a natural key in the cross-row checks of a streamed import
    (about 120 bytes a row instead of the key's objects; a collision is as likely as guessing a
    random 128-bit number)."""
    return int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=16).digest(), "big")


#: The message of an empty required cell.
REQUIRED = "bắt buộc, không được để trống (required)"

#: C0 control characters other than tab and line breaks: never in a name, and PostgreSQL refuses NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class RowReader:
    """Typed access to one row's cells; every failure becomes a :class:`RowError` on the item."""

    __slots__ = ("cells", "headings", "item")

    def __init__(self, item: Item[Any], headings: dict[str, str]) -> None:
        self.item = item
        self.cells = item.cells
        self.headings = headings

    def raw(self, column: str) -> str:
        return self.cells.get(column, "")

    def error(self, column: str, reason: str, value: str | None = None) -> None:
        self.item.errors.append(
            RowError(self.item.row, self.headings.get(column, column),
                     self.cells.get(column, "") if value is None else value, reason)
        )

    def _get(self, column: str, required: bool) -> str | None:
        value = self.cells.get(column)
        if not value:
            if required:
                self.error(column, REQUIRED)
            return None
        return value

    def text(self, column: str, *, required: bool = False, max_len: int | None = None) -> str | None:
        value = self._get(column, required)
        if value is None:
            return None
        value = fields.clean_text(value)
        control = _CONTROL.search(value)
        if control is not None:
            self.error(column, f"chứa ký tự điều khiển U+{ord(control[0]):04X} (contains a control "
                       "character); xoá ký tự này trong tệp rồi nhập lại")
            return None
        if max_len is not None and len(value) > max_len:
            self.error(column, f"dài quá {max_len} ký tự (longer than {max_len} characters)")
            return None
        return value

    def parse(self, column: str, parser: Callable[[str], fields.T], *, required: bool = False
              ) -> fields.T | None:
        value = self.cells.get(column)  # inlined _get: called for every cell of millions of rows
        if not value:
            if required:
                self.error(column, REQUIRED)
            return None
        try:
            return parser(value)
        except ValueError as exc:
            self.error(column, str(exc))
            return None

    def date(self, column: str, *, required: bool = False) -> date | None:
        return self.parse(column, fields.parse_date, required=required)


class Importer(ABC, Generic[R]):
    """One kind of file. Subclasses are instantiated per import (they keep per-import state)."""

    kind: str
    columns: tuple[Column, ...]
    #: column → (table column it must exist in, reason with {value}); checked in bulk by the
    #: service for every row, even rows with other errors, so that no problem hides another.
    references: ClassVar[dict[str, tuple[Any, str]]] = {}
    #: (table, indexes none of :meth:`resolve`'s look-ups use): on SQLite a large load builds them
    #: at the end instead of row by row (:mod:`.bulk`).
    deferred_indexes: ClassVar[tuple[str, tuple[str, ...]]] = ("", ())
    #: About how many bytes a row of this kind takes in a CSV file (to judge a file's size).
    row_bytes: ClassVar[int] = 100

    def __init__(self, *, today: date | None = None) -> None:
        self.today = today or date.today()
        #: Written into audit details: which import made a change.
        self.source = self.kind
        self.headings: dict[str, str] = {c.name: c.name for c in self.columns}

    def check_columns(self, present: set[str]) -> list[str]:
        """File-level problems with the set of columns present (beyond ``required``)."""
        return []

    @abstractmethod
    def parse(self, row: RowReader) -> R | None:
        """Pure: turn one row into a record, or record its errors and return None."""

    @abstractmethod
    def key(self, record: R) -> Hashable:
        """The natural key inside one file: two rows with the same key are duplicates."""

    def describe_key(self, record: R) -> tuple[str, str]:
        """(column, value) to name in a duplicate-row error."""
        return "", ""

    def check_file(self, items: Sequence[Item[R]]) -> None:
        """Cross-row checks within the file (after duplicates); default none. A streamed import
        calls it once per batch, in file order, on the same importer: state kept between calls
        must be compact (see :func:`compact_key`)."""

    @abstractmethod
    def resolve(self, session: Session, items: Sequence[Item[R]]) -> None:
        """Check references against the database in bulk and plan the writes; adds row errors.

        Called once per batch; checks across batches (the same person on two rows) keep compact
        state on the importer."""

    @abstractmethod
    def apply(self, session: Session, items: Sequence[Item[R]], actor: str) -> None:
        """Write the valid items (already resolved) and set each one's ``outcome``."""

    # helpers for subclasses
    def error(self, item: Item[R], column: str, reason: str, value: str | None = None) -> None:
        item.errors.append(RowError(item.row, self.headings.get(column, column),
                                    item.cells.get(column, "") if value is None else value, reason))
