"""Claims benchmark: ingest one month of XML files of the 1.3M province, review the month, review a year.

    .venv/bin/python -m bench.bench_claims --db sqlite:///var/bench-claims.db --people 1300000 --runs 3

1. Builds (once) the province with one month of synthetic claims and reference data, and writes that
   month as GIAMDINHHS files (one per facility and day, new MA_LK keys) under ``var/bench-claims-xml``.
2. Ingest: each run copies the database file (checkpointed) and receives every file (``IntakeSession``).
3. Review of the month: ``run_review(period)`` on the last ingested copy (reads, rules, writes).
4. Review of a year: generate 12 months in memory and run the same rules on DuckDB, in a child process
   whose peak RSS is reported (the database read is not included in this figure).
Medians of ``--runs`` runs; goals: ingest ≤ 120 s, month review ≤ 15 s, year review ≤ 180 s and ≤ 8 GB.
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

YEAR_SCRIPT = """
import os, resource, sys, time
os.environ["ANSINH_SYNTH_CLAIMS_MONTHS"] = "12"
from datetime import date
import pyarrow as pa, pyarrow.compute as pc
from ansinh.synth.context import SynthConfig
from ansinh.synth.province import generate
from ansinh.claims.review import review_tables
ctx = generate(SynthConfig(people=int(sys.argv[1]), seed=int(sys.argv[2])), parts=["claims"])
t = ctx.tables
hi = t["participations"].filter(pc.equal(t["participations"]["scheme"], "hi"))
raw = {"episodes": t["claim_episodes"], "lines": t["claim_lines"],
       "cards": pa.table({"card": hi["hi_card_number"], "person_id": hi["person_id"],
                          "valid_from": hi["valid_from"], "valid_to": hi["valid_to"]}),
       "persons": t["persons"].select(["id", "birth_date", "gender", "death_date"]),
       "facilities": t["claim_facilities"].select(["code", "level"]),
       "services": t["claim_service_prices"], "items": t["claim_item_prices"],
       "licences": t["claim_licences"],
       "icd": t["claim_icd"], "practitioners": t["claim_practitioners"].select(["code", "facility_code"])}
del ctx
started = time.perf_counter()
result = review_tables(raw, date(2026, 11, 1))
took = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
print(f"{t['claim_episodes'].num_rows} {t['claim_lines'].num_rows} {took:.2f} {rss:.2f} {result.counts}")
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


def ingest_run(url: str, xml_dir: Path, copy: Path) -> float:
    from ansinh.claims.intake import IntakeSession, claim_files, ingest_file, load_known
    from ansinh.core.db import make_engine

    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copy(_path(url), copy)
    engine = make_engine(f"sqlite:///{copy}")
    started = time.perf_counter()
    session = IntakeSession(engine, load_known(engine), "bench")
    accepted = rejected = 0
    for path in claim_files(xml_dir):
        receipt = ingest_file(session, path)
        accepted += receipt.accepted
        rejected += receipt.rejected
    session.close()
    took = time.perf_counter() - started
    print(f"  ingest: {accepted:,} accepted, {rejected:,} rejected in {took:.1f} s")
    engine.dispose()
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite:///var/bench-claims.db")
    parser.add_argument("--people", type=int, default=1_300_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-year", action="store_true")
    parser.add_argument("--year-only", action="store_true")
    args = parser.parse_args()
    if args.year_only:
        year_review(args.people, args.seed)
        return
    xml_dir = Path("var/bench-claims-xml")
    period = prepare(args.db, args.people, args.seed, xml_dir)
    copy = _path(args.db).with_name("bench-claims-run.db")
    runs = [ingest_run(args.db, xml_dir, copy) for _ in range(args.runs)]
    print(f"ingest one month: median {statistics.median(runs):.1f} s [{', '.join(f'{r:.1f}' for r in runs)}]")
    from ansinh.claims.review import run_review
    from ansinh.core.db import make_engine

    engine = make_engine(f"sqlite:///{copy}")
    review_runs = []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = run_review(engine, period)
        review_runs.append(time.perf_counter() - started)
        print(f"  review: {result.outcomes.num_rows:,} episodes, {result.counts} in {review_runs[-1]:.1f} s")
    print(
        f"review one month: median {statistics.median(review_runs):.1f} s "
        f"[{', '.join(f'{r:.1f}' for r in review_runs)}]; peak RSS of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024:.2f} GB"
    )
    if not args.skip_year:
        year_review(args.people, args.seed)


def year_review(people: int, seed: int) -> None:
    out = subprocess.run(
        [sys.executable, "-c", YEAR_SCRIPT, str(people), str(seed)],
        capture_output=True,
        text=True,
        check=True,
    )
    episodes, lines, took, rss, counts = out.stdout.strip().splitlines()[-1].split(" ", 4)
    print(
        f"review one year (in memory, DuckDB): {int(episodes):,} episodes, {int(lines):,} lines in "
        f"{float(took):.1f} s; peak RSS {float(rss):.2f} GB (generation included); {counts}"
    )


if __name__ == "__main__":
    main()
