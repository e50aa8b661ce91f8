"""The coverage part of the synthetic province: its own denominators, and the indicator snapshot.

- ``coverage_denominators``: for each commune (and the province, their sum) and each year of the
  window, the statistics office's three figures as the synthetic registry gives them on 1 July:
  population = people alive (planted duplicate records left out); working-age population = alive,
  aged at least ``working_age_min`` (15, parameter) and below the retirement age (Decree 135/2020);
  labour force = working-age population × the commune's labour-force participation rate, drawn
  around 76% ± 3 points (behaviour, not law: GSO labour-force surveys of the north-central region).
- ``coverage_ledger_cells``: the ledger summed per commune, period and posting month, so that the
  first ``ansinh coverage compute`` reads only entries posted after the generation;
- ``coverage_indicators``, ``coverage_projections``: :func:`ansinh.coverage.indicators.compute` on
  the generated tables (registry, the ledger when generated, benefits when generated), exactly as
  ``ansinh coverage compute`` does on the written database.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.coverage import indicators as ind
from ansinh.coverage.service import projections
from ansinh.law.parameters import get_parameters
from ansinh.synth.context import SynthContext
from ansinh.synth.province import Extension

SYNTH_SOURCE = "synthetic province: estimated from the generated registry (ansinh.coverage.synth)"
LFPR_MEAN, LFPR_SD = 0.76, 0.03

DENOMINATOR_SCHEMA = pa.schema(
    [
        ("area_code", pa.string()),
        ("year", pa.int16()),
        ("population", pa.int64()),
        ("labour_force", pa.int64()),
        ("working_age_population", pa.int64()),
        ("source", pa.string()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)


def estimate_denominators(
    persons: pa.Table,
    communes: list[str],
    province: str,
    years: list[int],
    rates: dict[str, float],
    source: str,
    stamped: datetime | None = None,
) -> pa.Table:
    """Population, working-age population and labour force on 1 July of each year, per commune and
    for the province, from person records (id, commune_code, gender, birth_date, death_date)."""
    params = get_parameters()
    retire = ind.retirement_table(persons, params)
    key = {
        (g, m): r
        for g, m, r in zip(
            retire["gender"].to_pylist(),
            retire["birth_m"].to_pylist(),
            retire["reached_m"].to_pylist(),
            strict=True,
        )
    }
    birth = persons["birth_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    death = persons["death_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    birth_y = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    birth_mo = birth.astype("datetime64[M]").astype(np.int64) % 12
    birth_m = birth_y * 12 + birth_mo
    late_in_month = (
        birth - birth.astype("datetime64[M]").astype("datetime64[D]") > np.timedelta64(0, "D")
    ).astype(np.int64)
    genders = persons["gender"].to_pylist()
    reached = np.array([key[(g, int(m))] for g, m in zip(genders, birth_m.tolist(), strict=True)], np.int64)
    index = {c: i for i, c in enumerate(communes)}
    commune = np.array([index.get(c, -1) for c in persons["commune_code"].to_pylist()], np.int64)
    inside = commune >= 0
    rows: dict[str, list[Any]] = {name: [] for name in DENOMINATOR_SCHEMA.names}
    now = stamped or datetime.now(UTC)
    for year in years:
        at = np.datetime64(date(year, 7, 1), "D")
        alive = inside & (birth <= at) & (np.isnat(death) | (death > at))
        age_m = year * 12 + 6 - birth_m - late_in_month  # whole months of age on 1 July
        working = (
            alive
            & (age_m >= params.integer("working_age_min", date(year, 7, 1)) * 12)
            & (year * 12 + 6 < reached)
        )
        pop = np.bincount(commune[alive], minlength=len(communes))
        wap = np.bincount(commune[working], minlength=len(communes))
        lf = [round(int(w) * rates.get(c, LFPR_MEAN)) for c, w in zip(communes, wap, strict=True)]
        for area, p, w, f in [
            *zip(communes, pop, wap, lf, strict=True),
            (province, pop.sum(), wap.sum(), sum(lf)),
        ]:
            rows["area_code"].append(area)
            rows["year"].append(year)
            rows["population"].append(int(p))
            rows["labour_force"].append(int(f))
            rows["working_age_population"].append(int(w))
            rows["source"].append(source)
            rows["updated_at"].append(now)
    return pa.table(rows, schema=DENOMINATOR_SCHEMA)


def ledger_cells(entries: pa.Table, employers: pa.Table) -> pa.Table:
    """Employer contribution entries per commune × period × posting month (as the database query)."""
    con = ibis.duckdb.connect()
    e = ibis.memtable(entries.select(["employer_id", "period", "kind", "item", "amount", "posted_on"]))
    emp = ibis.memtable(employers.select(["id", "commune_code"]))
    x = e.filter(e.employer_id.notnull() & (e.item == "contribution")).join(emp, e.employer_id == emp.id)
    x = x.mutate(posted=x.posted_on.cast("string").substr(0, 7))
    out = x.group_by(["commune_code", "period", "posted"]).aggregate(
        receivable=ibis.ifelse(x.kind.isin(("due", "adjustment")), x.amount, 0).sum().cast("int64"),
        amount=x.amount.sum().cast("int64"),
    )
    # sorted: DuckDB's group order varies from run to run, and the same seed must give the same table
    result: pa.Table = con.to_pyarrow(out.order_by(["commune_code", "period", "posted"]))
    return result


def generate_coverage(ctx: SynthContext) -> None:
    cfg = ctx.config
    rng = ctx.rng("coverage")
    persons = ctx.tables["persons"]
    duplicates = ctx.arrays.get("duplicate_ids")
    if duplicates is not None and len(duplicates):
        persons = persons.filter(
            pc.invert(pc.is_in(persons["id"], pa.array(np.asarray(duplicates, np.int64))))
        )
    persons = persons.filter(pc.is_null(persons["merged_into_id"]))
    communes = sorted(ctx.tables["communes"]["code"].to_pylist())
    rates = {c: float(np.clip(rng.normal(LFPR_MEAN, LFPR_SD), 0.6, 0.9)) for c in communes}
    years = list(range(cfg.start_month // 12, cfg.end_month // 12 + 1))
    denominators = estimate_denominators(
        persons.select(["id", "commune_code", "gender", "birth_date", "death_date"]),
        communes,
        cfg.province,
        years,
        rates,
        SYNTH_SOURCE,
        # the synthetic reference date, not the wall clock: the same seed gives the same tables
        stamped=datetime.combine(cfg.reference_date, time(17), UTC),
    )
    ctx.tables["coverage_denominators"] = denominators
    facts = ind.Facts(
        cfg.province,
        communes,
        persons.select(ind.PERSONS.names),
        ctx.tables["participations"],
        denominators,
    )
    if "ledger_entries" in ctx.tables:
        entries = ctx.tables["ledger_entries"]
        facts.ledger_cells = ledger_cells(entries, ctx.tables["employers"])
        facts.ledger_kpis = ctx.tables.get("ledger_kpis")
        upto = int(pc.max(entries["id"]).as_py() or 0) if entries.num_rows else 0
        ctx.tables["coverage_ledger_cells"] = facts.ledger_cells.append_column(
            "upto_id", pa.array([upto] * facts.ledger_cells.num_rows, pa.int64())
        )
    contract = {
        "beneficiaries": ind.BENEFICIARIES,
        "benefit_cases": ind.CASES,
        "benefit_payments": ind.BENEFIT_PAYMENTS,
    }
    for name, schema in contract.items():
        table = ctx.tables.get(name)
        if table is not None and set(schema.names) <= set(table.column_names):
            if name == "beneficiaries":
                table = table.set_column(
                    table.schema.get_field_index("end_period"),
                    "end_period",
                    pc.fill_null(table["end_period"], ""),
                )
            if name == "benefit_cases":
                table = table.filter(pc.is_valid(table["decided_on"]))
            setattr(facts, name, table)
    snapshot = ind.compute(facts, cfg.start_month, cfg.end_month)
    ctx.tables["coverage_indicators"] = snapshot
    ctx.tables["coverage_projections"] = projections(snapshot, cfg.province, cfg.end_month)


EXTENSION = Extension(
    name="coverage",
    tables=("coverage_denominators", "coverage_indicators", "coverage_projections", "coverage_ledger_cells"),
    step=generate_coverage,
)
