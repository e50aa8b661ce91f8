"""Files an import leaves behind: the error table and the quarantine file.

Both are UTF-8 with a BOM so that Excel shows Vietnamese correctly when the officer opens them.
The quarantine file has the original headings and cells, then ``_row`` (row number in the source)
and ``_errors`` (every reason, "heading: reason" joined by " | "). Fix the cells and import it
again: the two extra columns are ignored. A cell that starts like a formula (``=``, ``+``, ``-``, ``@``,
tab, CR) is written with a leading ``'`` (:mod:`ansinh.core.spreadsheet`); the importer removes it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ansinh.core.spreadsheet import csv_writer
from ansinh.registry.importing.base import Item, RowError

ENCODING = "utf-8-sig"


def sibling(path: Path, suffix: str) -> Path:
    """``persons.csv`` → ``persons.csv.errors.csv``."""
    return path.with_name(path.name + suffix)


def write_errors(path: Path, errors: Iterable[RowError]) -> Path:
    with path.open("w", encoding=ENCODING, newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow(["row", "column", "value", "reason"])
        for e in errors:
            writer.writerow([e.row, e.column, e.value, e.reason])
    return path


def write_quarantine(path: Path, headings: Sequence[str], items: Iterable[Item[Any]]) -> Path:
    with QuarantineFile(path, headings) as quarantine:
        for item in items:
            quarantine.add(item.row, item.original, item.errors)
    return path


class QuarantineFile:
    """The quarantine file written row by row while a streamed import goes through the file."""

    def __init__(self, path: Path, headings: Sequence[str]) -> None:
        self.path = path
        self.width = len(headings)
        self.rows = 0
        self._handle = path.open("w", encoding=ENCODING, newline="")
        self._writer = csv_writer(self._handle)
        self._writer.writerow([*headings, "_row", "_errors"])

    def add(self, row: int, original: Sequence[str], errors: Iterable[RowError]) -> None:
        reasons = " | ".join(f"{e.column}: {e.reason}" for e in errors)
        cells = (list(original) + [""] * self.width)[:max(self.width, len(original))]
        self._writer.writerow([*cells, row, reasons])
        self.rows += 1

    def __enter__(self) -> QuarantineFile:
        return self

    def close(self) -> None:
        self._handle.close()

    def __exit__(self, *_exc: object) -> None:
        self.close()
