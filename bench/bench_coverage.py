"""Coverage benchmark: all indicators for all communes and 36 months, and the dashboard's server time.

    .venv/bin/python -m bench.bench_coverage --db sqlite:///var/bench-coverage-1.3m.db --runs 3
    .venv/bin/python -m bench.bench_coverage --db sqlite:///var/bench-coverage-100k.db --people 100000

The database is generated if it holds no persons (``ansinh synth --people 1300000 --seed 7 --parts
ledger,coverage``: registry, ledger and the synthetic denominators); a database generated with the
registry and ledger only gets its denominators estimated from the registry (``ansinh coverage
estimate-denominators``). Then:

- *batch*: ``compute_and_write`` for the 36 months ending ``--to``, ``--runs`` times: the reads
  into Arrow (SQLite: persons and the participations in two id ranges through ADBC worker
  processes, three at a time; the small results in process), the indicators (stocks in numpy,
  ledger and benefit figures in Ibis on DuckDB), the projections of the headline indicators of
  every area (statsmodels), the write;
  medians of each step and of the total, each with its CPU time (this process's threads and its
  finished children, the SQLite workers) and the load average: on a shared 2-core machine the wall
  time says as much about the neighbours as about the code;
- *indicators in memory*: :func:`ansinh.coverage.indicators.compute` alone on facts already read
  ``--runs`` times;
- *dashboard*: GET /coverage (the director's page: headline figures, eight trend charts, the
  commune ranking) ``--n`` times in process, timed by a thin ASGI wrapper (server time, as
  bench_person_page), p50/p95; and a commune's page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text


def ensure(url: str, people: int, seed: int, last: str) -> None:
    from ansinh.core.db import make_engine
    from ansinh.core.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        persons = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
        denominators = conn.execute(text("SELECT count(*) FROM coverage_denominators")).scalar_one()
    engine.dispose()
    env = {**os.environ, "ANSINH_DATABASE_URL": url}
    if not persons:
        Path("var").mkdir(exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ansinh.cli.main",
                "synth",
                "--people",
                str(people),
                "--seed",
                str(seed),
                "--until",
                last,
                "--parts",
                "ledger,coverage",
            ],
            check=True,
            env=env,
        )
    elif not denominators:
        year = int(last[:4])
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ansinh.cli.main",
                "coverage",
                "estimate-denominators",
                "--years",
                f"{year - 3}-{year}",
            ],
            check=True,
            env=env,
        )


def median_report(name: str, values: list[float], unit: str = "s", cpu: list[float] | None = None) -> None:
    shown = ", ".join(f"{v:.2f}" for v in values)
    line = f"{name:<34} median {statistics.median(values):7.2f} {unit}  [{shown}]"
    if cpu:
        line += f"  CPU median {statistics.median(cpu):.2f} {unit} [{', '.join(f'{v:.2f}' for v in cpu)}]"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", default="sqlite:///var/bench-coverage-1.3m.db")
    parser.add_argument("--people", type=int, default=1_300_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--to", default="2026-10", help="last month of the 36")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--n", type=int, default=200, help="dashboard requests")
    parser.add_argument("--full", action="store_true", help="every run re-reads everything (no caches)")
    args = parser.parse_args()
    ensure(args.db, args.people, args.seed, args.to)

    from ansinh.core.db import make_engine
    from ansinh.core.settings import get_settings
    from ansinh.coverage import indicators as ind
    from ansinh.coverage.service import compute_and_write, cpu_seconds, default_window, read_facts

    engine = make_engine(args.db)
    province = get_settings().province_code
    first, last = default_window(36, args.to)
    with engine.connect() as conn:
        people = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
        communes = conn.execute(text("SELECT count(*) FROM communes")).scalar_one()
        spells = conn.execute(text("SELECT count(*) FROM participations")).scalar_one()
    print(
        f"{engine.dialect.name}: {people:,} persons, {spells:,} participation spells, {communes} communes; "
        f"months {ind.period_text(first)}..{ind.period_text(last)}"
    )

    steps: dict[str, list[float]] = {}
    step_cpu: dict[str, list[float]] = {}
    totals, cpus, loads = [], [], []
    for i in range(args.runs):
        load_before = os.getloadavg()[0]
        started, cpu0 = time.perf_counter(), cpu_seconds()
        report = compute_and_write(engine, province, first, last, full=args.full)
        totals.append(time.perf_counter() - started)
        cpus.append(cpu_seconds() - cpu0)
        loads.append(os.getloadavg()[0])
        for step, seconds in report.timings.items():
            steps.setdefault(step, []).append(seconds)
            step_cpu.setdefault(step, []).append(report.cpu.get(step, 0.0))
        print(
            f"  run {i + 1}: wall {totals[-1]:.2f} s, CPU {cpus[-1]:.2f} s; "
            + ", ".join(f"{k} {v:.2f}/{report.cpu.get(k, 0.0):.2f}" for k, v in report.timings.items())
            + f" (wall/CPU s); load average {load_before:.2f} before, {loads[-1]:.2f} after"
        )
    print(
        f"batch: {report.rows:,} figures, {report.projections:,} projections"
        + (f"; no data: {', '.join(report.missing)}" if report.missing else "")
    )
    for step, values in steps.items():
        median_report(f"  {step}", values, cpu=step_cpu[step])
    median_report("batch total (read → write)", totals, cpu=cpus)
    print(
        f"  load average (1 min) after each run: {', '.join(f'{v:.2f}' for v in loads)} "
        f"on {os.cpu_count()} cores"
    )

    facts = read_facts(engine, province)
    memory, memory_cpu = [], []
    for _ in range(args.runs):
        started, cpu0 = time.perf_counter(), cpu_seconds()
        ind.compute(facts, first, last)
        memory.append(time.perf_counter() - started)
        memory_cpu.append(cpu_seconds() - cpu0)
    median_report("indicators in memory", memory, cpu=memory_cpu)

    dashboard(engine, args.n)
    engine.dispose()


def dashboard(engine: Any, n: int) -> None:
    from fastapi.testclient import TestClient

    from ansinh.core.auth import create_user, open_session
    from ansinh.core.auth_models import User
    from ansinh.core.db import unit_of_work
    from ansinh.core.settings import get_settings
    from ansinh.coverage.models import IndicatorValue
    from ansinh.web.app import create_app
    from ansinh.web.security import SESSION_COOKIE

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
        commune = session.scalar(
            select(func.min(IndicatorValue.area_code)).where(func.length(IndicatorValue.area_code) == 5)
        )
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

    with TestClient(timed_app, cookies={SESSION_COOKIE: token}) as client:
        for path, count in (("/coverage", n), (f"/coverage/areas/{commune}", max(n // 2, 1))):
            for _ in range(10):
                client.get(path)
            timings.clear()
            statuses: dict[int, int] = {}
            for _ in range(count):
                r = client.get(path)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            ms = sorted(t * 1000 for t in timings)
            p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
            print(
                f"GET {path}: {len(ms)} requests {statuses}: p50 {statistics.median(ms):.1f} ms, "
                f"p95 {p95:.1f} ms, max {ms[-1]:.1f} ms"
            )


if __name__ == "__main__":
    main()
