"""Hardened, streaming reading of the GIAMDINHHS envelope (QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT).

The envelope is read with expat in chunks of 1 MB, so a 2 GB file needs memory for one episode at a time,
never for the file. Every ``HOSO`` is handed over as soon as its closing tag is read::

    <GIAMDINHHS><THONGTINDONVI><MACSKCB>42001</MACSKCB></THONGTINDONVI>
      <THONGTINHOSO><DANHSACHHOSO><HOSO>
        <FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>base64…</NOIDUNGFILE></FILEHOSO> …

Hardening (the envelope and every inner table): a document type declaration (``<!DOCTYPE``) is refused
outright, so no entity can be declared (no "billion laughs", no external entity, nothing fetched over the
network); undeclared entity references are a parse error; the text of one ``NOIDUNGFILE`` is bounded
(:data:`MAX_CONTENT_CHARS`), and so is the number of tables of one episode. The bytes must be UTF-8
(QĐ 130 §2), whatever the XML declaration says.

lxml is not a dependency of ansinh; the standard library's expat, with these refusals, gives the same
guarantees (``resolve_entities=False, no_network=True, load_dtd=False``).
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

CHUNK = 1 << 20
#: Bound on the base64 text of one table of one episode (about 48 MB decoded).
MAX_CONTENT_CHARS = 64 << 20
MAX_TABLES_PER_EPISODE = 32


class FileRejected(Exception):
    """The file as a whole cannot be read; ``code`` is a stable reason code (see codes.py)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InnerRejected(Exception):
    """One inner table of one episode cannot be read."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class RawEpisode:
    """One ``HOSO`` as found in the envelope: its tables, still base64; ``problem`` if it broke a bound."""

    position: int
    tables: list[tuple[str, str]] = field(default_factory=list)
    problem: tuple[str, str] | None = None


class _Forbidden(Exception):
    pass


def _forbid(*_args: Any) -> None:
    raise _Forbidden("DOCTYPE or entity declarations are not allowed")


def _harden(parser: Any) -> None:
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)


class EnvelopeReader:
    """Feeds an envelope through expat and collects complete episodes."""

    def __init__(self) -> None:
        self.facility: str | None = None
        self.declared_count: int | None = None
        self.ready: list[RawEpisode] = []
        self._path: list[str] = []
        self._text: list[str] = []
        self._text_len = 0
        self._current: RawEpisode | None = None
        self._kind: str | None = None
        self._content: str | None = None
        self._positions = 0
        self.root: str | None = None
        p = expat.ParserCreate("utf-8")
        _harden(p)
        p.buffer_text = True
        p.buffer_size = 1 << 16
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._chars
        self._parser = p

    def _start(self, name: str, _attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
            if name != "GIAMDINHHS":
                raise FileRejected("F03", f"the root element is <{name}>, not <GIAMDINHHS>")
        self._path.append(name)
        self._text, self._text_len = [], 0
        if name == "HOSO":
            self._positions += 1
            self._current = RawEpisode(self._positions)
        elif name == "FILEHOSO":
            self._kind, self._content = None, None

    def _chars(self, data: str) -> None:
        name = self._path[-1] if self._path else ""
        if name not in ("NOIDUNGFILE", "LOAIHOSO", "MACSKCB", "SOLUONGHOSO"):
            return
        self._text_len += len(data)
        if self._text_len > MAX_CONTENT_CHARS:
            if self._current is not None and self._current.problem is None:
                self._current.problem = ("E10", f"a table is larger than {MAX_CONTENT_CHARS:,} characters")
            return
        self._text.append(data)

    def _end(self, name: str) -> None:
        self._path.pop()
        text = "".join(self._text).strip()
        self._text, self._text_len = [], 0
        cur = self._current
        if name == "MACSKCB" and self.facility is None:
            self.facility = text
        elif name == "SOLUONGHOSO":
            self.declared_count = int(text) if text.isdigit() else None
        elif name == "LOAIHOSO":
            self._kind = text.upper()
        elif name == "NOIDUNGFILE":
            self._content = text
        elif name == "FILEHOSO" and cur is not None and cur.problem is None:
            if len(cur.tables) >= MAX_TABLES_PER_EPISODE:
                cur.problem = ("E10", f"more than {MAX_TABLES_PER_EPISODE} tables in one episode")
            else:
                cur.tables.append((self._kind or "", self._content or ""))
        elif name == "HOSO" and cur is not None:
            self.ready.append(cur)
            self._current = None

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self._parser.Parse(data, final)
        except _Forbidden:
            raise FileRejected("F02", "the file declares a DOCTYPE or entities, which are refused") from None
        except expat.ExpatError as exc:
            raise FileRejected(*_describe(exc)) from None


def _describe(exc: expat.ExpatError) -> tuple[str, str]:
    where = f"line {exc.lineno}, column {exc.offset}"
    if exc.code == expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN]:
        return "F05", f"the file is not well-formed or not UTF-8 (invalid token at {where})"
    if exc.code in (
        expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS],
        expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN],
        expat.errors.codes[expat.errors.XML_ERROR_PARTIAL_CHAR],
    ) or "no element found" in str(exc):
        return "F01", f"the file ends before the envelope is complete (truncated at {where})"
    if exc.code == expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY]:
        return "F02", f"the file uses an undeclared entity at {where}"
    return "F01", f"the file is not well-formed XML ({expat.errors.messages[exc.code]} at {where})"


def read_envelope(
    stream: IO[bytes], on_episodes: Callable[[str | None, list[RawEpisode]], None], max_bytes: int
) -> EnvelopeReader:
    """Stream the envelope, calling ``on_episodes(facility, episodes)`` after every chunk that completed
    some. Raises :class:`FileRejected` on a file-level problem (after the complete episodes before it
    were handed over)."""
    reader = EnvelopeReader()
    total = 0
    first = True
    while True:
        chunk = stream.read(CHUNK)
        if first:
            first = False
            if not chunk.strip():
                raise FileRejected("F01", "the file is empty")
            if chunk.startswith(b"\xff\xfe") or chunk.startswith(b"\xfe\xff"):
                raise FileRejected("F05", "the file is UTF-16; QĐ 130 files must be UTF-8")
        total += len(chunk)
        if total > max_bytes:
            raise FileRejected("F04", f"the file is larger than the limit of {max_bytes:,} bytes")
        reader.feed(chunk, final=not chunk)
        if reader.ready:
            batch, reader.ready = reader.ready, []
            on_episodes(reader.facility, batch)
        if not chunk:
            break
    if reader.root is None:
        raise FileRejected("F03", "no GIAMDINHHS envelope found")
    return reader


def decode_content(text: str) -> bytes:
    """The decoded bytes of one ``NOIDUNGFILE`` (base64 of a UTF-8 XML document, BOM stripped)."""
    compact = "".join(text.split())
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InnerRejected("E01", "NOIDUNGFILE is not valid base64") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data


def parse_inner(data: bytes) -> ET.Element:
    """Parse one inner table with the same refusals as the envelope (C-accelerated tree builder). The
    parser reads the bytes as UTF-8 and fails on anything else; only then is the reason looked for."""
    head = data[:4096]
    if b"<!DOCTYPE" in data or b"<!ENTITY" in head:
        raise InnerRejected("E02", "the table declares a DOCTYPE or entities, which are refused")
    parser = ET.XMLParser(encoding="utf-8")
    try:
        parser.feed(data)
        return parser.close()
    except ET.ParseError as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise InnerRejected("E02", f"the table is not UTF-8 (byte {bad.start})") from None
        raise InnerRejected("E02", f"the table is not well-formed XML ({exc})") from None


def records(root: ET.Element, tag: str) -> Iterator[dict[str, str]]:
    """Every ``tag`` element (the root included) as a mapping field → text."""
    for element in root.iter(tag):
        yield {child.tag: (child.text or "").strip() for child in element}


# --- a whole small file at once ----------------------------------------------------------------
# The streaming reader above calls Python for every element (some 10 per episode). A file that is
# small enough to hold (the intake workers' files) and written plainly — only elements, no DOCTYPE,
# comment, CDATA, reference or processing instruction but the XML declaration, every HOSO made of
# FILEHOSO elements with a LOAIHOSO then a NOIDUNGFILE of plain text — is checked by expat without
# handlers and cut with regular expressions, which gives the episodes the streaming reader would.
# Anything else (a broken or truncated file, another layout, a bound broken) returns None: the caller
# streams the file, which gives the same episodes, errors and positions as always.

_START = re.compile(rb"^(?:<\?xml [^?<>]*\?>)?[ \t\n]*<GIAMDINHHS>")
_HOSO = re.compile(rb"<HOSO>((?:[ \t\n]*<FILEHOSO>[ \t\n]*<LOAIHOSO>[^<]*</LOAIHOSO>[ \t\n]*"
                   rb"<NOIDUNGFILE>[^<]*</NOIDUNGFILE>[ \t\n]*</FILEHOSO>)*)[ \t\n]*</HOSO>")  # fmt: skip
_TABLE = re.compile(rb"<LOAIHOSO>([^<]*)</LOAIHOSO>[ \t\n]*<NOIDUNGFILE>([^<]*)</NOIDUNGFILE>")
_FACILITY = re.compile(rb"<MACSKCB[ \t\n/>]")
_FACILITY_TEXT = re.compile(rb"<MACSKCB>([^<]*)</MACSKCB>")


def _starts(tag: bytes) -> re.Pattern[bytes]:
    return re.compile(b"<" + tag + rb"[ \t\n/>]")


_COUNTS = {tag: _starts(tag) for tag in (b"HOSO", b"FILEHOSO", b"LOAIHOSO", b"NOIDUNGFILE")}


def read_envelope_whole(data: bytes) -> tuple[str | None, list[RawEpisode]] | None:
    """(facility, episodes) of a whole plain file, as :func:`read_envelope` would hand them over; None
    when the file is not plain or not well-formed (stream it then)."""
    if (
        not _START.match(data)
        or (b"!" in data and b"<!" in data)
        or b"&" in data
        or b"\r" in data
        or data.count(b"?") > 2
    ):
        return None
    parser = expat.ParserCreate("utf-8")
    _harden(parser)
    try:
        parser.Parse(data, True)
    except (expat.ExpatError, _Forbidden):
        return None
    first_hoso = data.find(b"<HOSO")
    facility: str | None = None
    at = _FACILITY.search(data)
    if at is not None:
        if first_hoso >= 0 and at.start() > first_hoso:
            return None  # the facility after the first episode: let the stream decide
        text = _FACILITY_TEXT.match(data, at.start())
        if text is None:
            return None
        facility = text.group(1).decode("utf-8").strip()
    bodies = _HOSO.findall(data)
    if len(bodies) != len(_COUNTS[b"HOSO"].findall(data)):
        return None
    episodes: list[RawEpisode] = []
    tables = 0
    for position, body in enumerate(bodies, start=1):
        found = _TABLE.findall(body)
        if len(found) > MAX_TABLES_PER_EPISODE:
            return None
        tables += len(found)
        pairs = []
        for kind, content in found:
            text = content.decode("ascii", "replace").strip()
            if len(content) > MAX_CONTENT_CHARS or not content.isascii():
                return None
            pairs.append((kind.decode("utf-8").strip().upper(), text))
        episodes.append(RawEpisode(position, pairs))
    for tag in (b"FILEHOSO", b"LOAIHOSO", b"NOIDUNGFILE"):
        if len(_COUNTS[tag].findall(data)) != tables:
            return None
    return facility, episodes
