"""Indicators of the benefits domain for the coverage report (issue 7) and the outreach lists.

- :func:`noncash_share_by_commune`: payments and amounts by the beneficiary's commune and month, and
  the part paid without cash (bank account or e-wallet) — Hà Tĩnh's target of 100% non-cash
  (``target_ha_tinh_non_cash_payments`` in targets.yaml). A payment counts if it was made or is on its
  way (status pending, paid or recovered); failed and returned ones are counted by their retry.
- :func:`one_time_withdrawals_by_commune`: one-time withdrawals decided (approved or paid) by commune
  and month of decision — what Quảng Trị wants to see fall.
- :func:`cash_recipients`: beneficiaries whose channel in force is cash, for outreach to open accounts.

>>> noncash_share_by_commune(engine, "2026-01", "2026-06").column_names   # doctest: +SKIP
['commune_code', 'period', 'payments', 'noncash_payments', 'amount', 'noncash_amount']
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
from sqlalchemy.engine import Engine

from ansinh.core.arrow_io import read_query
from ansinh.law.periods import Period

NONCASH_SCHEMA = pa.schema(
    [
        ("commune_code", pa.string()),
        ("period", pa.string()),
        ("payments", pa.int64()),
        ("noncash_payments", pa.int64()),
        ("amount", pa.int64()),
        ("noncash_amount", pa.int64()),
    ]
)
ONE_TIME_SCHEMA = pa.schema([("commune_code", pa.string()), ("period", pa.string()), ("cases", pa.int64())])
CASH_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("full_name", pa.string()),
        ("commune_code", pa.string()),
        ("phone", pa.string()),
        ("provider", pa.string()),
        ("monthly_amount", pa.int64()),
        ("valid_from", pa.date32()),
    ]
)


def _check_period(text: str, field: str) -> str:
    try:
        return str(Period.parse(text))
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from exc


def noncash_share_by_commune(engine: Engine, period_from: str, period_to: str) -> pa.Table:
    """(commune_code, period, payments, noncash_payments, amount, noncash_amount), one row per commune
    and month with payments, ordered by commune and period."""
    a, b = _check_period(period_from, "period_from"), _check_period(period_to, "period_to")
    sql = f"""
        SELECT p.commune_code, bp.period,
               count(*) AS payments,
               sum(CASE WHEN bp.channel IN ('bank', 'ewallet') THEN 1 ELSE 0 END) AS noncash_payments,
               sum(bp.amount) AS amount,
               sum(CASE WHEN bp.channel IN ('bank', 'ewallet') THEN bp.amount ELSE 0 END) AS noncash_amount
        FROM benefit_payments bp JOIN persons p ON p.id = bp.person_id
        WHERE bp.period BETWEEN '{a}' AND '{b}' AND bp.status IN ('pending', 'paid', 'recovered')
        GROUP BY p.commune_code, bp.period
        ORDER BY p.commune_code, bp.period
    """
    return read_query(engine, sql, NONCASH_SCHEMA)


def one_time_withdrawals_by_commune(engine: Engine, period_from: str, period_to: str) -> pa.Table:
    """(commune_code, period, cases): one-time withdrawals decided per commune and month."""
    a, b = _check_period(period_from, "period_from"), _check_period(period_to, "period_to")
    first = Period.parse(a).first_day.isoformat()
    nxt = Period.parse(b).next().first_day.isoformat()
    period_expr = (
        "strftime('%Y-%m', c.decided_on)"
        if engine.dialect.name == "sqlite"
        else "to_char(c.decided_on, 'YYYY-MM')"
    )
    sql = f"""
        SELECT p.commune_code, {period_expr} AS period, count(*) AS cases
        FROM benefit_cases c JOIN persons p ON p.id = c.person_id
        WHERE c.kind = 'one_time' AND c.status IN ('approved', 'paid')
          AND c.decided_on >= '{first}' AND c.decided_on < '{nxt}'
        GROUP BY p.commune_code, {period_expr}
        ORDER BY p.commune_code, period
    """
    return read_query(engine, sql, ONE_TIME_SCHEMA)


def cash_recipients(
    engine: Engine, on: date, commune_code: str | None = None, limit: int | None = None
) -> pa.Table:
    """Active recurring beneficiaries paid in cash on ``on``: who to help open an account."""
    day = on.isoformat()
    period = str(Period.of(on))
    cond = f" AND p.commune_code = '{commune_code}'" if commune_code else ""
    if commune_code is not None and not commune_code.isdigit():
        raise ValueError(f"commune_code: expected digits, got {commune_code!r}")
    lim = f" LIMIT {int(limit)}" if limit else ""
    sql = f"""
        SELECT p.id AS person_id, p.full_name, p.commune_code, p.phone, ch.provider,
               sum(b.monthly_amount) AS monthly_amount, min(ch.valid_from) AS valid_from
        FROM beneficiaries b
        JOIN persons p ON p.id = b.person_id
        JOIN payment_channels ch ON ch.person_id = b.person_id AND ch.channel = 'cash'
         AND ch.valid_from <= '{day}' AND (ch.valid_to IS NULL OR ch.valid_to >= '{day}')
        WHERE b.start_period <= '{period}' AND (b.end_period IS NULL OR b.end_period >= '{period}')
          AND p.death_date IS NULL{cond}
        GROUP BY p.id, p.full_name, p.commune_code, p.phone, ch.provider
        ORDER BY p.commune_code, p.full_name, p.id{lim}
    """
    return read_query(engine, sql, CASH_SCHEMA)
