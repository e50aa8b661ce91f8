"""Ledger rules without a database: deadlines, aging, allocation order and proportions, the
surcharge (equal to the calculator), the dues batch (equal to the scalar calculator), debt-ratio
variants, the in-memory book (idempotent closes), and the declaration file parsers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from ansinh.law.calculators import contribution, surcharge
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period
from ansinh.ledger.allocation import fifo, split_proportionally, surcharge_amounts, surcharge_days
from ansinh.ledger.debt_ratio import Variant, debt_ratio
from ansinh.ledger.declarations import parse_file, parse_kind, parse_period, parse_schemes
from ansinh.ledger.dues import compute_dues
from ansinh.ledger.engine import Book
from ansinh.ledger.payments import parse_statement
from ansinh.ledger.periods import aging_bucket, deadline_of

P = get_parameters()


def test_deadline_is_last_day_of_following_month() -> None:
    assert deadline_of(Period(2026, 3), P) == date(2026, 4, 30)
    assert deadline_of(Period(2026, 12), P) == date(2027, 1, 31)
    assert deadline_of(Period(2026, 1), P) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("as_of", "bucket"),
    [
        (date(2026, 4, 30), 0),
        (date(2026, 5, 20), 1),
        (date(2026, 7, 15), 2),
        (date(2026, 10, 1), 3),
        (date(2027, 3, 1), 4),
        (date(2027, 6, 1), 5),
    ],
)
def test_aging_buckets(as_of: date, bucket: int) -> None:
    assert aging_bucket(date(2026, 4, 30), as_of) == bucket


def test_fifo_pays_oldest_first_per_employer() -> None:
    # employer 1 owes 100 (Jan) and 50 (Feb); employer 2 owes 30; payments 60, 60 (employer 1), 100 (2)
    i, j, a = fifo(np.array([1, 1, 2]), np.array([100, 50, 30]), np.array([1, 1, 2]), np.array([60, 60, 100]))
    assert list(zip(i.tolist(), j.tolist(), a.tolist(), strict=True)) == [
        (0, 0, 60),
        (0, 1, 40),
        (1, 1, 20),
        (2, 2, 30),
    ]


def test_split_in_proportion_adds_up_exactly() -> None:
    owed = np.array([[2_550_000, 450_000, 200_000], [1, 1, 1], [7, 0, 3]])
    shares = split_proportionally(np.array([1_000_001, 2, 5]), owed)
    assert shares.sum(axis=1).tolist() == [1_000_001, 2, 5]
    assert shares[2].tolist() == [4, 0, 1] or shares[2].tolist() == [3, 0, 2]
    assert (shares <= owed).all()
    full = split_proportionally(np.array([3_200_000]), owed[:1])
    assert full.tolist() == [[2_550_000, 450_000, 200_000]]


def test_surcharge_equals_the_calculator() -> None:
    deadline = np.array(["2026-02-28"] * 3, dtype="datetime64[D]")
    paid = np.array(["2026-04-09", "2026-02-28", "2026-03-31"], dtype="datetime64[D]")
    amounts = np.array([3_200_000, 3_200_000, 1_234_567])
    days = surcharge_days(deadline, paid, P)
    assert days.tolist() == [40, 0, 31]
    got = surcharge_amounts(amounts, days, paid, P)
    for k in range(3):
        expected = surcharge(
            P, amount=int(amounts[k]), due_date=date(2026, 2, 28), paid_date=date.fromisoformat(str(paid[k]))
        )
        assert got[k] == expected["surcharge"]
    assert got[0] == 38_400  # round(3,200,000 × 0.0003 × 40)


def test_no_surcharge_days_before_the_new_law() -> None:
    days = surcharge_days(
        np.array(["2025-03-31"], dtype="datetime64[D]"), np.array(["2025-07-10"], dtype="datetime64[D]"), P
    )
    assert days.tolist() == [10]  # counted from 30 Jun 2025 (Law 41/2024 Art. 141.12)


def _parts() -> tuple[pa.Table, pa.Table, pa.Table]:
    parts = pa.table(
        {
            "person_id": [1, 1, 1, 2, 3],
            "employer_id": [10, 10, 10, 10, 10],
            "scheme": ["si", "ui", "hi", "si", "si"],
            "valid_from": [date(2026, 1, 1)] * 3 + [date(2025, 1, 1), date(2026, 1, 1)],
            "valid_to": [None, None, None, date(2026, 2, 28), None],
            "salary": [10_000_000, 10_000_000, None, 6_000_000, 60_000_000],
        }
    )
    regions = pa.table(
        {"employer_id": [10], "region": [1], "valid_from": [date(2020, 1, 1)], "valid_to": [None]}
    )
    leave = pa.table({"person_id": [3], "employer_id": [10], "m": [Period(2026, 3).index]})
    return parts, regions, leave


def test_dues_batch_equals_the_scalar_calculator() -> None:
    parts, regions, leave = _parts()
    dues = compute_dues(parts, regions, leave, first=Period(2026, 3).index, last=Period(2026, 3).index)
    got = {(r["scheme"], r["party"]): r["amount"] for r in dues.to_pylist()}
    one = contribution(P, period=Period(2026, 3), salary=10_000_000, region=1)
    # March: person 1 only (person 2 left in February, person 3 on unpaid leave)
    assert got == {
        (s, party): one[party][s] for party in ("employee", "employer") for s in ("si", "hi", "ui")
    }
    feb = compute_dues(parts, regions, leave, first=Period(2026, 2).index, last=Period(2026, 2).index)
    capped = contribution(P, period=Period(2026, 2), salary=60_000_000, region=1, schemes=("si",))
    six = contribution(P, period=Period(2026, 2), salary=6_000_000, region=1, schemes=("si",))
    si_employer = sum(r["amount"] for r in feb.to_pylist() if (r["scheme"], r["party"]) == ("si", "employer"))
    assert si_employer == one["employer"]["si"] + capped["employer"]["si"] + six["employer"]["si"]


def test_book_close_is_idempotent_and_allocates_oldest_first() -> None:
    parts, regions, leave = _parts()
    first, last = Period(2026, 1).index, Period(2026, 3).index
    dues = compute_dues(parts, regions, leave, first=first, last=last)
    book = Book(np.array([10]), first, 3, P)
    book.add_payments(
        np.array([1]), np.array([10]), np.array(["2026-04-09"], dtype="datetime64[D]"), np.array([3_200_000])
    )
    for m, as_of in zip(
        range(first, last + 1), (date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)), strict=True
    ):
        book.close(as_of, dues, np.array([m]))
    assert not [b for b in book.new if b.kind == "payment"]  # paid on 9 April: not yet
    book.close(date(2026, 4, 30))
    entries = book.entries()
    pays = [r for r in entries.to_pylist() if r["kind"] == "payment"]
    assert {r["period"] for r in pays} == {"2026-01"} and -sum(r["amount"] for r in pays) == 3_200_000
    book.close(date(2026, 4, 30), dues, np.arange(first, last + 1))
    assert book.entries().num_rows == 0


def test_debt_ratio_variants() -> None:
    kpi = {"arrears_late": 30, "arrears_collectible": 20, "arrears_open": 90, "receivable_ytd": 1000}
    assert debt_ratio(kpi, 10, Variant.parse("late/receivable_ytd")).value == Decimal("0.03")
    year = debt_ratio(kpi, 10, Variant.parse("collectible/receivable_year"))
    assert year.denominator == 1200 and year.projected
    assert debt_ratio(kpi, 10, Variant.parse("open/annual_plan"), plan=3000).numerator == 90
    with pytest.raises(ValueError):
        Variant.parse("everything/nothing")


def test_declaration_parsers() -> None:
    assert parse_period("03/2026") == Period(2026, 3) and parse_period("2026-03") == Period(2026, 3)
    assert parse_schemes("BHXH, BHYT, BHTN") == ("si", "hi", "ui") and parse_schemes("bhyt") == ("hi",)
    assert parse_kind("TM") == "join" and parse_kind("Nghỉ không lương") == "unpaid_leave"
    with pytest.raises(ValueError):
        parse_schemes("BHXH, lương hưu")


def test_declaration_file_rows_report_row_and_reason(tmp_path: Path) -> None:
    csv = (
        "Mã số BHXH,Họ và tên,Mức lương,Từ tháng,Loại bảo hiểm\n"
        '4201234567,Nguyễn Văn An,10.000.000,03/2026,"BHXH, BHYT, BHTN"\n'
        "42012345,Trần Bình,abc,13/2026,BHXH\n"
    )
    items, errors = parse_file(tmp_path / "kk.csv", csv.encode())
    assert len(items) == 1 and items[0].salary == 10_000_000
    assert {e.row for e in errors} == {3} and len(errors) == 3


def test_bank_file_in_another_order_and_bad_rows() -> None:
    data = (
        "Số tiền;Nội dung;Mã giao dịch;Ngày giao dịch\n"
        "3.200.000;MST 3000123456;FT1;09/04/2026\n"
        "-5;x;FT2;09/04/2026\n"
        "100;y;FT1;10/04/2026\n"
    ).encode()
    items, _ = parse_statement(Path("s.csv"), data)
    assert items[0].record is not None and items[0].record.amount == 3_200_000
    assert [e.row for i in items for e in i.errors] == [3, 4]
    assert "duplicate of row 2" in items[2].errors[0].reason


def test_two_payments_on_one_month_pay_each_scheme_exactly() -> None:
    first = Period(2026, 10).index
    book = Book(np.array([7]), first, 1, P)
    dues = pa.table(
        {
            "employer_id": [7, 7, 7],
            "m": [first] * 3,
            "scheme": ["si", "hi", "ui"],
            "party": ["employer"] * 3,
            "amount": [6_159_015, 1_086_885, 483_060],
        }
    )
    book.add_payments(
        np.array([1, 2]),
        np.array([7, 7]),
        np.array(["2026-10-07", "2026-10-25"], dtype="datetime64[D]"),
        np.array([4_892_000, 5_000_000]),
    )
    book.close(date(2026, 10, 31), dues, np.array([first]))
    assert book.open_c[0, 0].tolist() == [0, 0, 0]
    assert book.pay_left.tolist() == [0, 4_892_000 + 5_000_000 - 7_728_960]
    book.entries()
    book.close(date(2026, 10, 31), dues, np.array([first]))
    assert book.entries().num_rows == 0
