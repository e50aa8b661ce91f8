"""Ledger import benchmark: a bank statement and an employer's declaration file, streamed in batches.

    .venv/bin/python -m bench.bench_ledger_import --runs 3
    .venv/bin/python -m bench.bench_ledger_import --runs 2 --db postgresql://postgres@127.0.0.1:5432/ansinh_bench_li
    .venv/bin/python -m bench.bench_ledger_import --runs 2 --sqlite-cache-mb 16
    .venv/bin/python -m bench.bench_ledger_import --runs 1 --bank-rows 20000 --declaration-rows 5000   # small

Generated once under var/ (numpy, fixed seed) and reused:

- var/bench-ledger-bank-<rows>.csv: a statement (sao kê) of unique transaction ids, amounts of
  0.5–50 million đồng, descriptions naming an employer by tax code (70 %), by its reference DV……
  (15 %), or nothing the matcher knows (15 %, the unmatched queue);
- var/bench-ledger-declarations-<rows>.csv: one employer's declaration file (kê khai), one row per
  employee: a join (TM) from 04/2026 at a salary above the region I minimum, or, for every tenth
  employee (already employed since 2025-01), a salary change (DC) from 04/2026;
- the database template: migrated, one commune, 2,000 employers (region I), as many persons as the
  largest declaration file, the spells of the employees that change salary (SQLite:
  var/bench-ledger-import-template-<persons>.db; PostgreSQL: the database ``<name>_template``).

Each run starts from a fresh copy of the template (SQLite: the file copied; PostgreSQL: ``CREATE
DATABASE … TEMPLATE``) and imports one file in a child process — ``import_statement`` or
``import_declarations``, all-or-nothing, one transaction, batches of the default size —; the
parent measures its wall time, CPU time (user + system) and peak resident memory (``os.wait4``
rusage ``ru_maxrss`` of that child). Medians are printed per file size with the load average
(the machine is shared): peak memory should not grow with the file.

On SQLite the child's resident memory also holds SQLite's page cache, which the application sets to
256 MB plus a memory-mapped file (:func:`ansinh.core.db.make_engine`) and which fills with the pages
a large import writes; ``--sqlite-cache-mb 16`` lowers it (and turns the mmap off) in the child to
show the importer's own memory. On PostgreSQL the cache belongs to the server.
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

import numpy as np

from bench.common import report

BANK_ROWS = (100_000, 500_000)
DECLARATION_ROWS = (10_000, 50_000)
EMPLOYERS = 2_000
COMMUNE = "18001"
PROVINCE = "42"
TAX_BASE = 3_000_000_000
DECLARING_TAX = f"{TAX_BASE:010d}"  # the first employer declares
CHUNK = 100_000
SEED = 11


def _tax(i: int) -> str:
    return f"{TAX_BASE + i:010d}"


def _si(i: int) -> str:
    return f"{42 * 10**8 + i:010d}"


def _pid(i: int) -> str:
    return f"0421{90 + i % 10:02d}{i:06d}"  # born 1990–1999 (20th century, women: digit 1)


def bank_file(var: Path, rows: int, seed: int = SEED) -> Path:
    """The statement CSV, generated once (columns vectorised with numpy, written in chunks)."""
    path = var / f"bench-ledger-bank-{rows}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    day = np.datetime64("2026-04-01") + rng.integers(0, 30, rows).astype("timedelta64[D]")
    amount = rng.integers(500, 50_000, rows) * 1_000
    employer = rng.integers(0, EMPLOYERS, rows)
    how = rng.random(rows)
    account = rng.integers(10**12, 10**13, rows)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        out.write("Mã giao dịch,Ngày giao dịch,Số tiền,Tài khoản,Nội dung\n")
        for start in range(0, rows, CHUNK):
            lines = []
            for i in range(start, min(rows, start + CHUNK)):
                d = day[i].item()
                e = int(employer[i])
                memo = (
                    f"BHXH T03 MST {_tax(e)}"
                    if how[i] < 0.70
                    else f"nop tien bao hiem DV{e + 1:06d}"
                    if how[i] < 0.85
                    else "chuyen tien nop bao hiem"
                )
                lines.append(f"FT{i:010d},{d:%d/%m/%Y},{amount[i]},{account[i]},{memo}\n")
            out.write("".join(lines))
    tmp.rename(path)
    return path


def declaration_file(var: Path, rows: int, seed: int = SEED) -> Path:
    """The declaration CSV of the first employer, generated once."""
    path = var / f"bench-ledger-declarations-{rows}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    salary = rng.integers(5_400, 40_000, rows) * 1_000
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        out.write("Mã số BHXH,Họ và tên,Mức lương,Từ tháng,Đến tháng,Loại bảo hiểm,Phương án\n")
        for start in range(0, rows, CHUNK):
            lines = []
            for i in range(start, min(rows, start + CHUNK)):
                if i % 10 == 0:
                    lines.append(f'{_si(i)},Nguyễn Thị {i},{salary[i]},04/2026,,"BHXH, BHTN",DC\n')
                else:
                    lines.append(f'{_si(i)},Nguyễn Thị {i},{salary[i]},04/2026,,"BHXH, BHYT, BHTN",TM\n')
            out.write("".join(lines))
    tmp.rename(path)
    return path


def _seed(url: str, persons: int) -> None:
    """Employers, persons and the spells of the employees whose salary changes, in bulk (Core)."""
    from sqlalchemy import insert

    from ansinh.core.db import make_engine
    from ansinh.core.migrate import upgrade
    from ansinh.registry.models import Commune, Employer, EmployerRegion, Participation, Person

    engine = make_engine(url)
    upgrade(engine)
    since = date(2015, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            insert(Commune),
            [{"code": COMMUNE, "name": "Phường Thử", "kind": "phuong", "province_code": PROVINCE,
              "valid_from": date(2025, 7, 1), "wage_region": 1}],
        )
        conn.execute(
            insert(Employer),
            [{"id": e + 1, "tax_code": _tax(e), "name": f"Công ty Thử {e}", "name_key": f"cong ty thu {e}",
              "kind": "enterprise", "commune_code": COMMUNE, "sector": "C", "registered_on": since}
             for e in range(EMPLOYERS)],
        )
        conn.execute(
            insert(EmployerRegion),
            [{"employer_id": e + 1, "region": 1, "valid_from": since} for e in range(EMPLOYERS)],
        )
        for start in range(0, persons, 20_000):
            part = range(start, min(persons, start + 20_000))
            conn.execute(
                insert(Person),
                [{"id": i + 1, "personal_id": _pid(i), "si_number": _si(i), "full_name": f"Nguyễn Thị {i}",
                  "name_key": f"nguyen thi {i}", "birth_date": date(1990 + i % 10, 1, 1), "gender": "female",
                  "commune_code": COMMUNE} for i in part],
            )
            conn.execute(
                insert(Participation),
                [{"person_id": i + 1, "scheme": scheme, "valid_from": date(2025, 1, 1), "employer_id": 1,
                  "salary": None if scheme == "hi" else 8_000_000,
                  "hi_group": "DN" if scheme == "hi" else None,
                  "hi_benefit_level": 4 if scheme == "hi" else None}
                 for i in part if i % 10 == 0 for scheme in ("si", "hi", "ui")],
            )
    engine.dispose()


def _postgres(url: str) -> tuple[object, str]:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(parsed.set(drivername="postgresql+psycopg", database="postgres"),
                          isolation_level="AUTOCOMMIT")
    return admin, str(parsed.database)


def template(url: str, var: Path, persons: int) -> str:
    """The seeded template (created once): a SQLite file path, or a PostgreSQL database name."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = var / f"bench-ledger-import-template-{persons}.db"
        if not path.exists():
            tmp = path.with_suffix(".tmp.db")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{tmp}{suffix}").unlink(missing_ok=True)
            _seed(f"sqlite:///{tmp}", persons)
            tmp.rename(path)
        return str(path)
    admin, name = _postgres(url)
    name = f"{name}_template_{persons}"
    with admin.connect() as conn:  # type: ignore[attr-defined]
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            _seed(parsed.set(database=name).render_as_string(hide_password=False), persons)
    admin.dispose()  # type: ignore[attr-defined]
    return name


def fresh_copy(url: str, source: str) -> None:
    """The database at ``url`` made a fresh copy of the template."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        shutil.copy(source, str(parsed.database))
        return
    admin, name = _postgres(url)
    with admin.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    admin.dispose()  # type: ignore[attr-defined]


def child(kind: str, url: str, path: Path, cache_mb: int | None) -> None:
    from sqlalchemy import event

    from ansinh.core.db import make_engine, unit_of_work

    engine = make_engine(url)
    if cache_mb is not None and engine.dialect.name == "sqlite":

        def _small_cache(connection: object, _record: object) -> None:  # after the application's pragmas
            cursor = connection.cursor()  # type: ignore[attr-defined]
            cursor.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
            cursor.execute("PRAGMA mmap_size=0")
            cursor.close()

        event.listen(engine, "connect", _small_cache)
    if kind == "bank":
        from ansinh.ledger.payments import import_statement

        bank = import_statement(engine, path, actor="bench")
        print(f"    rows {bank.rows_total:,}: credited {bank.credited:,} ({bank.matched:,} matched, "
              f"{bank.unmatched:,} to assign), errors {bank.error_count}", flush=True)
        ok = bank.written
    else:
        from ansinh.ledger.declarations import import_declarations

        with unit_of_work(engine) as session:
            declared = import_declarations(session, DECLARING_TAX, path, actor="bench")
        print(f"    rows {declared.rows_total:,}: applied {declared.applied:,}, repeated "
              f"{declared.repeated}, errors {declared.error_count}", flush=True)
        ok = declared.ok and declared.applied == declared.rows_total
    if not ok:
        raise SystemExit(1)


def run_once(kind: str, url: str, path: Path, cache_mb: int | None) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one import in a child process."""
    started = time.perf_counter()
    extra = ["--sqlite-cache-mb", str(cache_mb)] if cache_mb is not None else []
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_ledger_import", "--child", kind, "--db", url,
                             "--file", str(path), *extra])
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the import failed (status {status})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", default="sqlite:///var/bench-ledger-import.db")
    parser.add_argument("--bank-rows", default=",".join(map(str, BANK_ROWS)))
    parser.add_argument("--declaration-rows", default=",".join(map(str, DECLARATION_ROWS)))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sqlite-cache-mb", type=int, help="SQLite page cache of the child, MB")
    parser.add_argument("--child", choices=("bank", "declarations"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("ANSINH_SECRET_KEY", "bench-ledger-import-secret-key-0123456789")
    if args.child:
        child(args.child, args.db, args.file, args.sqlite_cache_mb)
        return
    var = Path("var")
    var.mkdir(exist_ok=True)
    bank_sizes, declaration_sizes = _sizes(args.bank_rows), _sizes(args.declaration_rows)
    started = time.perf_counter()
    files = [("bank", n, bank_file(var, n)) for n in bank_sizes]
    files += [("declarations", n, declaration_file(var, n)) for n in declaration_sizes]
    source = template(args.db, var, max(declaration_sizes, default=0))
    cache = f", SQLite page cache {args.sqlite_cache_mb} MB" if args.sqlite_cache_mb is not None else ""
    print(f"files and template ready in {time.perf_counter() - started:.1f} s; database {args.db}{cache}")
    summary = []
    for kind, rows, path in files:
        print(f"{kind}: {path} ({path.stat().st_size / 1e6:.1f} MB, {rows:,} rows)", flush=True)
        walls, cpus, peaks = [], [], []
        for n in range(args.runs):
            fresh_copy(args.db, source)
            load = os.getloadavg()
            wall, cpu, peak = run_once(kind, args.db, path, args.sqlite_cache_mb)
            walls.append(wall)
            cpus.append(cpu)
            peaks.append(peak)
            print(f"  run {n + 1}: wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {peak:.0f} MB "
                  f"(load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})", flush=True)
        report(f"  {kind} {rows:,} wall", walls)
        report(f"  {kind} {rows:,} CPU", cpus)
        report(f"  {kind} {rows:,} peak RSS", peaks, "MB")
        summary.append((kind, rows, statistics.median(walls), statistics.median(peaks)))
    print(f"load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for kind, rows, wall, peak in summary:
        print(f"  {kind:<12} {rows:>9,} rows: wall {wall:6.1f} s ({rows / wall:8,.0f} rows/s), peak RSS "
              f"{peak:4.0f} MB")


if __name__ == "__main__":
    main()
