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
    width = len(headings)
    with path.open("w", encoding=ENCODING, newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow([*headings, "_row", "_errors"])
        for item in items:
            reasons = " | ".join(f"{e.column}: {e.reason}" for e in item.errors)
            cells = (item.original + [""] * width)[:max(width, len(item.original))]
            writer.writerow([*cells, item.row, reasons])
    return path
