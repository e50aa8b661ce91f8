"""The batch's stocks, new and lost participants against a person-by-person, month-by-month count, on
random spells that overlap, follow each other, end before or start after the window, belong to
merged records (no person row), and people who die or reach the retirement age during a window long
enough to be done in two blocks of months."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pytest

from ansinh.coverage import indicators as ind
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period
from tests.unit.test_coverage_province import participations_table, persons_table

A, B = "18001", "18002"
FIRST, LAST = 2020 * 12, 2020 * 12 + 69  # 70 months: two blocks


def _last_day(m: int) -> date:
    return Period.from_index(m).next().first_day - timedelta(days=1)


def _province(seed: int) -> tuple[ind.Facts, list[tuple], list[tuple], list[tuple]]:  # type: ignore[type-arg]
    rng = random.Random(seed)
    persons = []
    for pid in range(1, 161):
        birth = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
        death = None
        if rng.random() < 0.2:
            death = date(2019, 6, 1) + timedelta(days=rng.randint(0, 365 * 7))
        persons.append((pid, rng.choice((A, B)), rng.choice(("male", "female")), birth, death))
    spells = []
    for _ in range(700):
        pid = rng.randint(1, 170)  # 161..170: merged records, no person row
        start = date(2018, 1, 1) + timedelta(days=rng.randint(0, 365 * 9))
        end = None if rng.random() < 0.3 else start + timedelta(days=rng.randint(0, 900))
        scheme = rng.choice(("si", "vsi", "ui", "hi", "hi"))
        group = rng.choice(("HT", "BT", "DN", "GD")) if scheme == "hi" else ""
        spells.append((pid, scheme, start, end, group))
        if end is not None and rng.random() < 0.3:  # the next spell from the next day
            spells.append((pid, scheme, end + timedelta(days=1), None, group))
    beneficiaries = []
    for _ in range(40):
        start_m = FIRST + rng.randint(-20, 80)
        end_m = None if rng.random() < 0.5 else start_m + rng.randint(0, 30)
        kind = rng.choice(("pension", "survivor", "monthly_allowance", "one_time"))
        beneficiaries.append(
            (
                rng.randint(1, 165),
                kind,
                str(Period.from_index(start_m)),
                str(Period.from_index(end_m)) if end_m else "",
            )
        )
    facts = ind.Facts(
        "42",
        [A, B],
        persons_table(persons),
        participations_table(spells),
        pa.table(
            {
                "area_code": [A],
                "year": [2020],
                "population": [1],
                "labour_force": [1],
                "working_age_population": [1],
            }
        ),
        beneficiaries=pa.table(
            {
                "person_id": [b[0] for b in beneficiaries],
                "kind": [b[1] for b in beneficiaries],
                "start_period": [b[2] for b in beneficiaries],
                "end_period": [b[3] for b in beneficiaries],
            }
        ),
    )
    return facts, persons, spells, beneficiaries


def _member(series: str, m: int, dm: int, reached: int, mine: list[tuple], benefits: list[tuple]) -> bool:  # type: ignore[type-arg]
    """Is the person in ``series`` at the end of month ``m``?"""
    if m >= dm:
        return False
    day = _last_day(m)

    def held(scheme: str, ben_only: bool = False) -> bool:
        return any(
            s[1] == scheme
            and s[2] <= day
            and (s[3] is None or s[3] >= day)
            and (not ben_only or s[4] in ("HT", "BT"))
            for s in mine
        )

    if series == "si_vsi":
        return held("si") or held("vsi")
    if series == "elderly":
        return m >= reached
    if series == "benefit":
        by_table = any(
            Period.parse(b[2]).index <= m and (not b[3] or m <= Period.parse(b[3]).index) for b in benefits
        )
        return m >= reached and (held("hi", ben_only=True) or by_table)
    return held(series)


def _by_hand(persons: list[tuple], spells: list[tuple], beneficiaries: list[tuple]) -> dict:  # type: ignore[type-arg]
    """Person by person, month by month: in force on the month's last day, alive (died in a later
    month), past the retirement age for the benefit and elderly series."""
    params = get_parameters()
    out: dict[tuple[str, str, int], list[int]] = {}
    for pid, commune, gender, birth, death in persons:
        reached = int(ind.reached_months(params, gender, np.array([Period.of(birth).index]))[0])
        dm = Period.of(death).index if death else ind.FAR
        mine = [s for s in spells if s[0] == pid]
        benefits = [b for b in beneficiaries if b[0] == pid and b[1] != "one_time"]
        for series in ("si", "vsi", "si_vsi", "ui", "hi", "benefit", "elderly"):
            for m in range(FIRST, LAST + 1):
                now = _member(series, m, dm, reached, mine, benefits)
                before = _member(series, m - 1, dm, reached, mine, benefits)
                acc = out.setdefault((series, commune, m), [0, 0, 0])
                acc[0] += now
                acc[1] += now and not before
                acc[2] += before and not now
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_stocks_equal_a_count_person_by_person(seed: int) -> None:
    facts, persons, spells, beneficiaries = _province(seed)
    stocks = ind.Batch(facts, FIRST, LAST).stocks()
    got = {
        (r["series"], r["commune_code"], r["m"]): [r["stock"], r["new"], r["lost"]]
        for r in stocks.to_pylist()
    }
    expected = _by_hand(persons, spells, beneficiaries)
    assert sum(v[0] for v in expected.values()) > 1000  # the random province has something to count
    for key, values in expected.items():
        assert got.get(key, [0, 0, 0]) == values, key
    assert set(got) <= set(expected)
