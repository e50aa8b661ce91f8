"""Cost monitoring (theo dõi chi KCB BHYT): spending by facility and month against each facility's annual
allocation (dự toán), the pace, a linear forecast for the year and alerts for facilities over their pace.

Spending of a month is the approved amount (T_BHTT less what the review disallowed; episodes not yet
reviewed count at T_BHTT). Pace after ``m`` months is ``allocation × m / 12``; a facility is alerted
when its spending so far exceeds the pace by more than :data:`ALERT_MARGIN`. Forecast: spending so far
× 12 / m. Example: allocation 1,200 million, 5 months spent 600 million → pace 500 million, 20% over
(alert), forecast 1,440 million.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ansinh.claims.models import ClaimAllocation, ClaimEpisode, ClaimFacility, ClaimReview

ALERT_MARGIN = 0.10


@dataclass
class FacilitySpending:
    code: str
    name: str
    allocation: int
    by_month: dict[int, int] = field(default_factory=dict)

    @property
    def spent(self) -> int:
        return sum(self.by_month.values())

    def pace(self, months: int) -> int:
        return self.allocation * months // 12

    def forecast(self, months: int) -> int:
        return self.spent * 12 // months if months else 0

    def over_pace(self, months: int) -> float:
        pace = self.pace(months)
        return (self.spent - pace) / pace if pace else 0.0


@dataclass
class Monitoring:
    year: int
    months: int  # months with data
    facilities: list[FacilitySpending]
    totals: dict[int, int]

    def alerts(self) -> list[FacilitySpending]:
        return sorted(
            (f for f in self.facilities if f.allocation and f.over_pace(self.months) > ALERT_MARGIN),
            key=lambda f: -f.over_pace(self.months),
        )


def monitoring(session: Session, year: int) -> Monitoring:
    spent = func.sum(func.coalesce(ClaimReview.approved, ClaimEpisode.fund_claimed))
    rows = session.execute(
        select(ClaimEpisode.facility_code, ClaimEpisode.settle_month, spent)
        .outerjoin(ClaimReview, ClaimReview.episode_id == ClaimEpisode.id)
        .where(ClaimEpisode.settle_year == year, ClaimEpisode.superseded.is_(False))
        .group_by(ClaimEpisode.facility_code, ClaimEpisode.settle_month)
    ).all()
    names = dict(session.execute(select(ClaimFacility.code, ClaimFacility.name)).tuples().all())
    allocations = dict(
        session.execute(
            select(ClaimAllocation.facility_code, ClaimAllocation.amount).where(ClaimAllocation.year == year)
        )
        .tuples()
        .all()
    )
    by_code: dict[str, FacilitySpending] = {}
    totals: dict[int, int] = {}
    for code, month, amount in rows:
        item = by_code.setdefault(
            code, FacilitySpending(code, names.get(code, code), allocations.get(code, 0))
        )
        item.by_month[int(month)] = int(amount or 0)
        totals[int(month)] = totals.get(int(month), 0) + int(amount or 0)
    months = max(totals) if totals else 0
    facilities = sorted(by_code.values(), key=lambda f: -f.spent)
    return Monitoring(year, months, facilities, totals)


def bar_chart(values: dict[int, int], width: int = 720, height: int = 220) -> str:
    """An inline SVG bar chart of spending by month (server-side, no script)."""
    if not values:
        return ""
    top = max(values.values()) or 1
    bar_w = (width - 60) / 12
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="spending by month">']
    for m in range(1, 13):
        v = values.get(m, 0)
        h = (height - 50) * v / top
        x = 50 + (m - 1) * bar_w
        parts.append(
            f'<rect class="bar s-hi" x="{x + 4:.1f}" y="{height - 30 - h:.1f}" width="{bar_w - 8:.1f}" '
            f'height="{h:.1f}"><title>{m:02d}: {v:,}</title></rect>'
        )
        parts.append(f'<text class="tick" x="{x + bar_w / 2:.1f}" y="{height - 12}">{m:02d}</text>')
    parts.append(f'<text class="val" x="0" y="14">{top / 1e6:,.0f} tr.đ</text></svg>')
    return "".join(parts)
