"""Blocking and scoring of duplicate person records, on small Arrow tables (no database)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
import pytest

from ansinh.core.text import name_key
from ansinh.registry.dedup.matching import (
    DEFAULT_MIN_SCORE,
    MAX_BLOCK_SIZE,
    WEIGHTS,
    band,
    candidate_pairs,
    counts_by_band,
    counts_by_reason,
    score_of,
)

AN = "Nguyễn Văn An"
BORN = date(1988, 5, 1)
PID = "042088001234"  # Hà Tĩnh, male born 1988


def person(
    pid: int,
    personal_id: str | None,
    full_name: str = AN,
    birth_date: date = BORN,
    gender: str = "male",
    commune: str = "42001",
    household: int | None = None,
) -> dict[str, Any]:
    return {
        "id": pid,
        "personal_id": personal_id,
        "full_name": full_name,
        "name_key": name_key(full_name),
        "birth_date": birth_date,
        "gender": gender,
        "commune_code": commune,
        "household_id": household,
    }


SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("personal_id", pa.string()),
        ("full_name", pa.string()),
        ("name_key", pa.string()),
        ("birth_date", pa.date32()),
        ("gender", pa.string()),
        ("commune_code", pa.string()),
        ("household_id", pa.int64()),
    ]
)


def pairs_of(*people: dict[str, Any], min_score: float = DEFAULT_MIN_SCORE) -> dict[tuple[int, int], str]:
    table = candidate_pairs(pa.Table.from_pylist(list(people), schema=SCHEMA), min_score=min_score)
    return {(r["person_a_id"], r["person_b_id"]): r["reasons"] for r in table.to_pylist()}


def test_same_personal_id_under_two_records_scores_highest() -> None:
    found = pairs_of(person(1, PID), person(2, PID))
    assert found == {(1, 2): "same_personal_id,same_name,same_birth_date,same_gender,same_commune"}


def test_same_name_without_diacritics_and_no_personal_id() -> None:
    found = pairs_of(person(1, PID), person(2, None, "Nguyen Van An"))
    assert found == {(1, 2): "same_name_unaccented,same_birth_date,same_gender,same_commune"}


def test_name_and_birth_date_alone_stay_below_the_threshold() -> None:
    # Namesakes born the same day are common in a province of a million: a place must agree too.
    people = (person(1, PID), person(2, None, commune="42002"))
    assert pairs_of(*people) == {}
    assert pairs_of(*people, min_score=0) == {(1, 2): "same_name,same_birth_date,same_gender"}
    assert score_of(["same_name", "same_birth_date", "same_gender"]) < DEFAULT_MIN_SCORE


def test_different_personal_ids_count_little_against() -> None:
    # a second record keyed with someone else's ID: listed when name, birth date and commune agree
    found = pairs_of(person(1, PID), person(2, "042088507711", "Nguyen Van An"))
    assert found == {
        (1, 2): "different_personal_id,same_name_unaccented,same_birth_date,same_gender,same_commune"
    }


def test_legacy_cmnd_is_not_counted_against() -> None:
    found = pairs_of(person(1, PID), person(2, "183456789"))
    assert found[(1, 2)] == "same_name,same_birth_date,same_gender,same_commune"


@pytest.mark.parametrize(
    "typo",
    [
        "042088001235",  # last digit wrong
        "142088001234",  # first digit wrong
        "042088002134",  # digits 8 and 9 swapped
        "402088001234",  # digits 1 and 2 swapped (and so another province): still a typo
    ],
)
def test_personal_id_typo_is_near(typo: str) -> None:
    found = pairs_of(person(1, PID), person(2, typo, commune="42002"))
    assert found == {(1, 2): "near_personal_id,same_name,same_birth_date,same_gender"}


@pytest.mark.parametrize("typo", [date(1988, 1, 5), date(1988, 5, 11), date(1998, 5, 1)])
def test_personal_id_typo_with_birth_date_typo(typo: date) -> None:
    # day and month swapped, or one digit of DDMMYYYY wrong: found through the name (block 3)
    found = pairs_of(person(1, PID), person(2, "042088001243", birth_date=typo))
    assert found == {(1, 2): "near_personal_id,same_name,near_birth_date,same_gender,same_commune"}


def test_personal_id_typo_with_another_birth_date_is_not_listed() -> None:
    people = (person(1, PID), person(2, "042088001243", birth_date=date(1988, 9, 23)))
    assert pairs_of(*people) == {}
    found = pairs_of(*people, min_score=0)
    assert found == {(1, 2): "near_personal_id,same_name,different_birth_date,same_gender,same_commune"}


def test_two_digits_apart_is_not_near() -> None:
    # Same name and birth date still pair them (block 2), but the IDs count against.
    found = pairs_of(person(1, PID), person(2, "042088001199", commune="42002"))
    assert found == {}
    found = pairs_of(person(1, PID), person(2, "042088001199", commune="42002"), min_score=0)
    assert found == {(1, 2): "different_personal_id,same_name,same_birth_date,same_gender"}


def test_near_personal_id_of_a_different_person_is_not_listed() -> None:
    # One-digit-apart IDs happen by chance within one birth year; a different name defeats it.
    found = pairs_of(person(1, PID), person(2, "042088001235", "Trần Văn Bình", commune="42002"), min_score=0)
    assert found == {(1, 2): "near_personal_id,different_name,same_birth_date,same_gender"}
    assert score_of(found[(1, 2)].split(",")) < DEFAULT_MIN_SCORE


def test_one_character_typo_in_name_in_same_commune() -> None:
    found = pairs_of(person(1, PID), person(2, None, "Nguyễn Văn Ann"))
    assert found == {(1, 2): "name_one_typo,same_birth_date,same_gender,same_commune"}


def test_one_character_typo_in_other_commune_without_ids_is_not_paired() -> None:
    assert pairs_of(person(1, PID), person(2, None, "Nguyễn Văn Ann", commune="42002"), min_score=0) == {}


def test_twins_are_not_candidates() -> None:
    twins = [
        person(1, "042088001234", "Lê Thị Mai", gender="female", household=7),
        person(2, "042088507711", "Lê Thị Lan", gender="female", household=7),
    ]
    assert pairs_of(*twins, min_score=0) == {}
    # Twins named An and Anh are one edit apart; their different IDs keep them below the threshold.
    an_anh = [
        person(1, "042088001234", household=7),
        person(2, "042088507711", "Nguyễn Văn Anh", household=7),
    ]
    assert pairs_of(*an_anh) == {}
    assert pairs_of(*an_anh, min_score=0) == {
        (1, 2): "different_personal_id,name_one_typo,same_birth_date,same_gender,same_commune,same_household,"
        "possible_twins"
    }


def test_common_name_with_different_birth_dates_does_not_match() -> None:
    people = [person(i, None, birth_date=date(1980 + i, 1 + i, 1)) for i in range(1, 6)]
    assert pairs_of(*people, min_score=0) == {}


def test_scores_follow_the_documented_weights() -> None:
    table = candidate_pairs(
        pa.Table.from_pylist(
            [
                person(1, PID),
                person(2, PID, "Nguyen Van An", gender="female"),
                person(3, "042088001243", commune="42009", household=3),
                person(4, None, "Nguyễn Văn Ann"),
            ],
            schema=SCHEMA,
        ),
        min_score=0,
    )
    for row in table.to_pylist():
        assert row["score"] == score_of(row["reasons"].split(","))
    assert set(WEIGHTS) >= set(counts_by_reason(table))


def test_score_is_clipped_to_100() -> None:
    everything = [
        "same_personal_id",
        "same_name",
        "same_birth_date",
        "same_gender",
        "same_commune",
        "same_household",
    ]
    assert sum(WEIGHTS[e] for e in everything) > 100
    assert score_of(everything) == 100


def test_placeholder_personal_id_shared_by_many_forms_no_pairs() -> None:
    many = [
        person(i, "000000000000", f"Người Số {i}", birth_date=date(1950, 1, 1 + i % 28), commune=f"4{i:04d}")
        for i in range(1, MAX_BLOCK_SIZE + 2)
    ]
    assert pairs_of(*many, min_score=0) == {}


def test_bands() -> None:
    assert band(100) == "very likely"
    assert band(75) == "very likely"
    assert band(74) == "likely"
    assert band(60) == "likely"
    assert band(50) == "possible"
    assert band(49.9) == "unlikely"


def test_counts() -> None:
    table = pa.table({"score": [100.0, 53.0, 50.0], "reasons": ["a,b", "b", "b,c"]})
    assert counts_by_reason(table) == {"b": 3, "a": 1, "c": 1}
    assert counts_by_band(table) == {"very likely": 1, "possible": 2}
