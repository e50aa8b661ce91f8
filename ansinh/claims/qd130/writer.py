"""Ghi tệp GIAMDINHHS (writes the official envelope and tables), for tests and the synthetic generator.

The envelope follows letter 1245/BHXH-CNTT (2024), section 3.4; each table follows section 3.5 (wrapper
elements from :mod:`.schema`, fields in the official order of Decision 4750/QĐ-BYT's appendix; a field absent
from the record's dict is not written, a field present with ``""`` is written empty). Two exporter styles,
both seen in real files:

- ``plain``: ``<MA_LK>LK1</MA_LK>``, no declaration inside the table;
- ``cdata``: a byte-order mark and ``<?xml version="1.0" encoding="utf-8"?>`` inside each base64 table and
  every value wrapped in ``<![CDATA[…]]>``.

``decimal_comma`` writes the given money strings with a comma instead of a point (``3127883,2``), as a few
exporters do. Values are strings written as given (the reader returns them unchanged: round trip exact).

>>> data = write_envelope("79001", [{"XML1": [{"MA_LK": "LK1"}]}], style="cdata")
>>> b"<NOIDUNGFILE>" in data and b"<MACSKCB>79001</MACSKCB>" in data
True
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape

from ansinh.claims.qd130.schema import TABLE_NAMES, table

PLAIN = "plain"
CDATA = "cdata"
_BOM = "\ufeff"

EpisodeTables = Mapping[str, Sequence[Mapping[str, str]]]


def _value(text: str, style: str) -> str:
    if style == CDATA:
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    return escape(text)


def _record(
    name: str, row: Mapping[str, str], style: str, decimal_comma: bool, order: Sequence[str] | None
) -> str:
    t = table(name)
    names = list(order) if order is not None else [n for n in t.names if n in row]
    names += [n for n in row if n not in names]  # unknown elements (tests of the reader) go last
    parts = []
    for n in names:
        if n not in row:
            continue
        v = row[n]
        if decimal_comma and t.has(n) and t.field(n).kind == "decimal":
            v = v.replace(".", ",")
        parts.append(f"<{n}>{_value(v, style)}</{n}>")
    return "".join(parts)


def write_table(
    name: str,
    rows: Sequence[Mapping[str, str]],
    *,
    style: str = PLAIN,
    decimal_comma: bool = False,
    order: Sequence[str] | None = None,
) -> str:
    """The XML text of one table (before base64); ``order`` overrides the element order in every record."""
    t = table(name)
    wrappers = list(t.wrappers) or [f"{name}_BANG"]  # XML12: the official texts name no wrapper
    record = wrappers[-1]
    body = "".join(f"<{record}>{_record(name, r, style, decimal_comma, order)}</{record}>" for r in rows)
    for w in reversed(wrappers[:-1]):
        body = f"<{w}>{body}</{w}>"
    if style == CDATA:
        return f'{_BOM}<?xml version="1.0" encoding="utf-8"?>\n{body}'
    return body


def encode_table(xml: str) -> str:
    return base64.b64encode(xml.encode("utf-8")).decode("ascii")


def write_episode(
    tables: EpisodeTables,
    *,
    style: str = PLAIN,
    decimal_comma: bool = False,
    order: Sequence[str] | None = None,
) -> str:
    """One ``<HOSO>`` with a FILEHOSO per table, in the order XML1…XML15 (then XML0)."""
    files = []
    for name in sorted(tables, key=lambda n: (n == "XML0", TABLE_NAMES.index(n) if n in TABLE_NAMES else 99)):
        xml = write_table(name, tables[name], style=style, decimal_comma=decimal_comma, order=order)
        files.append(
            f"<FILEHOSO><LOAIHOSO>{name}</LOAIHOSO><NOIDUNGFILE>{encode_table(xml)}</NOIDUNGFILE></FILEHOSO>"
        )
    return "<HOSO>" + "".join(files) + "</HOSO>"


def iter_envelope(
    macskcb: str,
    episodes: Iterable[EpisodeTables],
    *,
    count: int,
    ngaylap: str = "202601010000",
    style: str = PLAIN,
    decimal_comma: bool = False,
) -> Iterable[bytes]:
    """The file in pieces (for large synthetic files written without holding them in memory)."""
    yield (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<GIAMDINHHS xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n'
        f"<THONGTINDONVI><MACSKCB>{escape(macskcb)}</MACSKCB></THONGTINDONVI>\n"
        f"<THONGTINHOSO><NGAYLAP>{escape(ngaylap)}</NGAYLAP><SOLUONGHOSO>{count}</SOLUONGHOSO>"
        "<DANHSACHHOSO>\n"
    ).encode()
    for ep in episodes:
        yield (write_episode(ep, style=style, decimal_comma=decimal_comma) + "\n").encode("utf-8")
    yield b"</DANHSACHHOSO></THONGTINHOSO>\n<CHUKYDONVI/>\n</GIAMDINHHS>\n"


def write_envelope(
    macskcb: str,
    episodes: Sequence[EpisodeTables],
    *,
    ngaylap: str = "202601010000",
    style: str = PLAIN,
    decimal_comma: bool = False,
) -> bytes:
    """The whole GIAMDINHHS file."""
    return b"".join(
        iter_envelope(
            macskcb, episodes, count=len(episodes), ngaylap=ngaylap, style=style, decimal_comma=decimal_comma
        )
    )
