"""The synthetic province: deterministic, realistic, legally valid records, loadable into both backends."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ansinh.core.db import unit_of_work
from ansinh.law.parameters import get_parameters
from ansinh.registry.identifiers import validate_hi_card, validate_personal_id
from ansinh.registry.models import Commune, Participation, Person
from ansinh.synth.context import SynthConfig, SynthContext
from ansinh.synth.province import generate
from ansinh.synth.summary import summarise
from ansinh.synth.writer import ProvinceExists, write_province

SMALL = SynthConfig(people=20_000, seed=3)


@pytest.fixture(scope="module")
def province() -> SynthContext:
    return generate(SMALL)


def test_same_seed_same_province(province: SynthContext) -> None:
    again = generate(SMALL)
    for name, table in province.tables.items():
        assert table.equals(again.tables[name]), name
    other = generate(SynthConfig(people=20_000, seed=4))
    assert not other.tables["persons"].equals(province.tables["persons"])


def test_figures_look_like_a_real_province(province: SynthContext) -> None:
    figures = summarise(province)
    assert province.tables["persons"].num_rows == 20_000
    assert 0.50 <= figures["labour_force_share"] <= 0.60
    assert 0.30 <= figures["si_share_of_labour_force"] <= 0.45  # compulsory + voluntary
    assert 0.01 <= figures["vsi_share_of_labour_force"] <= 0.05
    assert figures["hi_share_of_population"] >= 0.90
    assert province.tables["employers"].num_rows == round(20_000 / 130)
    assert figures["duplicates_planted"] == 50


def test_employer_sizes_are_heavy_tailed(province: SynthContext) -> None:
    con = duckdb.connect()
    con.register("p", province.tables["participations"])
    sizes = [
        r[0]
        for r in con.execute(
            "SELECT count(DISTINCT person_id) FROM p WHERE scheme = 'si' GROUP BY employer_id ORDER BY 1"
        ).fetchall()
    ]
    assert np.median(sizes) <= 10
    assert max(sizes) >= 20 * np.median(sizes)


def test_personal_ids_match_birth_year_and_gender(province: SynthContext) -> None:
    persons = province.tables["persons"].to_pylist()
    for person in persons:
        validate_personal_id(person["personal_id"], birth_date=person["birth_date"], gender=person["gender"])
    real = [p for p in persons if p["household_id"] is not None]
    assert len({p["personal_id"] for p in real}) == len(real)
    assert len({p["si_number"] for p in persons}) == len(persons)


def test_hi_cards_carry_the_holders_si_number_and_benefit_level(province: SynthContext) -> None:
    si_of = dict(
        zip(
            province.tables["persons"]["id"].to_pylist(),
            province.tables["persons"]["si_number"].to_pylist(),
            strict=True,
        )
    )
    hi = province.tables["participations"].filter(
        pa.compute.equal(province.tables["participations"]["scheme"], "hi")
    )
    for row in hi.to_pylist():
        card = validate_hi_card(row["hi_card_number"])
        assert card.si_number == si_of[row["person_id"]]
        assert card.benefit_level == row["hi_benefit_level"]
        assert card.group == row["hi_group"]


def test_salaries_at_or_above_the_regional_minimum_wage(province: SynthContext) -> None:
    """Labour Code 2019 Art. 90–91: contract pay is at least the regional minimum wage in force."""
    params = get_parameters()
    regions = province.tables["employer_regions"].to_pylist()
    by_employer: dict[int, list[dict[str, object]]] = {}
    for r in regions:
        by_employer.setdefault(r["employer_id"], []).append(r)
    si = province.tables["participations"].filter(
        pa.compute.equal(province.tables["participations"]["scheme"], "si")
    )
    window_start = SMALL.start_date
    for row in si.to_pylist():
        at = max(row["valid_from"], window_start)
        region = next(
            r["region"]
            for r in by_employer[row["employer_id"]]
            if r["valid_from"] <= at and (r["valid_to"] is None or r["valid_to"] >= at)
        )
        assert row["salary"] >= params.value("regional_minimum_wage", at)[region], row
        assert row["salary"] % 1000 == 0


def test_no_participation_after_death_and_dates_ordered(province: SynthContext) -> None:
    con = duckdb.connect()
    con.register("persons", province.tables["persons"])
    con.register("p", province.tables["participations"])
    assert con.execute("SELECT count(*) FROM p WHERE valid_to < valid_from").fetchone() == (0,)
    after_death = con.execute("""
        SELECT count(*) FROM p JOIN persons ON persons.id = p.person_id
        WHERE persons.death_date IS NOT NULL AND p.valid_from > persons.death_date""").fetchone()
    assert after_death == (0,)
    overlapping_jobs = con.execute("""
        SELECT count(*) FROM p a JOIN p b ON a.person_id = b.person_id AND a.id < b.id
        WHERE a.scheme = 'si' AND b.scheme = 'si'
          AND a.valid_from <= coalesce(b.valid_to, DATE '9999-12-31')
          AND b.valid_from <= coalesce(a.valid_to, DATE '9999-12-31')""").fetchone()
    assert overlapping_jobs == (0,)


def test_planted_duplicates_are_labelled(province: SynthContext) -> None:
    labels = province.labels["duplicates"].to_pylist()
    persons = {p["id"]: p for p in province.tables["persons"].to_pylist()}
    assert len(labels) == 50
    for label in labels:
        original, duplicate = persons[label["original_id"]], persons[label["duplicate_id"]]
        assert original["birth_date"] == duplicate["birth_date"]
        assert original["si_number"] != duplicate["si_number"]
        if label["kind"] == "same_personal_id":
            assert original["personal_id"] == duplicate["personal_id"]
        if label["kind"] == "unaccented_name":
            assert original["name_key"] == duplicate["name_key"]
            assert original["personal_id"] != duplicate["personal_id"]
        if label["kind"] == "id_typo":
            differing = sum(
                a != b for a, b in zip(original["personal_id"], duplicate["personal_id"], strict=True)
            )
            assert 1 <= differing <= 2


def test_written_into_the_database(engine: Engine) -> None:
    ctx = generate(SynthConfig(people=3_000, seed=11))
    counts = write_province(engine, ctx)
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == counts["persons"] == 3_000
        assert session.scalar(select(func.count()).select_from(Participation)) == counts["participations"]
        assert session.scalar(select(func.count()).select_from(Commune)) == ctx.tables["communes"].num_rows
        first = session.get(Person, 1)
        assert first is not None and isinstance(first.birth_date, date)
        # Identity sequences were moved past the loaded ids: a new record gets the next id.
        person = Person(
            personal_id="042090000001",
            si_number="4299999999",
            full_name="Lê Văn Mới",
            name_key="le van moi",
            birth_date=date(1990, 1, 1),
            gender="male",
            commune_code=first.commune_code,
        )
        session.add(person)
        session.flush()
        assert person.id == 3_001
    with pytest.raises(ProvinceExists):
        write_province(engine, ctx)
    write_province(engine, generate(SynthConfig(people=2_000, seed=12)), replace=True)
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 2_000
