"""Dues posted when a person registers for voluntary SI or a household for household HI.

- voluntary SI (BHXH tự nguyện, Law 41/2024/QH15 Art. 31.2, 36; Decree 159/2025/NĐ-CP Art. 5): the
  amount payable for the chosen payment mode (1, 3, 6 or 12 months) from the ``voluntary``
  calculator — contribution on the chosen income minus the State support of the person's group —
  on the person's account (scheme ``vsi``, party ``person``);
- household HI (BHYT hộ gia đình, Law on Health Insurance Art. 13.1(e)): the ``household_hi``
  calculator's total for the members and months, on the household's account (scheme ``hi``, party
  ``household``).

Each posting carries the calculator's figure and an idempotency key (the same registration posted
twice is refused by the unique key); payment of these accounts is collected by the service agents
and is not modelled here.

>>> # post_voluntary_due(session, person_id=7, period=Period(2026, 1), months=12, actor="thu01")
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ansinh.core.audit import record
from ansinh.law.calculators import household_hi, voluntary
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period
from ansinh.ledger.models import LedgerEntry
from ansinh.registry.models import Participation


class NotRegistered(LookupError):
    """The person has no voluntary SI spell in force in the period."""


def post_voluntary_due(
    session: Session, *, person_id: int, period: Period, months: int, actor: str
) -> LedgerEntry:
    p = Participation
    spell = session.scalar(
        select(p).where(
            p.person_id == person_id,
            p.scheme == "vsi",
            p.valid_from <= period.first_day,
            or_(p.valid_to.is_(None), p.valid_to >= period.first_day),
        )
    )
    if spell is None or spell.income is None:
        raise NotRegistered(person_id)
    result = voluntary(
        get_parameters(),
        period=period,
        income=spell.income,
        group=spell.support_group or "other",
        months=months,
    )
    entry = _entry(
        period,
        "vsi",
        "person",
        int(result["payable"]),
        f"vsi|{person_id}|{period}|{months}",
        person_id=person_id,
    )
    session.add(entry)
    record(
        session,
        actor=actor,
        action="post_due",
        entity="person",
        entity_id=person_id,
        detail={"scheme": "vsi", "period": str(period), "months": months, "amount": entry.amount},
    )
    return entry


def post_household_due(
    session: Session, *, household_id: int, period: Period, members: int, months: int, actor: str
) -> LedgerEntry:
    result = household_hi(get_parameters(), period=period, members=members, months=months)
    entry = _entry(
        period,
        "hi",
        "household",
        int(result["total"]),
        f"hhi|{household_id}|{period}",
        household_id=household_id,
    )
    session.add(entry)
    record(
        session,
        actor=actor,
        action="post_due",
        entity="household",
        entity_id=household_id,
        detail={
            "scheme": "hi",
            "period": str(period),
            "members": members,
            "months": months,
            "amount": entry.amount,
        },
    )
    return entry


def _entry(period: Period, scheme: str, party: str, amount: int, key: str, **account: int) -> LedgerEntry:
    now = datetime.now(UTC)
    return LedgerEntry(
        period=str(period),
        scheme=scheme,
        party=party,
        kind="due",
        item="contribution",
        amount=amount,
        posted_on=now.date(),
        posted_at=now,
        source="registration",
        key=key,
        **account,
    )
