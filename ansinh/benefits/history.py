"""Contribution history (quá trình đóng BHXH) of many applicants at once, for eligibility and amounts.

The facts are the registry's participation spells (``si`` and ``ui`` through an employer, on the
declared salary; ``vsi`` voluntary, on the chosen income) and the ledger's open employer months
(``ledger_balances.open_amount > 0``). Everything is computed in one DuckDB query over Arrow tables,
one row per case, so 10,000 cases cost one read and one query, not 10,000 ORM loops.

Rules of the expansion (documented choices):

- a spell counts every month from the month of ``valid_from`` to the month of ``valid_to`` (open spells
  up to the month before the case's event); only months before the event month count;
- a month counts once per person whatever the number of spells (Law 41/2024/QH15 Art. 2: one employer
  per scheme and month); its salary is the highest compulsory salary of the month, or else the
  voluntary income;
- average salary (mức bình quân tiền lương, Law 41/2024/QH15 Art. 72.2, 73.2; Decree 159/2025/NĐ-CP
  Art. 11.4 for mixed careers) = Σ(month's salary × revaluation coefficient of its year) ÷ months,
  the coefficients those in force at the decision date (``salary_revaluation_coefficients``),
  rounded half up to the đồng;
- last-6-months average (maternity, Art. 59; unemployment, Law 74/2025 Art. 39) is not revalued;
- months an employer declared but has not paid (its ledger month still open) are listed as
  ``unpaid_months``: Law 41/2024/QH15 Art. 40 (and Art. 41.3) — the person's record for those months
  is settled only when the employer pays, so a decision counting them waits.

Worked example: 24 months in 2024 and 2025 at 10,000,000 with coefficients 1.07 (2024) and 1.03
(2025): (12 × 10,700,000 + 12 × 10,300,000) ÷ 24 = 10,500,000.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ansinh.core.arrow_io import read_query, read_small
from ansinh.law.parameters import ParameterSet, get_parameters

CASES_SCHEMA = pa.schema([("case_id", pa.int64()), ("person_id", pa.int64()), ("event_date", pa.date32())])
SPELLS_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("scheme", pa.string()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("employer_id", pa.int64()),
        ("amount", pa.int64()),
    ]
)
OPEN_SCHEMA = pa.schema([("employer_id", pa.int64()), ("period", pa.string())])

#: The columns of :func:`summarise` (one row per case).
HISTORY_COLUMNS = (
    "case_id",
    "person_id",
    "total_months",
    "si_months",
    "vsi_months",
    "months_before_2014",
    "months_from_2014",
    "first_month",
    "last_month",
    "revalued_sum_x100",
    "average_salary",
    "average_last6",
    "salary_previous_month",
    "si_months_last12",
    "ui_months_last24",
    "ui_months",
    "unpaid_months",
    "unpaid_periods",
    "last_employer_id",
)


def coefficient_table(
    params: ParameterSet, at: date, first_year: int = 1960, last_year: int = 2100
) -> pa.Table:
    """Revaluation coefficient × 100 (integer) for every contribution year, as in force at ``at``.

    Years before the first published row take the first row's coefficient ("before 1995"); years
    after the last row take 1 (Law 41/2024/QH15 Art. 73.2: the coefficient is at least 1)."""
    records = params.records("salary_revaluation_coefficients", at)
    by_year = {int(r["year"]): int(r["coefficient"] * 100) for r in records}
    first = min(by_year)
    years = np.arange(first_year, last_year + 1)
    coef = np.array([by_year.get(int(y), by_year[first] if y < first else 100) for y in years], np.int64)
    return pa.table({"year": years.astype(np.int64), "coef100": coef})


def summarise(
    cases: pa.Table,
    spells: pa.Table,
    open_months: pa.Table,
    params: ParameterSet,
    decision_date: date,
    split_year: int = 2014,
) -> pa.Table:
    """One row per case with the figures the rules need (see :data:`HISTORY_COLUMNS`)."""
    con = duckdb.connect()
    try:
        con.register("cases", cases)
        con.register("spells", spells)
        con.register("open_months", open_months)
        con.register("coef", coefficient_table(params, decision_date))
        sql = f"""
        WITH c AS (
          SELECT case_id, person_id,
                 year(event_date) * 12 + month(event_date) - 1 AS ev
          FROM cases
        ),
        s AS (
          SELECT c.case_id, c.person_id, c.ev, sp.scheme, sp.employer_id, sp.amount,
                 year(sp.valid_from) * 12 + month(sp.valid_from) - 1 AS a,
                 least(coalesce(year(sp.valid_to) * 12 + month(sp.valid_to) - 1, c.ev - 1), c.ev - 1) AS b
          FROM c JOIN spells sp ON sp.person_id = c.person_id
        ),
        m AS (
          SELECT case_id, person_id, ev, scheme, employer_id, amount, unnest(range(a, b + 1)) AS m
          FROM s WHERE b >= a
        ),
        month_rows AS (
          SELECT case_id, any_value(person_id) AS person_id, any_value(ev) AS ev, m,
                 max(CASE WHEN scheme = 'si' THEN 1 ELSE 0 END) AS is_si,
                 max(CASE WHEN scheme = 'vsi' THEN 1 ELSE 0 END) AS is_vsi,
                 max(CASE WHEN scheme = 'ui' THEN 1 ELSE 0 END) AS is_ui,
                 coalesce(max(CASE WHEN scheme = 'si' THEN amount END),
                          max(CASE WHEN scheme = 'vsi' THEN amount END)) AS salary,
                 arg_max(CASE WHEN scheme = 'si' THEN employer_id END,
                         CASE WHEN scheme = 'si' THEN amount ELSE -1 END) AS employer_id
          FROM m GROUP BY case_id, m
        ),
        unpaid AS (
          SELECT r.case_id, r.m,
                 printf('%04d-%02d', r.m // 12, r.m % 12 + 1) AS period
          FROM month_rows r
          JOIN open_months o
            ON o.employer_id = r.employer_id
           AND o.period = printf('%04d-%02d', r.m // 12, r.m % 12 + 1)
          WHERE r.is_si = 1
        ),
        unpaid_agg AS (
          SELECT case_id, count(*) AS unpaid_months,
                 string_agg(period, ',' ORDER BY period) AS unpaid_periods
          FROM unpaid GROUP BY case_id
        ),
        counted AS (
          SELECT r.*, k.coef100 FROM month_rows r
          JOIN coef k ON k.year = r.m // 12
          WHERE r.is_si = 1 OR r.is_vsi = 1
        ),
        agg AS (
          SELECT case_id, any_value(person_id) AS person_id,
                 count(*) AS total_months,
                 sum(is_si) AS si_months,
                 sum(CASE WHEN is_si = 0 THEN 1 ELSE 0 END) AS vsi_months,
                 sum(CASE WHEN m // 12 < {split_year} THEN 1 ELSE 0 END) AS months_before_2014,
                 sum(CASE WHEN m // 12 >= {split_year} THEN 1 ELSE 0 END) AS months_from_2014,
                 min(m) AS first_month, max(m) AS last_month,
                 sum(salary::HUGEINT * coef100) AS revalued_sum_x100,
                 sum(CASE WHEN is_si = 1 AND m >= ev - 12 THEN 1 ELSE 0 END) AS si_months_last12,
                 max(CASE WHEN is_si = 1 AND m = ev - 1 THEN salary END) AS salary_previous_month,
                 arg_max(employer_id, CASE WHEN employer_id IS NULL THEN -1 ELSE m END) AS last_employer_id
          FROM counted GROUP BY case_id
        ),
        last6 AS (
          SELECT case_id, sum(salary) AS s6, count(*) AS n6 FROM (
            SELECT case_id, salary, row_number() OVER (PARTITION BY case_id ORDER BY m DESC) AS rn
            FROM month_rows WHERE is_si = 1
          ) WHERE rn <= 6 GROUP BY case_id
        ),
        ui AS (
          SELECT case_id, count(*) AS ui_months,
                 sum(CASE WHEN m >= ev - 24 THEN 1 ELSE 0 END) AS ui_months_last24
          FROM month_rows WHERE is_ui = 1 GROUP BY case_id
        )
        SELECT c.case_id, c.person_id,
               coalesce(a.total_months, 0)::BIGINT AS total_months,
               coalesce(a.si_months, 0)::BIGINT AS si_months,
               coalesce(a.vsi_months, 0)::BIGINT AS vsi_months,
               coalesce(a.months_before_2014, 0)::BIGINT AS months_before_2014,
               coalesce(a.months_from_2014, 0)::BIGINT AS months_from_2014,
               a.first_month::BIGINT AS first_month,
               a.last_month::BIGINT AS last_month,
               coalesce(a.revalued_sum_x100, 0)::BIGINT AS revalued_sum_x100,
               CASE WHEN coalesce(a.total_months, 0) = 0 THEN 0 ELSE
                 ((2 * a.revalued_sum_x100 + 100 * a.total_months) // (200 * a.total_months)) END::BIGINT
                 AS average_salary,
               CASE WHEN coalesce(l.n6, 0) = 0 THEN 0 ELSE ((2 * l.s6 + l.n6) // (2 * l.n6)) END::BIGINT
                 AS average_last6,
               coalesce(a.salary_previous_month, 0)::BIGINT AS salary_previous_month,
               coalesce(a.si_months_last12, 0)::BIGINT AS si_months_last12,
               coalesce(u.ui_months_last24, 0)::BIGINT AS ui_months_last24,
               coalesce(u.ui_months, 0)::BIGINT AS ui_months,
               coalesce(p.unpaid_months, 0)::BIGINT AS unpaid_months,
               coalesce(p.unpaid_periods, '') AS unpaid_periods,
               a.last_employer_id::BIGINT AS last_employer_id
        FROM c
        LEFT JOIN agg a USING (case_id)
        LEFT JOIN last6 l USING (case_id)
        LEFT JOIN ui u USING (case_id)
        LEFT JOIN unpaid_agg p USING (case_id)
        ORDER BY c.case_id
        """
        result: pa.Table = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    return result


def read_facts(engine: Any, person_ids: list[int] | None = None) -> tuple[pa.Table, pa.Table]:
    """The spells (si, ui, vsi) and the open employer months, read into Arrow.

    For a few persons (the web, a small batch) the reads are small queries in process; for a batch
    the spells go through :func:`read_query` (ADBC, a worker process on SQLite) and the open months
    (tens of thousands of rows at most) stay in process."""
    sql = (
        "SELECT person_id, scheme, valid_from, valid_to, employer_id, coalesce(salary, income) AS amount "
        "FROM participations WHERE scheme IN ('si', 'ui', 'vsi')"
    )
    open_sql = "SELECT employer_id, period FROM ledger_balances WHERE open_amount > 0"
    if person_ids is not None and len(person_ids) <= SMALL:
        ids = ", ".join(str(int(i)) for i in person_ids) or "NULL"
        spells = read_small(engine, f"{sql} AND person_id IN ({ids})", SPELLS_SCHEMA)
        employers = sorted({int(e) for e in spells["employer_id"].drop_null().to_pylist()})
        emp = ", ".join(map(str, employers)) or "NULL"
        return spells, read_small(engine, f"{open_sql} AND employer_id IN ({emp})", OPEN_SCHEMA)
    if person_ids is not None and len(person_ids) <= LISTED:
        ids = ", ".join(str(int(i)) for i in person_ids)
        sql = f"{sql} AND person_id IN ({ids})"
    return read_query(engine, sql, SPELLS_SCHEMA), read_small(engine, open_sql, OPEN_SCHEMA)


#: Up to this many persons, facts are read in process (faster than starting the ADBC worker).
SMALL = 20_000
#: Up to this many persons, the batch read lists them (beyond, it reads every spell).
LISTED = 50_000


def history_for(
    engine: Any, cases: pa.Table, decision_date: date, params: ParameterSet | None = None
) -> pa.Table:
    """:func:`summarise` on the database's facts for ``cases`` (case_id, person_id, event_date)."""
    params = params or get_parameters()
    ids = sorted({int(p) for p in cases["person_id"].to_pylist()})
    if not ids:
        return summarise(cases, SPELLS_SCHEMA.empty_table(), OPEN_SCHEMA.empty_table(), params, decision_date)
    spells, open_months = read_facts(engine, ids)
    split = params.integer("lump_sum_split_year", decision_date)
    return summarise(cases, spells, open_months, params, decision_date, split)
