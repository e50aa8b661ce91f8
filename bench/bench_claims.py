"""Claims benchmark: ingest one month of XML files of the 1.3M province, review the month, review a year.

    .venv/bin/python -m bench.bench_claims --db sqlite:///var/bench-claims.db --people 1300000 --runs 3

1. Builds (once) the province with one month of synthetic claims and reference data, and writes that
   month as GIAMDINHHS files (one per facility and day, new MA_LK keys) under ``var/bench-claims-xml``.
2. Ingest: each run copies the database file (checkpointed) and receives every file
   (``IntakeSession.ingest_files``: parsing in one worker process per core, ``--workers``).
3. Review of the month: ``run_review(period)`` on the last ingested copy (reads, rules, writes).
4. Review of a year: a child process generates 12 months once and writes them as Parquet by month under
   ``var/bench-claims-year-<people>-<seed>``; each run is then a fresh process that prepares the months
   one at a time into a snapshot and reviews it with DuckDB out of core (``--memory-limit``); its peak
   RSS is the review's alone (generation is not in it; the database read is replaced by Parquet).
Medians of ``--runs`` runs, with the load average (the machine is shared); goals: ingest ≤ 120 s, month
review ≤ 15 s, year review ≤ 180 s and ≤ 8 GB.
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

YEAR_GENERATE = """
import os, sys, time
os.environ["ANSINH_SYNTH_CLAIMS_MONTHS"] = "12"
from pathlib import Path
import pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq
from ansinh.synth.context import SynthConfig
from ansinh.synth.province import generate
out = Path(sys.argv[3])
started = time.perf_counter()
ctx = generate(SynthConfig(people=int(sys.argv[1]), seed=int(sys.argv[2])), parts=["claims"])
t = ctx.tables
hi = t["participations"].filter(pc.equal(t["participations"]["scheme"], "hi"))
static = {"cards": pa.table({"card": hi["hi_card_number"], "person_id": hi["person_id"],
                             "valid_from": hi["valid_from"], "valid_to": hi["valid_to"]}),
          "persons": t["persons"].select(["id", "birth_date", "gender", "death_date"]),
          "facilities": t["claim_facilities"].select(["code", "level"]),
          "services": t["claim_service_prices"], "items": t["claim_item_prices"],
          "licences": t["claim_licences"], "icd": t["claim_icd"],
          "practitioners": t["claim_practitioners"].select(["code", "facility_code"])}
(out / "months").mkdir(parents=True, exist_ok=True)
for name, table in static.items():
    pq.write_table(table, out / f"{name}.parquet")
episodes, lines = t["claim_episodes"], t["claim_lines"]
del ctx, t
year = pc.cast(episodes["settle_year"], pa.int32())
ym = pc.add(pc.multiply(year, 100), pc.cast(episodes["settle_month"], pa.int32()))
for i, period in enumerate(sorted(set(ym.to_pylist()))):
    month = episodes.filter(pc.equal(ym, period))
    pq.write_table(month, out / "months" / f"{period}-episodes.parquet")
    pq.write_table(lines.filter(pc.is_in(lines["episode_id"], value_set=month["id"])),
                   out / "months" / f"{period}-lines.parquet")
print(f"{episodes.num_rows} {lines.num_rows} {time.perf_counter() - started:.0f}")
"""

YEAR_REVIEW = """
import resource, shutil, sys, time
from datetime import date
from pathlib import Path
import pyarrow.parquet as pq
from ansinh.claims.review import review_snapshot, write_snapshot
raw, snap = Path(sys.argv[1]), Path(sys.argv[2])
shutil.rmtree(snap, ignore_errors=True)
started = time.perf_counter()
static = {p.stem: pq.read_table(p) for p in sorted(raw.glob("*.parquet"))}
periods = sorted({p.name.split("-")[0] for p in (raw / "months").glob("*.parquet")})
def months():
    for period in periods:
        yield {name: pq.read_table(raw / "months" / f"{period}-{name}.parquet")
               for name in ("episodes", "lines")}
on = date(2026, 11, 1)
write_snapshot(snap, static, months(), on)
prepared = time.perf_counter() - started
result = review_snapshot(snap, on, memory_limit=sys.argv[3])
took = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
rss = usage.ru_maxrss / 1024 / 1024
cpu = usage.ru_utime + usage.ru_stime
n = result.outcomes.num_rows
print(f"{n} {result.findings.num_rows} {prepared:.2f} {took:.2f} {rss:.2f} {cpu:.0f} {result.counts}")
"""


def _path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def prepare(url: str, people: int, seed: int, xml_dir: Path) -> tuple[int, int]:
    from sqlalchemy import text

    from ansinh.core.db import make_engine
    from ansinh.core.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
    if not have or not xml_dir.exists():
        import pyarrow.compute as pc

        from ansinh.claims.xmlexport import write_files
        from ansinh.synth.context import SynthConfig
        from ansinh.synth.province import generate
        from ansinh.synth.writer import write_province

        os.environ["ANSINH_SYNTH_CLAIMS_MONTHS"] = "1"
        ctx = generate(SynthConfig(people=people, seed=seed), parts=["claims"])
        engine.dispose()
        write_province(engine, ctx, replace=True)
        with engine.begin() as conn:  # keep the reference data and registry; the month arrives as XML
            for table in ("claim_findings", "claim_reviews", "claim_lines", "claim_episodes"):
                conn.execute(text(f"DELETE FROM {table}"))
        episodes = ctx.tables["claim_episodes"]
        renamed = episodes.set_column(
            episodes.column_names.index("ma_lk"),
            "ma_lk",
            pc.binary_join_element_wise("B", episodes["ma_lk"], ""),
        )
        shutil.rmtree(xml_dir, ignore_errors=True)
        started = time.perf_counter()
        paths = write_files(renamed, ctx.tables["claim_lines"], xml_dir)
        print(
            f"wrote {len(paths):,} XML files ({episodes.num_rows:,} episodes, "
            f"{ctx.tables['claim_lines'].num_rows:,} lines) in {time.perf_counter() - started:.0f} s"
        )
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return 2026, 10  # the synthetic province's last month (SynthConfig.until)


def _cpu() -> float:
    """CPU seconds (user + system) of this process and its finished children (workers, ADBC writers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def ingest_run(url: str, xml_dir: Path, copy: Path, workers: int | None) -> tuple[float, float]:
    from ansinh.claims.intake import IntakeSession, claim_files, load_known
    from ansinh.core.db import make_engine

    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copy(_path(url), copy)
    engine = make_engine(f"sqlite:///{copy}")
    load = os.getloadavg()[0]
    cpu = _cpu()
    started = time.perf_counter()
    session = IntakeSession(engine, load_known(engine), "bench")
    accepted = rejected = files = 0
    for receipt in session.ingest_files(claim_files(xml_dir), workers=workers):
        accepted += receipt.accepted
        rejected += receipt.rejected
        files += 1
    session.close()
    took = time.perf_counter() - started
    used = _cpu() - cpu
    print(
        f"  ingest: {files:,} files, {accepted:,} accepted, {rejected:,} rejected in {took:.1f} s "
        f"(CPU {used:.0f} s in all processes); load average before {load:.2f}, "
        f"after {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    engine.dispose()
    return took, used


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite:///var/bench-claims.db")
    parser.add_argument("--people", type=int, default=1_300_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-year", action="store_true")
    parser.add_argument("--year-only", action="store_true")
    parser.add_argument("--review-only", type=Path, help="review the month of this ingested database only")
    parser.add_argument("--workers", type=int, default=None, help="intake worker processes (default: cores)")
    parser.add_argument("--prepare-only", action="store_true", help="generate the data and XML files only")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's memory limit for the year review")
    args = parser.parse_args()
    if args.review_only:
        month_review(args.review_only, (2026, 10), args.runs)
        return
    if args.year_only:
        year_review(args.people, args.seed, args.runs, args.memory_limit)
        return
    # one XML directory per database (a 100k and a 1.3M province side by side)
    xml_dir = _path(args.db).with_name(_path(args.db).stem + "-xml")
    period = prepare(args.db, args.people, args.seed, xml_dir)
    if args.prepare_only:
        return
    copy = _path(args.db).with_name("bench-claims-run.db")
    runs = [ingest_run(args.db, xml_dir, copy, args.workers) for _ in range(args.runs)]
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    print(
        f"ingest one month: median {statistics.median(walls):.1f} s "
        f"[{', '.join(f'{r:.1f}' for r in walls)}]; "
        f"CPU median {statistics.median(cpus):.0f} s [{', '.join(f'{c:.0f}' for c in cpus)}]"
    )
    month_review(copy, period, args.runs)
    if not args.skip_year:
        year_review(args.people, args.seed, args.runs, args.memory_limit)


def month_review(db: Path, period: tuple[int, int], runs: int) -> None:
    from ansinh.claims.review import run_review
    from ansinh.core.db import make_engine

    engine = make_engine(f"sqlite:///{db}")
    review_runs, review_cpus = [], []
    for _ in range(runs):
        load = os.getloadavg()[0]
        cpu = _cpu()
        started = time.perf_counter()
        result = run_review(engine, period)
        review_runs.append(time.perf_counter() - started)
        review_cpus.append(_cpu() - cpu)
        print(
            f"  review: {result.outcomes.num_rows:,} episodes, {result.counts} in {review_runs[-1]:.1f} s "
            f"(CPU {review_cpus[-1]:.0f} s in all processes); "
            f"load average before {load:.2f}, after {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    print(
        f"review one month: median {statistics.median(review_runs):.1f} s "
        f"[{', '.join(f'{r:.1f}' for r in review_runs)}]; CPU median {statistics.median(review_cpus):.0f} s "
        f"[{', '.join(f'{c:.0f}' for c in review_cpus)}]; peak RSS of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GB"
    )


def year_review(people: int, seed: int, runs: int, memory_limit: str) -> None:
    """Generate the year once (its own process, Parquet under var/), then review it ``runs`` times, each
    in a fresh process whose peak RSS is the review's alone (reading, preparing by month, DuckDB)."""
    raw = Path(f"var/bench-claims-year-{people}-{seed}")
    if not (raw / "months").exists():
        out = subprocess.run(
            [sys.executable, "-c", YEAR_GENERATE, str(people), str(seed), str(raw)],
            capture_output=True,
            text=True,
            check=True,
        )
        episodes, lines, took = out.stdout.strip().splitlines()[-1].split(" ")
        print(f"generated a year: {int(episodes):,} episodes, {int(lines):,} lines in {took} s", flush=True)
    times, peaks, cpus = [], [], []
    for _ in range(runs):
        load = os.getloadavg()
        out = subprocess.run(
            [sys.executable, "-c", YEAR_REVIEW, str(raw), "var/bench-claims-year-snapshot", memory_limit],
            capture_output=True,
            text=True,
            check=True,
        )
        episodes, findings, prepared, took, rss, cpu, counts = (
            out.stdout.strip().splitlines()[-1].split(" ", 6)
        )
        times.append(float(took))
        peaks.append(float(rss))
        cpus.append(float(cpu))
        print(
            f"  review one year: {int(episodes):,} episodes, {int(findings):,} findings "
            f"in {float(took):.1f} s "
            f"(snapshot by month {float(prepared):.1f} s; CPU {cpu} s); peak RSS {float(rss):.2f} GB; "
            f"load before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}; {counts}",
            flush=True,
        )
    print(
        f"review one year: median {statistics.median(times):.1f} s [{', '.join(f'{t:.1f}' for t in times)}]; "
        f"CPU median {statistics.median(cpus):.0f} s; peak RSS median {statistics.median(peaks):.2f} GB "
        f"[{', '.join(f'{p:.2f}' for p in peaks)}]"
    )


if __name__ == "__main__":
    main()
