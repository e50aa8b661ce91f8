"""Claims intake and review on both backends: receipts, rejection codes, idempotency, versions, bad files,
and exact figures (a 500,000 đồng episode on a benefit-4 card: the fund pays 400,000, the patient 100,000)."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ansinh.claims.intake import IntakeSession, Receipt, ingest_file, ingest_stream, load_known
from ansinh.claims.models import ClaimEpisode, ClaimFinding, ClaimReview
from ansinh.claims.reference import import_reference
from ansinh.claims.review import run_review
from ansinh.claims.xmlwrite import envelope, episode_hoso, hoso, xml1, xml3
from ansinh.core.db import unit_of_work
from ansinh.synth.context import SynthConfig, SynthContext
from ansinh.synth.province import generate
from ansinh.synth.writer import write_province

DATA = Path(__file__).parent.parent / "data" / "claims"
FACILITY = "42001"


@pytest.fixture(scope="module")
def province() -> SynthContext:
    return generate(SynthConfig(people=3_000, seed=5), parts=["claims"])


def _card(ctx: SynthContext) -> dict[str, Any]:
    """A benefit-4 card valid through October 2026, with its holder."""
    parts = ctx.tables["participations"].to_pylist()
    persons = ctx.tables["persons"]
    for p in parts:
        card = p["hi_card_number"]
        if (
            p["scheme"] == "hi"
            and card
            and card[2] == "4"
            and p["valid_from"] <= date(2026, 10, 1)
            and (p["valid_to"] is None or p["valid_to"] >= date(2026, 10, 31))
        ):
            person = persons.slice(p["person_id"] - 1, 1).to_pylist()[0]
            if person["death_date"] is None:
                return {
                    "card": card,
                    "birth": person["birth_date"],
                    "gender": 2 if person["gender"] == "female" else 1,
                }
    raise AssertionError("no benefit-4 card")


@pytest.fixture()
def seeded(engine: Engine, province: SynthContext) -> dict[str, Any]:
    write_province(engine, province)
    for kind in ("services", "licences"):
        written, errors = import_reference(engine, kind, DATA / f"{kind}.csv", actor="test")
        assert not errors and written
    return _card(province)


def episode(
    card: dict[str, Any],
    ma_lk: str,
    *,
    total: int = 500_000,
    fund: int = 400_000,
    rate: int = 80,
    code: str = "TEST.1",
    icd: str = "J06.9",
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    e = {
        "ma_lk": ma_lk,
        "patient_name": "Nguyễn Văn A",
        "birth_date": card["birth"],
        "gender": card["gender"],
        "card_number": card["card"],
        "card_from": date(2026, 1, 1),
        "card_to": date(2026, 12, 31),
        "icd_main": icd,
        "admitted_at": datetime(2026, 10, 5, 8, 0),
        "discharged_at": datetime(2026, 10, 5, 9, 30),
        "kind": "01",
        "benefit_rate": rate,
        "total_hospital": total,
        "total_hi": total,
        "patient_copay": total - fund,
        "fund_claimed": fund,
        "settle_year": 2026,
        "settle_month": 10,
        "facility_code": FACILITY,
    }
    line = {
        "kind": "service",
        "seq": 1,
        "item_code": code,
        "quantity_milli": 1000,
        "unit_price_milli": total * 1000,
        "payment_rate": 100,
        "amount_hospital": total,
        "amount_hi": total,
        # a practitioner of 42001 with ordinary habits (000001 inflates costs in this synthetic province)
        "practitioner": "000002/42-CCHN",
        "ordered_on": datetime(2026, 10, 5, 8, 5),
        "performed_at": datetime(2026, 10, 5, 8, 10),
    }
    return e, [line]


def send(engine: Engine, data: bytes, name: str = "test.xml") -> Receipt:
    return ingest_stream(
        engine,
        io.BytesIO(data),
        file_name=name,
        sha256="x" * 64,
        size=len(data),
        actor="test",
        known=load_known(engine),
    )


def codes(receipt: Receipt) -> list[str]:
    return [r[2] for r in receipt.rejections]


def test_receipt_rejects_bad_episodes_and_keeps_the_rest(engine: Engine, seeded: dict[str, Any]) -> None:
    card = seeded
    good = episode_hoso(*episode(card, "A1"))
    e, lines = episode(card, "B1")
    lines[0]["amount_hospital"] = 499_000  # THANH_TIEN_BV ≠ SO_LUONG × DON_GIA
    bad_line = episode_hoso(e, lines)
    e, lines = episode(card, "C1")
    e["total_hi"] = 450_000
    e["patient_copay"] = 50_000
    bad_total = episode_hoso(e, lines)
    e, lines = episode(card, "D1", fund=300_000)
    e["patient_copay"] = 100_000  # T_BHTT ≠ T_TONGCHI_BH − T_BNCCT
    bad_bhtt = episode_hoso(e, lines)
    bad_base64 = (
        "<HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>not*base64!</NOIDUNGFILE></FILEHOSO></HOSO>"
    )
    unknown_card = episode_hoso(*episode({**card, "card": "GD4429999999999"}, "F1"))
    unknown_code = episode_hoso(*episode(card, "G1", code="NO.SUCH"))
    unknown_icd = episode_hoso(*episode(card, "H1", icd="Q99.9X"))
    e, lines = episode(card, "I1")
    no_xml1 = hoso([("XML3", xml3(lines, "I1"))])
    doctype = hoso(
        [
            (
                "XML1",
                b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><TONG_HOP><MA_LK>&a;</MA_LK></TONG_HOP>',
            )
        ]
    )
    e, lines = episode(card, "K1")
    extra = hoso(
        [("XML1", xml1(e)), ("XML3", xml3(lines, "K1")), ("XML5", b"<CHITIEU_CHITIET_DIENBIENLAMSANG/>")]
    )
    data = envelope(
        FACILITY,
        [
            good,
            bad_line,
            bad_total,
            bad_bhtt,
            bad_base64,
            unknown_card,
            unknown_code,
            unknown_icd,
            no_xml1,
            doctype,
            extra,
            good,
        ],
    )
    receipt = send(engine, data)
    assert receipt.error_code is None
    assert (receipt.episodes, receipt.accepted, receipt.duplicates, receipt.rejected) == (12, 2, 1, 9)
    assert codes(receipt) == ["E05", "E06", "E07", "E01", "E14", "E12", "E13", "E03", "E02"]
    # the same file again changes nothing
    again = send(engine, data)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 3, 9)
    # a resubmission with other content is a new version; the old one is superseded
    changed = episode_hoso(*episode(card, "A1", total=500_000, fund=400_000, icd="J20.9"))
    third = send(engine, envelope(FACILITY, [changed]))
    assert (third.accepted, third.new_versions) == (1, 1)
    with unit_of_work(engine) as session:
        rows = session.scalars(
            select(ClaimEpisode).where(ClaimEpisode.ma_lk == "A1").order_by(ClaimEpisode.version)
        ).all()
        assert [(r.version, r.superseded, r.icd_main) for r in rows] == [
            (1, True, "J06.9"),
            (2, False, "J20.9"),
        ]
        assert (rows[1].total_hi, rows[1].fund_claimed, rows[1].patient_copay) == (500_000, 400_000, 100_000)


def test_review_exact_figures(engine: Engine, seeded: dict[str, Any]) -> None:
    """500,000 đồng on a benefit-4 card: 400,000 is right; claiming 500,000 disallows 100,000 (R10);
    claiming MUC_HUONG 100 disallows 100,000 as well (R09)."""
    card = seeded
    right = episode_hoso(*episode(card, "OK1"))
    too_much = episode_hoso(*episode(card, "CO1", fund=500_000))
    wrong_level = episode_hoso(*episode(card, "MH1", fund=500_000, rate=100))
    receipt = send(engine, envelope(FACILITY, [right, too_much, wrong_level]))
    assert receipt.accepted == 3
    run_review(engine, (2026, 10), on=date(2026, 11, 1))
    with unit_of_work(engine) as session:

        def outcome(ma_lk: str) -> tuple[str, int, int, list[tuple[str, int]]]:
            ep = session.scalars(select(ClaimEpisode).where(ClaimEpisode.ma_lk == ma_lk)).one()
            review = session.get(ClaimReview, ep.id)
            assert review is not None
            found = session.scalars(select(ClaimFinding).where(ClaimFinding.episode_id == ep.id)).all()
            return (
                review.outcome,
                review.disallowed,
                review.approved,
                sorted((f.rule_code, f.amount) for f in found),
            )

        assert outcome("OK1") == ("accepted", 0, 400_000, [])
        assert outcome("CO1") == ("deducted", 100_000, 400_000, [("R10", 100_000)])
        assert outcome("MH1") == ("deducted", 100_000, 400_000, [("R09", 100_000)])


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<GIAMDINHHS><THONGTINDONVI><MACSKCB>&lol3;</MACSKCB></THONGTINDONVI></GIAMDINHHS>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<GIAMDINHHS><THONGTINDONVI><MACSKCB>&ext;</MACSKCB></THONGTINDONVI></GIAMDINHHS>"""


def test_bad_files_get_a_reason_never_a_crash(engine: Engine, seeded: dict[str, Any]) -> None:
    card = seeded
    whole = envelope(FACILITY, [episode_hoso(*episode(card, "T1")), episode_hoso(*episode(card, "T2"))])
    cut = whole.index(b"<HOSO>", whole.index(b"<HOSO>") + 1) + 40
    truncated = send(engine, whole[:cut])
    assert truncated.error_code == "F01" and truncated.accepted == 1
    assert "truncated" in (truncated.error_message or "")
    # sending the whole file afterwards adds exactly the missing episode
    full = send(engine, whole)
    assert (full.accepted, full.duplicates) == (1, 1)
    assert send(engine, BOMB).error_code == "F02"
    assert send(engine, EXTERNAL).error_code == "F02"
    latin = envelope(FACILITY, []).replace(b"<SOLUONGHOSO>", b"<GHICHU>B\xe9nh</GHICHU><SOLUONGHOSO>")
    assert send(engine, latin).error_code == "F05"
    assert send(engine, "<GIAMDINHHS/>".encode("utf-16")).error_code == "F05"
    assert send(engine, b"<html><body>hello</body></html>").error_code == "F03"
    assert send(engine, b"").error_code == "F01"
    assert send(engine, b"not xml at all").error_code in ("F01", "F05")
    other = envelope("99999", [episode_hoso(*episode(card, "U1"))])
    assert send(engine, other).error_code == "F06"
    with unit_of_work(engine) as session:
        count = len(
            session.scalars(select(ClaimEpisode.id).where(ClaimEpisode.ma_lk.in_(["T1", "T2"]))).all()
        )
    assert count == 2


def test_synthetic_episodes_round_trip_through_xml(
    engine: Engine, province: SynthContext, tmp_path: Path
) -> None:
    """Synthetic episodes written as XML and received again are accepted unchanged."""
    from ansinh.claims.xmlexport import write_files

    write_province(engine, province)
    episodes = province.tables["claim_episodes"].slice(0, 300)
    ids = episodes["id"]
    lines = province.tables["claim_lines"].filter(
        pc.is_in(province.tables["claim_lines"]["episode_id"], value_set=ids)
    )
    renamed = episodes.set_column(
        episodes.column_names.index("ma_lk"), "ma_lk", pc.binary_join_element_wise("X", episodes["ma_lk"], "")
    )
    paths = write_files(renamed, lines, tmp_path)
    session = IntakeSession(engine, load_known(engine), "test")
    accepted = 0
    for path in paths:
        receipt = ingest_file(session, path)
        assert receipt.rejected == 0, receipt.rejections[:3]
        accepted += receipt.accepted
    session.close()
    assert accepted == 300


def test_worker_pool_gives_the_receipts_of_one_file_after_the_other(
    engine: Engine, seeded: dict[str, Any], tmp_path: Path
) -> None:
    """Files parsed in two worker processes: same receipts (accepted, rejected with codes, file errors,
    versions) as reading them in turn; sending them again in process finds only duplicates."""
    card = seeded
    good = [episode_hoso(*episode(card, f"P{i}")) for i in range(5)]
    bad = "<HOSO><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>@@</NOIDUNGFILE></FILEHOSO></HOSO>"
    changed = episode_hoso(*episode(card, "P0", total=400_000, fund=320_000))  # a new version of P0
    whole = envelope(FACILITY, [*good[3:], bad])
    cut = whole.index(b"<HOSO>", whole.index(b"<HOSO>") + 1) + 40
    files = {
        "a.xml": envelope(FACILITY, good[:3]),
        "b.xml": whole,
        "c.xml": whole[:cut],  # truncated: its first episode is a duplicate of b's
        "d.xml": envelope("99999", good[:1]),  # unknown facility
        "e.xml": envelope(FACILITY, [changed]),
        "f.xml": BOMB,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    paths = sorted(tmp_path.glob("*.xml"))
    session = IntakeSession(engine, load_known(engine), "test")
    receipts = {r.file_name: r for r in session.ingest_files(paths, workers=2)}
    session.close()
    summary = {
        name: (r.accepted, r.new_versions, r.duplicates, r.rejected, codes(r), r.error_code)
        for name, r in receipts.items()
    }
    assert summary == {
        "a.xml": (3, 0, 0, 0, [], None),
        "b.xml": (2, 0, 0, 1, ["E01"], None),
        "c.xml": (0, 0, 1, 0, [], "F01"),
        "d.xml": (0, 0, 0, 0, [], "F06"),
        "e.xml": (1, 1, 0, 0, [], None),
        "f.xml": (0, 0, 0, 0, [], "F02"),
    }
    with unit_of_work(engine) as s:
        versions = s.execute(
            select(ClaimEpisode.version, ClaimEpisode.superseded, ClaimEpisode.file_id)
            .where(ClaimEpisode.ma_lk == "P0")
            .order_by(ClaimEpisode.version)
        ).all()
    assert [(v, sup) for v, sup, _ in versions] == [(1, True), (2, False)]
    assert versions[0][2] == receipts["a.xml"].file_id and versions[1][2] == receipts["e.xml"].file_id
    again = IntakeSession(engine, load_known(engine), "test")
    repeat = [again.ingest_files([p], workers=1) for p in paths[:2]]
    assert [(r.accepted, r.duplicates) for rs in repeat for r in rs] == [(0, 3), (0, 2)]
    again.close()


def test_daily_maximum_counts_the_days_lines(engine: Engine, seeded: dict[str, Any]) -> None:
    """R06 adds up one day's lines of a drug: 5 + 5 tablets of paracetamol (at most 8 a day) exceed the
    maximum by 2; at 100 đồng a tablet, 80% benefit, the fund's share of the excess is 160 đồng."""
    card = seeded
    e, _ = episode(card, "DAY1", total=1_000, fund=1_000)
    drug = {
        "kind": "drug",
        "item_code": "40.17",
        "quantity_milli": 5_000,
        "unit_price_milli": 100_000,
        "payment_rate": 100,
        "amount_hospital": 500,
        "amount_hi": 500,
        "practitioner": "000002/42-CCHN",
        "ordered_on": datetime(2026, 10, 5, 8, 5),
        "performed_at": datetime(2026, 10, 5, 8, 10),
    }
    lines = [{**drug, "seq": 1}, {**drug, "seq": 2}]
    receipt = send(engine, envelope(FACILITY, [episode_hoso(e, lines)]))
    assert receipt.accepted == 1, receipt.rejections
    run_review(engine, (2026, 10), on=date(2026, 11, 1))
    with unit_of_work(engine) as session:
        ep = session.scalars(select(ClaimEpisode).where(ClaimEpisode.ma_lk == "DAY1")).one()
        found = session.scalars(
            select(ClaimFinding).where(ClaimFinding.episode_id == ep.id, ClaimFinding.rule_code == "R06")
        ).one()
        assert found.amount == 160
        assert '"quantity":10' in found.evidence and '"max_per_day":8' in found.evidence
