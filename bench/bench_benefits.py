"""Benefits benchmark: the monthly payroll of the province and eligibility + amount for 10,000 cases.

    .venv/bin/python -m bench.bench_benefits --db sqlite:///var/bench-benefits-1.3m.db --runs 3

The database is generated (``ansinh synth --people 1300000 --seed 7 --parts ledger,benefits``) if it
holds no persons. Each run:

- *payroll*: ``run_monthly`` for the month after the synthetic window (every recurring beneficiary:
  read with their channel in force, classified, written as payments in one transaction) — timed;
  the run is then deleted so that the next run does the same work;
- *eligibility*: 10,000 cases (the synthetic ones, repeated with new ids if there are fewer) —
  applicants, contribution history (DuckDB over the participations), rules and calculators —
  timed without writing;
- *draft*: the same plus writing the drafts back (``draft_cases`` on every case of the database,
  on a copy of the file) — timed.

Medians of the runs are printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
from sqlalchemy import text

from ansinh.benefits.cases import _case_rows, draft_cases, evaluate_rows
from ansinh.benefits.payroll import run_monthly
from ansinh.core.db import make_engine
from ansinh.core.migrate import upgrade
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period


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
            "ledger,benefits",
        ],
        check=True,
        env={**os.environ, "ANSINH_DATABASE_URL": url},
    )


def copy_db(url: str, suffix: str) -> str:
    source = Path(url.removeprefix("sqlite:///"))
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    target = source.with_name(source.stem + f".{suffix}.db")
    shutil.copy(source, target)
    for extra in ("-wal", "-shm"):
        Path(str(target) + extra).unlink(missing_ok=True)
    return f"sqlite:///{target}"


def drop_copy(url: str) -> None:
    path = url.removeprefix("sqlite:///")
    for extra in ("", "-wal", "-shm"):
        Path(path + extra).unlink(missing_ok=True)


def median_line(name: str, times: list[float], extra: str = "") -> None:
    shown = ", ".join(f"{t:.2f}" for t in times)
    print(f"{name}: median {statistics.median(times):.2f} s over {len(times)} runs [{shown}]{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite:///var/bench-benefits-1.3m.db")
    parser.add_argument("--people", type=int, default=1_300_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--skip-draft", action="store_true", help="skip the timed draft with writes")
    args = parser.parse_args()
    ensure(args.db, args.people, args.seed)
    get_parameters()
    engine = make_engine(args.db)
    with engine.begin() as conn:  # runs left by an interrupted benchmark
        conn.execute(
            text(
                "DELETE FROM benefit_payments"
                " WHERE run_id IN (SELECT id FROM payroll_runs WHERE created_by = 'bench')"
            )
        )
        conn.execute(text("DELETE FROM payroll_runs WHERE created_by = 'bench'"))
    with engine.connect() as conn:
        last = conn.execute(text("SELECT max(period) FROM payroll_runs WHERE kind = 'monthly'")).scalar_one()
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in (
                "persons",
                "participations",
                "beneficiaries",
                "payment_channels",
                "benefit_payments",
                "benefit_cases",
            )
        }
    period = Period.parse(last).next() if last else Period.of(date.today())
    print("database: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))

    # payroll
    times = []
    report = None
    for _ in range(args.runs):
        start = time.perf_counter()
        report = run_monthly(engine, period, actor="bench")
        times.append(time.perf_counter() - start)
        print(f"  payroll run: {times[-1]:.2f} s", flush=True)
        assert report.created
        with engine.begin() as conn:
            conn.execute(text(f"DELETE FROM benefit_payments WHERE run_id = {report.run_id}"))
            conn.execute(text(f"DELETE FROM payroll_runs WHERE id = {report.run_id}"))
    assert report is not None
    median_line(
        f"payroll {period} ({report.payments:,} payments, {report.total_amount:,} đồng, "
        f"non-cash {report.noncash_payments:,}, exceptions {sum(report.exceptions.values()):,})",
        times,
    )

    # eligibility and amount, no writes
    start = time.perf_counter()
    rows = _case_rows(engine, "1=1")
    print(
        f"read {rows.num_rows:,} case rows with their applicants: {time.perf_counter() - start:.2f} s",
        flush=True,
    )
    if rows.num_rows == 0:
        raise SystemExit("no benefit cases in the database")
    reps = -(-args.cases // rows.num_rows)
    table = pa.concat_tables([rows] * reps).slice(0, args.cases)
    table = table.set_column(0, "case_id", pa.array(range(1, table.num_rows + 1), pa.int64()))
    decided = period.first_day
    times = []
    eligible = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        out = evaluate_rows(engine, table, decided)
        times.append(time.perf_counter() - start)
        print(f"  eligibility + amount: {times[-1]:.2f} s", flush=True)
        eligible = sum(1 for _, _, d in out if d.eligible)
    median_line(f"eligibility + amount, {table.num_rows:,} cases ({eligible:,} eligible)", times)

    if not args.skip_draft:
        times = []
        for i in range(args.runs):
            url = copy_db(args.db, f"draft{i}")
            copy = make_engine(url)
            with copy.begin() as conn:
                conn.execute(text("UPDATE benefit_cases SET status = 'received', first_approved_by = NULL"))
            start = time.perf_counter()
            drafted = draft_cases(copy, actor="bench", decided=decided)
            times.append(time.perf_counter() - start)
            print(f"  draft with writes: {times[-1]:.2f} s", flush=True)
            copy.dispose()
            drop_copy(url)
        median_line(f"draft with writes, {drafted.drafted:,} cases", times)
    engine.dispose()


if __name__ == "__main__":
    main()
