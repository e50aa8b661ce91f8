"""Benefit rules without a database: figures computed by hand from the rules reference (§5) and
the parameters, the one-time withdrawal before and after 1 Jul 2025, working-day deadlines with
holidays as data, the contribution history expansion, the counselling comparison, account checks and
the payroll classification."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ansinh.benefits.counselling import compare
from ansinh.benefits.history import OPEN_SCHEMA, SPELLS_SCHEMA, coefficient_table, summarise
from ansinh.benefits.payroll import PaymentError, check_account, classify
from ansinh.benefits.rules import Applicant, evaluate, needs_second_approval
from ansinh.benefits.workdays import add_working_days, due_dates, working_days_between
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period

P = get_parameters()


def _history(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "total_months": 0,
        "si_months": 0,
        "vsi_months": 0,
        "months_before_2014": 0,
        "months_from_2014": 0,
        "first_month": None,
        "last_month": None,
        "average_salary": 0,
        "average_last6": 0,
        "salary_previous_month": 0,
        "si_months_last12": 0,
        "ui_months_last24": 0,
        "ui_months": 0,
        "unpaid_months": 0,
        "unpaid_periods": "",
    }
    base.update(kw)
    return base


def test_pension_woman_and_minimum_pension() -> None:
    # Woman born 1968-03: in 2024 the age is 56y4m, reached in 2024-07 → pension from 2024-08-01.
    # She has 25 years (300 months) at an average of 8,000,000: 45% + 2% × 10 = 65% → 5,200,000.
    woman = Applicant(1, "female", date(1968, 3, 5))
    h = _history(
        total_months=300,
        si_months=300,
        months_from_2014=300,
        first_month=2001 * 12,
        last_month=2025 * 12,
        average_salary=8_000_000,
    )
    d = evaluate(P, "pension", woman, h, {}, date(2026, 1, 1), date(2026, 1, 5))
    assert d.eligible and d.monthly_amount == 5_200_000
    # A man with 20 years joined before 1 Jul 2025 at a low average: 45% × 4,000,000 = 1,800,000 is
    # raised to the reference level 2,340,000 (Law 41/2024 Art. 141.11).
    man = Applicant(2, "male", date(1964, 1, 10))
    h = _history(
        total_months=240,
        si_months=240,
        first_month=2006 * 12,
        last_month=2025 * 12 + 11,
        average_salary=4_000_000,
    )
    d = evaluate(P, "pension", man, h, {}, date(2026, 2, 1), date(2026, 2, 3))
    assert d.eligible and d.monthly_amount == 2_340_000
    assert any("Art. 141.11" in s["legal_basis"] for s in d.step_dicts())


def test_pension_refused_before_retirement_age_and_with_too_few_years() -> None:
    young = Applicant(3, "male", date(1975, 1, 1))
    h = _history(
        total_months=300, si_months=300, first_month=2000 * 12, last_month=2025 * 12, average_salary=9_000_000
    )
    d = evaluate(P, "pension", young, h, {}, date(2026, 1, 1), date(2026, 1, 1))
    assert not d.eligible and d.problems[0].code == "retirement_age_not_reached"
    old = Applicant(4, "male", date(1960, 1, 1))
    h = _history(
        total_months=150, si_months=150, first_month=2010 * 12, last_month=2025 * 12, average_salary=9_000_000
    )
    d = evaluate(P, "pension", old, h, {}, date(2026, 1, 1), date(2026, 1, 1))
    assert d.problems[0].code == "too_few_years" and d.amount is None


def test_one_time_after_july_2025_needs_contributions_before_it() -> None:
    a = Applicant(5, "male", date(1990, 1, 1))
    # Started in September 2025, left in 2026: ground (đ) is closed to those who start after 1 Jul 2025.
    h = _history(
        total_months=10,
        si_months=10,
        months_from_2014=10,
        first_month=2025 * 12 + 8,
        last_month=2026 * 12 + 5,
        average_salary=7_000_000,
    )
    d = evaluate(P, "one_time", a, h, {"ground": "dd"}, date(2027, 8, 1), date(2027, 8, 1))
    assert not d.eligible
    assert any(c.label.startswith("Contributions made before 2025-07-01") and not c.ok for c in d.checks)
    # Before 1 Jul 2025 (Law 58/2014 + NQ 93/2015): one year out is enough whatever the start.
    h = _history(
        total_months=30,
        si_months=30,
        months_from_2014=30,
        first_month=2021 * 12,
        last_month=2023 * 12 + 5,
        average_salary=7_000_000,
    )
    d = evaluate(P, "one_time", a, h, {"ground": "dd"}, date(2025, 3, 3), date(2025, 3, 3))
    # 30 months = 2 y 6 m → 2.5 years × 2 = 5 months × 7,000,000 = 35,000,000
    assert d.eligible and d.amount == 35_000_000
    assert any("Law 58/2014/QH13" in c.legal_basis for c in d.checks)


def test_one_time_worked_example_and_threshold() -> None:
    # rules.py docstring: 8 y 4 m from 2014 (8.5 years × 2 = 17 months) × 9,000,000 = 153,000,000.
    a = Applicant(6, "male", date(1985, 1, 1))
    h = _history(
        total_months=100,
        si_months=100,
        months_from_2014=100,
        first_month=2016 * 12,
        last_month=2025 * 12 - 2,
        average_salary=9_000_000,
    )
    d = evaluate(P, "one_time", a, h, {"ground": "dd"}, date(2026, 3, 2), date(2026, 3, 2))
    assert d.amount == 153_000_000
    explained = json.loads(json.dumps(d.to_json(), default=str))  # what the case stores
    assert "Law 41/2024/QH15 Art. 70.3" in explained["legal_basis"]
    assert explained["steps"][-1]["value"] == 153_000_000 and explained["eligible"] is True
    assert not needs_second_approval(P, d, date(2026, 3, 2))  # threshold 200,000,000 (benefits.yaml)
    h["average_salary"] = 12_000_000
    d = evaluate(P, "one_time", a, h, {"ground": "dd"}, date(2026, 3, 2), date(2026, 3, 2))
    assert d.amount == 204_000_000 and needs_second_approval(P, d, date(2026, 3, 2))


def test_unemployment_sickness_funeral_survivor() -> None:
    a = Applicant(7, "male", date(1990, 1, 1))
    # 50 UI months, all within reach, average of the last 6 months 12,000,000, region I, Feb 2026:
    # 60% = 7,200,000 (cap 5 × 5,310,000), 3 + (50 − 36) // 12 = 4 months (Law 74/2025 Art. 39).
    h = _history(
        total_months=50,
        si_months=50,
        months_from_2014=50,
        first_month=2022 * 12,
        last_month=2026 * 12,
        average_salary=12_000_000,
        average_last6=12_000_000,
        ui_months=50,
        ui_months_last24=24,
    )
    d = evaluate(P, "unemployment", a, h, {"region": 1}, date(2026, 2, 10), date(2026, 2, 20))
    assert (d.monthly_amount, d.duration_months, d.amount) == (7_200_000, 4, 28_800_000)
    # Sickness: 9,600,000 × 75% ÷ 24 × 5 days = 1,500,000 (Art. 45).
    h = _history(
        total_months=120,
        si_months=120,
        first_month=2016 * 12,
        last_month=2026 * 12 + 1,
        salary_previous_month=9_600_000,
    )
    d = evaluate(P, "sickness", a, h, {"days": 5}, date(2026, 3, 10), date(2026, 3, 20))
    assert d.amount == 1_500_000
    # Funeral: 10 × 2,340,000 = 23,400,000 (Art. 85.2), for a death in March 2026 after 12+ months.
    dead = Applicant(8, "male", date(1960, 1, 1), death_date=date(2026, 3, 5))
    h = _history(total_months=24, si_months=24, first_month=2024 * 12, last_month=2026 * 12 + 1)
    d = evaluate(P, "funeral", dead, h, {}, date(2026, 3, 5), date(2026, 3, 10))
    assert d.amount == 23_400_000
    # Survivor: a pensioner's death; one relative with a carer (50%) and one without (70%) of the
    # reference level of the month after death (April 2026: 2,340,000) = 1,170,000 + 1,638,000.
    pensioner = Applicant(9, "male", date(1950, 1, 1), death_date=date(2026, 3, 5), is_pensioner=True)
    facts = {"relatives": [{"person_id": 10}, {"person_id": 11, "without_carer": True}]}
    d = evaluate(P, "survivor", pensioner, _history(), facts, date(2026, 3, 5), date(2026, 3, 10))
    assert d.monthly_amount == 2_808_000


def test_no_history_is_a_clear_problem() -> None:
    d = evaluate(
        P,
        "one_time",
        Applicant(42, "male", date(1990, 1, 1)),
        _history(),
        {"ground": "dd"},
        date(2026, 3, 2),
        date(2026, 3, 2),
    )
    assert not d.eligible and d.problems[0].code == "no_contribution_history"
    assert "person 42" in d.problems[0].message and d.problems[0].field == "person_id"


def test_working_days_with_holidays_as_data() -> None:
    # Friday 13 Feb 2026 + 7 working days, Tết 16–20 Feb off → Tuesday 3 Mar 2026.
    assert add_working_days(date(2026, 2, 13), 7) == date(2026, 3, 3)
    # Without holidays in between: Monday 2 Mar + 10 → Monday 16 Mar.
    assert add_working_days(date(2026, 3, 2), 10) == date(2026, 3, 16)
    # 30 Apr and 1 May 2026 (Thu, Fri) are off: Wed 29 Apr + 1 → Mon 4 May.
    assert add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)
    assert working_days_between(date(2026, 2, 13), date(2026, 3, 3)) == 7
    received = np.array(["2026-02-13", "2026-03-02"], dtype="datetime64[D]")
    assert due_dates(received, np.array([7, 10])).astype(str).tolist() == ["2026-03-03", "2026-03-16"]


def test_history_expansion_counts_months_once_and_revalues() -> None:
    cases = pa.table(
        {"case_id": [1], "person_id": [10], "event_date": pa.array([date(2026, 1, 15)], pa.date32())}
    )
    spells = pa.table(
        {
            "person_id": [10, 10, 10],
            "scheme": ["si", "si", "vsi"],
            "valid_from": pa.array([date(2024, 1, 1), date(2024, 6, 1), date(2025, 1, 1)], pa.date32()),
            "valid_to": pa.array([date(2024, 12, 31), date(2024, 8, 31), date(2025, 12, 31)], pa.date32()),
            "employer_id": [5, 6, None],
            "amount": [10_000_000, 12_000_000, 10_000_000],
        },
        schema=SPELLS_SCHEMA,
    )
    out = summarise(cases, spells, OPEN_SCHEMA.empty_table(), P, date(2026, 3, 1)).to_pylist()[0]
    # 2024: 12 compulsory months (Jun–Aug counted once, at the higher 12,000,000); 2025: 12 voluntary.
    assert (out["total_months"], out["si_months"], out["vsi_months"]) == (24, 12, 12)
    # (9 × 10,000,000 + 3 × 12,000,000) × 1.07 + 12 × 10,000,000 × 1.03 = 134,820,000 + 123,600,000
    assert out["average_salary"] == round((134_820_000 + 123_600_000) / 24)
    coef = {r["year"]: r["coef100"] for r in coefficient_table(P, date(2026, 3, 1)).to_pylist()}
    assert (coef[1980], coef[1994], coef[2025], coef[2030]) == (605, 605, 103, 100)


def test_counselling_worked_example() -> None:
    h = _history(
        total_months=96,
        si_months=96,
        months_from_2014=96,
        first_month=2016 * 12,
        last_month=2025 * 12,
        average_salary=8_000_000,
    )
    c = compare(P, Applicant(1, "female", date(1980, 5, 10)), h, date(2026, 3, 2))
    assert (c.lump_sum_now, c.months_missing) == (128_000_000, 84)
    assert (c.voluntary_monthly_payable, c.voluntary_total_payable) == (264_000, 22_176_000)
    assert (c.projected_average_salary, c.projected_monthly_pension) == (4_966_667, 2_235_000)
    assert c.projected_rate_percent == Decimal("45.00")
    assert c.pension_value_over_life == 2_235_000 * 12 * 23 and c.pension_from == date(2040, 6, 1)


def test_accounts_and_payroll_classification() -> None:
    assert check_account("bank", "0123 4567-8901") == "012345678901"
    assert check_account("ewallet", "0912345678") == "0912345678"
    assert check_account("cash", None) is None
    with pytest.raises(PaymentError, match="account"):
        check_account("bank", "12AB")
    with pytest.raises(PaymentError, match="channel"):
        check_account("cheque", "1")
    active = pa.table(
        {
            "beneficiary_id": [1, 2, 3, 4, 5, 5],
            "person_id": [1, 2, 3, 4, 5, 5],
            "monthly_amount": [1, 1, 1, 1, 1, 1],
            "death_date": pa.array([None, date(2026, 2, 1), None, None, None, None], pa.date32()),
            "channel": ["bank", "bank", None, "ewallet", "cash", "bank"],
            "provider": ["VCB", "VCB", None, "MOMO", "BD", "VCB"],
            "account": ["0123456789", "0123456789", None, "912345678", None, "0123456789"],
        }
    )
    pay, exc = classify(active, Period(2026, 3))
    assert pay.tolist() == [True, False, False, False, True, False]
    assert {k: v.nonzero()[0].tolist() for k, v in exc.items() if v.any()} == {
        "deceased": [1],
        "no_channel": [2],
        "invalid_account": [3],
        "overlapping_channels": [5],
    }


def test_every_benefits_message_has_a_vietnamese_translation() -> None:
    package = resources.files("ansinh.benefits")
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = {
        msg
        for _f, _l, msg, _c, _ctx in extract_from_dir(
            str(package), method_map, options, keywords={"_": None, "N_": None}
        )
    }
    with package.joinpath("i18n", "vi.po").open("rb") as f:
        vi = read_po(f)
    translated = {str(m.id) for m in vi if m.id and m.string}
    missing = sorted(str(m) for m in found if str(m) not in translated)
    assert missing == []
