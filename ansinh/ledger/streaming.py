"""Reading the ledger's files in bounded batches (nhập theo lô): bank statements and declarations.

A file is read with the registry's streaming readers (:func:`~ansinh.registry.importing.readers.open_rows`,
:func:`~ansinh.registry.importing.readers.locate_table`), one row at a time, and handed out in
batches of a few thousand named rows, so that what an import holds does not grow with the file.
What must survive from one batch to the next is kept compact:

- :class:`KeyIndex`: for checks across the whole file (the same transaction id twice, the same
  person declared twice for overlapping months), one 64-bit hash and the row number per key (12
  bytes; 20 with a span of months) in sorted numpy arrays — not the rows nor the keys' objects;
- :class:`ErrorTally`: the exact number of errors and of rows with errors, and the first
  :data:`~ansinh.registry.importing.base.MAX_ERRORS_KEPT` errors themselves.

    table = TableFile(Path("sao_ke.csv"), None, COLUMNS)
    for batch in table.batches(10_000):
        for item in batch:          # Item: row number, original cells, cells by column name
            ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ansinh.registry.importing.base import MAX_ERRORS_KEPT, Column, Item, RowError
from ansinh.registry.importing.readers import locate_table, map_headings, open_rows

_MASK64 = (1 << 64) - 1
#: A row number that no row has (rows are numbered from 1).
NO_ROW = 0


class TableFile:
    """The data rows of one CSV/.xlsx file (or its bytes ``data``), read again each time
    :meth:`items` is called. Opening checks the file as a whole (type, encoding of the first
    lines, headings) and raises :class:`~ansinh.registry.importing.base.ImportFileError`."""

    def __init__(self, path: Path, data: bytes | None, columns: Sequence[Column]) -> None:
        self.path = path
        self.data = data
        self.columns = columns
        rows = open_rows(path, data)
        try:
            table = locate_table(rows, columns)
            mapping = map_headings(table.headings, columns)
        finally:
            rows.close()
        self.index = mapping.index
        #: column name → heading as written in the file (errors name the officer's words)
        self.headings = {c.name: c.name for c in columns} | mapping.headings
        self.ignored = mapping.ignored

    def items(self) -> Iterator[Item[Any]]:
        """Every non-blank data row, in file order, as an :class:`Item` with cells by column name."""
        rows = open_rows(self.path, self.data)
        try:
            body = locate_table(rows, self.columns).body
            index = self.index
            for number, cells in body:
                width = len(cells)
                named = {c: cells[i] if i < width else "" for c, i in index.items()}
                yield Item(row=number, original=cells, cells=named)
        finally:
            rows.close()

    def batches(self, size: int) -> Iterator[list[Item[Any]]]:
        """:meth:`items` in lists of at most ``size``."""
        return batched(self.items(), size)


def batched(values: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``values`` in lists of at most ``size`` (the last one shorter)."""
    if size < 1:
        raise ValueError("batch_rows must be at least 1")
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class ErrorTally:
    """The errors of one import: every one counted, the first ``limit`` kept for the report."""

    kept: list[RowError] = field(default_factory=list)
    count: int = 0
    rows: int = 0
    limit: int = MAX_ERRORS_KEPT

    def add_row(self, errors: Sequence[RowError]) -> None:
        """The errors of one row (nothing when it has none)."""
        if not errors:
            return
        self.rows += 1
        self.count += len(errors)
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept.extend(errors[:room])

    def add(self, errors: Iterable[RowError]) -> None:
        """Errors of several rows, in row order (a row's errors next to each other)."""
        last: int | None = None
        for error in errors:
            if error.row != last:
                self.rows += 1
                last = error.row
            self.count += 1
            if len(self.kept) < self.limit:
                self.kept.append(error)


class KeyIndex:
    """The keys an import has met so far, each with the first row that had it (and, with
    ``spans``, the months it covers), to find a key met again in a later batch of the file.

    A key is held as a 64-bit hash (Python's string hash: stable within the process, which is all
    the index lives for), in sorted numpy arrays: 12 bytes a key, 20 with a span, instead of the
    100–200 bytes of a set of strings. Two different keys share a hash with odds of about
    n²/2⁶⁵ for n keys (1 in 150 million for a file of 500,000 rows); the row would be refused as a
    duplicate of an unrelated row, never silently merged with it.
    """

    def __init__(self, *, spans: bool = False) -> None:
        self.spans = spans
        self.hashes: npt.NDArray[np.uint64] = np.empty(0, np.uint64)
        self.rows: npt.NDArray[np.uint32] = np.empty(0, np.uint32)
        self.lo: npt.NDArray[np.int32] = np.empty(0, np.int32)
        self.hi: npt.NDArray[np.int32] = np.empty(0, np.int32)

    def __len__(self) -> int:
        return int(self.hashes.size)

    def check(self, entries: Sequence[tuple[str, int, int, int]]) -> list[int]:
        """For each ``(key, row, first month, last month)`` of one batch, in file order: the row of
        an earlier entry with the same key (and, with ``spans``, overlapping months), else
        :data:`NO_ROW`. Entries without such an earlier one are remembered; the others are not (the
        first row stays the one named)."""
        if not entries:
            return []
        hashes = np.fromiter((hash(e[0]) & _MASK64 for e in entries), np.uint64, len(entries))
        left = np.searchsorted(self.hashes, hashes, "left").tolist()
        right = np.searchsorted(self.hashes, hashes, "right").tolist()
        pending: dict[int, list[tuple[int, int, int]]] = {}
        found: list[int] = []
        for (_key, row, lo, hi), h, start, stop in zip(entries, hashes.tolist(), left, right, strict=True):
            first = NO_ROW
            for j in range(start, stop):  # almost always empty
                if not self.spans or (int(self.lo[j]) <= hi and lo <= int(self.hi[j])):
                    first = int(self.rows[j])
                    break
            if first == NO_ROW:
                for other_row, other_lo, other_hi in pending.get(h, ()):
                    if not self.spans or (other_lo <= hi and lo <= other_hi):
                        first = other_row
                        break
            if first == NO_ROW:
                pending.setdefault(h, []).append((row, lo, hi))
            found.append(first)
        self._merge(pending)
        return found

    def _merge(self, pending: dict[int, list[tuple[int, int, int]]]) -> None:
        flat = [(h, row, lo, hi) for h, values in pending.items() for row, lo, hi in values]
        if not flat:
            return
        flat.sort()
        hashes = np.fromiter((f[0] for f in flat), np.uint64, len(flat))
        at = np.searchsorted(self.hashes, hashes, "right")
        self.hashes = np.insert(self.hashes, at, hashes)
        self.rows = np.insert(self.rows, at, np.fromiter((f[1] for f in flat), np.uint32, len(flat)))
        if self.spans:
            self.lo = np.insert(self.lo, at, np.fromiter((f[2] for f in flat), np.int32, len(flat)))
            self.hi = np.insert(self.hi, at, np.fromiter((f[3] for f in flat), np.int32, len(flat)))
