"""Đọc tệp GIAMDINHHS theo luồng (streaming reader of the QĐ 130/4750 envelope).

The envelope is letter 1245/BHXH-CNTT (2024), section 3.4::

    GIAMDINHHS > THONGTINDONVI > MACSKCB
               > THONGTINHOSO > NGAYLAP, SOLUONGHOSO,
                                DANHSACHHOSO > HOSO* > FILEHOSO* > LOAIHOSO (XML0…XML15),
                                                                  NOIDUNGFILE (base64 of the table's XML)
               > CHUKYDONVI (XML signature; empty in practice)

One HOSO is one episode of care; MA_LK links its tables. The reader feeds the file to expat in chunks and
yields each :class:`Episode` as soon as its ``</HOSO>`` is read, so memory is bounded by one episode, not by
the file. Hardening: a DOCTYPE or an entity declaration refuses the file (P003); no external entity is ever
fetched; a table, an episode and the envelope text are bounded in size (P008).

Each table is decoded from base64 and parsed on its own (ElementTree's C tree builder: the table is one
episode's, so small), tolerant of what real files do: a byte-order mark and an XML declaration inside the
table, values wrapped in ``<![CDATA[…]]>`` (the second exporter style), element order inside a record varying
by exporter, and unknown elements (reported, P013, not fatal). Records are read under their official element
(CHI_TIET_THUOC, CHI_TIET_DVKT…); for any other shape a record is an element directly holding fields of its
table, so wrappers that vary still read.

The output is raw strings (``Episode.tables["XML2"][i]["SO_LUONG"]``); :mod:`.values` types them and
:mod:`.checks` checks them. File-level problems (truncated, not XML, not GIAMDINHHS…) are in
:attr:`EnvelopeReader.problems` once the iteration ends: episodes yielded before a truncation are complete,
but a caller that must not half-apply a file decides after the end.

>>> from ansinh.claims.qd130.writer import write_envelope
>>> data = write_envelope("79001", [{"XML1": [{"MA_LK": "LK1", "T_BHTT": "600000.00"}]}])
>>> result = read_bytes(data)
>>> (result.macskcb, result.episodes[0].ma_lk, result.episodes[0].xml1["T_BHTT"], result.problems)
('79001', 'LK1', '600000.00', [])
"""

from __future__ import annotations

import binascii
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree import ElementTree as ET
from xml.parsers import expat

from ansinh.claims.qd130.problems import Problem
from ansinh.claims.qd130.schema import TABLE_NAMES, field_names, tables

CHUNK = 1 << 16
MAX_TABLE_BYTES = 32 << 20
"""One decoded table; a 50-line XML3 is about 60 kB, so this is far above any real episode."""
MAX_EPISODE_BYTES = 64 << 20
MAX_ENVELOPE_TEXT = 4096
"""Text of MACSKCB, NGAYLAP, SOLUONGHOSO, LOAIHOSO."""

_BOM = b"\xef\xbb\xbf"
_IGNORED_LEAVES = frozenset({"CHUKYDONVI"})
_ENVELOPE_ELEMENTS = frozenset(
    {
        "GIAMDINHHS",
        "THONGTINDONVI",
        "MACSKCB",
        "THONGTINHOSO",
        "NGAYLAP",
        "SOLUONGHOSO",
        "DANHSACHHOSO",
        "HOSO",
        "FILEHOSO",
        "LOAIHOSO",
        "NOIDUNGFILE",
        "CHUKYDONVI",
    }
)
_ENVELOPE_TEXT = frozenset({"MACSKCB", "NGAYLAP", "SOLUONGHOSO", "LOAIHOSO"})

Record = dict[str, str]


@dataclass
class Episode:
    """Một hồ sơ (one HOSO = one episode of care): raw field strings per table and record."""

    index: int
    """1-based position of the HOSO in the file."""
    tables: dict[str, list[Record]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def xml1(self) -> Record:
        """The summary record (empty when XML1 is missing)."""
        rows = self.tables.get("XML1")
        return rows[0] if rows else {}

    @property
    def ma_lk(self) -> str | None:
        return self.xml1.get("MA_LK") or None

    def records(self, name: str) -> list[Record]:
        return self.tables.get(name, [])

    @property
    def refused(self) -> bool:
        return any(p.refuses for p in self.problems)


class _Abort(Exception):
    """Raised inside expat handlers to stop the parse (DOCTYPE, entity, size)."""

    def __init__(self, code: str, vi: str, en: str) -> None:
        super().__init__(code)
        self.code, self.vi, self.en = code, vi, en


def _hardened(parser: expat.XMLParserType) -> None:
    def refuse(*_: object) -> None:
        raise _Abort("P003", "", "")

    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse  # type: ignore[assignment]


# -- one table ---------------------------------------------------------------------------------------------


def decode_table(text: str) -> bytes | None:
    """The table's XML bytes from NOIDUNGFILE (base64, line breaks allowed), or ``None`` if not base64."""
    compact = "".join(text.split())
    if len(compact) * 3 // 4 > MAX_TABLE_BYTES:
        raise _Abort("P008", f"bảng lớn hơn {MAX_TABLE_BYTES} byte", f"table over {MAX_TABLE_BYTES} bytes")
    try:
        return binascii.a2b_base64(compact.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def parse_table(name: str, xml: bytes) -> tuple[list[Record], list[tuple[int, str, str]]]:
    """Records of one table and its oddities ``(record, code, element)`` (P013 unknown, P019 repeated).

    The table is built by the C tree builder of :mod:`xml.etree.ElementTree` (one expat pass, no Python call
    per element, about three times faster than expat callbacks), then walked: a record is an element with
    leaf children that are fields of the table. A DOCTYPE is refused before parsing (P003), so no entity
    beyond XML's five predefined ones can exist. Raises :class:`ET.ParseError` when the table is not XML.
    """
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise _Abort("P003", "", "")
    known = field_names(name) if name in tables() else frozenset()
    wrappers = frozenset(tables()[name].wrappers) if name in tables() else frozenset()
    if xml.startswith(_BOM):
        xml = xml[3:]
    parser = ET.XMLParser()
    parser.feed(xml.lstrip())
    root = parser.close()
    record_tag = tables()[name].record_element if name in tables() else None
    if record_tag is not None:
        rows = [root] if root.tag == record_tag else list(root.iter(record_tag))
        if rows:
            return _flat_records(rows, known)
    return _walk_records(root, known, wrappers)


def _flat_records(
    rows: list[ET.Element], known: frozenset[str]
) -> tuple[list[Record], list[tuple[int, str, str]]]:
    """The usual shape: records under their official element, values as leaf children (one dict each)."""
    records: list[Record] = []
    notes: list[tuple[int, str, str]] = []
    for i, rec in enumerate(rows, start=1):
        record = {c.tag: (c.text or "").strip() for c in rec}
        if len(record) != len(rec) or not record.keys() <= known:
            record, odd = _careful(rec, known, i)
            notes.extend(odd)
        records.append(record)
    return records, notes


def _careful(rec: ET.Element, known: frozenset[str], i: int) -> tuple[Record, list[tuple[int, str, str]]]:
    record: Record = {}
    notes: list[tuple[int, str, str]] = []
    for c in rec:
        if c.tag not in known:
            if c.tag not in _IGNORED_LEAVES:
                notes.append((i, "P013", c.tag))
        elif c.tag in record:
            notes.append((i, "P019", c.tag))
        else:
            record[c.tag] = (c.text or "").strip()
    return record, notes


def _walk_records(
    root: ET.Element, known: frozenset[str], wrappers: frozenset[str]
) -> tuple[list[Record], list[tuple[int, str, str]]]:
    """Any other shape (XML12, whose wrappers the texts do not name; unusual wrappers): a record is an
    element with leaf children that are fields of the table."""
    records: list[Record] = []
    notes: list[tuple[int, str, str]] = []
    for element in root.iter():
        record: Record | None = None
        for child in element:
            if len(child):
                continue
            tag = child.tag
            if tag in known:
                if record is None:
                    record = {}
                if tag in record:
                    notes.append((len(records) + 1, "P019", tag))
                else:
                    text = child.text
                    record[tag] = text.strip() if text else ""
            elif tag not in wrappers and tag not in _IGNORED_LEAVES:
                notes.append((len(records) + 1, "P013", tag))
        if record is not None:
            records.append(record)
    return records, notes


# -- the envelope ------------------------------------------------------------------------------------------


class EnvelopeReader:
    """Reads one GIAMDINHHS file; iterate :meth:`episodes`, then look at :attr:`problems`."""

    def __init__(self) -> None:
        self.macskcb: str | None = None
        self.ngaylap: str | None = None
        self.soluonghoso: str | None = None
        self.count = 0
        self.problems: list[Problem] = []
        self._stack: list[str] = []
        self._text: list[str] = []
        self._text_size = 0
        self._loai: str | None = None
        self._content: str | None = None
        self._files: list[tuple[str | None, str | None]] = []
        self._episode_size = 0
        self._ready: list[Episode] = []
        self._seen_lk: dict[str, int] = {}
        self._unknown: set[str] = set()
        self._nonblank = False

    # expat handlers
    def _start(self, tag: str, _attrs: dict[str, str]) -> None:
        stack = self._stack
        if not stack and tag != "GIAMDINHHS":
            raise _Abort("P004", f"phần tử gốc là <{tag[:50]}>", f"root element is <{tag[:50]}>")
        stack.append(tag)
        self._text.clear()
        self._text_size = 0
        if tag == "HOSO":
            self._files = []
            self._episode_size = 0
        elif tag == "FILEHOSO":
            self._loai = None
            self._content = None
        elif tag not in _ENVELOPE_ELEMENTS and tag not in self._unknown:
            self._unknown.add(tag)
            self.problems.append(Problem("P009", value=tag))

    def _chars(self, data: str) -> None:
        tag = self._stack[-1] if self._stack else ""
        if tag == "NOIDUNGFILE":
            self._text_size += len(data)
            self._episode_size += len(data)
            if self._episode_size > MAX_EPISODE_BYTES:
                raise _Abort(
                    "P008", f"HOSO {self.count + 1} lớn hơn {MAX_EPISODE_BYTES} byte", "episode too large"
                )
            self._text.append(data)
        elif tag in _ENVELOPE_TEXT:
            self._text_size += len(data)
            if self._text_size > MAX_ENVELOPE_TEXT:
                raise _Abort("P008", f"<{tag}> quá dài", f"<{tag}> too long")
            self._text.append(data)

    def _end(self, tag: str) -> None:
        self._stack.pop()
        if tag == "NOIDUNGFILE":
            self._content = "".join(self._text)
        elif tag == "LOAIHOSO":
            self._loai = "".join(self._text).strip().upper()
        elif tag == "FILEHOSO":  # LOAIHOSO and NOIDUNGFILE in either order
            self._files.append((self._loai, self._content))
            self._content = None
        elif tag == "HOSO":
            self.count += 1
            self._ready.append(self._episode(self.count, self._files))
            self._files = []
        elif tag == "MACSKCB":
            self.macskcb = "".join(self._text).strip() or None
        elif tag == "NGAYLAP":
            self.ngaylap = "".join(self._text).strip()
        elif tag == "SOLUONGHOSO":
            self.soluonghoso = "".join(self._text).strip()
        self._text.clear()

    # one episode
    def _episode(self, index: int, files: list[tuple[str | None, str | None]]) -> Episode:
        ep = Episode(index)
        for loai, content in files:
            if not loai or content is None or not content.strip():
                ep.problems.append(Problem("P020", hoso=index, table=loai or None))
                continue
            if loai not in TABLE_NAMES:
                ep.problems.append(Problem("P012", hoso=index, table=loai[:20], value=loai[:20]))
                continue
            self._table(ep, loai, content)
        self._link(ep)
        return ep

    def _table(self, ep: Episode, loai: str, content: str) -> None:
        # XML1–XML3 carry the money: without them the episode cannot be assessed, so it is refused;
        # the other tables are documents (discharge paper, referral…) and are dropped with a finding.
        bad = "P010" if loai in ("XML1", "XML2", "XML3") else "P021"
        xml = decode_table(content)
        if xml is None:
            detail = (
                "" if bad == "P010" else "NOIDUNGFILE không phải base64",
                "" if bad == "P010" else "not base64",
            )
            ep.problems.append(Problem(bad, detail[0], detail[1], hoso=ep.index, table=loai))
            return
        try:
            records, notes = parse_table(loai, xml)
        except ET.ParseError as exc:
            code = "P011" if bad == "P010" else "P021"
            line, column = exc.position
            msg = expat.ErrorString(exc.code) if exc.code else str(exc)
            detail_vi = f"dòng {line}, cột {column}: {msg}"
            ep.problems.append(Problem(code, detail_vi, f"line {line}: {msg}", hoso=ep.index, table=loai))
            return
        except _Abort as exc:
            ep.problems.append(Problem(exc.code, exc.vi, exc.en, hoso=ep.index, table=loai))
            return
        if loai in ep.tables:
            ep.problems.append(Problem("P018", hoso=ep.index, table=loai))
            ep.tables[loai].extend(records)
        else:
            ep.tables[loai] = records
        for record, code, element in notes:
            ep.problems.append(Problem(code, hoso=ep.index, table=loai, record=record, field=element))

    def _link(self, ep: Episode) -> None:
        xml1 = ep.tables.get("XML1")
        if not xml1:
            ep.problems.append(Problem("P014", hoso=ep.index))
            return
        if len(xml1) > 1:
            ep.problems.append(Problem("P017", f"{len(xml1)} bản ghi", f"{len(xml1)} records", hoso=ep.index))
        ma_lk = ep.ma_lk
        if ma_lk is None:
            ep.problems.append(Problem("P015", hoso=ep.index, table="XML1", field="MA_LK"))
            return
        for name, rows in ep.tables.items():
            for i, row in enumerate(rows, start=1):
                other = row.get("MA_LK")
                if other is not None and other != ma_lk:
                    ep.problems.append(
                        Problem(
                            "P016",
                            hoso=ep.index,
                            ma_lk=ma_lk,
                            table=name,
                            record=i,
                            field="MA_LK",
                            value=other,
                        )
                    )
        first = self._seen_lk.setdefault(ma_lk, ep.index)
        if first != ep.index:
            ep.problems.append(
                Problem(
                    "P022", f"đã có ở HOSO {first}", f"already in HOSO {first}", hoso=ep.index, ma_lk=ma_lk
                )
            )
        ep.problems[:] = [p if p.ma_lk or p.hoso is None else _with_lk(p, ma_lk) for p in ep.problems]

    # driving the parse
    def episodes(self, source: IO[bytes]) -> Iterator[Episode]:
        """Yield each episode as soon as it is read; file problems land in :attr:`problems`."""
        parser = expat.ParserCreate(encoding=None)
        _hardened(parser)
        parser.buffer_text = True
        parser.buffer_size = CHUNK
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._chars
        try:
            while True:
                chunk = source.read(CHUNK)
                if not self._nonblank and chunk:  # a BOM and blanks before the declaration are tolerated
                    chunk = chunk[3:] if chunk.startswith(_BOM) else chunk
                    chunk = chunk.lstrip()
                    self._nonblank = bool(chunk)
                final = not chunk
                try:
                    parser.Parse(chunk, final)
                except expat.ExpatError as exc:
                    self._parse_error(exc, final)
                    break
                if self._ready:
                    ready, self._ready = self._ready, []
                    yield from ready
                if final:
                    break
        except _Abort as exc:
            self.problems.append(
                Problem(exc.code, exc.vi, exc.en, hoso=self.count + 1 if self._stack else None)
            )
            return
        if self._ready:  # episodes completed before a parse error
            ready, self._ready = self._ready, []
            yield from ready
        self._finish()

    def _parse_error(self, exc: expat.ExpatError, final: bool) -> None:
        msg = expat.ErrorString(exc.code) if exc.code else str(exc)
        where_vi = f"dòng {exc.lineno}, cột {exc.offset}: {msg}"
        if final and self._stack:
            hoso = self.count + 1 if "HOSO" in self._stack else None
            at = f"; HOSO {hoso} không đọc được" if hoso else ""
            self.problems.append(Problem("P002", where_vi + at, f"line {exc.lineno}: {msg}", hoso=hoso))
        elif not self._nonblank:
            self.problems.append(Problem("P001", "tệp rỗng", "empty file"))
        else:
            self.problems.append(Problem("P001", where_vi, f"line {exc.lineno}: {msg}"))

    def _finish(self) -> None:
        if any(p.code in ("P001", "P002", "P004") for p in self.problems):
            return
        if not self.macskcb:
            self.problems.append(Problem("P005", field="MACSKCB"))
        if self.soluonghoso is not None and self.soluonghoso.strip() != str(self.count):
            self.problems.append(
                Problem(
                    "P006",
                    f"SOLUONGHOSO = {self.soluonghoso[:20]}, có {self.count} HOSO",
                    f"SOLUONGHOSO = {self.soluonghoso[:20]}, {self.count} HOSO read",
                    field="SOLUONGHOSO",
                )
            )
        if self.ngaylap:
            s = self.ngaylap
            if not (s.isascii() and s.isdigit() and len(s) in (8, 12, 14)):
                self.problems.append(Problem("P007", field="NGAYLAP", value=s[:40]))


def _with_lk(p: Problem, ma_lk: str) -> Problem:
    from dataclasses import replace

    return replace(p, ma_lk=ma_lk)


@dataclass
class ReadResult:
    macskcb: str | None
    ngaylap: str | None
    soluonghoso: str | None
    episodes: list[Episode]
    problems: list[Problem]

    @property
    def refused(self) -> bool:
        """The file as a whole is refused (not XML, truncated, not GIAMDINHHS, DOCTYPE, no MACSKCB)."""
        return any(p.refuses for p in self.problems)


def read_stream(source: IO[bytes]) -> ReadResult:
    reader = EnvelopeReader()
    episodes = list(reader.episodes(source))
    return ReadResult(reader.macskcb, reader.ngaylap, reader.soluonghoso, episodes, reader.problems)


def read_bytes(data: bytes) -> ReadResult:
    return read_stream(io.BytesIO(data))


def read_path(path: str | Path) -> ReadResult:
    with open(path, "rb") as fh:
        return read_stream(fh)
