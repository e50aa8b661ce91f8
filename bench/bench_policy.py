"""Cost of the authorisation policy on a person page: the record's area looked up and checked
(``ansinh.web.policy.decide``) for random persons, by a province-wide and a commune-scoped principal.

    .venv/bin/python -m bench.bench_policy --db sqlite:///var/bench-1.3m.db --n 2000

Prints p50/p95 in milliseconds and the load average (the machine is shared). The person page's own
figure before and after the policy is ``bench.bench_person_page``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", required=True)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()

    from sqlalchemy import func, select

    from ansinh.core.auth import Principal
    from ansinh.core.db import make_engine, session_factory
    from ansinh.core.scope import AreaScope
    from ansinh.registry.models import Person
    from ansinh.web.errors import NotInArea
    from ansinh.web.policy import POLICY, decide

    session = session_factory(make_engine(args.db))()
    highest = session.scalar(select(func.max(Person.id)))
    if highest is None:
        raise SystemExit("no persons in this database: run `ansinh synth` first")
    commune = session.scalar(select(Person.commune_code).limit(1))
    rule = POLICY["GET", "/persons/{person_id}"]
    for label, scope, role in (
        ("province-wide", AreaScope("42"), "director"),
        ("commune-scoped", AreaScope("42", commune), "commune_officer"),
    ):
        principal = Principal(0, "bench", "bench", role, scope, frozenset({"persons:read"}))
        rng = random.Random(1)
        times: list[float] = []
        for _ in range(args.n):
            person_id = rng.randint(1, highest)
            started = time.perf_counter()
            with contextlib.suppress(NotInArea):
                decide(session, principal, rule, {"person_id": str(person_id)})
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p50, p95 = times[len(times) // 2], times[int(len(times) * 0.95)]
        print(f"policy check, {label}: p50 {p50:.3f} ms, p95 {p95:.3f} ms over {args.n} persons")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
