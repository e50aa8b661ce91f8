"""Monthly dues (số phải thu) of every employer, priced by the calculators: an Ibis batch on DuckDB.

Facts (read through Arrow from the operational tables): the compulsory participations of employees
(``participations`` rows of scheme si, ui, hi with an ``employer_id``; the salary is on the si/ui
rows, the HI base is the same salary), the employers' wage regions, and the declared unpaid-leave
months (nghỉ không lương ≥ 14 working days: not subject that month, Law 41/2024/QH15 Art. 33.5,
34.3).

Rules of the expansion (documented choices):

- a spell counts for every month from the month of ``valid_from`` to the month of ``valid_to``
  (declarations are made by month); where two spells of one person, employer and scheme cover a
  month (a salary change), the one that starts last applies;
- the wage region is the one in force on the first day of the month (Decree 293/2025/NĐ-CP annex);
- amounts per employee, scheme and party are those of :func:`contribution_batch` (rounded per
  employee, exactly as the scalar calculator), then summed per employer × month × scheme × party.

The calculator is applied once per distinct (month, region, salary), not per employee-month, and the
priced table is joined back: the same đồng, far fewer calls.

>>> dues = compute_dues(parts, regions, leave, first=2026*12+2, last=2026*12+2)   # doctest: +SKIP
>>> dues.column_names
['employer_id', 'm', 'scheme', 'party', 'amount', 'employees']
"""

from __future__ import annotations

import itertools
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
from ibis import _ as col

from ansinh.law.calculators import contribution_batch
from ansinh.law.parameters import ParameterSet, get_parameters

SCHEMES = ("si", "hi", "ui")
PARTIES = ("employee", "employer")
FAR = 10**6  # a month index beyond any period: "no end"
_SERIAL = itertools.count()  # materialised tables get fresh names (Ibis 12 cannot overwrite on DuckDB 2)

PARTS_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("employer_id", pa.int64()),
        ("scheme", pa.string()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("salary", pa.int64()),
    ]
)
REGIONS_SCHEMA = pa.schema(
    [
        ("employer_id", pa.int64()),
        ("region", pa.int64()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
    ]
)
LEAVE_SCHEMA = pa.schema([("person_id", pa.int64()), ("employer_id", pa.int64()), ("m", pa.int64())])
DUES_SCHEMA = pa.schema(
    [
        ("employer_id", pa.int64()),
        ("m", pa.int64()),
        ("scheme", pa.string()),
        ("party", pa.string()),
        ("amount", pa.int64()),
        ("employees", pa.int64()),
    ]
)


def _month(d: Any) -> Any:
    return d.year().cast("int64") * 12 + d.month().cast("int64") - 1


def _month_from_first_day(d: Any) -> Any:
    """First month whose first day is on or after ``d``."""
    return _month(d) + ibis.ifelse(d.day() == 1, 0, 1).cast("int64")


def load(con: Any, name: str, table: pa.Table) -> Any:
    """An Arrow table as an Ibis table of ``con`` (registered with DuckDB, zero copy)."""
    con.con.register(name, table)
    return con.table(name)


def employee_months(
    con: Any, parts: pa.Table, regions: pa.Table, leave: pa.Table, first: int, last: int
) -> Any:
    """Ibis expression: one row per person × employer × month with the schemes owed, the salary
    and the wage region."""
    p = load(con, "ledger_parts", parts.select(PARTS_SCHEMA.names).cast(PARTS_SCHEMA))
    r = load(con, "ledger_regions", regions.select(REGIONS_SCHEMA.names).cast(REGIONS_SCHEMA))
    lv = load(con, "ledger_leave", leave.select(LEAVE_SCHEMA.names).cast(LEAVE_SCHEMA))
    spells = (
        p.filter(col.scheme.isin(SCHEMES), col.employer_id.notnull())
        .mutate(
            a=ibis.greatest(_month(col.valid_from), ibis.literal(first, "int64")),
            b=ibis.least(_month(col.valid_to).fill_null(FAR), ibis.literal(last, "int64")),
        )
        .filter(col.a <= col.b)
    )
    # The si, ui and hi rows of one spell mostly share their dates: fold them into one row first, so
    # that the months are unnested and grouped once per spell, not once per scheme (1.8x fewer rows).
    spells = spells.group_by(["person_id", "employer_id", "valid_from", "a", "b"]).aggregate(
        si=(col.scheme == "si").any(),
        ui=(col.scheme == "ui").any(),
        hi=(col.scheme == "hi").any(),
        salary_si=col.salary.max(where=col.scheme == "si"),
        salary_ui=col.salary.max(where=col.scheme == "ui"),
    )
    months = spells.mutate(m=ibis.range(spells.a, spells.b + 1).unnest())
    per_month = months.group_by(["person_id", "employer_id", "m"]).aggregate(
        has_si=col.si.any(),
        has_ui=col.ui.any(),
        has_hi=col.hi.any(),
        # the spell that starts last applies (arg_max over valid_from)
        salary=ibis.coalesce(
            col.salary_si.argmax(col.valid_from, where=col.salary_si.notnull()),
            col.salary_ui.argmax(col.valid_from, where=col.salary_ui.notnull()),
        ),
    )
    per_month = per_month.filter(col.salary.notnull())
    per_month = per_month.anti_join(lv, ["person_id", "employer_id", "m"])
    reg = r.mutate(ra=_month_from_first_day(col.valid_from), rb=_month(col.valid_to).fill_null(FAR))
    fallback = r.group_by("employer_id").aggregate(first_region=col.region.argmin(col.valid_from))
    joined = per_month.left_join(
        reg,
        [
            per_month.employer_id == reg.employer_id,
            reg.ra <= per_month.m,
            per_month.m <= reg.rb,
        ],
    ).select(per_month, in_force=reg.region)
    joined = joined.left_join(fallback, "employer_id").select(
        joined.person_id,
        joined.employer_id,
        joined.m,
        joined.has_si,
        joined.has_ui,
        joined.has_hi,
        joined.salary,
        region=ibis.coalesce(joined.in_force, fallback.first_region, ibis.literal(1, "int64")),
    )
    return joined


def price_table(keys: pa.Table, params: ParameterSet) -> pa.Table:
    """Amounts per (month, region, salary) from :func:`contribution_batch` (not strict: a salary
    below the minimum wage is priced on the salary declared; declarations refuse it up front)."""
    m = keys["m"].to_numpy(zero_copy_only=False).astype(np.int64)
    periods = (m - 1970 * 12).astype("datetime64[M]")
    out = contribution_batch(
        params,
        periods,
        keys["salary"].to_numpy(zero_copy_only=False),
        keys["region"].to_numpy(zero_copy_only=False),
        strict=False,
    )
    columns = {name: keys[name] for name in ("m", "region", "salary")}
    for party in PARTIES:
        for scheme in SCHEMES:
            columns[f"{party}_{scheme}"] = pa.array(np.asarray(out[f"{party}_{scheme}"], dtype=np.int64))
    return pa.table(columns)


def compute_dues(
    parts: pa.Table,
    regions: pa.Table,
    leave: pa.Table,
    *,
    first: int,
    last: int,
    params: ParameterSet | None = None,
    con: Any = None,
) -> pa.Table:
    """Dues per employer × month × scheme × party for months ``first``..``last`` (month indices)."""
    params = params or get_parameters()
    # One thread: the aggregation has ~10M groups (employee-months over 36 months), and DuckDB's
    # two-thread plan spends as much merging partitions as it saves; measured on 2 cores at 1.3M
    # people: 7.4 CPU-s and 7.9 s with one thread, 13.9 CPU-s and 13–14.6 s with two.
    con = con or ibis.duckdb.connect(threads=1)
    pm = employee_months(con, parts, regions, leave, first, last)
    pm = con.create_table(f"ledger_employee_months_{next(_SERIAL)}", pm, temp=True)
    keys = pm.select("m", "region", "salary").distinct().to_pyarrow()
    if keys.num_rows == 0:
        return DUES_SCHEMA.empty_table()
    priced = load(con, "ledger_priced", price_table(keys, params))
    rows = pm.join(priced, ["m", "region", "salary"])
    sums = {
        f"{party}_{scheme}": ibis.ifelse(rows[f"has_{scheme}"], rows[f"{party}_{scheme}"], 0).sum()
        for party in PARTIES
        for scheme in SCHEMES
    }
    wide = (
        rows.group_by(["employer_id", "m"])
        # rows are one per person × employer × month already: a count is the distinct employees
        .aggregate(employees=rows.count(), **sums)
        .order_by(["employer_id", "m"])
        .to_pyarrow()
    )
    return _long(wide)


def _long(wide: pa.Table) -> pa.Table:
    """Wide (one column per party × scheme) → long (one row per party × scheme), zeros dropped."""
    n = wide.num_rows
    employer = wide["employer_id"].to_numpy(zero_copy_only=False).astype(np.int64)
    month = wide["m"].to_numpy(zero_copy_only=False).astype(np.int64)
    employees = wide["employees"].to_numpy(zero_copy_only=False).astype(np.int64)
    blocks = []
    for scheme in SCHEMES:
        for party in PARTIES:
            amount = wide[f"{party}_{scheme}"].to_numpy(zero_copy_only=False).astype(np.int64)
            blocks.append((scheme, party, amount))
    amount = np.concatenate([b[2] for b in blocks]) if n else np.zeros(0, np.int64)
    scheme_col = np.concatenate([np.full(n, b[0], dtype=object) for b in blocks])
    party_col = np.concatenate([np.full(n, b[1], dtype=object) for b in blocks])
    keep = amount != 0
    table = pa.table(
        {
            "employer_id": np.tile(employer, len(blocks))[keep],
            "m": np.tile(month, len(blocks))[keep],
            "scheme": pa.array(scheme_col[keep], pa.string()),
            "party": pa.array(party_col[keep], pa.string()),
            "amount": amount[keep],
            "employees": np.tile(employees, len(blocks))[keep],
        }
    )
    return table.cast(DUES_SCHEMA)
