"""Ledger benchmark: month-end close of the last month, and a full rebuild of 36 months.

    .venv/bin/python -m bench.bench_ledger --db sqlite:///var/bench-ledger-1.3m.db --runs 3
    .venv/bin/python -m bench.bench_ledger --db sqlite:///var/bench-ledger-100k.db --people 100000 --runs 3

The database is generated (``ansinh synth --parts ledger``) if it holds no persons. Each run works on
a fresh copy of the SQLite file (the ledger is append-only, so a run cannot be undone in place):

- *close*: a base copy loses the entries posted in the last month (payments allocated, dues of the
  month) and the previous month is closed again (posting nothing) to leave its snapshot, as a real
  month-end finds it; on a copy of that base, ``close_month(last)`` then prices the month
  (Ibis/DuckDB over ~all compulsory participants), allocates its payments, posts surcharges,
  rebuilds arrears, starting from the snapshot — timed;
- *rebuild*: the copy loses every entry; ``rebuild(first, last)`` prices all 36 months in one batch
  and closes them in turn — timed;
- *reprice*: on the full copy, ``close_month(last, reprice_from=first)``: 36 months priced again and
  diffed against what was posted (posts nothing) — timed.

Medians are printed, with the time of each step of the last run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from ansinh.core.db import make_engine
from ansinh.core.migrate import upgrade
from ansinh.ledger.close import CloseReport, close_month, rebuild
from ansinh.ledger.periods import period_index, period_text


def ensure(url: str, people: int, seed: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
    engine.dispose()
    if count:
        return
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
            "--parts",
            "ledger",
        ],
        check=True,
        env={**os.environ, "ANSINH_DATABASE_URL": url},
    )


def copy_db(url: str, suffix: str) -> str:
    source = Path(url.removeprefix("sqlite:///"))
    engine = make_engine(url)  # fold the write-ahead log into the file before copying it
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    target = source.with_name(source.stem + f".{suffix}.db")
    shutil.copy(source, target)
    for extra in ("-wal", "-shm"):
        Path(str(target) + extra).unlink(missing_ok=True)
    return f"sqlite:///{target}"


def prepare(url: str, statements: list[str]) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def periods(url: str) -> tuple[str, str, str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        first, last = conn.execute(text("SELECT min(period), max(period) FROM ledger_kpis")).one()
        last_day = conn.execute(text("SELECT max(as_of) FROM ledger_kpis")).scalar_one()
    engine.dispose()
    return str(first), str(last), str(last_day)


def drop_copy(url: str) -> None:
    path = url.removeprefix("sqlite:///")
    for extra in ("", "-wal", "-shm"):
        Path(path + extra).unlink(missing_ok=True)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the SQLite worker): on a shared machine
    it says what the work costs, whatever the other processes take of the cores."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(name: str, fn, runs: int) -> CloseReport:  # type: ignore[no-untyped-def]
    times, cpus, loads, report = [], [], [], None
    for i in range(runs):
        report, seconds, cpu = fn(i)
        cpus.append(cpu)
        times.append(seconds)
        loads.append(os.getloadavg()[0])
    shown = ", ".join(f"{t:.2f}" for t in times)
    print(f"{name}: median {statistics.median(times):.2f} s over {runs} runs [{shown}]")
    print(
        f"    CPU time median {statistics.median(cpus):.2f} s; "
        f"load average during the runs {', '.join(f'{v:.1f}' for v in loads)} on {os.cpu_count()} cores"
    )
    assert report is not None
    for step, seconds in report.timings.items():
        print(f"    {step:<22} {seconds:7.2f} s")
    print(f"    entries posted: {report.entries:,}; open employer-months: {report.arrears_rows:,}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite:///var/bench-ledger-1.3m.db")
    parser.add_argument("--people", type=int, default=1_300_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--only", choices=["close", "rebuild", "reprice"], action="append", help="run only these (repeatable)"
    )
    args = parser.parse_args()
    if not args.db.startswith("sqlite:///"):
        raise SystemExit("the benchmark copies a SQLite file per run; give a sqlite:/// URL")
    ensure(args.db, args.people, args.seed)
    first, last, last_day = periods(args.db)
    month_start = last + "-01"
    engine = make_engine(args.db)
    with engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("persons", "employers", "participations", "payments", "ledger_entries")
        }
        active = conn.execute(
            text(
                "SELECT count(DISTINCT person_id) FROM participations WHERE scheme = 'si' AND "
                f"valid_from <= '{last_day}' AND (valid_to IS NULL OR valid_to >= '{month_start}')"
            )
        ).scalar_one()
    engine.dispose()
    print(
        f"{args.db}: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + f", compulsory SI participants in {last}: {active:,}"
    )

    def make_base() -> tuple[str, str]:
        # The state after the close of the month before: the last month's postings taken out, then the
        # previous month closed again (it posts nothing) so that its snapshot is there (made once).
        base = copy_db(args.db, "before-close")
        prepare(
            base,
            [
                f"DELETE FROM ledger_entries WHERE posted_on >= '{month_start}'",
                "DELETE FROM ledger_balances",
                "DELETE FROM ledger_closes",
                f"DELETE FROM ledger_kpis WHERE period = '{last}'",
            ],
        )
        engine = make_engine(base)
        previous = close_month(engine, period_text(period_index(last) - 1))
        engine.dispose()
        print(f"snapshot of the close before ({previous.last}): {sum(previous.timings.values()):.1f} s")
        return base, previous.last

    def one_close(run: int) -> tuple[CloseReport, float, float]:
        url = copy_db(base, f"close{run}")
        started, cpu = time.perf_counter(), cpu_seconds()
        engine = make_engine(url)
        report = close_month(engine, last)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        engine.dispose()
        drop_copy(url)
        return report, seconds, cpu

    def one_rebuild(run: int) -> tuple[CloseReport, float, float]:
        url = copy_db(args.db, f"rebuild{run}")
        prepare(
            url,
            [
                "DELETE FROM ledger_entries",
                "DELETE FROM ledger_balances",
                "DELETE FROM ledger_kpis",
                "DELETE FROM ledger_closes",
                "DELETE FROM ledger_period_dues",
                "DELETE FROM ledger_payment_allocations",
            ],
        )
        started, cpu = time.perf_counter(), cpu_seconds()
        engine = make_engine(url)
        report = rebuild(engine, first, last)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        engine.dispose()
        drop_copy(url)
        return report, seconds, cpu

    def one_reprice(run: int) -> tuple[CloseReport, float, float]:
        url = copy_db(args.db, f"reprice{run}")
        started, cpu = time.perf_counter(), cpu_seconds()
        engine = make_engine(url)
        report = close_month(engine, last, reprice_from=first)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        engine.dispose()
        drop_copy(url)
        return report, seconds, cpu

    only = set(args.only or ["close", "rebuild", "reprice"])
    if "close" in only:
        base, previous = make_base()
        run(f"month-end close {last} (from the snapshot of {previous})", one_close, args.runs)
        drop_copy(base)
    if "rebuild" in only:
        run(f"full rebuild {first}..{last} (36 months, empty ledger)", one_rebuild, args.runs)
    if "reprice" in only:
        run(f"reprice {first}..{last} on the posted ledger (idempotent)", one_reprice, args.runs)


if __name__ == "__main__":
    main()
