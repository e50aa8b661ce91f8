"""The review written once in Ibis gives identical findings and outcomes on DuckDB and on Spark
(``ibis.pyspark``, local mode), over a small synthetic province with every kind of planted abuse.

Needs pyspark (dev extra) and Java 17. Without them the test is skipped with the reason — unless
``ANSINH_REQUIRE_SPARK=1`` (CI), where it fails instead."""

from __future__ import annotations

import os
import shutil
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ansinh.claims.review import review_tables
from ansinh.synth.context import SynthConfig
from ansinh.synth.province import generate


def _spark_available() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[dev]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java not on PATH, JAVA_HOME unset)"
    return None


def test_same_findings_on_duckdb_and_spark() -> None:
    missing = _spark_available()
    if missing:
        if os.environ.get("ANSINH_REQUIRE_SPARK") == "1":
            pytest.fail(f"ANSINH_REQUIRE_SPARK=1 but {missing}")
        pytest.skip(missing)
    ctx = generate(SynthConfig(people=3_000, seed=3), parts=["claims"])
    t = ctx.tables
    hi = t["participations"].filter(pc.equal(t["participations"]["scheme"], "hi"))
    raw = {
        "episodes": t["claim_episodes"],
        "lines": t["claim_lines"],
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
    on = date(2026, 11, 1)
    duck = review_tables(raw, on)
    spark = review_tables(raw, on, backend="pyspark")
    rules = set(duck.findings["rule_code"].to_pylist())
    assert {f"R{i:02d}" for i in range(1, 13)} <= rules  # every rule has something to find
    assert duck.findings.num_rows > 50
    assert spark.findings.equals(duck.findings)
    assert spark.outcomes.equals(duck.outcomes)
