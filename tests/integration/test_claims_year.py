"""The review of several months, streamed month by month into a Parquet snapshot and run out of core by
DuckDB, gives exactly the findings and outcomes of the same review over all months in memory — the
rules that look across months (overlapping stays, visits per month, one practitioner in two places)
included."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ansinh.claims.review import review_snapshot, review_tables, run_review, run_year_review, write_snapshot
from ansinh.synth.context import SynthConfig
from ansinh.synth.province import generate
from ansinh.synth.writer import write_province


def test_snapshot_by_month_equals_review_in_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANSINH_SYNTH_CLAIMS_MONTHS", "3")
    ctx = generate(SynthConfig(people=3_000, seed=4), parts=["claims"])
    t = ctx.tables
    hi = t["participations"].filter(pc.equal(t["participations"]["scheme"], "hi"))
    static = {
        "cards": pa.table(
            {
                "card": hi["hi_card_number"],
                "person_id": hi["person_id"],
                "valid_from": hi["valid_from"],
                "valid_to": hi["valid_to"],
            }
        ),
        "persons": t["persons"].select(["id", "birth_date", "gender", "death_date"]),
        "facilities": t["claim_facilities"].select(["code", "level"]),
        "services": t["claim_service_prices"],
        "items": t["claim_item_prices"],
        "licences": t["claim_licences"],
        "icd": t["claim_icd"],
        "practitioners": t["claim_practitioners"].select(["code", "facility_code"]),
    }
    episodes, lines = t["claim_episodes"], t["claim_lines"]
    on = date(2026, 11, 1)
    whole = review_tables({**static, "episodes": episodes, "lines": lines}, on)

    years, months_ = episodes["settle_year"].to_pylist(), episodes["settle_month"].to_pylist()
    periods = sorted(set(zip(years, months_, strict=True)))
    assert len(periods) >= 3

    def months() -> Iterator[dict[str, pa.Table]]:
        for year, month in periods:
            mask = pc.and_(pc.equal(episodes["settle_year"], year), pc.equal(episodes["settle_month"], month))
            part = episodes.filter(mask)
            yield {
                "episodes": part,
                "lines": lines.filter(pc.is_in(lines["episode_id"], value_set=part["id"])),
            }

    assert write_snapshot(tmp_path / "snap", static, months(), on) == len(periods)
    streamed = review_snapshot(tmp_path / "snap", on, memory_limit="1GB")
    assert whole.findings.num_rows > 50
    # the cross-month rules have something to find across the months
    assert {"R03", "R11", "R12"} <= set(whole.findings["rule_code"].to_pylist())
    assert streamed.findings.equals(whole.findings)
    assert streamed.outcomes.equals(whole.outcomes)
    assert streamed.counts == whole.counts


def test_year_review_from_the_database_equals_the_review_of_every_episode(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``ansinh claims review --year``: the months read from the database one at a time (lines by episode
    id range), snapshot, reviewed out of core and stored, as the review of all the episodes at once."""
    monkeypatch.setenv("ANSINH_SYNTH_CLAIMS_MONTHS", "3")
    ctx = generate(SynthConfig(people=3_000, seed=4), parts=["claims"])
    write_province(engine, ctx)
    years = set(ctx.tables["claim_episodes"]["settle_year"].to_pylist())
    assert years == {2026}
    on = date(2026, 11, 1)
    whole = run_review(engine, on=on)
    year = run_year_review(engine, 2026, on=on, directory=tmp_path / "snap", memory_limit="1GB")
    assert whole.findings.num_rows > 50
    assert year.findings.equals(whole.findings)
    assert year.outcomes.equals(whole.outcomes)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM claim_reviews")).scalar_one()
        found = conn.execute(text("SELECT count(*) FROM claim_findings WHERE status = 'open'")).scalar_one()
    assert stored == year.outcomes.num_rows
    assert found == year.findings.num_rows
