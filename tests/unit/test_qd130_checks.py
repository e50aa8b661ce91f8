"""The receiving portal's checks (ansinh.claims.qd130.checks): refusals vs findings, every problem at once."""

from __future__ import annotations

from decimal import Decimal

from ansinh.claims.qd130.checks import check_episode, check_episodes, check_file, refused_episodes
from ansinh.claims.qd130.examples import episode
from ansinh.claims.qd130.problems import CODES, FINDING, REFUSE
from ansinh.claims.qd130.reader import Episode, read_bytes
from ansinh.claims.qd130.writer import CDATA, write_envelope

Tables = dict[str, list[dict[str, str]]]


def read_one(tables: Tables) -> Episode:
    result = read_bytes(write_envelope("79001", [tables]))
    assert result.problems == []
    return result.episodes[0]


def problems(tables: Tables) -> list[tuple[str, str | None, str | None, int | None]]:
    return [(p.code, p.table, p.field, p.record) for p in check_episode(read_one(tables))]


def test_a_conforming_episode_has_no_problem() -> None:
    eps = [episode(i) for i in range(1, 51)]
    for style in ("plain", CDATA):
        result = read_bytes(write_envelope("79001", eps, style=style))
        assert check_file(result) == []


def test_codes_are_new_and_carry_a_basis() -> None:
    from ansinh.claims.codes import CODES as OLD

    assert not set(CODES) & set(OLD)
    assert all(c.code.startswith("P") and c.vi and c.en and c.basis for c in CODES.values())
    assert CODES["P202"].decision == FINDING and CODES["P109"].decision == REFUSE


def test_totals_off_are_findings_not_refusals() -> None:
    ep = episode(2)
    x1 = ep["XML1"][0]
    x1["T_TONGCHI_BV"] = str(Decimal(x1["T_TONGCHI_BV"]) + 5000)
    x1["T_BHTT"] = str(Decimal(x1["T_BHTT"]) - 1000)
    x1["T_THUOC"] = "0.00"
    out = check_episode(read_one(ep))
    assert {(p.code, p.field) for p in out} == {
        ("P202", "T_TONGCHI_BV"),
        ("P202", "T_BHTT"),
        ("P201", "T_BHTT"),
        ("P203", "T_THUOC"),
    }
    assert not any(p.refuses for p in out)
    diff = next(p for p in out if p.field == "T_TONGCHI_BV")
    assert "chênh 5000.00" in diff.detail_vi and diff.ma_lk == "LK000000002"


def test_rounding_within_a_dong_is_not_a_finding() -> None:
    ep = episode(3)
    x1 = ep["XML1"][0]
    x1["T_TONGCHI_BV"] = str(Decimal(x1["T_TONGCHI_BV"]) + Decimal("0.40"))
    assert problems(ep) == []
    exact = check_episode(read_one(ep), tolerance=Decimal(0))
    assert [(p.code, p.field) for p in exact] == [("P202", "T_TONGCHI_BV")]


def test_decimal_comma_totals_add_up() -> None:
    result = read_bytes(write_envelope("79001", [episode(i) for i in range(1, 11)], decimal_comma=True))
    assert check_file(result) == []


def test_nan_undefined_and_group_text_are_findings_naming_the_field() -> None:
    ep = episode(4)
    ep["XML2"][1]["SO_LUONG"] = "NaN"
    ep["XML3"][0]["MA_NHOM"] = "Nhóm 1"
    ep["XML1"][0]["KET_QUA_DTRI"] = "undefined"
    out = check_episode(read_one(ep))
    got = {(p.code, p.table, p.record, p.field, p.value) for p in out if p.code == "P102"}
    assert got == {
        ("P102", "XML2", 2, "SO_LUONG", "NaN"),
        ("P102", "XML3", 1, "MA_NHOM", "Nhóm 1"),
        ("P102", "XML1", 1, "KET_QUA_DTRI", "undefined"),
    }
    assert not any(p.refuses for p in out)
    msg = next(p for p in out if p.field == "SO_LUONG").message()
    assert "bảng XML2 dòng 2" in msg and "trường SO_LUONG" in msg and "«NaN»" in msg


def test_empty_district_accepted_empty_commune_not() -> None:
    ep = episode(5)
    assert ep["XML1"][0]["MAHUYEN_CU_TRU"] == ""
    assert problems(ep) == []
    ep["XML1"][0]["MAXA_CU_TRU"] = ""
    assert problems(ep) == [("P101", "XML1", "MAXA_CU_TRU", 1)]


def test_card_province_97_98_and_old_provinces_accepted() -> None:
    for card in ("QN5979790000001", "CA5987912345678", "HC4019912345678", "DN4337912345678"):
        ep = episode(6)
        ep["XML1"][0]["MA_THE_BHYT"] = card
        assert problems(ep) == [], card


def test_several_cards_with_their_dates() -> None:
    ep = episode(7)
    x1 = ep["XML1"][0]
    x1.update(
        MA_THE_BHYT="GD4797900000007;HT3797900000007",
        MA_DKBD="79001;79001",
        GT_THE_TU="20250101;20260101",
        GT_THE_DEN="20251231;20261231",
    )
    assert problems(ep) == []
    x1["GT_THE_DEN"] = "20251231"
    assert problems(ep) == [("P111", "XML1", "MA_THE_BHYT", None)]
    x1["MA_THE_BHYT"] = "GD4797900000007;XX"
    x1["GT_THE_DEN"] = "20251231;20261231"
    assert problems(ep) == [("P106", "XML1", "MA_THE_BHYT", None)]


def test_no_card_no_lk_unreadable_dates_refuse() -> None:
    ep = episode(8)
    ep["XML1"][0]["MA_THE_BHYT"] = ""
    out = check_episode(read_one(ep))
    assert [(p.code, p.field) for p in out] == [("P109", "MA_THE_BHYT")] and out[0].refuses
    ep = episode(8)
    ep["XML1"][0]["GT_THE_DEN"] = "31/12/2026"
    assert [(p.code, p.field, p.refuses) for p in check_episode(read_one(ep))] == [
        ("P109", "GT_THE_DEN", True)
    ]
    ep = episode(8)
    ep["XML1"][0]["NGAY_VAO"] = "2026-01-09 08:00"
    out = check_episode(read_one(ep))
    assert [(p.code, p.field, p.refuses) for p in out] == [("P110", "NGAY_VAO", True)]


def test_cccd_empty_accepted_other_identifiers_found() -> None:
    ep = episode(9)
    for value, expected in (("", []), ("B1234567", []), ("079085001234", []), ("7912345678", ["P107"])):
        ep["XML1"][0]["SO_CCCD"] = value
        assert [c for c, *_ in problems(ep)] == expected, value


def test_empty_main_diagnosis_is_a_finding() -> None:
    ep = episode(10)
    ep["XML1"][0]["MA_BENH_CHINH"] = ""
    out = check_episode(read_one(ep))
    assert [(p.code, p.field, p.refuses) for p in out] == [("P101", "MA_BENH_CHINH", False)]


def test_departments_diagnoses_and_benefit_levels_as_real_files_send_them() -> None:
    for muc_huong in ("0", "80", "95", "100"):
        ep = episode(11)
        ep["XML1"][0]["MA_KHOA"] = "K01;K18"
        ep["XML1"][0]["MA_BENH_KT"] = "K21;K21.9;I10"
        for row in ep["XML2"] + ep["XML3"]:
            row["MUC_HUONG"] = muc_huong
        out = problems(ep)
        assert {c for c, *_ in out} <= {"P202"}, muc_huong  # only the totals (lines changed, XML1 not)


def test_code_lists_lengths_and_formats() -> None:
    ep = episode(12)
    x1 = ep["XML1"][0]
    x1["KET_QUA_DTRI"] = "8"  # "tử vong ngoại viện", added by QĐ 4750
    x1["MA_LOAI_RV"] = "6"
    x1["MA_LOAI_KCB"] = "10"
    x1["MA_CSKCB"] = "790011"
    x1["NGAY_TTOAN"] = "20260115"
    x1["MA_BENH_KT"] = ";".join(f"I{i:02d}" for i in range(13))
    ep["XML2"][0]["TYLE_TT_BH"] = "1000"
    assert sorted(problems(ep)) == [
        ("P103", "XML1", "MA_CSKCB", 1),
        ("P103", "XML2", "TYLE_TT_BH", 1),
        ("P104", "XML1", "NGAY_TTOAN", 1),
        ("P105", "XML1", "MA_LOAI_KCB", 1),
        ("P105", "XML1", "MA_LOAI_RV", 1),
        ("P108", "XML1", "MA_BENH_KT", None),
    ]


def test_dates_in_order_and_bed_days() -> None:
    ep = episode(13)
    ep["XML1"][0]["NGAY_RA"] = "202601010700"
    ep["XML1"][0]["NGAY_VAO"] = "202601020800"
    ep["XML2"][0]["NGAY_TH_YL"] = "202601020700"
    ep["XML2"][0]["NGAY_YL"] = "202601020800"
    ep["XML1"][0]["MA_LOAI_KCB"] = "03"
    ep["XML1"][0]["SO_NGAY_DTRI"] = "3"
    got = {(c, t, f) for c, t, f, _ in problems(ep)}
    assert ("P205", "XML1", "NGAY_RA") in got and ("P207", "XML2", "NGAY_TH_YL") in got
    assert ("P208", "XML1", "SO_NGAY_DTRI") in got


def test_conditional_requirements_by_group() -> None:
    ep = episode(14)
    ep["XML2"][0]["TT_THAU"] = ""
    ep["XML3"][1]["NGUOI_THUC_HIEN"] = ""  # group 1 (laboratory)
    assert sorted(problems(ep)) == [("P209", "XML2", "TT_THAU", 1), ("P209", "XML3", "NGUOI_THUC_HIEN", 2)]


def test_every_problem_of_every_episode_at_once() -> None:
    eps = [episode(i) for i in range(1, 6)]
    eps[0]["XML1"][0]["MA_THE_BHYT"] = ""
    eps[0]["XML2"][0]["SO_LUONG"] = "NaN"
    eps[2]["XML1"][0]["T_TONGCHI_BV"] = "1.00"
    eps[4]["XML3"][0]["DON_GIA_BV"] = "undefined"
    result = read_bytes(write_envelope("79001", eps))
    all_problems = check_file(result)
    assert sorted({(p.hoso, p.code) for p in all_problems}) == [
        (1, "P102"),
        (1, "P109"),
        (3, "P202"),
        (5, "P102"),
    ]
    assert refused_episodes(all_problems) == {1}
    outcomes = check_episodes(result.episodes)
    assert [o.refused for o in outcomes] == [True, False, False, False, False]
    assert [len(o.problems) for o in outcomes] == [2, 0, 1, 0, 1]


def test_line_without_ma_lk_is_a_finding_xml1_without_is_a_refusal() -> None:
    ep = episode(15)
    del ep["XML2"][0]["MA_LK"]
    assert problems(ep) == [("P101", "XML2", "MA_LK", 1)]
    ep = episode(15)
    del ep["XML1"][0]["MA_LK"]
    result = read_bytes(write_envelope("79001", [ep]))
    out = check_file(result)
    assert [(p.code, p.refuses) for p in out] == [("P015", True)]
