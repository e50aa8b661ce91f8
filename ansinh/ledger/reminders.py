"""Written reminders (văn bản đôn đốc, Law 41/2024/QH15 Art. 35): recorded per employer with the months
they cover, so that a month more than 60 days late AND reminded becomes evasion (trốn đóng, Art.
39.1(đ), (e)) at the next close. The letter itself is :func:`ansinh.ledger.statement.reminder_pdf`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ansinh.core.audit import record
from ansinh.ledger.models import LedgerBalance, Reminder


class NothingToRemind(ValueError):
    """The employer has no month past its deadline."""


def create_reminder(
    session: Session, employer_id: int, *, actor: str, sent_on: date | None = None
) -> Reminder:
    """Record a reminder covering every month of the employer that is open and past its deadline."""
    b = LedgerBalance
    first, last, amount = session.execute(
        select(func.min(b.period), func.max(b.period), func.sum(b.open_amount)).where(
            b.employer_id == employer_id, b.open_amount > 0, b.days_late > 0
        )
    ).one()
    if first is None:
        raise NothingToRemind(employer_id)
    sent_on = sent_on or date.today()
    count = session.scalar(select(func.count()).select_from(Reminder)) or 0
    reminder = Reminder(
        number=f"{count + 1:06d}/{sent_on.year}/TB-BHXH",
        employer_id=employer_id,
        sent_on=sent_on,
        period_from=first,
        period_to=last,
        amount=int(amount),
        created_by=actor,
        created_at=datetime.now(UTC),
    )
    session.add(reminder)
    session.flush()
    record(
        session,
        actor=actor,
        action="remind",
        entity="employer",
        entity_id=employer_id,
        detail={"number": reminder.number, "periods": f"{first}..{last}", "amount": int(amount)},
    )
    return reminder
