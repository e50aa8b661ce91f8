"""The reviewer's work (giám định viên): the ranked queue, one episode with everything needed to decide,
and decisions on findings (uphold or override, with a reason, audited).

When every finding of an episode is decided, the episode is closed: the amount disallowed (xuất toán) is
the sum of the upheld findings, capped at ``T_BHTT``; the rest is approved for payment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ansinh.claims.models import ClaimEpisode, ClaimFinding, ClaimLine, ClaimReview
from ansinh.core.audit import record
from ansinh.core.scope import AreaScope
from ansinh.registry.models import Participation, Person


class DecisionError(ValueError):
    pass


@dataclass(frozen=True)
class QueueRow:
    episode_id: int
    ma_lk: str
    facility_code: str
    card_number: str
    admitted_at: datetime
    fund_claimed: int
    risk: int
    priority: int
    rules: str


def queue(
    session: Session, limit: int = 100, offset: int = 0, scope: AreaScope | None = None
) -> list[QueueRow]:
    """Open episodes sent to a reviewer, highest risk × amount first. With a commune ``scope``, only
    the episodes of patients living there (the registry's holders of the cards)."""
    query = (
        select(ClaimReview, ClaimEpisode)
        .join(ClaimEpisode, ClaimEpisode.id == ClaimReview.episode_id)
        .where(ClaimReview.outcome == "review", ClaimReview.closed.is_(False))
        .order_by(ClaimReview.priority.desc(), ClaimReview.episode_id)
        .limit(limit)
        .offset(offset)
    )
    if scope is not None and not scope.is_province:
        cards = (
            select(Participation.hi_card_number)
            .join(Person, Person.id == Participation.person_id)
            .where(Person.commune_code == scope.commune_code, Participation.hi_card_number.is_not(None))
        )
        query = query.where(ClaimEpisode.card_number.in_(cards))
    rows = session.execute(query).all()
    ids = [r.ClaimEpisode.id for r in rows]
    rules: dict[int, list[str]] = {}
    if ids:
        for episode_id, code in session.execute(
            select(ClaimFinding.episode_id, ClaimFinding.rule_code).where(ClaimFinding.episode_id.in_(ids))
        ):
            rules.setdefault(episode_id, []).append(code)
    return [
        QueueRow(
            r.ClaimEpisode.id,
            r.ClaimEpisode.ma_lk,
            r.ClaimEpisode.facility_code,
            r.ClaimEpisode.card_number,
            r.ClaimEpisode.admitted_at,
            r.ClaimEpisode.fund_claimed,
            r.ClaimReview.risk,
            r.ClaimReview.priority,
            " ".join(sorted(set(rules.get(r.ClaimEpisode.id, [])))),
        )
        for r in rows
    ]


def outcome_counts(session: Session) -> dict[str, int]:
    counts = dict(
        session.execute(select(ClaimReview.outcome, func.count()).group_by(ClaimReview.outcome))
        .tuples()
        .all()
    )
    open_ = session.scalar(
        select(func.count())
        .select_from(ClaimReview)
        .where(ClaimReview.outcome == "review", ClaimReview.closed.is_(False))
    )
    return {
        "accepted": counts.get("accepted", 0),
        "deducted": counts.get("deducted", 0),
        "review": counts.get("review", 0),
        "open": open_ or 0,
    }


@dataclass
class EpisodeView:
    episode: ClaimEpisode
    review: ClaimReview | None
    lines: list[ClaimLine]
    findings: list[tuple[ClaimFinding, dict[str, Any]]]
    history: list[ClaimEpisode]


def episode_view(session: Session, episode_id: int, *, actor: str) -> EpisodeView | None:
    episode = session.get(ClaimEpisode, episode_id)
    if episode is None:
        return None
    lines = list(
        session.scalars(
            select(ClaimLine)
            .where(ClaimLine.episode_id == episode_id)
            .order_by(ClaimLine.source, ClaimLine.seq)
        )
    )
    findings = [
        (f, json.loads(f.evidence))
        for f in session.scalars(
            select(ClaimFinding).where(ClaimFinding.episode_id == episode_id).order_by(ClaimFinding.rule_code)
        )
    ]
    since = episode.admitted_at - timedelta(days=365)
    history = list(
        session.scalars(
            select(ClaimEpisode)
            .where(
                ClaimEpisode.card_number == episode.card_number,
                ClaimEpisode.admitted_at >= since,
                ClaimEpisode.id != episode.id,
                ClaimEpisode.superseded.is_(False),
            )
            .order_by(ClaimEpisode.admitted_at.desc())
            .limit(30)
        )
    )
    record(session, actor=actor, action="view", entity="claim_episode", entity_id=episode_id)
    return EpisodeView(episode, session.get(ClaimReview, episode_id), lines, findings, history)


def decide(session: Session, finding_id: int, *, uphold: bool, reason: str, actor: str) -> ClaimFinding:
    """Uphold or override a finding with a reason; close the episode when nothing is left open."""
    reason = reason.strip()
    if len(reason) < 5:
        raise DecisionError("a reason of at least 5 characters is required")
    finding = session.get(ClaimFinding, finding_id)
    if finding is None:
        raise DecisionError("no such finding")
    if finding.status != "open":
        raise DecisionError("the finding was already decided")
    finding.status = "upheld" if uphold else "overridden"
    finding.reason = reason[:2000]
    finding.decided_by = actor[:64]
    finding.decided_at = datetime.now(UTC)
    record(
        session,
        actor=actor,
        action="claims_decide",
        entity="claim_finding",
        entity_id=finding_id,
        detail={
            "episode_id": finding.episode_id,
            "rule": finding.rule_code,
            "status": finding.status,
            "amount": finding.amount,
            "reason": finding.reason,
        },
    )
    session.flush()
    others = session.scalars(select(ClaimFinding).where(ClaimFinding.episode_id == finding.episode_id)).all()
    if all(f.status != "open" for f in others):
        episode = session.get(ClaimEpisode, finding.episode_id)
        review = session.get(ClaimReview, finding.episode_id)
        if episode is not None and review is not None:
            upheld = sum(f.amount for f in others if f.status == "upheld")
            review.disallowed = min(episode.fund_claimed, upheld)
            review.approved = episode.fund_claimed - review.disallowed
            review.closed = True
    return finding
