"""The ledger's part of the synthetic province: declarations, bank payments, reminders and the
posted ledger, from the registry the generator has just made.

- declarations: one ``join`` per compulsory SI spell that starts in the window, ``salary`` where a
  spell follows another of the same person and employer, ``leave`` where a spell ends for good;
- payments (one bank credit per employer and month at most), by the employer's payment profile
  (``ctx.arrays["employer_payment_profile"]``; behaviour, not law):

  ========== =========================================================================
  on_time    the month's dues, within the following month (5% of months: a month late)
  late       the month's dues, up to two months after the deadline
  partial    50–90% on time; one month in four a catch-up of 1.75 × the month's dues
  chronic    35% of months, 1.8–3 × a month's dues, 2–6 months late
  absconded  like ``late`` until six months before the owner disappears, then nothing
  ========== =========================================================================

  the largest 2% of payrolls behave at worst as ``late``. 90% of the descriptions carry the tax
  code, 7% the employer reference ``DV…``, 3% nothing usable (an officer assigns them within
  weeks; those of the last 45 days still wait in the queue);
- reminders: after each month's close, an employer with a month more than 30 days late and no
  reminder in the last three months gets one, sent ten days later;
- the ledger itself: :func:`ansinh.ledger.close.replay` closes every month of the window in memory,
  exactly as ``ansinh ledger rebuild`` would on the written tables.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.law.parameters import get_parameters
from ansinh.ledger.close import replay
from ansinh.ledger.dues import compute_dues
from ansinh.ledger.engine import Book
from ansinh.ledger.payments import reference_of
from ansinh.ledger.snapshot import balances
from ansinh.synth.calendar import first_day
from ansinh.synth.context import SynthContext
from ansinh.synth.province import Extension

DAY = np.timedelta64(1, "D")


def generate_ledger(ctx: SynthContext) -> None:
    cfg = ctx.config
    rng = ctx.rng("ledger")
    first, last = cfg.start_month, cfg.end_month
    n_months = last - first + 1
    employers = ctx.tables["employers"]
    n_emp = employers.num_rows
    ctx.tables["declarations"] = _declarations(ctx)
    leave = pa.table(
        {
            "person_id": pa.array([], pa.int64()),
            "employer_id": pa.array([], pa.int64()),
            "m": pa.array([], pa.int64()),
        }
    )
    dues = compute_dues(
        ctx.tables["participations"], ctx.tables["employer_regions"], leave, first=first, last=last
    )
    emp = dues["employer_id"].to_numpy() - 1
    k = dues["m"].to_numpy() - first
    due = np.zeros((n_emp, n_months), np.int64)
    np.add.at(due, (emp, k), dues["amount"].to_numpy())
    payments = _payments(ctx, rng, due, first)
    ctx.tables["payments"] = payments
    book = Book(np.arange(1, n_emp + 1, dtype=np.int64), first, n_months, get_parameters(), "synth")
    employers = ctx.tables["employers"].sort_by("id")
    book.set_areas(employers["commune_code"].to_pylist())
    matched = pc.equal(payments["status"], "matched").to_numpy(zero_copy_only=False)
    book.add_payments(
        payments["id"].to_numpy()[matched],
        payments["employer_id"].to_numpy(zero_copy_only=False)[matched].astype(np.int64),
        payments["value_date"].to_numpy(zero_copy_only=False)[matched],
        payments["amount"].to_numpy()[matched],
    )
    ends = ctx.arrays["employer_end_month"]
    gone = (ctx.arrays["employer_payment_profile"] == "absconded") | (ends <= last)
    book.closed_on[gone] = first_day(np.minimum(ends[gone], 10**5))
    reminders: list[tuple[np.ndarray, date, np.ndarray, np.ndarray, np.ndarray]] = []

    def remind(b: Book, m: int, as_of: date) -> None:
        k = m - b.m0
        open_c = b.open_c[:, : k + 1].sum(axis=2)
        late = (b.deadline[: k + 1] < np.datetime64(as_of - timedelta(days=30), "D"))[None, :] & (open_c > 0)
        has = late.any(axis=1)
        recent = np.zeros(len(has), bool)
        if len(b.rem_emp):
            since = np.datetime64(as_of - timedelta(days=90), "D")
            recent[b.rem_emp[b.rem_sent > since]] = True
        who = np.flatnonzero(has & ~recent)
        if not len(who):
            return
        oldest = np.argmax(late[who], axis=1) + b.m0
        newest = k - np.argmax(late[who][:, ::-1], axis=1) + b.m0
        sent = as_of + timedelta(days=10)
        b.add_reminders(who + 1, np.full(len(who), np.datetime64(sent, "D")), oldest, newest)
        amount = np.where(late[who], open_c[who], 0).sum(axis=1)
        reminders.append((who, sent, oldest, newest, amount))

    kpi = replay(book, dues, first, last, after_close=remind)
    as_of = cfg.reference_date
    entries = book.entries(stamped=True)
    ctx.tables["ledger_entries"] = entries.add_column(
        0, "id", pa.array(np.arange(1, entries.num_rows + 1, dtype=np.int64))
    )
    ctx.tables["reminders"] = _reminders(reminders)
    ctx.tables["ledger_balances"] = balances(book, as_of)
    ctx.tables["ledger_kpis"] = pa.concat_tables([whole for whole, _ in kpi])
    ctx.tables["ledger_area_kpis"] = pa.concat_tables([areas for _, areas in kpi])


def _declarations(ctx: SynthContext) -> pa.Table:
    parts = ctx.tables["participations"]
    si = pc.equal(parts["scheme"], "si").to_numpy(zero_copy_only=False)
    pid = parts["id"].to_numpy()[si]
    person = parts["person_id"].to_numpy()[si]
    emp = parts["employer_id"].to_numpy(zero_copy_only=False)[si].astype(np.int64)
    start = parts["valid_from"].to_numpy(zero_copy_only=False)[si].astype("datetime64[D]")
    end = parts["valid_to"].to_numpy(zero_copy_only=False)[si].astype("datetime64[D]")
    salary = parts["salary"].to_numpy(zero_copy_only=False)[si].astype(np.int64)
    order = np.lexsort((start, emp, person))
    pid, person, emp, start, end, salary = (a[order] for a in (pid, person, emp, start, end, salary))
    same_prev = np.r_[
        False, (person[1:] == person[:-1]) & (emp[1:] == emp[:-1]) & (start[1:] == end[:-1] + DAY)
    ]
    same_next = np.r_[same_prev[1:], False]
    window = first_day(np.array([ctx.config.start_month]))[0]
    joins = start >= window
    leaves = ~np.isnat(end) & ~same_next & (end >= window)
    kind = np.where(same_prev, "salary", "join")
    rows_kind = np.r_[kind[joins], np.full(int(leaves.sum()), "leave")]
    months = np.r_[start[joins], end[leaves] + DAY].astype("datetime64[M]")
    period = pa.array(np.datetime_as_string(months, unit="M").astype(object), pa.string())
    ids = np.r_[pid[joins], pid[leaves]]
    n = len(ids)
    declared = pa.array(
        months.astype("datetime64[D]").astype("datetime64[s]") + np.timedelta64(8, "h"),
        pa.timestamp("s", tz="UTC"),
    ).cast(pa.timestamp("us", tz="UTC"))
    key = pc.binary_join_element_wise(
        "synth", pa.array(rows_kind.astype(object), pa.string()), pc.cast(pa.array(ids), pa.string()), "|"
    )
    sal = np.r_[salary[joins], np.zeros(int(leaves.sum()), np.int64)]
    return pa.table(
        {
            "id": np.arange(1, n + 1, dtype=np.int64),
            "employer_id": np.r_[emp[joins], emp[leaves]],
            "person_id": np.r_[person[joins], person[leaves]],
            "kind": pa.array(rows_kind.astype(object), pa.string()),
            "schemes": pa.array(["si,hi,ui"] * n, pa.string()),
            "from_period": period,
            "to_period": pa.nulls(n, pa.string()),
            "salary": pa.array(sal, pa.int64(), mask=rows_kind == "leave"),
            "source": pa.array(["synth"] * n, pa.string()),
            "key": key,
            "declared_by": pa.array(["synth"] * n, pa.string()),
            "declared_at": declared,
        }
    )


def _payments(ctx: SynthContext, rng: np.random.Generator, due: np.ndarray, first: int) -> pa.Table:
    e, k = np.nonzero(due)
    amount = due[e, k].astype(np.float64)
    month = first + k
    profiles = ctx.arrays["employer_payment_profile"].copy()
    # The largest 2% of payrolls (a steel plant, a port) are watched closely: they pay late at worst.
    size = due.sum(axis=1)
    large = size >= np.quantile(size, 0.98)
    profiles[large & np.isin(profiles, ["partial", "chronic"])] = "late"
    profile = profiles[e]
    n = len(e)
    delay = np.zeros(n, np.int64)  # months after the period's month in which the money arrives
    share = np.ones(n)
    pays = np.ones(n, bool)
    on_time = profile == "on_time"
    delay[on_time] = 1 + (rng.random(on_time.sum()) < 0.05)
    late = (profile == "late") | (profile == "absconded")
    delay[late] = 1 + rng.integers(1, 3, late.sum())
    partial = profile == "partial"
    catch_up = rng.random(n) < 0.25
    share[partial] = np.where(catch_up[partial], 1.75, rng.uniform(0.5, 0.9, partial.sum()))
    delay[partial] = 1
    chronic = profile == "chronic"
    pays[chronic] = rng.random(chronic.sum()) < 0.35
    share[chronic] = rng.uniform(1.8, 3.0, chronic.sum())
    delay[chronic] = 1 + rng.integers(2, 7, chronic.sum())
    absconded = profile == "absconded"
    pays[absconded] &= month[absconded] < ctx.arrays["employer_end_month"][e[absconded]] - 6
    day = rng.integers(0, 27, n)
    value = first_day(month + delay) + day.astype("timedelta64[D]")
    reference = np.datetime64(ctx.config.reference_date, "D")
    keep = pays & (value <= reference)
    e, month, value = e[keep], month[keep], value[keep]
    paid = np.round(amount[keep] * share[keep] / 1000).astype(np.int64) * 1000
    order = np.lexsort((e, value))
    e, month, value, paid = e[order], month[order], value[order], paid[order]
    n = len(e)
    ids = np.arange(1, n + 1, dtype=np.int64)
    txn = pc.binary_join_element_wise(
        "FT",
        pc.strftime(pa.array(value, pa.date32()).cast(pa.timestamp("s")), format="%y%m%d"),
        pc.utf8_lpad(pc.cast(pa.array(ids), pa.string()), 8, "0"),
        "",
    )
    tax = ctx.tables["employers"]["tax_code"].take(pa.array(e))
    label = pc.binary_join_element_wise(
        "BHXH T",
        pa.array(
            np.datetime_as_string(first_day(month).astype("datetime64[M]"), unit="M").astype(object),
            pa.string(),
        ),
        "",
    )
    how = rng.random(n)
    ref = pa.array([reference_of(int(i) + 1) for i in e], pa.string())
    by_tax = pc.binary_join_element_wise(label, "MST", tax, " ")
    by_ref = pc.binary_join_element_wise(ref, "nop", label, " ")
    description = pc.if_else(
        pa.array(how < 0.90),
        by_tax,
        pc.if_else(pa.array(how < 0.97), by_ref, pa.array(["nop tien bao hiem"] * n)),
    )
    # An officer assigns an unmatched credit within weeks; those of the last 45 days still wait.
    assigned = (how >= 0.97) & (value < reference - np.timedelta64(45, "D"))
    matched = (how < 0.97) | assigned
    imported = pa.array((value + np.timedelta64(1, "D")).astype("datetime64[s]"), pa.timestamp("s", tz="UTC"))
    return pa.table(
        {
            "id": ids,
            "bank_txn_id": txn,
            "value_date": pa.array(value, pa.date32()),
            "amount": paid,
            "payer_account": pc.binary_join_element_wise(
                "0", pc.cast(pa.array(e * 7919 + 10**10), pa.string()), ""
            ),
            "description": description,
            "employer_id": pa.array(e + 1, pa.int64(), mask=~matched),
            "matched_by": pa.array(
                np.where(how < 0.90, "tax_code", np.where(matched, "reference", "none")).astype(object),
                pa.string(),
            ),
            "status": pa.array(np.where(matched, "matched", "unmatched").astype(object), pa.string()),
            "source": pa.array(["synth bank statement"] * n, pa.string()),
            "imported_at": imported.cast(pa.timestamp("us", tz="UTC")),
            "assigned_by": pc.if_else(pa.array(assigned), "synth", pa.scalar(None, pa.string())),
        }
    )


def _reminders(batches: list[tuple[np.ndarray, date, np.ndarray, np.ndarray, np.ndarray]]) -> pa.Table:
    def cat(i: int, dtype: str) -> np.ndarray:
        return np.concatenate([b[i] for b in batches]) if batches else np.zeros(0, dtype)

    emp, lo, hi, amount = cat(0, "int64"), cat(2, "int64"), cat(3, "int64"), cat(4, "int64")
    sent = (
        np.concatenate([np.full(len(b[0]), np.datetime64(b[1], "D")) for b in batches])
        if batches
        else np.zeros(0, "datetime64[D]")
    )
    n = len(emp)
    ids = np.arange(1, n + 1, dtype=np.int64)

    def text(months: np.ndarray) -> pa.Array:
        return pa.array(
            np.datetime_as_string((months - 1970 * 12).astype("datetime64[M]"), unit="M").astype(object),
            pa.string(),
        )

    return pa.table(
        {
            "id": ids,
            "number": pc.binary_join_element_wise(
                pc.utf8_lpad(pc.cast(pa.array(ids), pa.string()), 6, "0"), "/TB-BHXH", ""
            ),
            "employer_id": (emp + 1).astype(np.int64),
            "sent_on": pa.array(sent, pa.date32()),
            "period_from": text(lo),
            "period_to": text(hi),
            "amount": amount.astype(np.int64),
            "created_by": pa.array(["synth"] * n, pa.string()),
            "created_at": pa.array(sent.astype("datetime64[s]"), pa.timestamp("s", tz="UTC")).cast(
                pa.timestamp("us", tz="UTC")
            ),
        }
    )


EXTENSION = Extension(
    name="ledger",
    tables=(
        "declarations",
        "payments",
        "reminders",
        "ledger_entries",
        "ledger_balances",
        "ledger_kpis",
        "ledger_area_kpis",
    ),
    step=generate_ledger,
)
