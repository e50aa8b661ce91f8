"""Columnar reading of a batch of episodes: the fast path of intake.

:func:`ansinh.claims.episode.build` reads one episode at a time (an element tree per inner table, a
dictionary per line, exact arithmetic per line): it is the reference, and it gives every rejection its
code and message. At three million lines a month that costs some 300 µs of CPU per episode, so the
episodes of a batch are first read here, column-wise:

1. per episode (Python, C-level work only): base64 (``binascii``), the content hash, and for each of
   XML1–XML3 a check that the table is in the plain form hospitals' software writes (no ``<!``, so no
   DOCTYPE, entity, comment or CDATA; no ``&``, so no entity or character reference; no processing
   instruction but the XML declaration; no carriage return), a well-formedness check with expat (no
   handlers, no tree), then one regular expression per record shape (learned from the first record of
   each shape, cached) that captures each field's text; a table whose records are not all of that shape
   is not in plain form;
2. per batch (Arrow compute, vectorised): every check of :func:`ansinh.claims.episode._line_fast` and of
   the fast path of ``_build`` — numbers parsed as exact decimals (``decimal128(18, 6)``; products in
   ``decimal128``/``decimal256``, never floats), dates by position with a round trip, codes against the
   reference sets, totals against the sums of the lines;
3. any episode that is not in plain form or fails any check is handed to :func:`build` unchanged, which
   accepts it (through its own slow path) or rejects it with its code and message.

So the fast path only ever accepts episodes that :func:`build` accepts, with the same row and lines, and
the bounds and refusals of :mod:`ansinh.claims.xmlparse` are untouched (tables that are not plain never
reach the regular expressions). Example: a TONG_HOP written as ``<TONG_HOP><MA_LK>K1</MA_LK>…</TONG_HOP>``
is one record of 33 fields; the same with ``&amp;`` in HO_TEN goes through :func:`build`.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.parsers import expat

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.claims.episode import KNOWN_TABLES, Known, Reject, build
from ansinh.claims.icd import normalise_icd_array
from ansinh.claims.xmlparse import MAX_TABLES_PER_EPISODE, InnerRejected, RawEpisode

_GAP = rb"[ \t\n]*"
_FIELD_AT = re.compile(rb"[ \t\n]*<([A-Za-z_][A-Za-z0-9_.\-]*)(?:>[^<&\x00]*</\1>|/>)")
_MAX_SHAPES = 16
#: Where records were; a run of two or more stands for any run of two or more. (A colon is rare in
#: the tables, so looking for the mark in them is quick.)
_MARK = b"<_:_/>"
_RUNS = re.compile(rb"(?:<_:_/>[ \t\n]*){2,}")
#: Separates the tables of a batch (a plain table holds no NUL).
_SEP = b"\x00"
#: The control characters XML 1.0 refuses (expat rejects them), deleted to compare lengths.
_CONTROL = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_SKELETONS: dict[bytes, bool] = {}


def _well_formed(skeleton: bytes) -> bool:
    """Whether a table with its records replaced by marks is well-formed (expat; remembered)."""
    known = _SKELETONS.get(skeleton)
    if known is None:
        parser = expat.ParserCreate("utf-8")
        try:
            parser.Parse(skeleton, True)
            known = True
        except expat.ExpatError:
            known = False
        if len(_SKELETONS) > 10_000:
            _SKELETONS.clear()
        _SKELETONS[skeleton] = known
    return known


def _plain(data: bytes) -> bool:
    """``data`` (one table, or tables joined by NUL with ``nul`` NULs) is in plain form: no markup but
    elements and XML declarations at the start, no reference, no carriage return, only characters XML
    allows, UTF-8 (see the module docstring)."""
    # a rare byte first (memchr), the pair only when it is there
    return not (
        (b"!" in data and b"<!" in data)
        or b"&" in data
        or b"\r" in data
        or (b"]" in data and b"]]>" in data)
        or (b"\xef" in data and b"\xef\xbf" in data)  # U+FFFE, U+FFFF (and U+F000–U+FFFD, to be simple)
        or (b":" in data and _MARK in data)
    )


def _valid_text(data: bytes, nul: int) -> bool:
    if len(data.translate(None, _CONTROL)) != len(data) - nul:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _plain_tables(tables: list[bytes]) -> list[bool]:
    """Which tables are plain; one pass over all of them when all are."""
    joined = _SEP.join(tables)
    # an XML declaration at the start of each table (two "?"), and no other processing instruction
    declared = sum(1 for t in tables if t.startswith(b"<?xml ") and t.count(b"?", 0, 100) == 2)
    if (
        _plain(joined)
        and joined.count(b"?") == 2 * declared
        and joined.count(_SEP) == len(tables) - 1
        and _valid_text(joined, len(tables) - 1)
    ):
        return [True] * len(tables)
    return [_plain(t) and t.find(b"<?", 1) < 0 and _SEP not in t and _valid_text(t, 0) for t in tables]


class _Shapes:
    """The record shapes (sequences of leaf fields) seen for one record tag, each with its expression."""

    def __init__(self, tag: str) -> None:
        self.tag = tag.encode()
        self.open = b"<" + self.tag + b">"
        self.starts = re.compile(b"<" + re.escape(self.tag) + rb"[ \t\n/>]")
        self.close = re.compile(_GAP + b"</" + re.escape(self.tag) + b">")
        self.shapes: list[tuple[tuple[str, ...], re.Pattern[bytes]]] = []
        self.hits: list[int] = []  # tables read with each shape: the most used is tried on a whole batch

    def learn(self, data: bytes) -> int | None:
        at = data.find(self.open)
        if at < 0 or len(self.shapes) >= _MAX_SHAPES:
            return None
        pos = at + len(self.open)
        names: list[bytes] = []
        while m := _FIELD_AT.match(data, pos):
            names.append(m.group(1))
            pos = m.end()
        if len(names) < 2 or len(set(names)) != len(names) or not self.close.match(data, pos):
            return None
        leaves = b"".join(
            _GAP + b"(?:<" + re.escape(n) + b">([^<&\x00]*)</" + re.escape(n) + b">|<" + re.escape(n) + b"/>)"
            for n in names
        )
        pattern = re.compile(re.escape(self.open) + leaves + _GAP + b"</" + re.escape(self.tag) + b">")
        # the count first: a thread reading the shapes (the web app's) always finds its count
        self.hits.append(0)
        self.shapes.append((tuple(n.decode("ascii") for n in names), pattern))
        return len(self.shapes) - 1

    def split(
        self, shape: int, tables: list[bytes]
    ) -> tuple[list[int], list[int], dict[str, list[bytes | None]]]:
        """Every record of ``shape`` in ``tables`` (plain, joined in one pass): how many each table holds
        (-1: a table with records of other shapes, or not well-formed), how many of this shape it holds,
        and each field's values, in order."""
        names, pattern = self.shapes[shape]
        width = len(names) + 1
        parts = pattern.split(_SEP.join(tables))
        skeleton = _MARK.join(parts[0::width])
        values = {name: parts[1 + f :: width] for f, name in enumerate(names)}
        skeletons = skeleton.split(_SEP)
        if not self.starts.search(skeleton):
            # every record is of this shape: each distinct skeleton is checked once
            condensed = _RUNS.sub(_MARK + _MARK, skeleton).split(_SEP)
            bad = {c for c in set(condensed) if not _well_formed(c)}
            marks = [s.count(_MARK) for s in skeletons]
            if not bad:
                return marks, marks, values
            counts = [-1 if c in bad else n for c, n in zip(condensed, marks, strict=True)]
            return counts, marks, values
        marks = [s.count(_MARK) for s in skeletons]
        counts = [
            -1 if self.starts.search(s) or not _well_formed(_RUNS.sub(_MARK + _MARK, s)) else n
            for s, n in zip(skeletons, marks, strict=True)
        ]
        return counts, marks, values

    def pick(self, data: bytes) -> int | None:
        """The shape of one table (-1: no record; None: not well-formed or records of no shape)."""
        if not self.starts.search(data):
            return -1 if _well_formed(data) else None
        for i in range(len(self.shapes)):
            if self.split(i, [data])[0][0] >= 0:
                self.hits[i] += 1
                return i
        new = self.learn(data)
        if new is None or self.split(new, [data])[0][0] < 0:
            return None
        self.hits[new] += 1
        return new


_SUMMARY = _Shapes("TONG_HOP")
_DRUGS = _Shapes("CHI_TIET_THUOC")
_SERVICES = _Shapes("CHI_TIET_DVKT")


def _decode(text: str) -> bytes | None:
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None  # perhaps with line breaks: decode_content (through build) decides
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


class _Records:
    """The records of one tag across a batch: each field's values and each record's episode."""

    def __init__(self, shapes: _Shapes, fields: tuple[str, ...]) -> None:
        self.shapes = shapes
        self.fields = fields
        self.values: dict[str, list[bytes | None]] = {f: [] for f in fields}
        self.owner: list[int] = []
        self.count: dict[int, int] = {}

    def _take(self, counts: list[int], values: dict[str, list[bytes | None]], owners: list[int]) -> None:
        n = sum(counts)
        for f in self.fields:
            got = values.get(f)
            self.values[f].extend(got if got is not None else [b""] * n)
        for j, c in zip(owners, counts, strict=True):
            self.owner.extend([j] * c)
            self.count[j] = c

    def read(self, tables: list[tuple[int, bytes]]) -> set[int]:
        """Read the tables (episode, data); returns the episodes whose table is not of a known shape."""
        if not tables:
            return set()
        if not self.shapes.shapes:
            for _j, data in tables:
                if self.shapes.learn(data) is not None:
                    break
        failed: list[tuple[int, bytes]] = []
        if self.shapes.shapes:
            usual = min(int(np.argmax(self.shapes.hits)), len(self.shapes.shapes) - 1)
            counts, marks, values = self.shapes.split(usual, [d for _j, d in tables])
            good = [c >= 0 for c in counts]
            self.shapes.hits[usual] += sum(good)
            if all(good):
                self._take(counts, values, [j for j, _d in tables])
                return set()
            # keep the records of the tables that were read, then try the others one by one
            keep = np.repeat(np.asarray(good), marks)
            fields = {
                f: [v for v, k in zip(vals, keep.tolist(), strict=True) if k] for f, vals in values.items()
            }
            read = [(t, c) for t, c, g in zip(tables, counts, good, strict=True) if g]
            self._take([c for _t, c in read], fields, [t[0] for t, _c in read])
            failed = [t for t, g in zip(tables, good, strict=True) if not g]
        else:
            failed = tables
        bad: set[int] = set()
        for j, data in failed:
            shape = self.shapes.pick(data)
            if shape is None:
                bad.add(j)
            elif shape < 0:
                self.count[j] = 0
            else:
                counts, _marks, values = self.shapes.split(shape, [data])
                self._take(counts, values, [j])
        return bad

    def strings(self, names: tuple[str, ...]) -> dict[str, pa.Array]:
        """Some fields as string arrays ("" for an empty or absent field), converted in one go."""
        values: list[bytes | None] = []
        for name in names:
            values.extend(self.values[name])
        n = len(self.owner)
        big = pc.fill_null(pc.cast(pa.array(values, pa.binary()), pa.string()), "")
        return {name: big.slice(i * n, n) for i, name in enumerate(names)}


# Python's str.strip() whitespace, so that a value with any is left to build (which strips).
_WS = (
    r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
_EDGE = f"^{_WS}|{_WS}$"
_NUM = r"^-?[0-9]{1,12}(\.[0-9]{0,6})?$"
_DT = r"^(19|20)[0-9]{6}([0-9]{4})?$"
_DEC = pa.decimal128(18, 6)
_SUM = pa.decimal256(40, 6)
_WIDE = pa.decimal256(40, 12)


def _np(mask: Any) -> np.ndarray:
    """An Arrow boolean result as numpy (null as False)."""
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


_SUSPECT = np.zeros(256, dtype=bool)
_SUSPECT[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = True
_SUSPECT[0x80:] = True  # a non-ASCII character: looked at with str.strip()


def _clean(cols: list[pa.Array]) -> np.ndarray:
    """True where none of ``cols`` has leading or trailing whitespace (as str.strip() sees it)."""
    n = len(cols[0])
    big = pa.concat_arrays(cols)
    offsets, data = _bytes(big)
    start, end = offsets[:-1], offsets[1:]
    filled = np.nonzero(end > start)[0]
    suspect = filled[_SUSPECT[data[start[filled]]] | _SUSPECT[data[end[filled] - 1]]]
    edge = np.zeros(len(big), dtype=bool)
    if len(suspect):
        values = big.take(pa.array(suspect)).to_pylist()
        edge[suspect] = [v != v.strip() for v in values]
    clean = np.logical_not(edge.reshape(len(cols), n).any(axis=0))
    return np.asarray(clean, dtype=bool)


def _numbers(cols: list[pa.Array]) -> list[tuple[np.ndarray, pa.Array]]:
    """For each column: (well-formed, value) of a plain decimal with at most 12 integer and 6 fraction
    digits, as ``decimal128(18, 6)`` (0 where not well-formed)."""
    n = len(cols[0])
    big = pa.concat_arrays(cols)
    ok = pc.fill_null(pc.match_substring_regex(big, _NUM), False)
    value = pc.cast(pc.if_else(ok, big, "0"), _DEC)
    ok_np = _np(ok)
    return [(ok_np[i * n : (i + 1) * n], value.slice(i * n, n)) for i in range(len(cols))]


def _bytes(col: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (n + 1) and the data bytes of a string array."""
    buffers = col.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[col.offset : col.offset + len(col) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64), data


def _datetimes(cols: list[pa.Array]) -> list[tuple[np.ndarray, pa.Array, np.ndarray]]:
    """For each column: (valid, timestamp, is 8 digits) of ``yyyymmddHHMM`` or ``yyyymmdd`` text, as
    :func:`ansinh.claims.episode._dt_fast` for the years 1900–2099 (digits read with numpy)."""
    n = len(cols[0])
    offsets, data = _bytes(pa.concat_arrays(cols))
    start, length = offsets[:-1], np.diff(offsets)
    long, short = length == 12, length == 8
    padded = np.concatenate([data, np.full(12, 48, np.uint8)])
    d = padded[np.minimum(start, len(data))[:, None] + np.arange(12)].astype(np.int64) - 48
    digit = (d >= 0) & (d <= 9)
    ok = (long & digit.all(axis=1)) | (short & digit[:, :8].all(axis=1))
    d = np.where(digit, d, 0)
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    hour = np.where(long, d[:, 8] * 10 + d[:, 9], 0)
    minute = np.where(long, d[:, 10] * 10 + d[:, 11], 0)
    ok &= (year >= 1900) & (year <= 2099) & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= (hour < 24) & (minute < 60)
    months = ((np.clip(year, 1900, 2099) - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    ok &= day <= ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    days = (first + (np.clip(day, 1, 31) - 1)).astype("datetime64[us]").astype(np.int64)
    micros = np.where(ok, days + hour * 3_600_000_000 + minute * 60_000_000, 0)
    value = pa.array(micros, pa.timestamp("us"))
    return [
        (ok[i * n : (i + 1) * n], value.slice(i * n, n), short[i * n : (i + 1) * n]) for i in range(len(cols))
    ]


def _dates(col: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(valid or empty, date or NULL) of ``yyyymmdd`` text, as ``episode._first_date`` for 8 digits."""
    ((ok, value, short),) = _datetimes([col])
    empty = _lengths(col) == 0
    date = pc.if_else(pa.array(empty), pa.scalar(None, pa.date32()), pc.cast(value, pa.date32()))
    return empty | (ok & short), date


def _dong(value: pa.Array) -> pa.Array:
    """Round half up (away from zero) to the đồng, as ``episode._dong``."""
    return pc.cast(pc.round(value, 0, round_mode="half_towards_infinity"), pa.int64())


def _milli(value: pa.Array) -> pa.Array:
    rounded = pc.round(value, 3, round_mode="half_towards_infinity")
    return pc.cast(pc.multiply(rounded, pa.scalar(Decimal(1000), pa.decimal128(4, 0))), pa.int64())


def _within(diff: pa.Array, tolerance: Decimal) -> np.ndarray:
    return _np(pc.less_equal(pc.abs(diff), pa.scalar(tolerance, diff.type)))


def _lengths(col: pa.Array) -> np.ndarray:
    return np.asarray(pc.binary_length(col).to_numpy(zero_copy_only=False))


def _member(values: list[bytes | None], codes: frozenset[bytes]) -> np.ndarray:
    return np.array([v in codes for v in values], dtype=bool)


def _text(col: pa.Array) -> pa.Array:
    """ "" as NULL (``x or None``)."""
    return pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)


@dataclass(frozen=True)
class _Codes:
    """The reference codes as bytes (the records' values are bytes)."""

    items: frozenset[bytes]
    services: frozenset[bytes]
    icd: frozenset[bytes]
    cards: frozenset[bytes] | None


_CODES: dict[int, tuple[Known, _Codes]] = {}


def _encoded(codes: frozenset[str]) -> frozenset[bytes]:
    return frozenset(c.encode() for c in codes)


def _codes(known: Known) -> _Codes:
    got = _CODES.get(id(known))
    if got is None or got[0] is not known:
        _CODES.clear()
        got = (
            known,
            _Codes(
                _encoded(known.items),
                _encoded(known.services),
                _encoded(known.icd),
                None if known.cards is None else _encoded(known.cards),
            ),
        )
        _CODES[id(known)] = got
    return got[1]


DRUG_FIELDS = (
    "STT",
    "MA_THUOC",
    "MA_NHOM",
    "DON_GIA",
    "SO_LUONG",
    "TYLE_TT_BH",
    "THANH_TIEN_BV",
    "THANH_TIEN_BH",
    "MA_BAC_SI",
    "NGAY_YL",
    "NGAY_TH_YL",
)
SERVICE_FIELDS = (
    "STT",
    "MA_DICH_VU",
    "MA_VAT_TU",
    "MA_NHOM",
    "DON_GIA_BV",
    "DON_GIA_BH",
    "SO_LUONG",
    "TYLE_TT_BH",
    "THANH_TIEN_BV",
    "THANH_TIEN_BH",
    "MA_BAC_SI",
    "NGAY_YL",
    "NGAY_TH_YL",
)
SUMMARY_FIELDS = (
    "MA_LK",
    "MA_CSKCB",
    "MA_THE_BHYT",
    "MA_BENH_CHINH",
    "GIOI_TINH",
    "NGAY_SINH",
    "NGAY_VAO",
    "NGAY_RA",
    "MA_LOAI_KCB",
    "MUC_HUONG",
    "T_TONGCHI_BV",
    "T_TONGCHI_BH",
    "T_BNCCT",
    "T_BHTT",
    "T_BNTT",
    "NAM_QT",
    "THANG_QT",
    "HO_TEN",
    "GT_THE_TU",
    "GT_THE_DEN",
    "MA_BENH_KT",
    "SO_NGAY_DTRI",
)


def _or(values: list[bytes | None], default: list[bytes | None] | bytes) -> list[bytes | None]:
    """``x or default`` element-wise (the ``rec.get(name) or …`` of the reference)."""
    if isinstance(default, bytes):
        return [v or default for v in values]
    return [v or d for v, d in zip(values, default, strict=True)]


def _lines(r: _Records, source: str, known: Known, codes: _Codes) -> tuple[np.ndarray, dict[str, Any]]:
    """(ok, columns) of the lines of one source, as ``_line_fast`` checks and builds them."""
    v = r.values
    n = len(r.owner)
    if source == "XML2":
        code_values = v["MA_THUOC"]
        is_supply = np.zeros(n, dtype=bool)
        known_code = _member(code_values, codes.items)
        price_text, price_bh_text = v["DON_GIA"], v["DON_GIA"]
        extra: tuple[str, ...] = ("MA_THUOC", "DON_GIA")
    else:
        supply = v["MA_VAT_TU"]
        is_supply = np.array([bool(s) for s in supply], dtype=bool)
        code_values = _or(supply, v["MA_DICH_VU"])
        in_items, in_services = _member(code_values, codes.items), _member(code_values, codes.services)
        known_code = np.where(is_supply, in_items, in_services)
        price_text, price_bh_text = v["DON_GIA_BV"], _or(v["DON_GIA_BH"], v["DON_GIA_BV"])
        extra = ("MA_DICH_VU", "MA_VAT_TU", "DON_GIA_BV", "DON_GIA_BH")
    numbers_r = _Records(r.shapes, ())
    numbers_r.owner = r.owner
    numbers_r.values = {
        "p": price_text,
        "pb": price_bh_text,
        "q": v["SO_LUONG"],
        "r": _or(v["TYLE_TT_BH"], b"100"),
        "bv": v["THANH_TIEN_BV"],
        "bh": v["THANH_TIEN_BH"],
        "stt": _or(v["STT"], b"0"),
        "code": code_values,
    }
    nums = numbers_r.strings(("p", "pb", "q", "r", "bv", "bh", "stt", "code"))
    texts = ("MA_NHOM", "MA_BAC_SI", "NGAY_YL", "NGAY_TH_YL", "SO_LUONG", "TYLE_TT_BH", "THANH_TIEN_BV")
    s = r.strings((*texts, "THANH_TIEN_BH", "STT", *extra))
    (ok_p, price), (ok_pb, price_bh), (ok_q, qty), (ok_r, pay), (ok_bv, bv), (ok_bh, bh) = _numbers(
        [nums[k] for k in ("p", "pb", "q", "r", "bv", "bh")]
    )
    tol = Decimal(known.tolerance)
    # |bv − qty × price| ≤ tol and |bh × 100 − qty × price_bh × pay| ≤ tol × 100, exactly
    arith_bv = _within(pc.subtract(bv, pc.multiply(qty, price)), tol)
    product = pc.multiply(pc.cast(pc.multiply(qty, price_bh), _WIDE), pc.cast(pay, pa.decimal256(18, 6)))
    hundred = pa.scalar(Decimal(100), pa.decimal256(3, 0))
    arith_bh = _within(
        pc.subtract(pc.multiply(pc.cast(bh, pa.decimal256(18, 6)), hundred), product), tol * 100
    )
    signs = _np(
        pc.and_(
            pc.and_(pc.is_valid(qty), pc.greater_equal(qty, pa.scalar(Decimal(0), _DEC))),
            pc.and_(
                pc.greater_equal(price, pa.scalar(Decimal(0), _DEC)),
                pc.and_(
                    pc.greater_equal(pay, pa.scalar(Decimal(0), _DEC)),
                    pc.less_equal(pay, pa.scalar(Decimal(1000), _DEC)),
                ),
            ),
        )
    )
    (ok_o, ordered, _s), (ok_t, performed, _s) = _datetimes([s["NGAY_YL"], s["NGAY_TH_YL"]])
    has_performed = _lengths(s["NGAY_TH_YL"]) > 0
    stt = nums["stt"]
    ok_s = _np(pc.match_substring_regex(stt, r"^[0-9]{1,9}$"))
    doctor = s["MA_BAC_SI"]
    no_semicolon = ~_np(pc.match_substring(doctor, ";"))
    ok = (
        known_code
        & ok_p
        & ok_pb
        & ok_q
        & ok_r
        & ok_bv
        & ok_bh
        & signs
        & arith_bv
        & arith_bh
        & ok_o
        & (~has_performed | ok_t)
        & ok_s
        & (_lengths(nums["code"]) <= 50)
        & (_lengths(s["MA_NHOM"]) <= 4)
        & (_lengths(doctor) <= 30)
        & no_semicolon
        & _clean(list(s.values()))
    )
    columns = {
        "source": pa.array([source] * n, pa.string()),
        "seq": pc.cast(pc.if_else(pa.array(ok_s), stt, "0"), pa.int32()),
        "item_code": nums["code"],
        "kind": pa.array(
            np.where(is_supply, "supply", "service") if source == "XML3" else ["drug"] * n, pa.string()
        ),
        "group_code": _text(s["MA_NHOM"]),
        "quantity_milli": _milli(qty),
        "unit_price_milli": _milli(price_bh),
        "payment_rate": pc.cast(pc.round(pay, 0, round_mode="down"), pa.int16()),
        "amount_hospital": _dong(bv),
        "amount_hi": _dong(bh),
        "practitioner": _text(doctor),
        "ordered_on": pc.cast(ordered, pa.date32()),
        "performed_at": pc.if_else(pa.array(has_performed), performed, pa.scalar(None, pa.timestamp("us"))),
        "bv": bv,
        "bh": bh,
    }
    return ok, columns


def _episodes(
    r: _Records, facility: str, known: Known, codes: _Codes, sums: tuple[pa.Array, pa.Array]
) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """(ok, columns of PARSED_SCHEMA but the hash and practitioner) of the summaries, as ``_build``."""
    v = r.values
    n = len(r.owner)
    c = r.strings(SUMMARY_FIELDS)
    tol = Decimal(known.tolerance)
    card = c["MA_THE_BHYT"]
    card_ok = _np(pc.match_substring_regex(card, r"^[A-Z]{2}[1-5][0-9]{12}$"))
    if codes.cards is not None:
        card_ok &= _member(v["MA_THE_BHYT"], codes.cards)
    (ok_b, birth, _s), (ok_a, admitted, _s), (ok_d, discharged, _s) = _datetimes(
        [c["NGAY_SINH"], c["NGAY_VAO"], c["NGAY_RA"]]
    )
    small = _np(
        pc.match_substring_regex(pa.concat_arrays([c["MA_LOAI_KCB"], c["MUC_HUONG"]]), r"^[0-9]{1,3}$")
    )
    kind_ok = small[:n] & (_lengths(c["MA_LOAI_KCB"]) <= 2)
    rate_ok = small[n:]
    rate = pc.cast(pc.if_else(pa.array(rate_ok), c["MUC_HUONG"], "0"), pa.int64())
    nums = _Records(r.shapes, ())
    nums.owner = r.owner
    nums.values = {"self": _or(v["T_BNTT"], b"0"), "days": _or(v["SO_NGAY_DTRI"], b"0")}
    extra = nums.strings(("self", "days"))
    (ok_bv, t_bv), (ok_bh, t_bh), (ok_cct, t_cct), (ok_tt, t_tt), (ok_self, self_pay) = _numbers(
        [c["T_TONGCHI_BV"], c["T_TONGCHI_BH"], c["T_BNCCT"], c["T_BHTT"], extra["self"]]
    )
    sum_bv, sum_bh = sums
    balanced = (
        _within(pc.subtract(pc.cast(t_bv, _SUM), sum_bv), tol)
        & _within(pc.subtract(pc.cast(t_bh, _SUM), sum_bh), tol)
        & _within(pc.subtract(t_tt, pc.subtract(t_bh, t_cct)), tol)
    )
    days = extra["days"]
    four = _np(
        pc.match_substring_regex(pa.concat_arrays([days, c["NAM_QT"], c["THANG_QT"]]), r"^[0-9]{1,4}$")
    )
    days_ok, year_ok, month_ok = four[:n], four[n : 2 * n], four[2 * n :]
    year_empty = _lengths(c["NAM_QT"]) == 0
    month_empty = _lengths(c["THANG_QT"]) == 0
    ok_from, card_from = _dates(c["GT_THE_TU"])
    ok_to, card_to = _dates(c["GT_THE_DEN"])
    own = v["MA_CSKCB"]
    fac = facility.encode()
    ok = (
        (_lengths(c["MA_LK"]) > 0)
        & (_lengths(c["MA_LK"]) <= 100)
        & np.array([not x or x == fac for x in own], dtype=bool)
        & card_ok
        & _member(v["MA_BENH_CHINH"], codes.icd)
        & (_lengths(c["MA_BENH_CHINH"]) <= 10)
        & np.array([x in (b"1", b"2", b"3") for x in v["GIOI_TINH"]], dtype=bool)
        & ok_b
        & ok_a
        & ok_d
        & _np(pc.greater_equal(discharged, admitted))
        & kind_ok
        & rate_ok
        & (rate.to_numpy() <= 100)
        & ok_bv
        & ok_bh
        & ok_cct
        & ok_tt
        & ok_self
        & balanced
        & days_ok
        & (year_ok | year_empty)
        & (month_ok | month_empty)
        & ok_from
        & ok_to
        & (_lengths(c["HO_TEN"]) <= 100)
        & (_lengths(c["MA_BENH_KT"]) <= 200)
        & _clean(list(c.values()))
    )
    columns = {
        "facility_code": pa.array([facility] * n, pa.string()),
        "ma_lk": c["MA_LK"],
        "patient_name": c["HO_TEN"],
        "birth_date": pc.cast(birth, pa.date32()),
        "gender": pc.cast(pc.if_else(pa.array(ok), c["GIOI_TINH"], "0"), pa.int16()),
        "card_number": card,
        "card_from": card_from,
        "card_to": card_to,
        "icd_main": normalise_icd_array(c["MA_BENH_CHINH"]),
        "icd_other": _text(c["MA_BENH_KT"]),
        "kind": pc.utf8_lpad(c["MA_LOAI_KCB"], 2, "0"),
        "admitted_at": admitted,
        "discharged_at": discharged,
        "treatment_days": pc.cast(pc.if_else(pa.array(days_ok), days, "0"), pa.int16()),
        "benefit_rate": pc.cast(rate, pa.int16()),
        "total_hospital": _dong(t_bv),
        "total_hi": _dong(t_bh),
        "patient_copay": _dong(t_cct),
        "patient_self": _dong(self_pay),
        "fund_claimed": _dong(t_tt),
        "settle_year": pc.if_else(
            pa.array(year_ok),
            pc.cast(pc.if_else(pa.array(year_ok), c["NAM_QT"], "0"), pa.int16()),
            pc.cast(pc.year(discharged), pa.int16()),
        ),
        "settle_month": pc.if_else(
            pa.array(month_ok),
            pc.cast(pc.if_else(pa.array(month_ok), c["THANG_QT"], "0"), pa.int16()),
            pc.cast(pc.month(discharged), pa.int16()),
        ),
    }
    return ok, columns


@dataclass
class FastResult:
    """What the fast path made of a batch: for each episode of ``raws`` its row in ``episodes`` (or -1:
    to :func:`build`); the lines (``ep``: the episode's index in ``raws``) and the attachments."""

    row_of: np.ndarray
    episodes: pa.Table
    lines: pa.Table
    attachments: dict[int, list[tuple[str, str]]]


def read_fast(raws: list[RawEpisode], facility: str, known: Known) -> FastResult:
    """Read the plain episodes of ``raws`` column-wise (see the module docstring)."""
    n = len(raws)
    row_of = np.full(n, -1, dtype=np.int64)
    hashes: dict[int, str] = {}
    attachments: dict[int, list[tuple[str, str]]] = {}
    tables: dict[str, list[tuple[int, bytes]]] = {"XML1": [], "XML2": [], "XML3": []}
    for j, raw in enumerate(raws):
        if raw.problem or len(raw.tables) > MAX_TABLES_PER_EPISODE:
            continue
        _one(raw, j, hashes, attachments, tables)
    candidates = np.zeros(n, dtype=bool)
    candidates[list(hashes)] = True
    # plain form, checked for all the tables of the batch at once
    for kind in KNOWN_TABLES:
        listed = tables[kind]
        for (j, _d), plain in zip(listed, _plain_tables([d for _j, d in listed]), strict=True):
            if not plain:
                candidates[j] = False
    summary = _Records(_SUMMARY, SUMMARY_FIELDS)
    drugs = _Records(_DRUGS, DRUG_FIELDS)
    services = _Records(_SERVICES, SERVICE_FIELDS)
    for kind, records in (("XML1", summary), ("XML2", drugs), ("XML3", services)):
        bad = records.read([(j, d) for j, d in tables[kind] if candidates[j]])
        candidates[list(bad)] = False
    for j, count in summary.count.items():
        if count != 1:
            candidates[j] = False
    if not candidates.any():
        return FastResult(row_of, pa.table({}), pa.table({}), attachments)
    codes = _codes(known)
    line_tables, line_owner, line_ok = [], [], []
    for source, records in (("XML2", drugs), ("XML3", services)):
        if records.owner:
            ok_l, cols = _lines(records, source, known, codes)
            line_tables.append(pa.table(cols))
            line_owner.append(np.asarray(records.owner, dtype=np.int64))
            line_ok.append(ok_l)
    owners = np.concatenate(line_owner) if line_owner else np.zeros(0, dtype=np.int64)
    if len(owners):
        lines = pa.concat_tables(line_tables)
        candidates[owners[~np.concatenate(line_ok)]] = False
    # Σ THANH_TIEN_BV and Σ THANH_TIEN_BH of each episode's lines (exact decimals)
    ep_owner = np.asarray(summary.owner, dtype=np.int64)
    zero = pa.scalar(Decimal(0), _SUM)
    if len(owners):
        sums = (
            pa.table({"ep": owners, "bv": pc.cast(lines["bv"], _SUM), "bh": pc.cast(lines["bh"], _SUM)})
            .group_by("ep", use_threads=False)
            .aggregate([("bv", "sum"), ("bh", "sum")])
        )
        where = np.full(n, -1, dtype=np.int64)
        where[sums["ep"].to_numpy()] = np.arange(sums.num_rows)
        at = where[ep_owner]
        has = pa.array(at >= 0)
        safe = pa.array(np.maximum(at, 0))
        sum_bv = pc.if_else(has, pc.take(pc.cast(sums["bv_sum"], _SUM), safe), zero)
        sum_bh = pc.if_else(has, pc.take(pc.cast(sums["bh_sum"], _SUM), safe), zero)
    else:
        sum_bv = sum_bh = pa.array([Decimal(0)] * len(ep_owner), _SUM)
    ok, columns = _episodes(summary, facility, known, codes, (sum_bv, sum_bh))
    ok &= candidates[ep_owner]
    keep = ep_owner[ok]
    row_of[keep] = np.arange(len(keep))
    episodes = pa.table(columns).filter(pa.array(ok))
    episodes = episodes.append_column(
        "content_hash", pa.array([hashes[j] for j in keep.tolist()], pa.string())
    )
    practitioner: list[str | None] = [None] * len(keep)
    if len(owners):
        take = row_of[owners] >= 0
        lines = lines.filter(pa.array(take)).append_column("ep", pa.array(owners[take]))
        order = np.argsort(lines["ep"].to_numpy(), kind="stable")  # document order within an episode
        lines = lines.take(pa.array(order)).drop_columns(["bv", "bh"])
        # each episode's practitioner: that of its first XML3 line that names one
        named = _np(pc.and_(pc.equal(lines["source"], "XML3"), pc.is_valid(lines["practitioner"])))
        eps = lines["ep"].to_numpy()[named]
        if len(eps):
            first_eps, first_at = np.unique(eps, return_index=True)
            names = lines["practitioner"].filter(pa.array(named)).take(pa.array(first_at)).to_pylist()
            for e, name in zip(row_of[first_eps].tolist(), names, strict=True):
                practitioner[e] = name
    else:
        lines = pa.table({})
    episodes = episodes.append_column("practitioner", pa.array(practitioner, pa.string()))
    return FastResult(row_of, episodes, lines, {j: a for j, a in attachments.items() if row_of[j] >= 0})


def _one(
    raw: RawEpisode,
    j: int,
    hashes: dict[int, str],
    attachments: dict[int, list[tuple[str, str]]],
    tables: dict[str, list[tuple[int, bytes]]],
) -> None:
    """Decode an episode's tables and hash them; list its XML1–XML3 when there is one of each at most
    and an XML1 (otherwise the episode is left to build)."""
    hasher = hashlib.sha256()
    found: dict[str, bytes] = {}
    others: list[tuple[str, str]] = []
    for kind, text in raw.tables:
        data = _decode(text)
        if data is None:
            return
        hasher.update(kind.encode() + b"\0" + data + b"\0")
        if kind in KNOWN_TABLES:
            if kind in found:
                return
            found[kind] = data
        else:
            others.append((kind, data.decode("utf-8", "replace")))
    if "XML1" not in found:
        return
    hashes[j] = hasher.hexdigest()
    if others:
        attachments[j] = others
    for kind, data in found.items():
        tables[kind].append((j, data))


def slow_parse(raw: RawEpisode, facility: str, known: Known) -> Any:
    """The reference reading of one episode (:func:`build`): its Parsed, or the (code, detail) of its
    rejection."""
    try:
        return build(raw.tables, facility, known)
    except (Reject, InnerRejected) as exc:
        detail = exc.detail if isinstance(exc, Reject) else exc.message
        return exc.code, detail
