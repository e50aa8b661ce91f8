"""What a close leaves for the pages: arrears per employer × month, and the month's collection figures.

Status of an employer-month at ``as_of`` (Law 41/2024/QH15 Art. 38–39; domain reference §4.4):

- ``paid``: nothing of the contribution is open (a posted surcharge may still be);
- ``due``: open, deadline not passed (Art. 34.4: last day of the following month);
- ``late`` (chậm đóng, Art. 38): open from the day after the deadline;
- ``reminded``: late, and a written reminder covering the month was sent (Art. 35);
- ``evasion`` (trốn đóng, Art. 39.1(đ), (e)): reminded and more than
  ``late_payment_evasion_after_days`` (60) days after the deadline.

The surcharge accrued on what is still open (round(open × daily rate × days), Art. 40–41) is shown
(``surcharge_accrued``) and posted when the month is paid. Every figure here is derived from the
entries; the table is rebuilt by each close.

Collection figures (``ledger_kpis``, one row per month, replaced by the close of that month; and
``ledger_area_kpis``, the same per commune of the employers, for commune-scoped dashboards):
``receivable`` (dues and adjustments posted for the month's period), ``receivable_ytd`` (periods of
the year up to the month), ``collected`` (bank credits received in the month), and three arrears
numerators at the month's end: ``arrears_late`` (open, past the deadline: interest-bearing, "nợ
phải tính lãi"), ``arrears_collectible`` (the same without dissolved or absconded employers, "nợ
khó thu" left out) and ``arrears_open`` (everything open, including months not yet due).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from ansinh.ledger.allocation import surcharge_amounts, surcharge_days
from ansinh.ledger.engine import SCHEMES, Book
from ansinh.ledger.periods import aging_buckets, period_text

BALANCE_SCHEMA = pa.schema(
    [
        ("employer_id", pa.int64()),
        ("period", pa.string()),
        ("due", pa.int64()),
        ("paid", pa.int64()),
        ("open_amount", pa.int64()),
        ("surcharge_posted", pa.int64()),
        ("surcharge_open", pa.int64()),
        ("open_si", pa.int64()),
        ("open_hi", pa.int64()),
        ("open_ui", pa.int64()),
        ("surcharge_si", pa.int64()),
        ("surcharge_hi", pa.int64()),
        ("surcharge_ui", pa.int64()),
        ("surcharge_accrued", pa.int64()),
        ("deadline", pa.date32()),
        ("days_late", pa.int32()),
        ("aging", pa.int16()),
        ("status", pa.string()),
        ("as_of", pa.date32()),
    ]
)
KPI_SCHEMA = pa.schema(
    [
        ("period", pa.string()),
        ("receivable", pa.int64()),
        ("receivable_ytd", pa.int64()),
        ("collected", pa.int64()),
        ("arrears_late", pa.int64()),
        ("arrears_collectible", pa.int64()),
        ("arrears_open", pa.int64()),
        ("surcharge_accrued", pa.int64()),
        ("employers_late", pa.int64()),
        ("as_of", pa.date32()),
    ]
)

AREA_KPI_SCHEMA = pa.schema([KPI_SCHEMA.field("period"), ("area_code", pa.string()), *list(KPI_SCHEMA)[1:]])


def balances(book: Book, as_of: date) -> pa.Table:
    """Rows for every employer-month with something open (contribution or surcharge), with the open
    amount of each scheme: the next close starts from them (:mod:`ansinh.ledger.opening`)."""
    open_c = book.open_c.sum(axis=2)
    open_s = book.open_s.sum(axis=2)
    e, m = np.nonzero((open_c != 0) | (open_s != 0))
    due = book.month_dues()[e, m]
    oc = open_c[e, m]
    deadline = book.deadline[m]
    at = np.datetime64(as_of, "D")
    days_late = np.maximum((at - deadline).astype(np.int64), 0)
    sur_days = surcharge_days(deadline, np.full(len(e), at), book.params)
    accrued = surcharge_amounts(np.maximum(oc, 0), sur_days, np.full(len(e), at), book.params)
    reminded = book.reminded(as_of)[e, m]
    evasion_after = book.params.integer("late_payment_evasion_after_days", as_of)
    status = np.where(
        oc <= 0,
        "paid",
        np.where(
            days_late == 0,
            "due",
            np.where(reminded, np.where(days_late > evasion_after, "evasion", "reminded"), "late"),
        ),
    )
    aging = np.where(oc > 0, aging_buckets(deadline, as_of), 0)
    names = np.array([period_text(book.m0 + i) for i in range(book.n_months)], dtype=object)
    n = len(e)
    return pa.table(
        {
            "employer_id": book.employer_ids[e],
            "period": pa.array(names[m], pa.string()),
            "due": due,
            "paid": due - oc,
            "open_amount": oc,
            "surcharge_posted": book.surcharge_posted[e, m],
            "surcharge_open": open_s[e, m],
            **{f"open_{name}": book.open_c[e, m, i] for i, name in enumerate(SCHEMES)},
            **{f"surcharge_{name}": book.open_s[e, m, i] for i, name in enumerate(SCHEMES)},
            "surcharge_accrued": accrued,
            "deadline": pa.array(deadline, pa.date32()),
            "days_late": pa.array(days_late.astype(np.int32)),
            "aging": pa.array(aging.astype(np.int16)),
            "status": pa.array(status.astype(object), pa.string()),
            "as_of": pa.array(np.full(n, at), pa.date32()),
        },
        schema=BALANCE_SCHEMA,
    )


def kpis(book: Book, month: int, as_of: date) -> tuple[pa.Table, pa.Table]:
    """The collection figures of ``month`` (month index) at ``as_of``: for the whole ledger, and per
    commune (:func:`area_kpis`), from one computation of each employer's part."""
    f = _per_employer(book, month, as_of)
    return _whole(book, month, as_of, f), area_kpis(book, month, as_of, f)


def _whole(book: Book, month: int, as_of: date, f: dict[str, np.ndarray]) -> pa.Table:
    k = month - book.m0
    year_start = max(0, (month // 12) * 12 - book.m0)
    totals = book.period_totals()
    return pa.table(
        {
            "period": [period_text(month)],
            "receivable": [int(totals[k])],
            "receivable_ytd": [int(totals[year_start : k + 1].sum())],
            **{name: [int(f[name].sum())] for name in _EMPLOYER_FIGURES},
            "as_of": pa.array(np.array([np.datetime64(as_of, "D")]), pa.date32()),
        },
        schema=KPI_SCHEMA,
    )


def area_kpis(book: Book, month: int, as_of: date, per_employer: dict[str, np.ndarray]) -> pa.Table:
    """The figures per commune (``book.area``): one row per commune with employers. They add up to
    the whole ledger's when every employer has a commune and the year's dues were read per employer."""
    n = len(book.area_codes)
    if not n:
        return AREA_KPI_SCHEMA.empty_table()
    k = month - book.m0
    year_start = max(0, (month // 12) * 12 - book.m0)
    dues = book.employer_dues()
    f = {
        "receivable": dues[:, k],
        "receivable_ytd": dues[:, year_start : k + 1].sum(axis=1),
        **per_employer,
    }
    where = book.area >= 0
    columns: dict[str, object] = {
        "period": pa.array([period_text(month)] * n, pa.string()),
        "area_code": pa.array(book.area_codes, pa.string()),
    }
    for name, values in f.items():
        sums = np.zeros(n, np.int64)
        np.add.at(sums, book.area[where], np.asarray(values, np.int64)[where])
        columns[name] = sums
    columns["as_of"] = pa.array(np.full(n, np.datetime64(as_of, "D")), pa.date32())
    return pa.table(columns, schema=AREA_KPI_SCHEMA)


_EMPLOYER_FIGURES = (
    "collected",
    "arrears_late",
    "arrears_collectible",
    "arrears_open",
    "surcharge_accrued",
    "employers_late",
)


def _per_employer(book: Book, month: int, as_of: date) -> dict[str, np.ndarray]:
    """Each employer's part of the month's figures (``_EMPLOYER_FIGURES``)."""
    k = month - book.m0
    at = np.datetime64(as_of, "D")
    first = np.datetime64(book.last_day_of(k - 1), "D") + np.timedelta64(1, "D") if k > 0 else None
    received = book.pay_date <= at
    if first is not None:
        received &= book.pay_date >= first
    n = len(book.employer_ids)
    collected = np.zeros(n, np.int64)
    np.add.at(collected, book.pay_emp[received], book.pay_amount[received])
    open_c = np.maximum(book.open_c[:, : k + 1].sum(axis=2), 0)
    late = book.deadline[: k + 1] < at
    gone = ~np.isnat(book.closed_on) & (book.closed_on <= at)
    arrears_late = open_c[:, late].sum(axis=1)
    days = surcharge_days(book.deadline[: k + 1], np.full(k + 1, at), book.params)
    e, mm = np.nonzero(open_c)
    accrued = np.zeros(n, np.int64)
    np.add.at(accrued, e, surcharge_amounts(open_c[e, mm], days[mm], np.full(len(e), at), book.params))
    return {
        "collected": collected,
        "arrears_late": arrears_late,
        "arrears_collectible": np.where(gone, 0, arrears_late),
        "arrears_open": open_c.sum(axis=1),
        "surcharge_accrued": accrued,
        "employers_late": (arrears_late > 0).astype(np.int64),
    }
