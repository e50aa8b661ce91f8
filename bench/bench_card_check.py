"""Check-in card look-up (tra cứu thẻ BHYT) on the 1.3M-person province: p50/p95 of the service
function and of ``GET /api/v1/claims/card-check``, medians of several runs, with the load average.

    ANSINH_SECRET_KEY=... .venv/bin/python -m bench.bench_card_check --db sqlite:///var/bench-1.3m.db \\
        --n 2000 --runs 3

The look-ups are drawn once (fixed seed) from the registry itself: random HI spells (so a mix of valid
and expired cards, as the registry holds them), of which a tenth are looked up by the holder's personal
ID instead of the card, and a tenth turned into unknown cards (the SI number part changed to one no
card has). Name and birth date are the holder's, written as a reception would type them (upper case,
no diacritics for a third of them; the birth year only for a tenth).

- *service*: :func:`ansinh.claims.cardcheck.check_card` in one session, each call timed alone;
- *database work*: what a request asks of the database, without the web framework: the token's
  check, the look-up, the audit entry and the commit, one guarded session per look-up;
- *HTTP*: the app through Starlette's TestClient with a hospital token (``bench_hospital``, created
  if missing, facility 42001), timed by a thin ASGI wrapper from the request's first byte to the end of
  the response body: routing, token check, policy, the look-up, the audit entry and its commit;
- *baseline*: the public ``GET /api/v1/health`` through the same harness, the floor that the test
  client's threads and the machine's load put under every figure.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import func, select

from bench.common import percentile


def _sample(engine: Any, n: int, seed: int) -> list[dict[str, str]]:
    from ansinh.core.db import unit_of_work
    from ansinh.core.text import strip_diacritics
    from ansinh.registry.models import Participation, Person

    rng = random.Random(seed)
    with unit_of_work(engine) as s:
        low, high = s.execute(
            select(func.min(Participation.id), func.max(Participation.id)).where(Participation.scheme == "hi")
        ).one()._tuple()
        picked: list[dict[str, str]] = []
        while len(picked) < n:
            ids = [rng.randint(low, high) for _ in range(2 * (n - len(picked)))]
            rows = s.execute(
                select(Participation.hi_card_number, Person.personal_id, Person.full_name, Person.birth_date)
                .join(Person, Person.id == Participation.person_id)
                .where(Participation.id.in_(ids), Participation.scheme == "hi")
            ).tuples()
            for card, personal_id, full_name, birth in rows:
                if card is None or len(picked) >= n:
                    continue
                roll = rng.random()
                identifier = card
                if roll < 0.1 and personal_id:
                    identifier = personal_id
                elif roll < 0.2:
                    identifier = card[:5] + "99" + card[7:]  # SI numbers of the synthetic province start 42
                name = full_name if rng.random() < 0.67 else strip_diacritics(full_name).upper()
                birth_text = str(birth.year) if rng.random() < 0.1 else birth.strftime("%d%m%Y")
                picked.append({"maThe": identifier, "hoTen": name, "ngaySinh": birth_text})
    rng.shuffle(picked)
    return picked


def _service_run(engine: Any, lookups: list[dict[str, str]]) -> tuple[list[float], Counter[str]]:
    from ansinh.claims.cardcheck import check_card
    from ansinh.core.db import session_factory

    today = date.today()
    timings: list[float] = []
    codes: Counter[str] = Counter()
    with session_factory(engine)() as session:
        for q in lookups:
            started = time.perf_counter()
            answer = check_card(session, identifier=q["maThe"], full_name=q["hoTen"], birth=q["ngaySinh"],
                                today=today)  # fmt: skip
            timings.append(time.perf_counter() - started)
            codes[answer.code] += 1
        session.rollback()
    return timings, codes


def _database_run(engine: Any, token: str, lookups: list[dict[str, str]]) -> list[float]:
    """A request's database work alone, in one thread: the token's check, the look-up, the audit
    entry and the commit, each look-up in its own guarded session as the web application opens it."""
    from ansinh.claims.cardcheck import check_card
    from ansinh.core.audit import guard, record
    from ansinh.core.auth import principal_for_token
    from ansinh.core.db import session_factory

    sessions = guard(session_factory(engine))
    timings: list[float] = []
    for q in lookups:
        started = time.perf_counter()
        with sessions() as session:
            principal = principal_for_token(session, token)
            assert principal is not None
            answer = check_card(session, identifier=q["maThe"], full_name=q["hoTen"], birth=q["ngaySinh"])
            record(session, actor=principal.username, action="card_check", entity="person",
                   entity_id=answer.person_id or "-", detail={"maKetQua": answer.code})  # fmt: skip
            session.commit()
        timings.append(time.perf_counter() - started)
    return timings


def _hospital_token(engine: Any) -> str:
    from ansinh.core.auth import create_user, issue_token
    from ansinh.core.auth_models import User
    from ansinh.core.db import unit_of_work
    from ansinh.core.settings import get_settings

    with unit_of_work(engine) as session:
        user = session.scalar(select(User).where(User.username == "bench_hospital"))
        if user is None:
            user, _ = create_user(
                session,
                username="bench_hospital",
                role="hospital",
                area_code=get_settings().province_code,
                facility_codes="42001",
                actor="bench",
            )
        return issue_token(session, user, name="bench", scopes=["claims:submit"], actor="bench")


def _http_run(
    app: Any, token: str, lookups: list[dict[str, str]], path: str = "/api/v1/claims/card-check"
) -> tuple[list[float], Counter[int]]:
    from fastapi.testclient import TestClient

    timings: list[float] = []

    async def timed_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                timings.append(time.perf_counter() - started)

        await app(scope, receive, timed_send)

    statuses: Counter[int] = Counter()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(timed_app) as client:
        for q in lookups[:20]:  # warm-up
            client.get(path, params=q, headers=headers)
        timings.clear()
        for q in lookups:
            statuses[client.get(path, params=q, headers=headers).status_code] += 1
    return timings, statuses


def _summary(name: str, runs: list[tuple[float, float]]) -> None:
    shown = ", ".join(f"{p50:.2f}/{p95:.2f}" for p50, p95 in runs)
    p50 = statistics.median(r[0] for r in runs)
    p95 = statistics.median(r[1] for r in runs)
    print(f"{name}: p50 {p50:.2f} ms, p95 {p95:.2f} ms (medians of {len(runs)} runs; p50/p95 each: {shown})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", default="sqlite:///var/bench-1.3m.db", help="database URL")
    parser.add_argument("--n", type=int, default=2000, help="look-ups per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from ansinh.core.db import make_engine
    from ansinh.core.migrate import upgrade
    from ansinh.registry.models import Person
    from ansinh.web.app import create_app

    engine = make_engine(args.db)
    upgrade(engine)
    with engine.connect() as conn:
        persons = conn.execute(select(func.count()).select_from(Person)).scalar_one()
    if not persons:
        raise SystemExit("no persons in this database: run `ansinh synth --people 1300000 --seed 7` first")
    lookups = _sample(engine, args.n, args.seed)
    print(f"card look-up on {engine.dialect.name}, {persons:,} persons, {len(lookups)} look-ups per run")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    service: list[tuple[float, float]] = []
    for run in range(args.runs):
        timings, codes = _service_run(engine, lookups)
        ms = [t * 1000 for t in timings]
        service.append((statistics.median(ms), percentile(ms, 0.95)))
        if run == 0:
            print(f"result codes: {dict(sorted(codes.items()))}")
    _summary("service check_card", service)

    app = create_app(engine)
    token = _hospital_token(engine)
    database: list[tuple[float, float]] = []
    for _ in range(args.runs):
        ms = [t * 1000 for t in _database_run(engine, token, lookups)]
        database.append((statistics.median(ms), percentile(ms, 0.95)))
    _summary("database work of a request (token, look-up, audit entry, commit)", database)
    http: list[tuple[float, float]] = []
    for run in range(args.runs):
        timings, statuses = _http_run(app, token, lookups)
        ms = [t * 1000 for t in timings]
        http.append((statistics.median(ms), percentile(ms, 0.95)))
        if run == 0:
            print(f"HTTP statuses: {dict(statuses)}")
    _summary("GET /api/v1/claims/card-check (server time)", http)
    # the floor of this harness on this machine now: the public health route, no token, no query
    floor: list[tuple[float, float]] = []
    for _ in range(args.runs):
        timings, _statuses = _http_run(app, token, lookups, path="/api/v1/health")
        ms = [t * 1000 for t in timings]
        floor.append((statistics.median(ms), percentile(ms, 0.95)))
    _summary("baseline GET /api/v1/health (same harness)", floor)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    engine.dispose()


if __name__ == "__main__":
    main()
