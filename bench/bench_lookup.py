"""Benchmark: person look-up by personal ID, SI number and name prefix on the 1.3M-person database
(issue 2 target: ≤ 5 ms p95), through the same service the web pages and API use.

    .venv/bin/python -m bench.bench_lookup --db sqlite:///var/bench-1.3m.db --n 2000

Queries are drawn at random from the database (existing IDs, SI numbers, and name prefixes of 2–3
words), with a province-wide scope (the director's); each kind is timed separately, after a warm-up.
"""

from __future__ import annotations

import argparse
import random
import time

from sqlalchemy import text

from ansinh.core.db import make_engine, session_factory
from ansinh.core.scope import AreaScope
from ansinh.registry.queries import search_persons
from bench.common import BENCH_DB, ensure_province, percentile


def sample_queries(url: str, n: int, seed: int) -> dict[str, list[str]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        max_id = conn.execute(text("SELECT max(id) FROM persons")).scalar_one()
        rng = random.Random(seed)
        ids = [rng.randint(1, max_id) for _ in range(n)]
        rows = []
        for chunk in range(0, n, 500):
            part = ids[chunk : chunk + 500]
            rows += conn.execute(
                text(
                    "SELECT personal_id, si_number, full_name FROM persons "
                    f"WHERE id IN ({','.join(map(str, part))})"
                )
            ).all()
    engine.dispose()
    names = [" ".join(r[2].split()[: rng.choice([2, 3])]) for r in rows]
    return {"personal_id": [r[0] for r in rows], "si_number": [r[1] for r in rows], "name_prefix": names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default=BENCH_DB)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--province", default="42")
    args = parser.parse_args()
    if args.db == BENCH_DB:
        ensure_province()
    queries = sample_queries(args.db, args.n, seed=1)
    engine = make_engine(args.db)
    scope = AreaScope(province_code=args.province)
    with session_factory(engine)() as session:
        for q in queries["personal_id"][:50]:
            search_persons(session, scope, q, limit=20)
        for kind, values in queries.items():
            times = []
            for q in values:
                started = time.perf_counter()
                found = search_persons(session, scope, q, limit=20)
                times.append((time.perf_counter() - started) * 1000)
                if kind != "name_prefix" and not found:
                    raise SystemExit(f"{kind} {q} not found")
                session.expunge_all()
            print(
                f"{kind:12s} n={len(times)}  p50 {percentile(times, 0.5):.2f} ms  "
                f"p95 {percentile(times, 0.95):.2f} ms  max {max(times):.2f} ms"
            )


if __name__ == "__main__":
    main()
