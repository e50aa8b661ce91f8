"""Import benchmark: a persons list of 2.2 million rows (~200 MB CSV) into a fresh database.

    .venv/bin/python -m bench.bench_import --runs 2
    .venv/bin/python -m bench.bench_import --runs 1 --db postgresql://postgres@127.0.0.1:5432/ansinh_bench_import
    .venv/bin/python -m bench.bench_import --rows 200000 --runs 1          # a smaller file

The file (var/bench-import-persons-<rows>.csv: Vietnamese headings, valid 12-digit personal IDs
consistent with birth year and gender, unique SI numbers, Vietnamese names with the synthetic
province's frequencies, commune codes of a 60-commune list) is generated once and reused. Each
run starts from an empty, migrated database holding only the commune list, then imports the file
in a child process (``import_file``, all-or-nothing, streamed in batches); the parent measures
its wall time, CPU time (user + system) and peak resident memory (``os.wait4`` rusage
``ru_maxrss`` of that child). Medians are printed with the load average (the machine is shared).
Targets: peak memory ≤ 1 GB and ≤ 120 s on SQLite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.common import report

ROWS = 2_200_000
PROVINCE = "42"
COMMUNES = [f"{18000 + 7 * i:05d}" for i in range(60)]
HEADER = "Số định danh,Mã số BHXH,Họ và tên,Ngày sinh,Giới tính,Mã xã,Dân tộc,Số điện thoại,Ngày mất\n"
CHUNK = 200_000


def areas_file(var: Path) -> Path:
    path = var / "bench-import-areas.csv"
    if not path.exists():
        lines = ["Mã xã,Tên xã,Cấp,Mã tỉnh,Vùng"]
        lines += [f"{c},Xã Thử {i},Xã,{PROVINCE},III" for i, c in enumerate(COMMUNES)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def persons_file(var: Path, rows: int, seed: int = 7) -> Path:
    """Generate the persons CSV once (vectorised with numpy; written 200,000 rows at a time)."""
    from ansinh.synth.names import FAMILY_NAMES, FEMALE_GIVEN, FEMALE_MIDDLE, MALE_GIVEN, MALE_MIDDLE

    path = var / f"bench-import-persons-{rows}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    family = np.array([n for n, _ in FAMILY_NAMES])
    weights = np.array([w for _, w in FAMILY_NAMES])
    birth = np.datetime64("1930-01-01") + rng.integers(0, 95 * 365, rows).astype("timedelta64[D]")
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    female = rng.random(rows) < 0.51
    # personal ID: birth province (3) + century/gender digit + year (2) + 6 digits unique in the group
    head = int(PROVINCE) * 1000 + (2 * ((year - 1900) // 100) + female) * 100 + year % 100
    order = np.argsort(head, kind="stable")
    sorted_head = head[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_head)) + 1]
    rank = np.empty(rows, np.int64)
    rank[order] = np.arange(rows) - np.repeat(starts, np.diff(np.r_[starts, rows]))
    serial = rng.permutation(1_000_000)[rank]
    pid = head * 1_000_000 + serial
    si = int(PROVINCE) * 10**8 + (np.arange(rows, dtype=np.int64) * 7_654_321 + 13) % 10**8
    fam = family[rng.choice(len(family), rows, p=weights / weights.sum())]
    middle = np.where(female, np.array(FEMALE_MIDDLE)[rng.integers(0, len(FEMALE_MIDDLE), rows)],
                      np.array(MALE_MIDDLE)[rng.integers(0, len(MALE_MIDDLE), rows)])
    given = np.where(female, np.array(FEMALE_GIVEN)[rng.integers(0, len(FEMALE_GIVEN), rows)],
                     np.array(MALE_GIVEN)[rng.integers(0, len(MALE_GIVEN), rows)])
    commune = np.array(COMMUNES)[rng.integers(0, len(COMMUNES), rows)]
    ethnicity = np.where(rng.random(rows) < 0.985, "Kinh", "Tày")
    phone = np.array(["09", "03", "08"])[rng.integers(0, 3, rows)]
    phone_tail = rng.integers(0, 10**8, rows)
    has_phone = rng.random(rows) < 0.8
    dead = rng.random(rows) < 0.01
    death = birth + rng.integers(365 * 20, 365 * 60, rows).astype("timedelta64[D]")
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for start in range(0, rows, CHUNK):
            part = range(start, min(rows, start + CHUNK))
            lines = []
            for i in part:
                b = birth[i].item()
                d = death[i].item()
                died = f"{d:%d/%m/%Y}" if dead[i] and d < np.datetime64("2025-06-01").item() else ""
                lines.append(
                    f"{pid[i]:012d},{si[i]:010d},{fam[i]} {middle[i]} {given[i]},{b:%d/%m/%Y},"
                    f"{'Nữ' if female[i] else 'Nam'},{commune[i]},{ethnicity[i]},"
                    f"{phone[i] + f'{phone_tail[i]:08d}' if has_phone[i] else ''},{died}\n")
            out.write("".join(lines))
    tmp.rename(path)
    return path


def fresh_database(url: str, areas: Path) -> None:
    """An empty migrated database with the commune list imported."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from ansinh.core.db import make_engine
    from ansinh.core.migrate import upgrade
    from ansinh.registry.importing import import_file

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
    else:
        admin = create_engine(parsed.set(drivername="postgresql+psycopg", database="postgres"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    import_file(engine, "areas", areas, actor="bench")
    engine.dispose()


def child(url: str, path: Path) -> None:
    from ansinh.core.db import make_engine
    from ansinh.registry.importing import import_file

    report_ = import_file(make_engine(url), "persons", path, actor="bench")
    print(f"  rows {report_.rows_total}, inserted {report_.inserted}, errors {report_.error_count}, "
          f"written {report_.written}", flush=True)
    if not report_.written:
        raise SystemExit(1)


def run_once(url: str, path: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one import in a child process."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_import", "--child", "--db", url,
                             "--file", str(path)])
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the import failed (status {status})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="sqlite:///var/bench-import.db")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("ANSINH_SECRET_KEY", "bench-import-secret-key-0123456789abcdef")
    if args.child:
        child(args.db, args.file)
        return
    var = Path("var")
    var.mkdir(exist_ok=True)
    started = time.perf_counter()
    path = persons_file(var, args.rows)
    areas = areas_file(var)
    print(f"file {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows; ready in "
          f"{time.perf_counter() - started:.1f} s); database {args.db}")
    walls, cpus, peaks = [], [], []
    for n in range(args.runs):
        fresh_database(args.db, areas)
        load = os.getloadavg()
        wall, cpu, peak = run_once(args.db, path)
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
        print(f"run {n + 1}: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak:.0f} MB "
              f"(load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})", flush=True)
    report("import persons wall", walls)
    report("import persons CPU", cpus)
    report("import persons peak RSS", peaks, "MB")
    print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; targets: "
          f"≤ 1024 MB and ≤ 120 s on SQLite — peak {statistics.median(peaks):.0f} MB, "
          f"wall {statistics.median(walls):.1f} s")


if __name__ == "__main__":
    main()
