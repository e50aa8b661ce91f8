"""The masked-key block finds every one-digit or adjacent-swap typo of a personal ID, and only those."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pyarrow as pa

from ansinh.registry.dedup.matching import candidate_pairs

from .test_dedup_matching import SCHEMA, person


def _typo(rng: random.Random, pid: str) -> str:
    digits = list(pid)
    i = rng.randrange(11)
    if rng.random() < 0.5 and digits[i] != digits[i + 1]:
        digits[i], digits[i + 1] = digits[i + 1], digits[i]
    else:
        digits[i] = rng.choice([d for d in "0123456789" if d != digits[i]])
    return "".join(digits)


def _far(rng: random.Random, pid: str) -> str:
    """Two digits wrong, not next to each other: not a typo this search looks for."""
    digits = list(pid)
    i = rng.randrange(10)
    j = rng.randrange(i + 2, 12) if i < 10 else 0
    for k in (i, j):
        digits[k] = rng.choice([d for d in "0123456789" if d != digits[k]])
    return "".join(digits)


def _pairs(change: str, n: int = 300) -> list[dict[str, object]]:
    rng = random.Random(7)
    people = []
    for k in range(n):
        pid = "".join(rng.choice("0123456789") for _ in range(12))
        other = _typo(rng, pid) if change == "typo" else _far(rng, pid)
        born = date(1950, 1, 1) + timedelta(days=k)
        # each pair agrees on the birth date only, and no two pairs share one
        people.append(person(2 * k + 1, pid, f"Người Thứ {k}", born, commune=f"{k:05d}"))
        people.append(person(2 * k + 2, other, f"Khác Hẳn {k}", born, commune=f"{k + 50000:05d}"))
    table = candidate_pairs(pa.Table.from_pylist(people, schema=SCHEMA), min_score=0)
    return table.to_pylist()


def test_every_typo_is_found_as_near() -> None:
    found = _pairs("typo")
    assert len(found) == 300
    assert all(row["person_b_id"] == row["person_a_id"] + 1 for row in found)
    assert all(row["reasons"].startswith("near_personal_id,") for row in found)


def test_two_separate_wrong_digits_are_not_paired() -> None:
    assert _pairs("far") == []
