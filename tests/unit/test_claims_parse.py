"""The hardened envelope reader, without a database: refusals with stable codes, streaming hand-over."""

from __future__ import annotations

import base64
import io

import pytest

from ansinh.claims.xmlparse import FileRejected, InnerRejected, decode_content, parse_inner, read_envelope


def _envelope(*hosos: str) -> bytes:
    return (
        "<GIAMDINHHS><THONGTINDONVI><MACSKCB>42001</MACSKCB></THONGTINDONVI><THONGTINHOSO><DANHSACHHOSO>"
        + "".join(hosos)
        + "</DANHSACHHOSO></THONGTINHOSO></GIAMDINHHS>"
    ).encode()


def _hoso(content: bytes) -> str:
    return (
        f"<HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>{base64.b64encode(content).decode()}"
        "</NOIDUNGFILE></FILEHOSO></HOSO>"
    )


def _read(data: bytes) -> list[tuple[str | None, int]]:
    seen: list[tuple[str | None, int]] = []
    read_envelope(io.BytesIO(data), lambda fac, eps: seen.extend((fac, e.position) for e in eps), 1 << 20)
    return seen


def test_episodes_are_handed_over_with_the_facility() -> None:
    assert _read(_envelope(_hoso(b"<TONG_HOP/>"), _hoso(b"<TONG_HOP/>"))) == [("42001", 1), ("42001", 2)]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'<!DOCTYPE a [<!ENTITY x "y">]><GIAMDINHHS>&x;</GIAMDINHHS>', "F02"),
        (b'<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd"><GIAMDINHHS/>', "F02"),
        (b"<GIAMDINHHS>&undeclared;</GIAMDINHHS>", "F02"),
        (b"<GIAMDINHHS><THONGTINDONVI>", "F01"),
        (b"<OTHER/>", "F03"),
        (b"", "F01"),
        (b"<GIAMDINHHS>caf\xe9</GIAMDINHHS>", "F05"),
    ],
)
def test_file_refusals(data: bytes, code: str) -> None:
    with pytest.raises(FileRejected) as exc:
        _read(data)
    assert exc.value.code == code


def test_size_limit() -> None:
    with pytest.raises(FileRejected) as exc:
        read_envelope(io.BytesIO(_envelope(_hoso(b"<TONG_HOP/>" * 200))), lambda f, e: None, 100)
    assert exc.value.code == "F04"


def test_inner_tables() -> None:
    with pytest.raises(InnerRejected) as exc:
        decode_content("@@not base64@@")
    assert exc.value.code == "E01"
    assert decode_content(base64.b64encode(b"\xef\xbb\xbf<a/>").decode()) == b"<a/>"
    with pytest.raises(InnerRejected) as exc:
        parse_inner(b'<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>')
    assert exc.value.code == "E02"
    with pytest.raises(InnerRejected):
        parse_inner(b"<a><b></a>")
    assert parse_inner(b"<TONG_HOP><MA_LK>1</MA_LK></TONG_HOP>").find("MA_LK").text == "1"  # type: ignore[union-attr]
