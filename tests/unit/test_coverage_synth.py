"""The coverage part of a small synthetic province: its denominators add up, and the batch's stocks
(bit masks per person, no person × month expansion) equal a plain count of the spells in force on
the month's last day, for every month checked."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ansinh.law.periods import Period
from ansinh.synth.context import SynthConfig
from ansinh.synth.province import generate


@pytest.fixture(scope="module")
def ctx():  # type: ignore[no-untyped-def]
    return generate(SynthConfig(people=3000, seed=5, months=24), parts=["coverage"])


def test_denominators_add_up(ctx) -> None:  # type: ignore[no-untyped-def]
    d = ctx.tables["coverage_denominators"].to_pylist()
    for year in {r["year"] for r in d}:
        communes = [r for r in d if r["year"] == year and len(r["area_code"]) == 5]
        province = next(r for r in d if r["year"] == year and r["area_code"] == "42")
        for key in ("population", "labour_force", "working_age_population"):
            assert province[key] == sum(r[key] for r in communes)
        assert 0 < province["labour_force"] < province["working_age_population"] < province["population"]


CASES = [(("si", "vsi"), "si_participants"), (("hi",), "hi"), (("ui",), "ui")]


@pytest.mark.parametrize("scheme, indicator", CASES)
def test_stocks_equal_a_plain_count(ctx, scheme: tuple[str, ...], indicator: str) -> None:  # type: ignore[no-untyped-def]
    cfg = ctx.config
    snapshot = ctx.tables["coverage_indicators"]
    persons = ctx.tables["persons"]
    dups = pa.array(ctx.arrays.get("duplicate_ids", []), pa.int64())
    persons = persons.filter(pc.invert(pc.is_in(persons["id"], dups)))
    con = duckdb.connect()
    con.register("persons", persons)
    con.register("parts", ctx.tables["participations"])
    for m in (cfg.start_month, (cfg.start_month + cfg.end_month) // 2, cfg.end_month):
        day = Period.from_index(m).next().first_day - timedelta(days=1)
        schemes = ", ".join(f"'{s}'" for s in scheme)
        expected = con.execute(
            f"""SELECT count(DISTINCT a.person_id) FROM parts a JOIN persons p ON p.id = a.person_id
            WHERE a.scheme IN ({schemes}) AND a.valid_from <= DATE '{day}'
              AND (a.valid_to IS NULL OR a.valid_to >= DATE '{day}')
              AND (p.death_date IS NULL OR p.death_date > DATE '{day}')"""
        ).fetchone()[0]  # type: ignore[index]
        row = snapshot.filter(
            pc.and_(
                pc.and_(pc.equal(snapshot["area_code"], "42"), pc.equal(snapshot["indicator"], indicator)),
                pc.equal(snapshot["period"], str(Period.from_index(m))),
            )
        ).to_pylist()
        assert row and row[0]["numerator"] == expected, (indicator, str(Period.from_index(m)))
    assert date(2000, 1, 1) < cfg.reference_date
