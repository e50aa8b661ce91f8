"""A hand-built province of a dozen people in two communes (18001 A, 18002 B), 2026-01..2026-03.

Figures at the end of 2026-03, computed by hand (see the tests):

- SI (compulsory or voluntary): A p1, p2 (voluntary), p3 (joined in February); B p8, p12 → 5 of a
  labour force of 5 + 4 = 9; p4 left on 15 January, p9's voluntary SI ended on 31 December 2025;
- HI: A p1, p2, p3, p5, p7 (5 of 7); B p8, p9 (2 of 6; p11 died on 20 February) → 7 of 13;
- past retirement age: p5 (pension, HI group HT) and p6 (nothing); p11 (BT) died in February → 1 of 2;
- new and lost: January 0 new, 2 lost (p4, p9); February 1 new (p3); March none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pyarrow as pa

D = date
A, B = "18001", "18002"

PERSONS = [
    # id, commune, gender, birth, death, household, name, ethnicity
    (1, A, "male", D(1985, 5, 10), None, 1, "Nguyễn Văn Một", "01"),
    (2, A, "female", D(1990, 2, 1), None, 1, "Trần Thị Hai", "01"),
    (3, A, "male", D(1995, 7, 7), None, 2, "Lê Văn Ba", "01"),
    (4, A, "female", D(1992, 3, 3), None, 2, "Phạm Thị Bốn", "01"),
    (5, A, "male", D(1958, 1, 1), None, 3, "Hoàng Văn Năm", "01"),
    (6, A, "female", D(1950, 6, 1), None, 3, "Vũ Thị Sáu", "01"),
    (7, A, "male", D(2020, 4, 4), None, 1, "Nguyễn Văn Bảy", "01"),
    (8, B, "male", D(1980, 1, 1), None, 4, "Đặng Văn Tám", "01"),
    (9, B, "female", D(1988, 8, 8), None, 5, "Bùi Thị Chín", "01"),
    (10, B, "male", D(1966, 6, 15), None, 4, "Đỗ Văn Mười", "01"),
    (11, B, "female", D(1940, 1, 1), D(2026, 2, 20), 6, "Hồ Thị Mười Một", "01"),
    (12, B, "male", D(2000, 12, 12), None, 7, "Ngô Văn Mười Hai", "01"),
]
HOUSEHOLDS = {
    1: ("HH-A1", A),
    2: ("HH-A2", A),
    3: ("HH-A3", A),
    4: ("HH-B4", B),
    5: ("HH-B5", B),
    6: ("HH-B6", B),
    7: ("HH-B7", B),
}
POVERTY = [(4, 2026, "poor")]

PARTICIPATIONS = [
    # person, scheme, from, to, hi_group, employer (1 = in A, 2 = in B)
    (1, "si", D(2020, 1, 1), None, None, 1),
    (1, "ui", D(2020, 1, 1), None, None, 1),
    (1, "hi", D(2020, 1, 1), None, "DN", 1),
    (2, "vsi", D(2025, 6, 1), None, None, None),
    (2, "hi", D(2024, 1, 1), None, "GD", None),
    (3, "si", D(2026, 2, 1), None, None, 1),
    (3, "hi", D(2026, 2, 1), None, "DN", 1),
    (4, "si", D(2022, 1, 1), D(2026, 1, 15), None, 1),
    (5, "hi", D(2020, 1, 1), None, "HT", None),
    (7, "hi", D(2020, 4, 4), None, "TE", None),
    (8, "si", D(2019, 1, 1), None, None, 2),
    (8, "ui", D(2019, 1, 1), None, None, 2),
    (8, "hi", D(2019, 1, 1), None, "DN", 2),
    (9, "vsi", D(2023, 1, 1), D(2025, 12, 31), None, None),
    (9, "hi", D(2024, 1, 1), None, "GD", None),
    (10, "si", D(2005, 1, 1), D(2016, 12, 31), None, 2),
    (11, "hi", D(2020, 1, 1), None, "BT", None),
    (12, "si", D(2024, 1, 1), None, None, 2),
    (12, "ui", D(2024, 1, 1), None, None, 2),
]
DENOMINATORS = [
    # area, year, population, labour force, working-age population
    (A, 2026, 7, 5, 5),
    (B, 2026, 6, 4, 4),
]
ONE_TIME = [(9, D(2026, 2, 10), 30_000_000), (12, D(2026, 1, 5), 12_000_000)]


def persons_table(rows: Sequence[tuple[Any, ...]] = PERSONS) -> pa.Table:
    """(id, commune, gender, birth date, death date) rows as the batch's persons table."""
    return pa.table(
        {
            "id": [p[0] for p in rows],
            "commune_code": [p[1] for p in rows],
            "gender": [p[2] for p in rows],
            "birth_date": pa.array([p[3] for p in rows], pa.date32()),
            "death_date": pa.array([p[4] for p in rows], pa.date32()),
        }
    )


def participations_table(rows: Sequence[tuple[Any, ...]] = PARTICIPATIONS) -> pa.Table:
    """(person, scheme, from, to, HI group, …) rows as the batch's participations table."""
    return pa.table(
        {
            "person_id": [p[0] for p in rows],
            "scheme": [p[1] for p in rows],
            "valid_from": pa.array([p[2] for p in rows], pa.date32()),
            "valid_to": pa.array([p[3] for p in rows], pa.date32()),
            "hi_group": pa.array([p[4] or "" for p in rows], pa.string()),
        }
    )


def denominators_table() -> pa.Table:
    return pa.table(
        {
            "area_code": [d[0] for d in DENOMINATORS],
            "year": [d[1] for d in DENOMINATORS],
            "population": [d[2] for d in DENOMINATORS],
            "labour_force": [d[3] for d in DENOMINATORS],
            "working_age_population": [d[4] for d in DENOMINATORS],
        }
    )


def test_the_province_is_as_described() -> None:
    assert len(PERSONS) == 12 and {p[1] for p in PERSONS} == {A, B}
    assert sum(d[3] for d in DENOMINATORS) == 9  # labour force of the province
