"""Reading real-shaped GIAMDINHHS files (ansinh.claims.qd130.reader): the quirks of real hospital files."""

from __future__ import annotations

import base64
import io
import random

from ansinh.claims.qd130.examples import episode
from ansinh.claims.qd130.reader import EnvelopeReader, read_bytes
from ansinh.claims.qd130.writer import CDATA, PLAIN, write_envelope, write_table

# A file written by hand, the way a hospital's software exports it (letter 1245/BHXH-CNTT, sections 3.4-3.5):
# pretty-printed plain XML1, an XML2 with two drug lines, an XML3 in the other exporter style (BOM,
# declaration, CDATA), money with two decimals and a decimal comma.
XML1 = """<TONG_HOP>
  <MA_LK>2601150001</MA_LK>
  <STT>1</STT>
  <MA_BN>BN0001</MA_BN>
  <HO_TEN>Trần Thị Bình</HO_TEN>
  <SO_CCCD></SO_CCCD>
  <NGAY_SINH>199002010000</NGAY_SINH>
  <GIOI_TINH>2</GIOI_TINH>
  <MA_THE_BHYT>QN5979790000001;DN4797912345678</MA_THE_BHYT>
  <MA_DKBD>79001;79002</MA_DKBD>
  <GT_THE_TU>20250101;20260101</GT_THE_TU>
  <GT_THE_DEN>20251231;20261231</GT_THE_DEN>
  <MAHUYEN_CU_TRU></MAHUYEN_CU_TRU>
  <MA_BENH_CHINH>K21.9</MA_BENH_CHINH>
  <MA_BENH_KT>K21;I10</MA_BENH_KT>
  <NGAY_VAO>202601150800</NGAY_VAO>
  <NGAY_RA>202601151130</NGAY_RA>
  <T_THUOC>7000.00</T_THUOC>
  <T_VTYT>0</T_VTYT>
  <T_TONGCHI_BV>41500.00</T_TONGCHI_BV>
  <T_TONGCHI_BH>41500.00</T_TONGCHI_BH>
  <T_BNTT>0</T_BNTT>
  <T_BNCCT>8300,00</T_BNCCT>
  <T_BHTT>33200,00</T_BHTT>
  <T_NGUONKHAC>0</T_NGUONKHAC>
  <MA_KHOA>K01;K18</MA_KHOA>
  <MA_CSKCB>79001</MA_CSKCB>
</TONG_HOP>"""
XML2 = """<CHITIEU_CHITIET_THUOC><DSACH_CHI_TIET_THUOC>
<CHI_TIET_THUOC><MA_LK>2601150001</MA_LK><STT>1</STT><MA_THUOC>40.17</MA_THUOC><SO_LUONG>10</SO_LUONG>
<DON_GIA>350</DON_GIA><THANH_TIEN_BV>3500.00</THANH_TIEN_BV><MUC_HUONG>80</MUC_HUONG></CHI_TIET_THUOC>
<CHI_TIET_THUOC><MUC_HUONG>80</MUC_HUONG><THANH_TIEN_BV>3500.00</THANH_TIEN_BV><SO_LUONG>0.5</SO_LUONG>
<STT>2</STT><MA_LK>2601150001</MA_LK><MA_THUOC>40.965</MA_THUOC><DON_GIA>7000</DON_GIA></CHI_TIET_THUOC>
</DSACH_CHI_TIET_THUOC></CHITIEU_CHITIET_THUOC>"""
XML3 = (
    '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<CHITIEU_CHITIET_DVKT_VTYT><DSACH_CHI_TIET_DVKT>'
    "<CHI_TIET_DVKT><MA_LK><![CDATA[2601150001]]></MA_LK><STT><![CDATA[1]]></STT>"
    "<MA_DICH_VU><![CDATA[02.1896]]></MA_DICH_VU><TEN_DICH_VU><![CDATA[Khám Nội <thường>]]></TEN_DICH_VU>"
    "<THANH_TIEN_BV><![CDATA[34500.00]]></THANH_TIEN_BV><MUC_HUONG><![CDATA[80]]></MUC_HUONG>"
    "</CHI_TIET_DVKT></DSACH_CHI_TIET_DVKT></CHITIEU_CHITIET_DVKT_VTYT>"
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def envelope(*hoso: str, count: int | None = None, macskcb: str = "79001") -> bytes:
    body = "".join(hoso)
    n = len(hoso) if count is None else count
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<GIAMDINHHS xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n'
        f"<THONGTINDONVI><MACSKCB>{macskcb}</MACSKCB></THONGTINDONVI>\n<THONGTINHOSO>\n<NGAYLAP>20260116</NGAYLAP>\n"
        f"<SOLUONGHOSO>{n}</SOLUONGHOSO>\n<DANHSACHHOSO>\n{body}</DANHSACHHOSO>\n</THONGTINHOSO>\n<CHUKYDONVI/>\n"
        "</GIAMDINHHS>\n"
    ).encode()


def hoso(*tables: tuple[str, str]) -> str:
    files = "".join(
        f"<FILEHOSO>\n<LOAIHOSO>{name}</LOAIHOSO>\n<NOIDUNGFILE>{content}</NOIDUNGFILE>\n</FILEHOSO>\n"
        for name, content in tables
    )
    return f"<HOSO>\n{files}</HOSO>\n"


HAND = envelope(hoso(("XML1", b64(XML1)), ("XML2", b64(XML2)), ("XML3", b64(XML3))))


def test_hand_written_file_reads_with_every_value_as_sent() -> None:
    result = read_bytes(HAND)
    assert result.problems == []
    assert (result.macskcb, result.ngaylap, result.soluonghoso) == ("79001", "20260116", "1")
    [ep] = result.episodes
    assert ep.problems == [] and ep.ma_lk == "2601150001" and ep.index == 1
    assert ep.xml1["HO_TEN"] == "Trần Thị Bình"
    assert ep.xml1["T_BHTT"] == "33200,00"  # raw, exactly as sent
    assert ep.xml1["MA_THE_BHYT"] == "QN5979790000001;DN4797912345678"
    assert ep.xml1["MAHUYEN_CU_TRU"] == "" and ep.xml1["SO_CCCD"] == ""
    assert [r["SO_LUONG"] for r in ep.records("XML2")] == ["10", "0.5"]
    # second drug line had its elements in another order: same fields
    assert ep.records("XML2")[1]["MA_THUOC"] == "40.965" and ep.records("XML2")[1]["STT"] == "2"
    [service] = ep.records("XML3")  # CDATA + BOM + inner declaration
    assert service["TEN_DICH_VU"] == "Khám Nội <thường>" and service["THANH_TIEN_BV"] == "34500.00"


def test_base64_with_line_breaks_and_tables_in_any_order() -> None:
    wrapped = "\n".join(b64(XML1)[i : i + 76] for i in range(0, len(b64(XML1)), 76))
    data = envelope(hoso(("XML3", b64(XML3)), ("XML1", wrapped)))
    [ep] = read_bytes(data).episodes
    assert ep.problems == [] and ep.xml1["MA_LK"] == "2601150001" and len(ep.records("XML3")) == 1


def test_loaihoso_after_noidungfile() -> None:
    data = envelope(
        f"<HOSO><FILEHOSO><NOIDUNGFILE>{b64(XML1)}</NOIDUNGFILE><LOAIHOSO>XML1</LOAIHOSO></FILEHOSO></HOSO>"
    )
    [ep] = read_bytes(data).episodes
    assert ep.problems == [] and ep.ma_lk == "2601150001"


def test_byte_order_mark_on_the_file() -> None:
    result = read_bytes(b"\xef\xbb\xbf" + HAND)
    assert result.problems == [] and result.episodes[0].ma_lk == "2601150001"


def test_round_trip_both_styles_exact() -> None:
    eps = [episode(i) for i in range(1, 21)]
    eps[3]["XML1"][0]["HO_TEN"] = "Lê & <Minh> ]]> Tú"
    for style in (PLAIN, CDATA):
        result = read_bytes(write_envelope("79001", eps, style=style))
        assert result.problems == []
        assert [ep.tables for ep in result.episodes] == eps
        assert all(ep.problems == [] for ep in result.episodes)


def test_writer_cdata_style_has_bom_and_declaration_inside_each_table() -> None:
    xml = write_table("XML1", [{"MA_LK": "A"}], style=CDATA)
    assert xml.startswith('\ufeff<?xml version="1.0" encoding="utf-8"?>')
    assert "<MA_LK><![CDATA[A]]></MA_LK>" in xml
    assert write_table("XML1", [{"MA_LK": "A"}]) == "<TONG_HOP><MA_LK>A</MA_LK></TONG_HOP>"


def test_decimal_comma_option() -> None:
    ep = episode(1)
    result = read_bytes(write_envelope("79001", [ep], decimal_comma=True))
    got = result.episodes[0]
    assert got.xml1["T_BHTT"] == ep["XML1"][0]["T_BHTT"].replace(".", ",")
    assert got.xml1["MA_BENH_CHINH"] == "K21.9"  # only decimal fields change


def test_shuffled_element_order_reads_the_same() -> None:
    ep = episode(7)
    rng = random.Random(3)
    shuffled = {}
    for name, rows in ep.items():
        shuffled[name] = [dict(rng.sample(list(r.items()), len(r))) for r in rows]
    result = read_bytes(write_envelope("79001", [shuffled]))
    assert result.episodes[0].tables == ep


def test_unknown_element_is_reported_not_fatal() -> None:
    xml1 = XML1.replace("<STT>1</STT>", "<STT>1</STT><MA_MOI>x</MA_MOI>")
    [ep] = read_bytes(envelope(hoso(("XML1", b64(xml1))))).episodes
    assert [(p.code, p.table, p.field, p.ma_lk, p.hoso) for p in ep.problems] == [
        ("P013", "XML1", "MA_MOI", "2601150001", 1)
    ]
    assert not ep.refused and ep.xml1["MA_BN"] == "BN0001"


def test_truncated_file() -> None:
    two = envelope(hoso(("XML1", b64(XML1))), hoso(("XML1", b64(XML1.replace("2601150001", "2601150002")))))
    cut = two[: two.index(b"<HOSO>", two.index(b"</HOSO>")) + 300]
    result = read_bytes(cut)
    assert [p.code for p in result.problems] == ["P002"]
    assert result.refused
    assert result.problems[0].hoso == 2
    assert "HOSO 2" in result.problems[0].message() and "cắt cụt" in result.problems[0].message()
    assert [ep.ma_lk for ep in result.episodes] == ["2601150001"]  # read before the cut, caller decides


def test_not_xml_and_not_an_envelope() -> None:
    assert [p.code for p in read_bytes(b"PK\x03\x04 not xml").problems] == ["P001"]
    assert [p.code for p in read_bytes(b"").problems] == ["P001"]
    assert [p.code for p in read_bytes(b"<HOSO></HOSO>").problems] == ["P004"]
    doctype = b'<?xml version="1.0"?><!DOCTYPE GIAMDINHHS [<!ENTITY x "y">]><GIAMDINHHS>&x;</GIAMDINHHS>'
    assert [p.code for p in read_bytes(doctype).problems] == ["P003"]


def test_entity_inside_a_table_is_refused() -> None:
    bomb = '<!DOCTYPE TONG_HOP [<!ENTITY a "aaaa">]><TONG_HOP><MA_LK>&a;</MA_LK></TONG_HOP>'
    [ep] = read_bytes(envelope(hoso(("XML1", b64(bomb))))).episodes
    assert ep.refused and ep.problems[0].code == "P003" and ep.problems[0].table == "XML1"


def test_bad_base64_and_table_not_xml_name_the_hoso_and_table() -> None:
    good = hoso(("XML1", b64(XML1)))
    bad64 = hoso(("XML1", b64(XML1.replace("2601150001", "2601150002"))), ("XML2", "%%%not base64%%%"))
    notxml = hoso(
        ("XML1", b64(XML1.replace("2601150001", "2601150003"))), ("XML3", b64("<CHI_TIET_DVKT><MA_LK>"))
    )
    doc = hoso(("XML1", b64(XML1.replace("2601150001", "2601150004"))), ("XML7", b64("no xml here")))
    result = read_bytes(envelope(good, bad64, notxml, doc))
    assert result.problems == []
    eps = result.episodes
    assert eps[0].problems == []
    assert [(p.code, p.hoso, p.ma_lk, p.table) for p in eps[1].problems] == [
        ("P010", 2, "2601150002", "XML2")
    ]
    assert [(p.code, p.hoso, p.ma_lk, p.table) for p in eps[2].problems] == [
        ("P011", 3, "2601150003", "XML3")
    ]
    assert eps[1].refused and eps[2].refused
    # a document table (discharge paper) that is unreadable is dropped with a finding, the episode stays
    assert [(p.code, p.table) for p in eps[3].problems] == [("P021", "XML7")] and not eps[3].refused
    msg = eps[2].problems[0].message()
    assert "HOSO 3" in msg and "MA_LK 2601150003" in msg and "XML3" in msg and "(Inner table" in msg


def test_linking_problems() -> None:
    no_xml1 = hoso(("XML2", b64(XML2)))
    no_lk = hoso(("XML1", b64(XML1.replace("<MA_LK>2601150001</MA_LK>", ""))))
    other_lk = hoso(("XML1", b64(XML1)), ("XML2", b64(XML2.replace("2601150001", "9999", 1))))
    result = read_bytes(envelope(no_xml1, no_lk, other_lk))
    codes = [[p.code for p in ep.problems] for ep in result.episodes]
    assert codes == [["P014"], ["P015"], ["P016"]]
    assert all(ep.refused for ep in result.episodes)
    p = result.episodes[2].problems[0]
    assert (p.table, p.record, p.field, p.value) == ("XML2", 1, "MA_LK", "9999")


def test_duplicate_ma_lk_and_count_mismatch() -> None:
    result = read_bytes(envelope(hoso(("XML1", b64(XML1))), hoso(("XML1", b64(XML1))), count=3))
    assert [p.code for p in result.problems] == ["P006"]
    assert [p.code for p in result.episodes[1].problems] == ["P022"]
    assert not result.refused


def test_missing_macskcb_refuses_the_file() -> None:
    result = read_bytes(envelope(hoso(("XML1", b64(XML1))), macskcb=""))
    assert [p.code for p in result.problems] == ["P005"] and result.refused


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk


def test_streaming_yields_episodes_before_the_end_of_the_file() -> None:
    data = write_envelope("79001", [episode(i) for i in range(1, 400)])
    stream = CountingStream(data)
    reader = EnvelopeReader()
    first = next(iter(reader.episodes(stream)))
    assert first.ma_lk == "LK000000001"
    assert stream.consumed < len(data) / 10  # bounded by one chunk, not the file


def test_repeated_field_keeps_the_first_and_is_reported() -> None:
    xml1 = XML1.replace("<STT>1</STT>", "<STT>1</STT><STT>2</STT>")
    [ep] = read_bytes(envelope(hoso(("XML1", b64(xml1))))).episodes
    assert ep.xml1["STT"] == "1"
    assert [(p.code, p.field, p.record) for p in ep.problems] == [("P019", "STT", 1)]


def test_tables_without_named_wrappers_or_with_other_wrappers_still_read() -> None:
    # XML12 (medical assessment): the official texts name no wrapper; a record is found by its fields
    xml12 = "<GIAM_DINH_Y_KHOA><HO_SO><NGUOI_CHU_TRI>Phạm Văn C</NGUOI_CHU_TRI></HO_SO></GIAM_DINH_Y_KHOA>"
    # an exporter that names the XML2 list differently
    xml2 = (
        "<CHITIEU_CHITIET_THUOC><DS><THUOC><MA_LK>2601150001</MA_LK><STT>1</STT></THUOC></DS>"
        "</CHITIEU_CHITIET_THUOC>"
    )
    [ep] = read_bytes(
        envelope(hoso(("XML1", b64(XML1)), ("XML12", b64(xml12)), ("XML2", b64(xml2))))
    ).episodes
    assert ep.records("XML12") == [{"NGUOI_CHU_TRI": "Phạm Văn C"}]
    assert ep.records("XML2") == [{"MA_LK": "2601150001", "STT": "1"}]
    assert ep.problems == []


def test_empty_table_and_unknown_loaihoso() -> None:
    empty = "<CHITIEU_CHITIET_THUOC><DSACH_CHI_TIET_THUOC/></CHITIEU_CHITIET_THUOC>"
    [ep] = read_bytes(
        envelope(hoso(("XML1", b64(XML1)), ("XML2", b64(empty)), ("XML99", b64(XML2))))
    ).episodes
    assert ep.records("XML2") == []
    assert [(p.code, p.table) for p in ep.problems] == [("P012", "XML99")] and not ep.refused
