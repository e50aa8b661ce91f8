"""De-duplication end to end on SQLite and PostgreSQL: find, list, dismiss, merge."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ansinh.core.audit import AuditEntry
from ansinh.core.db import unit_of_work
from ansinh.core.text import name_key
from ansinh.registry.dedup import (
    DedupError,
    MergeRefused,
    dismiss_candidate,
    find_candidates,
    list_candidates,
    merge_persons,
)
from ansinh.registry.models import Commune, DedupCandidate, Household, Participation, Person

#: (id, personal_id, si_number, full_name, birth_date, gender, commune, household)
PEOPLE = [
    # the same personal ID under two SI numbers
    (1, "042088001234", "4200000001", "Nguyễn Văn An", date(1988, 5, 1), "male", "42001", None),
    (2, "042088001234", "4200000002", "Nguyễn Văn An", date(1988, 5, 1), "male", "42002", 1),
    # the same name typed without diacritics, no personal ID on the old record
    (3, "042190004567", "4200000003", "Trần Thị Bích", date(1990, 3, 15), "female", "42001", None),
    (4, None, "4200000004", "Tran Thi Bich", date(1990, 3, 15), "female", "42001", None),
    # two adjacent digits of the personal ID swapped
    (5, "042095123456", "4200000005", "Phạm Minh Quân", date(1995, 3, 10), "male", "42001", None),
    (6, "042095123465", "4200000006", "Phạm Minh Quân", date(1995, 3, 10), "male", "42002", None),
    # one-character typo in the name, same commune, no personal ID on the second record
    (7, "042070111222", "4200000007", "Lê Văn Hùng", date(1970, 8, 20), "male", "42002", None),
    (8, None, "4200000008", "Lê Văn Hùnh", date(1970, 8, 20), "male", "42002", None),
    # twins: same birth date, family name and household, different given names and IDs
    (9, "042301000111", "4200000009", "Hoàng Thị Mai", date(2001, 7, 7), "female", "42001", 1),
    (10, "042301000987", "4200000010", "Hoàng Thị Lan", date(2001, 7, 7), "female", "42001", 1),
    # a common name born on other dates
    (11, "042075555001", "4200000011", "Nguyễn Văn An", date(1975, 2, 2), "male", "42001", None),
    (12, "042092555002", "4200000012", "Nguyễn Văn An", date(1992, 9, 9), "male", "42001", None),
]
EXPECTED = {
    (1, 2): "same_personal_id,same_name,same_birth_date,same_gender",
    (3, 4): "same_name_unaccented,same_birth_date,same_gender,same_commune",
    (5, 6): "near_personal_id,same_name,same_birth_date,same_gender",
    (7, 8): "name_one_typo,same_birth_date,same_gender,same_commune",
}


@pytest.fixture
def registry(engine: Engine) -> Engine:
    with unit_of_work(engine) as session:
        for code in ("42001", "42002"):
            session.add(
                Commune(
                    code=code, name=f"Xã {code}", kind="xa", province_code="42", valid_from=date(2025, 7, 1)
                )
            )
        session.flush()
        session.add(Household(id=1, code="HH-1", commune_code="42001"))
        session.flush()
        for pid, personal_id, si, full_name, born, gender, commune, household in PEOPLE:
            session.add(
                Person(
                    id=pid,
                    personal_id=personal_id,
                    si_number=si,
                    full_name=full_name,
                    name_key=name_key(full_name),
                    birth_date=born,
                    gender=gender,
                    commune_code=commune,
                    household_id=household,
                    relation_to_head="child" if household else None,
                )
            )
        session.flush()
        # A record merged long ago into person 5: history, never a candidate again.
        session.add(
            Person(
                id=13,
                personal_id="042095123456",
                si_number="4200000013",
                full_name="Phạm Minh Quân",
                name_key=name_key("Phạm Minh Quân"),
                birth_date=date(1995, 3, 10),
                gender="male",
                commune_code="42001",
                merged_into_id=5,
            )
        )
    return engine


def stored_pairs(engine: Engine, status: str = "open") -> dict[tuple[int, int], DedupCandidate]:
    with unit_of_work(engine) as session:
        rows = session.scalars(select(DedupCandidate).where(DedupCandidate.status == status))
        return {(c.person_a_id, c.person_b_id): c for c in rows}


def test_find_lists_exactly_the_duplicates(registry: Engine) -> None:
    report = find_candidates(registry)
    pairs = stored_pairs(registry)
    assert {k: c.reasons for k, c in pairs.items()} == EXPECTED
    assert report.persons == 12  # person 13 is merged: excluded
    assert report.candidates == 4
    assert report.counts_by_reason["same_birth_date"] == 4
    assert report.counts_by_reason["same_personal_id"] == 1
    assert pairs[(1, 2)].score == 88
    assert pairs[(7, 8)].score == 54
    assert all(c.found_at is not None for c in pairs.values())


def test_list_shows_both_persons_best_first(registry: Engine) -> None:
    find_candidates(registry)
    views = list_candidates(registry, limit=2)
    assert [(v.a.id, v.b.id) for v in views] == [(1, 2), (5, 6)]
    assert views[0].band == "very likely"
    assert views[0].a.si_number == "4200000001"


def test_second_run_replaces_open_and_keeps_dismissed(registry: Engine) -> None:
    find_candidates(registry)
    dismissed = stored_pairs(registry)[(3, 4)]
    dismiss_candidate(registry, dismissed.id, "giam.dinh.1", "different mothers' names in the civil register")
    report = find_candidates(registry)
    assert set(stored_pairs(registry)) == set(EXPECTED) - {(3, 4)}
    assert set(stored_pairs(registry, "dismissed")) == {(3, 4)}
    assert report.replaced_open == 3
    assert report.not_reproposed == 1
    with pytest.raises(DedupError, match="already dismissed"):
        dismiss_candidate(registry, dismissed.id, "giam.dinh.1", "again")


def _spell(person_id: int, scheme: str, start: date, end: date | None) -> Participation:
    return Participation(person_id=person_id, scheme=scheme, valid_from=start, valid_to=end)


def test_merge_moves_history_fills_fields_and_audits(registry: Engine) -> None:
    find_candidates(registry)
    with unit_of_work(registry) as session:
        session.add(_spell(1, "hi", date(2024, 1, 1), date(2024, 12, 31)))
        session.add(_spell(2, "hi", date(2024, 6, 1), None))  # a second HI card: overlaps
        session.add(_spell(2, "si", date(2015, 1, 1), date(2019, 12, 31)))

    result = merge_persons(registry, 1, 2, actor="giam.dinh.1", reason="CCCD 042…234 checked")

    assert result.moved == {"participations.person_id": 2}
    assert set(result.filled) == {"household_id", "relation_to_head"}
    assert [(o.scheme, o.from_date, o.to_date) for o in result.overlaps] == [
        ("hi", date(2024, 6, 1), date(2024, 12, 31))
    ]
    with unit_of_work(registry) as session:
        assert set(session.scalars(select(Participation.person_id))) == {1}
        survivor, duplicate = session.get_one(Person, 1), session.get_one(Person, 2)
        assert (survivor.si_number, survivor.household_id) == ("4200000001", 1)
        assert (duplicate.merged_into_id, duplicate.si_number) == (1, "4200000002")
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "merge")).one()
    assert (entry.entity, entry.entity_id, entry.actor) == ("person", "1", "giam.dinh.1")
    detail = json.loads(entry.detail or "{}")
    assert detail["duplicate_si_number"] == "4200000002"
    assert detail["duplicate_personal_id"] == "042******234"
    assert "042088001234" not in (entry.detail or "")
    assert len(detail["overlaps"]) == 1
    merged = stored_pairs(registry, "merged")[(1, 2)]
    assert (merged.resolved_by, merged.note) == ("giam.dinh.1", "CCCD 042…234 checked")
    assert merged.resolved_at is not None


def test_merged_person_is_excluded_from_the_next_run(registry: Engine) -> None:
    find_candidates(registry)
    merge_persons(registry, 6, 5, actor="giam.dinh.1", reason="ID typo confirmed")
    report = find_candidates(registry)
    assert report.persons == 11
    assert set(stored_pairs(registry)) == set(EXPECTED) - {(5, 6)}
    with unit_of_work(registry) as session:
        # person 13 had been merged into 5: it now points at 6 directly
        assert session.get_one(Person, 13).merged_into_id == 6


def test_merge_refusals(registry: Engine) -> None:
    with pytest.raises(MergeRefused, match="into itself"):
        merge_persons(registry, 1, 1, actor="a", reason="r")
    with pytest.raises(MergeRefused, match="already merged into 5"):
        merge_persons(registry, 1, 13, actor="a", reason="r")
    with pytest.raises(MergeRefused, match="merge into that record instead"):
        merge_persons(registry, 13, 6, actor="a", reason="r")
    with pytest.raises(MergeRefused, match="gender and birth date"):
        merge_persons(registry, 3, 5, actor="a", reason="r")
    with unit_of_work(registry) as session:
        assert session.get_one(Person, 5).merged_into_id is None
        assert session.scalars(select(AuditEntry)).first() is None
    forced = merge_persons(registry, 3, 5, actor="a", reason="birth certificate", force=True)
    assert forced.candidate_id is None


def test_find_on_an_empty_registry(engine: Engine) -> None:
    """SQLite types an empty result's columns as integers; the search must still run."""
    report = find_candidates(engine)
    assert (report.persons, report.candidates) == (0, 0)
