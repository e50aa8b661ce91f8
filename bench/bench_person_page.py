"""Server time of the person page (GET /persons/{id}) on a large database, p50/p95.

    .venv/bin/python -m bench.bench_person_page --db sqlite:///var/bench-1.3m.db --n 500
    .venv/bin/python -m bench.bench_person_page --db postgresql://postgres@127.0.0.1/ansinh_bench --n 500

In-process: the app is called through Starlette's TestClient and timed by a thin ASGI wrapper from the
first byte of the request to the end of the response body, so the figure is the server's time (routing,
session and user lookup, scope check, the page's queries, rendering, and the audit entry's commit),
not the test client's. Persons are drawn at random (fixed seed) among all ids. The benchmark account
``bench_director`` (province-wide) is created in the database if missing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from typing import Any

from sqlalchemy import func, select


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", required=True, help="database URL")
    parser.add_argument("--n", type=int, default=500, help="person pages to fetch")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from ansinh.core.auth import create_user, open_session
    from ansinh.core.auth_models import User
    from ansinh.core.db import make_engine, unit_of_work
    from ansinh.core.migrate import upgrade
    from ansinh.core.settings import get_settings
    from ansinh.registry.models import Person
    from ansinh.web.app import create_app
    from ansinh.web.security import SESSION_COOKIE

    engine = make_engine(args.db)
    upgrade(engine)
    with unit_of_work(engine) as session:
        user = session.scalar(select(User).where(User.username == "bench_director"))
        if user is None:
            user, _ = create_user(
                session,
                username="bench_director",
                role="director",
                area_code=get_settings().province_code,
                actor="bench",
            )
        token = open_session(session, user, "bench")
        low, high = session.execute(select(func.min(Person.id), func.max(Person.id))).one()._tuple()
    if low is None:
        raise SystemExit("no persons in this database: run `ansinh synth` first")

    app = create_app(engine)
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

    rng = random.Random(args.seed)
    statuses: dict[int, int] = {}
    with TestClient(timed_app, cookies={SESSION_COOKIE: token}) as client:
        for _ in range(args.warmup):
            client.get(f"/persons/{rng.randint(low, high)}")
        timings.clear()
        for _ in range(args.n):
            response = client.get(f"/persons/{rng.randint(low, high)}")
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    ms = sorted(t * 1000 for t in timings)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(
        f"person page on {engine.dialect.name} ({high - low + 1:,} person ids), {len(ms)} requests, "
        f"statuses {statuses}"
    )
    print(f"server time: p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
