"""Invariants of the calculators (Hypothesis) and the vectorised contribution path = the scalar one."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ansinh.law.calculators import (
    contribution,
    contribution_batch,
    household_hi,
    lump_sum,
    pension,
    unemployment,
    voluntary,
)
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period

PARAMS = get_parameters()
SCHEMES = ("si", "hi", "ui")
periods = st.builds(Period, st.integers(2020, 2027), st.integers(1, 12))
regions = st.integers(1, 4)


def minimum_wage(period: Period, region: int) -> int:
    return int(PARAMS.value("regional_minimum_wage", period.first_day)[region])


@settings(max_examples=300, deadline=None)
@given(periods, regions, st.integers(0, 200_000_000), st.sets(st.sampled_from(SCHEMES), min_size=1))
def test_contribution_totals_are_sums_and_never_negative(
    period: Period, region: int, extra: int, schemes: set[str]
) -> None:
    salary = minimum_wage(period, region) + extra
    out = contribution(PARAMS, period=period, salary=salary, region=region, schemes=schemes)
    for party in ("employee", "employer"):
        amounts = out[party]
        assert amounts["total"] == amounts["si"] + amounts["hi"] + amounts["ui"]
        assert all(v >= 0 for v in amounts.values())
        for scheme in SCHEMES:
            if scheme not in schemes:
                assert amounts[scheme] == 0
    assert out["total"] == out["employee"]["total"] + out["employer"]["total"]
    assert all(0 <= b <= salary for b in out["base"].values())


@settings(max_examples=300, deadline=None)
@given(periods, regions, st.integers(0, 150_000_000), st.integers(1, 10_000_000))
def test_contribution_is_monotonic_in_salary_and_flat_above_the_cap(
    period: Period, region: int, extra: int, step: int
) -> None:
    low = minimum_wage(period, region) + extra
    a = contribution(PARAMS, period=period, salary=low, region=region)
    b = contribution(PARAMS, period=period, salary=low + step, region=region)
    for party in ("employee", "employer"):
        for key in ("si", "hi", "ui", "total"):
            assert a[party][key] <= b[party][key]
    cap = 20 * int(PARAMS.value("reference_level", period.first_day))
    if low >= cap:
        assert a["base"]["si"] == b["base"]["si"] == cap


@settings(max_examples=200, deadline=None)
@given(
    periods.filter(lambda p: p.year >= 2022),
    st.sampled_from(["poor", "near_poor", "ethnic_minority", "other"]),
    st.sampled_from([1, 3, 6, 12]),
    st.integers(0, 10**9),
)
def test_voluntary_payable_is_contribution_minus_support(
    period: Period, group: str, months: int, extra: int
) -> None:
    floor = int(PARAMS.value("rural_poverty_line", period.first_day))
    ceiling = 20 * int(PARAMS.value("reference_level", period.first_day))
    income = floor + extra % (ceiling - floor + 1)
    out = voluntary(PARAMS, period=period, income=income, group=group, months=months)
    assert out["payable"] == out["contribution"] - out["state_support"]
    assert 0 <= out["state_support"] <= out["contribution"]
    assert out["contribution"] == out["monthly_contribution"] * months


@settings(max_examples=200, deadline=None)
@given(periods, st.integers(1, 12), st.sampled_from([3, 6, 12]))
def test_household_total_is_the_sum_and_each_member_pays_no_more_than_the_first(
    period: Period, members: int, months: int
) -> None:
    out = household_hi(PARAMS, period=period, members=members, months=months)
    assert out["total"] == sum(out["members"])
    assert len(out["members"]) == members
    assert all(0 < m <= out["members"][0] for m in out["members"])
    assert out["members"] == sorted(out["members"], reverse=True)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["male", "female"]),
    st.integers(0, 600),
    st.integers(0, 100_000_000),
    st.dates(
        min_value=__import__("datetime").date(2025, 7, 1), max_value=__import__("datetime").date(2030, 12, 31)
    ),
)
def test_pension_rate_is_bounded_and_grows_with_months(
    gender: str, months: int, average: int, day: object
) -> None:
    from datetime import date

    assert isinstance(day, date)
    a = pension(
        PARAMS, gender=gender, contribution_months=months, average_salary=average, retirement_date=day
    )
    b = pension(
        PARAMS, gender=gender, contribution_months=months + 1, average_salary=average, retirement_date=day
    )
    assert 0 <= a["rate_percent"] <= 75
    assert a["rate_percent"] <= b["rate_percent"]
    assert a["monthly_pension"] <= b["monthly_pension"]
    assert a["one_off_allowance"] >= 0
    assert a["eligible"] == (months >= 180)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 400), st.integers(0, 400), st.integers(0, 100_000_000))
def test_lump_sum_never_negative_and_grows_with_months(before: int, after: int, average: int) -> None:
    from datetime import date

    day = date(2026, 1, 1)
    a = lump_sum(
        PARAMS, months_before_2014=before, months_from_2014=after, average_salary=average, decision_date=day
    )
    b = lump_sum(
        PARAMS,
        months_before_2014=before,
        months_from_2014=after + 1,
        average_salary=average,
        decision_date=day,
    )
    assert 0 <= a["amount"] <= b["amount"]


@settings(max_examples=300, deadline=None)
@given(periods, regions, st.integers(0, 300), st.integers(0, 200_000_000))
def test_unemployment_benefit_is_capped_and_duration_bounded(
    period: Period, region: int, months: int, average: int
) -> None:
    out = unemployment(
        PARAMS, period=period, contribution_months=months, average_salary_last6=average, region=region
    )
    assert 0 <= out["monthly_benefit"] <= 5 * minimum_wage(period, region)
    assert out["duration_months"] in ((0,) if months < 12 else tuple(range(3, 13)))


def test_vectorised_contribution_equals_scalar_on_100k_random_rows() -> None:
    rng = np.random.default_rng(20260101)
    n = 100_000
    month_offsets = rng.integers(0, 84, n)  # 2020-01 … 2026-12: every rate and cap change
    periods = np.datetime64("2020-01", "M") + month_offsets.astype("timedelta64[M]")
    regions = rng.integers(1, 5, n)
    # Salaries from the region's minimum wage to far above every cap, with many odd amounts.
    minimums = np.empty(n, dtype=np.int64)
    cache: dict[tuple[int, int], int] = {}
    for i in range(n):
        key = (int(month_offsets[i]), int(regions[i]))
        if key not in cache:
            cache[key] = minimum_wage(Period.from_index(2020 * 12 + key[0]), key[1])
        minimums[i] = cache[key]
    salaries = minimums + rng.integers(0, 130_000_000, n)
    salaries[::7] = minimums[::7] + rng.integers(0, 1000, len(salaries[::7]))  # near the floor
    out = contribution_batch(PARAMS, periods, salaries, regions)
    columns = [f"{p}_{s}" for p in ("employee", "employer") for s in (*SCHEMES, "total")]
    for i in range(n):
        scalar = contribution(
            PARAMS,
            period=Period.from_index(2020 * 12 + int(month_offsets[i])),
            salary=int(salaries[i]),
            region=int(regions[i]),
        )
        for column in columns:
            party, key = column.split("_")
            assert scalar[party][key] == int(out[column][i]), (i, column)
        assert scalar["total"] == int(out["total"][i])
        assert scalar["base"]["si"] == int(out["base_si"][i])
        assert scalar["base"]["ui"] == int(out["base_ui"][i])


def test_vectorised_half_up_rounding_matches_on_half_dong_cases() -> None:
    periods = np.array(["2026-02", "2026-02"], dtype="datetime64[M]")
    out = contribution_batch(PARAMS, periods, np.array([5_310_100, 5_310_000]), np.array([1, 1]))
    assert int(out["employee_hi"][0]) == 79_652  # 79,651.5 rounds up
    assert int(out["employer_si"][0]) == 929_268  # 929,267.5 rounds up


def test_vectorised_below_minimum_wage() -> None:
    import pytest

    from ansinh.law.calculators import CalculationError

    periods = np.array(["2026-01"], dtype="datetime64[M]")
    with pytest.raises(CalculationError) as info:
        contribution_batch(PARAMS, periods, np.array([5_000_000]), np.array([1]))
    assert info.value.code == "below_minimum_wage"
    out = contribution_batch(PARAMS, periods, np.array([5_000_000]), np.array([1]), strict=False)
    assert bool(out["below_minimum_wage"][0])
