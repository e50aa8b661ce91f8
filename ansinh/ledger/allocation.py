"""Allocation of payments (phân bổ số tiền đã nộp): the oldest open month first; within a month the
schemes in proportion to what each still owes; and the surcharge on what was paid late.

Rules (documented choices; Decree 274/2025/NĐ-CP on the order of application was not read, so the
domain reference's "oldest arrears first" is followed):

- per employer, payments in value-date order pay the open contribution months oldest first;
- a piece of a payment that pays part of a month is split between SI, HI and UI in proportion to
  their open amounts: floor shares, then the đồng left over go to the largest remainders (ties in
  the order si, hi, ui), so the shares always add up to the piece exactly;
- what is paid after the deadline bears the surcharge (lãi chậm đóng, Law 41/2024/QH15 Art. 40.1(b),
  41.1(b)): round(piece × daily rate × days), per scheme (each fund receives its own), days from the
  deadline to the payment's value date, the rate in force on the value date (as the ``surcharge``
  calculator). Days before 1 Jul 2025 are not counted: the earlier regime (Law 58/2014 Art. 122) is
  not modelled and arrears unpaid on 30 Jun 2025 follow the new rule from then (Art. 141.12);
- once no contribution month is open, the rest pays posted surcharges, oldest month first; what is
  left stays as the payment's unallocated credit for later months.

The FIFO is computed for all employers at once as an intersection of intervals on one axis: the
open months of each employer are laid end to end, so are its payments; every boundary of either
cuts a segment that belongs to exactly one (month, payment) pair.

>>> fifo(np.array([1, 1]), np.array([100, 50]), np.array([1]), np.array([120]))
(array([0, 1]), array([0, 0]), array([100,  20]))
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from ansinh.law.parameters import ParameterNotInForce, ParameterSet

IntArray = npt.NDArray[np.int64]
DateArray = npt.NDArray[np.datetime64]


def fifo(
    item_owner: IntArray, item_amount: IntArray, pay_owner: IntArray, pay_amount: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Match items to payments oldest first, per owner. Both inputs are sorted by owner, then in the
    order they are to be used; amounts are positive. Returns (item index, payment index, amount)."""
    item_owner = np.asarray(item_owner, np.int64)
    pay_owner = np.asarray(pay_owner, np.int64)
    item_amount = np.asarray(item_amount, np.int64)
    pay_amount = np.asarray(pay_amount, np.int64)
    empty = np.zeros(0, np.int64)
    if not len(item_owner) or not len(pay_owner):
        return empty, empty, empty
    owners = np.union1d(item_owner, pay_owner)
    oi = np.searchsorted(owners, item_owner)
    op = np.searchsorted(owners, pay_owner)
    total_i = np.zeros(len(owners), np.int64)
    total_p = np.zeros(len(owners), np.int64)
    np.add.at(total_i, oi, item_amount)
    np.add.at(total_p, op, pay_amount)
    span = np.maximum(total_i, total_p)
    offset = np.concatenate([[0], np.cumsum(span)[:-1]])

    def starts(owner_idx: IntArray, amount: IntArray, totals: IntArray) -> tuple[IntArray, IntArray]:
        before = np.concatenate([[0], np.cumsum(totals)[:-1]])
        end = np.cumsum(amount) - before[owner_idx] + offset[owner_idx]
        return end - amount, end

    i_start, i_end = starts(oi, item_amount, total_i)
    p_start, p_end = starts(op, pay_amount, total_p)
    cuts = np.unique(np.concatenate([i_start, i_end, p_start, p_end]))
    left, right = cuts[:-1], cuts[1:]
    i = np.searchsorted(i_start, left, side="right") - 1
    j = np.searchsorted(p_start, left, side="right") - 1
    ok = (i >= 0) & (j >= 0)
    i, j, left, right = i[ok], j[ok], left[ok], right[ok]
    ok = (i_end[i] > left) & (p_end[j] > left) & (oi[i] == op[j])
    return i[ok].astype(np.int64), j[ok].astype(np.int64), (right - left)[ok].astype(np.int64)


def split_proportionally(piece: IntArray, owed: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Split each ``piece`` over the columns of ``owed`` (rows × schemes, non-negative) in proportion,
    exactly: floor shares, then the remaining đồng to the largest remainders (first column on ties).

    >>> split_proportionally(np.array([100]), np.array([[1, 1, 1]]))
    array([[34, 33, 33]])
    """
    piece = np.asarray(piece, np.int64)
    owed = np.asarray(owed, np.int64)
    total = owed.sum(axis=1)
    # Python integers: piece × owed can pass 2**63 for the largest employers.
    num = piece.astype(object)[:, None] * owed.astype(object)
    den = np.where(total > 0, total, 1).astype(object)[:, None]
    share = (num // den).astype(np.int64)
    remainder = (num % den).astype(np.float64) / den.astype(np.float64)
    left = piece - share.sum(axis=1)
    k = owed.shape[1]
    # rank columns by remainder (largest first, earlier column on ties)
    order = np.argsort(-remainder + np.arange(k)[None, :] * 1e-12, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(k)[None, :].repeat(len(piece), axis=0), axis=1)
    out: npt.NDArray[np.int64] = share + (rank < left[:, None]).astype(np.int64)
    return out


def surcharge_days(deadline: DateArray, value_date: DateArray, params: ParameterSet) -> IntArray:
    """Days late counted for the surcharge: from the deadline (or 30 Jun 2025, before which the
    rule was not in force) to the value date; 0 when paid on time."""
    first = params.history("late_payment_surcharge_daily_rate")[0].valid_from
    floor = np.datetime64(first - timedelta(days=1), "D")
    start = np.maximum(deadline.astype("datetime64[D]"), floor)
    days = (value_date.astype("datetime64[D]") - start).astype(np.int64)
    out: IntArray = np.maximum(days, 0)
    return out


def surcharge_amounts(
    amount: IntArray, days: IntArray, value_date: DateArray, params: ParameterSet
) -> IntArray:
    """round(amount × daily rate in force on the value date × days), half up, exactly in integers
    (the same đồng as :func:`ansinh.law.calculators.surcharge`)."""
    amount = np.asarray(amount, np.int64)
    out = np.zeros(len(amount), np.int64)
    if not len(amount):
        return out
    dates = value_date.astype("datetime64[D]")
    for day in np.unique(dates[days > 0]):
        at = date.fromisoformat(str(day))
        try:
            rate = params.rate("late_payment_surcharge_daily_rate", at)
        except ParameterNotInForce:
            continue
        exponent = rate.normalize().as_tuple().exponent
        assert isinstance(exponent, int)
        scale = 10 ** max(0, -exponent)
        numerator = int(rate * scale)
        sel = (dates == day) & (days > 0)
        out[sel] = (2 * amount[sel] * numerator * days[sel] + scale) // (2 * scale)
    return out
