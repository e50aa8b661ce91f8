"""The ledger in memory: dense arrays employer × month × scheme, closed month after month.

A :class:`Book` holds what the posted entries add up to (dues per party, open contributions and
open surcharges per scheme), the payments with their unallocated remainder and the reminders. A
close (:meth:`Book.close`) posts, for one ``as_of`` date:

1. the difference between the dues computed for the repriced months and what was posted — a ``due``
   the first time, an ``adjustment`` afterwards (never an edit); a second identical close posts
   nothing;
2. the allocation of every matched payment received by ``as_of`` that still has money left
   (:mod:`ansinh.ledger.allocation`), with the surcharge on the late part;

and the new entries accumulate in :attr:`Book.new` until :meth:`Book.entries` hands them over as
one Arrow table. The month-end close of the operational database (:mod:`ansinh.ledger.close`) and
the synthetic province (:mod:`ansinh.ledger.synth`) both drive this class, so they post the same
entries from the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.law.parameters import ParameterSet, get_parameters
from ansinh.ledger.allocation import fifo, split_proportionally, surcharge_amounts, surcharge_days
from ansinh.ledger.periods import deadlines, last_day, period_text

IntArray = npt.NDArray[np.int64]
SCHEMES = ("si", "hi", "ui")
PARTIES = ("employee", "employer")
ENTRY_PARTIES = (*PARTIES, "all")  # payments and surcharges are posted for all parties at once
ALL_PARTIES = len(PARTIES)
KINDS = ("due", "adjustment", "surcharge", "payment", "reversal")
ITEMS = ("contribution", "surcharge")
NO_PAYMENT = -1

ENTRY_SCHEMA = pa.schema(
    [
        ("employer_id", pa.int64()),
        ("period", pa.string()),
        ("scheme", pa.string()),
        ("party", pa.string()),
        ("kind", pa.string()),
        ("item", pa.string()),
        ("amount", pa.int64()),
        ("posted_on", pa.date32()),
        ("posted_at", pa.timestamp("us", tz="UTC")),
        ("payment_id", pa.int64()),
        ("source", pa.string()),
        ("key", pa.string()),
    ]
)


@dataclass
class Block:
    """New entries of one kind from one step, as parallel arrays (indices into the book's axes)."""

    employer: IntArray
    month: IntArray
    scheme: IntArray
    party: IntArray  # index into ENTRY_PARTIES
    kind: str
    item: str
    amount: IntArray
    posted_on: date
    payment: IntArray
    key_tail: str | list[str]  # one text for every entry, or one per entry


@dataclass
class PreparedDues:
    """Dues as arrays: month, employer index, scheme code, party (1 = employer), amount."""

    m: IntArray
    employer: IntArray
    scheme: IntArray
    party: IntArray
    amount: IntArray


@dataclass
class Book:
    """Dense state of the employer accounts. ``months`` is the axis ``m0 .. m0 + n - 1``."""

    employer_ids: IntArray
    m0: int
    n_months: int
    params: ParameterSet = field(default_factory=get_parameters)
    source: str = "close"

    def __post_init__(self) -> None:
        e, m = len(self.employer_ids), self.n_months
        self.posted = np.zeros((e, m, 3, 2), np.int64)
        self.has_due = np.zeros((e, m, 3, 2), bool)
        self.n_adjust = np.zeros((e, m, 3, 2), np.int64)
        self.open_c = np.zeros((e, m, 3), np.int64)
        self.open_s = np.zeros((e, m, 3), np.int64)
        self.surcharge_posted = np.zeros((e, m), np.int64)
        #: Months whose dues ``posted`` holds in full; for the others (loaded from the database as
        #: open employer-months only) ``due_open`` holds the dues of the open employer-months.
        self.dues_known = np.ones(m, bool)
        self.due_open = np.zeros((e, m), np.int64)
        #: Dues and adjustments per month (all employers), for months not in ``dues_known``.
        self.period_dues = np.zeros(m, np.int64)
        #: Dues and adjustments per employer × month for months not in ``dues_known`` where they
        #: were read (the year's earlier months: each commune's receivable of the year).
        self.dues_outside = np.zeros((e, m), np.int64)
        #: Each employer's commune (index into ``area_codes``; -1: none known).
        self.area = np.full(e, -1, np.int64)
        self.area_codes: list[str] = []
        self.pay_id = np.zeros(0, np.int64)
        self.pay_emp = np.zeros(0, np.int64)
        self.pay_date = np.zeros(0, "datetime64[D]")
        self.pay_amount = np.zeros(0, np.int64)
        self.pay_left = np.zeros(0, np.int64)
        self.rem_emp = np.zeros(0, np.int64)
        self.rem_sent = np.zeros(0, "datetime64[D]")
        self.rem_from = np.zeros(0, np.int64)
        self.rem_to = np.zeros(0, np.int64)
        self.closed_on = np.full(e, np.datetime64("NaT"), "datetime64[D]")
        self.deadline = deadlines(np.arange(self.m0, self.m0 + m, dtype=np.int64), self.params)
        self.new: list[Block] = []

    # --- loading ---------------------------------------------------------------------------------

    def employer_index(self, ids: npt.ArrayLike) -> IntArray:
        ids = np.asarray(ids, np.int64)
        idx = np.searchsorted(self.employer_ids, ids)
        idx = np.minimum(idx, len(self.employer_ids) - 1)
        if len(ids) and not np.all(self.employer_ids[idx] == ids):
            missing = ids[self.employer_ids[idx] != ids][:5]
            raise KeyError(f"unknown employer ids {missing.tolist()}")
        return idx.astype(np.int64)

    def month_index(self, months: npt.ArrayLike) -> IntArray:
        mi = np.asarray(months, np.int64) - self.m0
        if len(mi) and (mi.min() < 0 or mi.max() >= self.n_months):
            raise ValueError("a period lies outside the book's months")
        return mi

    def load_dues(self, sums: pa.Table) -> None:
        """Posted dues and adjustments per (employer_id, m, scheme, party, kind): amount, entries."""
        if not sums.num_rows:
            return
        e = self.employer_index(sums["employer_id"].to_numpy(zero_copy_only=False))
        m = self.month_index(sums["m"].to_numpy(zero_copy_only=False))
        s = _codes(sums["scheme"], SCHEMES)
        kind = np.asarray(sums["kind"].to_pylist(), dtype=object)
        p = pc.equal(sums["party"], "employer").to_numpy(zero_copy_only=False).astype(np.int64)
        amount = sums["amount"].to_numpy(zero_copy_only=False).astype(np.int64)
        count = sums["entries"].to_numpy(zero_copy_only=False).astype(np.int64)
        np.add.at(self.posted, (e, m, s, p), amount)
        due = kind == "due"
        self.has_due[e[due], m[due], s[due], p[due]] = True
        adj = kind == "adjustment"
        np.add.at(self.n_adjust, (e[adj], m[adj], s[adj], p[adj]), count[adj])

    def load_open(self, cells: pa.Table, months: pa.Table) -> None:
        """Open cells per (employer_id, m, scheme, item): amount; and per open employer-month
        (employer_id, m): its dues (``due``) and the surcharge posted on it (``surcharge``)."""
        if cells.num_rows:
            e = self.employer_index(cells["employer_id"].to_numpy(zero_copy_only=False))
            m = self.month_index(cells["m"].to_numpy(zero_copy_only=False))
            s = _codes(cells["scheme"], SCHEMES)
            c = pc.equal(cells["item"], "contribution").to_numpy(zero_copy_only=False)
            amount = cells["amount"].to_numpy(zero_copy_only=False).astype(np.int64)
            np.add.at(self.open_c, (e[c], m[c], s[c]), amount[c])
            np.add.at(self.open_s, (e[~c], m[~c], s[~c]), amount[~c])
        if months.num_rows:
            e = self.employer_index(months["employer_id"].to_numpy(zero_copy_only=False))
            m = self.month_index(months["m"].to_numpy(zero_copy_only=False))
            np.add.at(self.surcharge_posted, (e, m), months["surcharge"].to_numpy(zero_copy_only=False))
            np.add.at(self.due_open, (e, m), months["due"].to_numpy(zero_copy_only=False).astype(np.int64))

    def period_totals(self) -> npt.NDArray[np.int64]:
        """Dues and adjustments per month, all employers."""
        out: npt.NDArray[np.int64] = np.where(
            self.dues_known, self.posted.sum(axis=(0, 2, 3)), self.period_dues
        )
        return out

    def set_areas(self, codes: list[str | None]) -> None:
        """The commune of each employer, in the order of ``employer_ids``."""
        self.area_codes = sorted({c for c in codes if c})
        where = {c: i for i, c in enumerate(self.area_codes)}
        self.area = np.array([where[c] if c else -1 for c in codes], np.int64)

    def employer_dues(self) -> npt.NDArray[np.int64]:
        """Dues and adjustments per employer × month: posted where known, else as read."""
        out: npt.NDArray[np.int64] = np.where(
            self.dues_known[None, :], self.posted.sum(axis=(2, 3)), self.dues_outside
        )
        return out

    def month_dues(self) -> npt.NDArray[np.int64]:
        """Dues and adjustments per employer × month, for the months the snapshot shows."""
        out: npt.NDArray[np.int64] = np.where(
            self.dues_known[None, :], self.posted.sum(axis=(2, 3)), self.due_open
        )
        return out

    def add_payments(
        self,
        ids: IntArray,
        employer_ids: IntArray,
        value_date: Any,
        amount: IntArray,
        left: IntArray | None = None,
    ) -> None:
        """Matched payments (``left``: what is not allocated yet; default all of it)."""
        self.pay_id = np.concatenate([self.pay_id, np.asarray(ids, np.int64)])
        self.pay_emp = np.concatenate([self.pay_emp, self.employer_index(employer_ids)])
        self.pay_date = np.concatenate([self.pay_date, np.asarray(value_date, "datetime64[D]")])
        amount = np.asarray(amount, np.int64)
        self.pay_amount = np.concatenate([self.pay_amount, amount])
        self.pay_left = np.concatenate(
            [self.pay_left, amount if left is None else np.asarray(left, np.int64)]
        )

    def add_reminders(self, employer_ids: IntArray, sent: Any, first: IntArray, last: IntArray) -> None:
        self.rem_emp = np.concatenate([self.rem_emp, self.employer_index(employer_ids)])
        self.rem_sent = np.concatenate([self.rem_sent, np.asarray(sent, "datetime64[D]")])
        self.rem_from = np.concatenate([self.rem_from, np.asarray(first, np.int64)])
        self.rem_to = np.concatenate([self.rem_to, np.asarray(last, np.int64)])

    # --- the close -------------------------------------------------------------------------------

    def close(
        self, as_of: date, dues: pa.Table | PreparedDues | None = None, months: IntArray | None = None
    ) -> None:
        """Post the dues differences of ``months`` (from ``dues``: employer_id, m, scheme, party,
        amount) and allocate the payments received by ``as_of``."""
        if dues is not None and months is not None and len(months):
            self._post_dues(as_of, dues, np.asarray(months, np.int64))
        self._allocate(as_of)

    def prepare(self, dues: pa.Table) -> PreparedDues:
        """Dues as index arrays sorted by month (converted once, sliced per close)."""
        m = dues["m"].to_numpy(zero_copy_only=False).astype(np.int64)
        order = np.argsort(m, kind="stable")
        party = pc.equal(dues["party"], "employer").to_numpy(zero_copy_only=False)
        return PreparedDues(
            m[order],
            self.employer_index(dues["employer_id"].to_numpy(zero_copy_only=False))[order],
            _codes(dues["scheme"], SCHEMES)[order],
            party.astype(np.int64)[order],
            dues["amount"].to_numpy(zero_copy_only=False).astype(np.int64)[order],
        )

    def _post_dues(self, as_of: date, dues: pa.Table | PreparedDues, months: IntArray) -> None:
        prepared = dues if isinstance(dues, PreparedDues) else self.prepare(dues)
        months = np.unique(months)
        mi = self.month_index(months)
        target = np.zeros((len(self.employer_ids), len(mi), 3, 2), np.int64)
        lo = np.searchsorted(prepared.m, months[0], side="left")
        hi = np.searchsorted(prepared.m, months[-1], side="right")
        m_sel = prepared.m[lo:hi]
        keep = np.isin(m_sel, months)
        col = np.searchsorted(months, m_sel[keep])
        np.add.at(
            target,
            (prepared.employer[lo:hi][keep], col, prepared.scheme[lo:hi][keep], prepared.party[lo:hi][keep]),
            prepared.amount[lo:hi][keep],
        )
        diff = target - self.posted[:, mi]
        e, k, s, p = np.nonzero(diff)
        if not len(e):
            return
        m = mi[k]
        amount = diff[e, k, s, p]
        first = ~self.has_due[e, m, s, p]
        parties = p
        for is_due in (True, False):
            sel = first if is_due else ~first
            if not sel.any():
                continue
            seq = self.n_adjust[e[sel], m[sel], s[sel], p[sel]] + 1
            tails: str | list[str] = "" if is_due else [f"|{n}" for n in seq.tolist()]
            self.new.append(
                Block(
                    e[sel],
                    m[sel],
                    s[sel],
                    parties[sel],
                    "due" if is_due else "adjustment",
                    "contribution",
                    amount[sel],
                    as_of,
                    np.full(int(sel.sum()), NO_PAYMENT),
                    tails,
                )
            )
        self.has_due[e, m, s, p] = True
        np.add.at(self.n_adjust, (e[~first], m[~first], s[~first], p[~first]), 1)
        np.add.at(self.posted, (e, m, s, p), amount)
        np.add.at(self.open_c, (e, m, s), amount)

    def _allocate(self, as_of: date) -> None:
        ready = (self.pay_left > 0) & (self.pay_date <= np.datetime64(as_of, "D"))
        if not ready.any():
            return
        for item in ITEMS:
            pays = np.flatnonzero(ready & (self.pay_left > 0))
            if not len(pays):
                return
            self._allocate_item(as_of, item, pays)

    def _allocate_item(self, as_of: date, item: str, pays: IntArray) -> None:
        opens = self.open_c if item == "contribution" else self.open_s
        payers = np.unique(self.pay_emp[pays])
        owed = np.maximum(opens[payers], 0)  # (payers, months, schemes); credits are not items
        per_month = owed.sum(axis=2)
        pe, pm = np.nonzero(per_month)  # C order: by employer, then oldest month first
        if not len(pe):
            return
        order = np.lexsort((self.pay_id[pays], self.pay_date[pays], self.pay_emp[pays]))
        pays = pays[order]
        items_i, pay_j, piece = fifo(payers[pe], per_month[pe, pm], self.pay_emp[pays], self.pay_left[pays])
        if not len(piece):
            return
        emp = payers[pe[items_i]]
        month = pm[items_i]
        payment = pays[pay_j]
        shares = _split_in_turn(items_i, piece, owed[pe, pm])
        np.subtract.at(self.pay_left, payment, piece)
        e3, s3 = np.repeat(emp, 3), np.tile(np.arange(3), len(emp))
        m3, pay3 = np.repeat(month, 3), np.repeat(payment, 3)
        amt3 = shares.reshape(-1)
        nz = amt3 != 0
        e3, s3, m3, pay3, amt3 = e3[nz], s3[nz], m3[nz], pay3[nz], amt3[nz]
        np.subtract.at(opens, (e3, m3, s3), amt3)
        tail = f"|{as_of.isoformat()}"
        self.new.append(
            Block(
                e3,
                m3,
                s3,
                np.full(len(e3), ALL_PARTIES),
                "payment",
                item,
                -amt3,
                as_of,
                self.pay_id[pay3],
                f"|{item}{tail}",
            )
        )
        if item != "contribution":
            return
        days = surcharge_days(self.deadline[m3], self.pay_date[pay3], self.params)
        extra = surcharge_amounts(amt3, days, self.pay_date[pay3], self.params)
        nz = extra != 0
        if nz.any():
            self.new.append(
                Block(
                    e3[nz],
                    m3[nz],
                    s3[nz],
                    np.full(int(nz.sum()), ALL_PARTIES),
                    "surcharge",
                    "surcharge",
                    extra[nz],
                    as_of,
                    self.pay_id[pay3[nz]],
                    tail,
                )
            )
            np.add.at(self.open_s, (e3[nz], m3[nz], s3[nz]), extra[nz])
            np.add.at(self.surcharge_posted, (e3[nz], m3[nz]), extra[nz])

    # --- output ----------------------------------------------------------------------------------

    def entries(self, *, stamped: bool = False) -> pa.Table:
        """The new entries as rows of ``ledger_entries`` (without ids), and forget them. ``posted_at``
        is now, or (``stamped``, for reproducible synthetic data) 17:00 UTC of the posting date."""
        now = datetime.now(UTC)
        tables = [
            self._block_table(b, datetime.combine(b.posted_on, time(17), UTC) if stamped else now)
            for b in self.new
            if len(b.amount)
        ]
        self.new = []
        if not tables:
            return ENTRY_SCHEMA.empty_table()
        return pa.concat_tables(tables)

    def _block_table(self, b: Block, posted_at: datetime) -> pa.Table:
        n = len(b.amount)
        employer = self.employer_ids[b.employer]
        period_names = pa.array([period_text(m) for m in range(self.m0, self.m0 + self.n_months)])
        period = pc.take(period_names, pa.array(b.month))
        scheme = pc.take(pa.array(SCHEMES), pa.array(b.scheme))
        party = pc.take(pa.array(ENTRY_PARTIES), pa.array(b.party))
        emp_text = pc.cast(pa.array(employer), pa.string())
        pay_text = pc.cast(pa.array(b.payment), pa.string())
        tail = (
            pa.repeat(pa.scalar(b.key_tail, pa.string()), n)
            if isinstance(b.key_tail, str)
            else pa.array(b.key_tail, pa.string())
        )
        if b.kind in ("due", "adjustment"):
            prefix = "due" if b.kind == "due" else "adj"
            key = pc.binary_join_element_wise(prefix, period, emp_text, scheme, party, "|")
        elif b.kind == "surcharge":
            key = pc.binary_join_element_wise("sur", pay_text, period, scheme, "|")
        else:
            key = pc.binary_join_element_wise("pay", pay_text, period, scheme, "|")
        key = pc.binary_join_element_wise(key, tail, "")
        return pa.table(
            {
                "employer_id": pa.array(employer, pa.int64()),
                "period": period,
                "scheme": scheme,
                "party": party,
                "kind": pa.repeat(pa.scalar(b.kind, pa.string()), n),
                "item": pa.repeat(pa.scalar(b.item, pa.string()), n),
                "amount": pa.array(np.asarray(b.amount, np.int64)),
                "posted_on": pa.repeat(pa.scalar(b.posted_on, pa.date32()), n),
                "posted_at": pa.repeat(pa.scalar(posted_at, pa.timestamp("us", tz="UTC")), n),
                "payment_id": pa.array(b.payment, pa.int64(), mask=b.payment == NO_PAYMENT),
                "source": pa.repeat(pa.scalar(self.source, pa.string()), n),
                "key": key,
            },
            schema=ENTRY_SCHEMA,
        )

    def reminded(self, as_of: date) -> npt.NDArray[np.bool_]:
        """employer × month: a written reminder covering the month was sent by ``as_of``."""
        out = np.zeros((len(self.employer_ids), self.n_months), bool)
        sent = self.rem_sent <= np.datetime64(as_of, "D")
        for r in np.flatnonzero(sent):
            a = max(0, int(self.rem_from[r]) - self.m0)
            b = min(self.n_months - 1, int(self.rem_to[r]) - self.m0)
            if a <= b:
                out[self.rem_emp[r], a : b + 1] = True
        return out

    def last_day_of(self, m: int) -> date:
        return last_day(self.m0 + m)


def _split_in_turn(items: IntArray, piece: IntArray, owed: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Split each piece over the schemes of its item; when several payments pay one month, each is
    split on what the earlier ones left, so the month's schemes are paid exactly, never beyond."""
    left = owed.copy()
    shares = np.zeros((len(piece), owed.shape[1]), np.int64)
    start = np.r_[0, np.flatnonzero(np.diff(items)) + 1]  # pieces of one item are consecutive
    rank = np.arange(len(items)) - np.repeat(start, np.diff(np.r_[start, len(items)]))
    for k in range(int(rank.max()) + 1 if len(rank) else 0):
        sel = np.flatnonzero(rank == k)
        shares[sel] = split_proportionally(piece[sel], left[items[sel]])
        left[items[sel]] -= shares[sel]
    return shares


def _codes(column: pa.ChunkedArray | pa.Array, names: tuple[str, ...]) -> IntArray:
    values = np.asarray(column.to_pylist(), dtype=object)
    out = np.full(len(values), -1, np.int64)
    for i, name in enumerate(names):
        out[values == name] = i
    if (out < 0).any():
        raise ValueError(f"unexpected value {values[out < 0][0]!r}; expected one of {names}")
    return out
