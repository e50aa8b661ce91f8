"""Benchmark: ``ansinh synth`` of the 1.3M-person province into a fresh database (issue 2 target:
≤ 120 s into SQLite on the 2-core machine; PostgreSQL reported too).

    .venv/bin/python -m bench.bench_synth --runs 3                      # SQLite, var/bench-synth.db
    .venv/bin/python -m bench.bench_synth --runs 3 --db postgresql://postgres@127.0.0.1:5432/bench

Each run starts from an empty, migrated database and runs the real command in a subprocess
(generation + bulk load + index build + statistics); the wall-clock time of each run and the median
are printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from ansinh.core.db import make_engine, normalise_url
from ansinh.core.migrate import upgrade
from bench.common import PEOPLE, SEED, report


def fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        admin_url, name = url.rsplit("/", 1)
        admin = create_engine(normalise_url(admin_url + "/postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def count_persons(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM persons")).scalar_one())
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite:///var/bench-synth.db")
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--parts", default="registry", help="synth extensions to include (default: registry only)"
    )
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        fresh_database(args.db)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ansinh.cli.main",
                "synth",
                "--people",
                str(args.people),
                "--seed",
                str(args.seed),
                "--parts",
                args.parts,
            ],
            check=True,
            env={**os.environ, "ANSINH_DATABASE_URL": args.db},
            stdout=subprocess.DEVNULL,
        )
        runs.append(time.perf_counter() - started)
        persons = count_persons(args.db)
        if persons != args.people:  # a benchmark that did nothing must not report a time
            raise SystemExit(f"run {len(runs)}: expected {args.people:,} persons, found {persons:,}")
        print(f"run {len(runs)}: {runs[-1]:.1f} s ({persons:,} persons)", flush=True)
    report(f"synth {args.people:,} people into {args.db.split('://')[0]}", runs)


if __name__ == "__main__":
    main()
