"""The indicator batch on the hand-built province (tests/unit/test_coverage_province.py): every
figure below is counted by hand in that module's docstring."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from ansinh.coverage import indicators as ind
from ansinh.coverage.projection import project, status
from ansinh.coverage.targets import governing, targets
from tests.unit.test_coverage_province import (
    A,
    B,
    denominators_table,
    participations_table,
    persons_table,
)

JAN, MAR = 2026 * 12, 2026 * 12 + 2


@pytest.fixture(scope="module")
def figures() -> dict[tuple[str, str, str], tuple[int, int | None, float | None]]:
    facts = ind.Facts("42", [A, B], persons_table(), participations_table(), denominators_table())
    out = ind.compute(facts, JAN, MAR)
    return {
        (r["area_code"], r["period"], r["indicator"]): (r["numerator"], r["denominator"], r["value"])
        for r in out.to_pylist()
    }


def test_si_share_of_the_labour_force(figures: dict) -> None:  # type: ignore[type-arg]
    assert figures[("42", "2026-03", "si_participants")] == (5, 9, pytest.approx(5 / 9))
    assert figures[(A, "2026-03", "si_participants")] == (3, 5, pytest.approx(0.6))
    assert figures[(B, "2026-03", "si_participants")] == (2, 4, pytest.approx(0.5))
    assert figures[("42", "2026-03", "si_compulsory")][0] == 4
    assert figures[("42", "2026-03", "si_voluntary")][0] == 1
    assert figures[("42", "2026-03", "ui")][:2] == (3, 9)
    # January: p4 (left 15 January) and p9 (voluntary SI ended 31 December) are out, p3 not yet in
    assert figures[("42", "2026-01", "si_participants")][0] == 4


def test_hi_share_of_the_population(figures: dict) -> None:  # type: ignore[type-arg]
    assert figures[("42", "2026-03", "hi")] == (7, 13, pytest.approx(7 / 13))
    assert figures[(A, "2026-03", "hi")][:2] == (5, 7)
    assert figures[(B, "2026-03", "hi")][:2] == (2, 6)  # p11 died in February
    assert figures[("42", "2026-01", "hi")][0] == 7


def test_pension_share_of_people_past_retirement_age(figures: dict) -> None:  # type: ignore[type-arg]
    assert figures[("42", "2026-01", "pension")][:2] == (2, 3)  # p5 (HT), p11 (BT); p6 has nothing
    assert figures[("42", "2026-03", "pension")][:2] == (1, 2)  # p11 died in February


def test_new_lost_and_net_growth(figures: dict) -> None:  # type: ignore[type-arg]
    assert [figures[("42", p, "new_participants")][0] for p in ("2026-01", "2026-02", "2026-03")] == [0, 1, 0]
    assert [figures[("42", p, "lost_participants")][0] for p in ("2026-01", "2026-02", "2026-03")] == [
        2,
        0,
        0,
    ]
    assert [figures[("42", p, "net_growth")][0] for p in ("2026-01", "2026-02", "2026-03")] == [-2, 1, 0]
    assert figures[(B, "2026-01", "lost_participants")][0] == 1


def test_missing_sources_are_not_invented(figures: dict) -> None:  # type: ignore[type-arg]
    codes = {k[2] for k in figures}
    assert not codes & {"one_time", "non_cash", "debt_ratio", "arrears"}


def test_benefit_tables_when_present() -> None:
    cases = pa.table(
        {
            "person_id": [9, 12, 3],
            "kind": ["one_time", "one_time", "pension"],
            "status": ["paid", "approved", "paid"],
            "decided_on": pa.array([date(2026, 2, 10), date(2026, 1, 5), date(2026, 2, 1)], pa.date32()),
        }
    )
    payments = pa.table(
        {
            "person_id": [5, 5, 11, 5],
            "period": ["2026-01", "2026-02", "2026-01", "2026-03"],
            "channel": ["bank", "cash", "ewallet", "bank"],
            "status": ["paid", "paid", "paid", "failed"],
        }
    )
    beneficiaries = pa.table(
        {"person_id": [6], "kind": ["survivor"], "start_period": ["2026-03"], "end_period": [""]}
    )
    facts = ind.Facts(
        "42",
        [A, B],
        persons_table(),
        participations_table(),
        denominators_table(),
        beneficiaries=beneficiaries,
        benefit_cases=cases,
        benefit_payments=payments,
    )
    out = {(r["area_code"], r["period"], r["indicator"]): r for r in ind.compute(facts, JAN, MAR).to_pylist()}
    assert out[("42", "2026-01", "one_time")]["numerator"] == 1
    assert out[(B, "2026-02", "one_time")]["numerator"] == 1
    assert out[("42", "2026-03", "one_time")]["numerator"] == 0
    assert (
        out[("42", "2026-01", "non_cash")]["numerator"],
        out[("42", "2026-01", "non_cash")]["denominator"],
    ) == (2, 2)
    assert out[("42", "2026-02", "non_cash")]["value"] == 0.0
    assert out[("42", "2026-03", "non_cash")]["value"] is None  # no payment paid: no share, not 0 or 100%
    assert out[("42", "2026-03", "pension")]["numerator"] == 2  # p6's survivor benefit from March


def test_denominators_fall_back_to_the_communes_sum_and_latest_year() -> None:
    facts = ind.Facts("42", [A, B], persons_table(), participations_table(), denominators_table())
    lookup = ind._denominator_lookup(facts, range(2026, 2028))
    assert lookup[("42", 2026)] == {"population": 13, "labour_force": 9, "working_age_population": 9}
    assert lookup[(A, 2027)]["labour_force"] == 5  # 2027 not imported: the latest earlier year


def test_projection_status_and_needed_additions() -> None:
    months = [2025 * 12 + i for i in range(24)]
    rising = [0.40 + 0.005 * i for i in range(24)]  # +6 points a year
    r = project(months, rising, 2030, 0.60, "min", numerator=4_000, denominator=10_000)
    assert r.status == "on_track" and r.slope_per_year == pytest.approx(0.06)
    assert r.lower is not None and r.upper is not None and r.lower <= r.projected <= r.upper  # type: ignore[operator]
    flat = [0.40 + (0.001 if i % 2 else 0) for i in range(24)]
    r = project(months, flat, 2030, 0.60, "min", numerator=4_000, denominator=10_000)
    assert r.status == "off_track"
    # (0.60 × 10,000 − 4,000) ÷ (2030-12 − 2026-12 = 48 months) = 41.7 → 42 a month
    assert r.needed_per_month == 42
    assert project(months[:3], rising[:3], 2030, 0.6).status == "no_data"
    assert status(0.03, 0.02, 0.04, 0.025, "max") == "at_risk"
    assert status(0.02, 0.01, 0.03, 0.025, "max") == "on_track"
    assert status(0.59, 0.58, 0.61, 0.60, "min") == "at_risk"


def test_targets_national_and_provincial() -> None:
    ts = targets("42", date(2026, 6, 1))
    si = governing(ts, "si_participants", 2026)
    assert si is not None and (si.year, float(si.value), si.national) == (2030, 0.6, True)
    wap = governing(ts, "si_working_age", 2026)
    assert wap is not None and (float(wap.value), wap.national) == (0.362, False)
    debt = governing(ts, "debt_ratio", 2026)
    assert debt is not None and debt.direction == "max"
    assert governing(targets("24", date(2026, 6, 1)), "si_working_age", 2026) is None  # Hà Tĩnh's own goal
    bac_ninh = [t for t in targets("24", date(2026, 6, 1)) if not t.national]
    assert {(t.indicator, t.year, float(t.value)) for t in bac_ninh} == {
        ("si_participants", 2020, 0.55),
        ("ui", 2020, 0.40),
        ("hi", 2020, 0.80),
    }


def test_retirement_months_equal_the_calculator() -> None:
    import numpy as np

    from ansinh.law.calculators.base import CalculationError
    from ansinh.law.calculators.retirement_age import retirement_age
    from ansinh.law.parameters import get_parameters
    from ansinh.law.periods import Period

    params = get_parameters()
    months = np.arange(1935 * 12, 2012 * 12, dtype=np.int64)
    for gender in ("male", "female"):
        batch = ind.reached_months(params, gender, months)
        for m, got in zip(months.tolist(), batch.tolist(), strict=True):
            try:
                figures = retirement_age(
                    params, gender=gender, birth_date=Period.from_index(m).first_day
                ).figures
            except CalculationError:
                continue
            assert got == Period.parse(str(figures["reached_month"])).index, (
                gender,
                str(Period.from_index(m)),
            )
