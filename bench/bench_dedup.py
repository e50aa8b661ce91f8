"""Benchmark of the duplicate search (issue 2 target: ≤ 60 s for 1 million persons on 2 cores).

    .venv/bin/python -m bench.bench_dedup --db sqlite:///var/bench.db                  # existing data
    .venv/bin/python -m bench.bench_dedup --db sqlite:///var/bench.db --generate 1000000

``--generate N`` builds an N-person SQLite database first (vectorised numpy → Arrow → ADBC bulk
load) with ~2 % planted duplicates of the four kinds the search looks for, and keeps the planted
pairs next to the database (``<db>.planted.parquet``) so that later runs can report precision and
recall too. Each run is a full :func:`find_candidates` (read through ADBC, match in DuckDB, replace
the open candidates); the figures printed are each run's time, the median, counts, and the
precision/recall of the planted pairs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.engine import Engine

from ansinh.core.arrow_io import read_query, write_table
from ansinh.core.db import make_engine, unit_of_work
from ansinh.core.migrate import upgrade
from ansinh.core.text import name_key, strip_diacritics
from ansinh.registry.dedup import DEFAULT_MIN_SCORE, band, find_candidates
from ansinh.registry.models import Commune

COMMUNES = [f"42{i:03d}" for i in range(1, 121)]
KINDS = ("same_pid", "name_dob", "pid_typo", "name_typo")
PLANTED_SHARE = 0.02

# name components with rough frequencies (family names from population surveys; the rest invented)
FAMILY = {"Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 5, "Phan": 4.5, "Vũ": 3.9, "Võ": 3.5,
          "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1, "Lý": 0.5, "Đinh": 1,
          "Trương": 1, "Cao": 0.5, "Tạ": 0.3, "Lương": 0.5}  # fmt: skip
MIDDLE = {
    "male": {"Văn": 40, "Đức": 10, "Minh": 10, "Quang": 8, "Hữu": 7, "Thanh": 6, "Công": 6, "Xuân": 5,
             "Ngọc": 4, "Trọng": 4, "Đình": 5, "Anh": 3},
    "female": {"Thị": 50, "Ngọc": 8, "Thu": 7, "Thanh": 6, "Minh": 5, "Kim": 5, "Mỹ": 4, "Phương": 4,
               "Hồng": 5, "Bảo": 3, "Khánh": 3},
}  # fmt: skip
GIVEN = {
    "male": ["An", "Anh", "Bình", "Cường", "Dũng", "Duy", "Đức", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy",
             "Khoa", "Khánh", "Long", "Minh", "Nam", "Phong", "Phúc", "Quân", "Sơn", "Tài", "Thắng",
             "Thành", "Trung", "Tuấn", "Việt", "Vinh", "Hưng", "Lâm", "Lộc", "Nghĩa", "Quang", "Tâm",
             "Thịnh", "Tiến", "Toàn", "Trí", "Tú", "Kiên"],
    "female": ["Anh", "Bích", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng",
               "Hương", "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung",
               "Oanh", "Phương", "Quỳnh", "Thảo", "Thu", "Thủy", "Trang", "Tuyết", "Vân", "Yến", "Hậu",
               "Lệ", "Liên", "Nhàn", "Tâm", "Thơ", "Uyên", "Xuân"],
}  # fmt: skip
BIRTH_PROVINCES = np.array([42, 1, 79, 40, 38, 44, 48])
BIRTH_PROVINCE_P = np.array([0.85, 0.03, 0.03, 0.04, 0.02, 0.02, 0.01])


# --- generation ----------------------------------------------------------------------------------


def _zipf(n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** 0.9
    return weights / weights.sum()


def _names(rng: np.random.Generator, female: np.ndarray) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Full names (with diacritics), their unaccented spelling and name keys, drawn per gender."""
    n = len(female)
    fam_p = np.array(list(FAMILY.values()), dtype=float)
    fam = rng.choice(len(FAMILY), n, p=fam_p / fam_p.sum())
    full = np.empty(n, dtype=object)
    for gender, mask in (("male", ~female), ("female", female)):
        middles = MIDDLE[gender]
        mid_p = np.array(list(middles.values()), dtype=float)
        mid = rng.choice(len(middles), mask.sum(), p=mid_p / mid_p.sum())
        given = rng.choice(len(GIVEN[gender]), mask.sum(), p=_zipf(len(GIVEN[gender])))
        fam_s = np.array(list(FAMILY), dtype=object)[fam[mask]]
        mid_s = np.array(list(middles), dtype=object)[mid]
        giv_s = np.array(GIVEN[gender], dtype=object)[given]
        full[mask] = fam_s + " " + mid_s + " " + giv_s
    return _name_columns(pa.array(full, type=pa.string()))


def _name_columns(full: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(full name, unaccented full name, name key), computed once per distinct name."""
    encoded = pc.dictionary_encode(full)
    dictionary = encoded.dictionary.to_pylist()
    plain = pa.array([strip_diacritics(s) for s in dictionary], type=pa.string())
    keys = pa.array([name_key(s) for s in dictionary], type=pa.string())
    return full, pc.take(plain, encoded.indices), pc.take(keys, encoded.indices)


def _personal_ids(rng: np.random.Generator, birth_year: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Unique 12-digit personal IDs as int64: province, century/gender digit, year, 6 random digits."""
    province = rng.choice(BIRTH_PROVINCES, len(birth_year), p=BIRTH_PROVINCE_P)
    digit4 = 2 * ((birth_year - 1900) // 100) + female
    prefix = province * 10**9 + digit4 * 10**8 + (birth_year % 100) * 10**6
    ids = prefix + rng.integers(0, 10**6, len(prefix))
    while True:  # redraw the few collisions so that planted pairs are the only shared IDs
        _, first, counts = np.unique(ids, return_index=True, return_counts=True)
        clash = np.ones(len(ids), dtype=bool)
        clash[first] = False
        if not clash.any() and (counts == 1).all():
            return ids
        ids[clash] = prefix[clash] + rng.integers(0, 10**6, clash.sum())


def _digits(ids: np.ndarray) -> np.ndarray:
    return (ids[:, None] // 10 ** np.arange(11, -1, -1)) % 10


def _from_digits(digits: np.ndarray) -> np.ndarray:
    return (digits * 10 ** np.arange(11, -1, -1)).sum(axis=1)


def _id_typos(rng: np.random.Generator, ids: np.ndarray) -> np.ndarray:
    """One digit wrong (half) or two adjacent different digits swapped (half)."""
    digits = _digits(ids)
    rows = np.arange(len(ids))
    pos = rng.integers(0, 11, len(ids))
    swappable = digits[rows, pos] != digits[rows, pos + 1]
    swap = swappable & (rng.random(len(ids)) < 0.5)
    left, right = digits[rows, pos].copy(), digits[rows, pos + 1].copy()
    digits[rows[swap], pos[swap]] = right[swap]
    digits[rows[swap], pos[swap] + 1] = left[swap]
    sub = ~swap
    digits[rows[sub], pos[sub]] = (digits[rows[sub], pos[sub]] + rng.integers(1, 10, sub.sum())) % 10
    return _from_digits(digits)


def _other_ids(rng: np.random.Generator, ids: np.ndarray) -> np.ndarray:
    """Another ID of the same birth place, century/gender and year: the last 6 digits redrawn."""
    return ids - ids % 10**6 + (ids % 10**6 + rng.integers(1, 10**6, len(ids))) % 10**6


def _date_typos(days: np.ndarray) -> np.ndarray:
    """Day and month swapped when both are ≤ 12 and differ, else the day's last digit off by one."""
    dates = days.astype("datetime64[D]")
    months = dates.astype("datetime64[M]")
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    month = months.astype(np.int64) % 12 + 1
    year_start = dates.astype("datetime64[Y]").astype("datetime64[M]")
    swapped = (year_start + (day - 1)).astype("datetime64[D]") + (month - 1)
    shifted = dates + np.where((day == 1) | (day % 10 == 0), 1, -1)
    swap = (day <= 12) & (day != month)
    return np.where(swap, swapped, shifted).astype(np.int64)


def _name_typos(rng: np.random.Generator, full: list[str]) -> list[str]:
    """One character added (last letter doubled) or dropped at the end of the given name."""
    double = rng.random(len(full)) < 0.5
    return [name + name[-1] if d else name[:-1] for name, d in zip(full, double, strict=True)]


def _id_strings(ids: np.ndarray, width: int, valid: np.ndarray) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(ids), pa.string()), width, "0")
    return pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))


def generate(n: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """``n`` persons (originals and planted duplicates) and the planted pairs with their kind."""
    rng = np.random.default_rng(seed)
    planted = int(n * PLANTED_SHARE) // len(KINDS) * len(KINDS)
    originals = n - planted
    female = rng.random(originals) < 0.5
    epoch = (date(1945, 1, 1) - date(1970, 1, 1)).days
    birth_days = rng.integers(epoch, epoch + 80 * 365, originals)
    birth_year = birth_days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    full, plain, _ = _names(rng, female)
    pid = _personal_ids(rng, birth_year, female.astype(np.int64))
    has_pid = rng.random(originals) >= 0.08
    commune = rng.integers(0, len(COMMUNES), originals)

    source = rng.choice(np.flatnonzero(has_pid), planted, replace=False)
    kind = np.repeat(np.arange(len(KINDS)), planted // len(KINDS))
    dup_pid = pid[source].copy()
    dup_pid_valid = np.ones(planted, dtype=bool)
    dup_legacy = np.zeros(planted, dtype=bool)
    unaccented = rng.random(planted) < 0.5
    dup_full = np.where(unaccented, plain.take(source).to_numpy(zero_copy_only=False),
                        full.take(source).to_numpy(zero_copy_only=False)).astype(object)  # fmt: skip
    dup_commune = np.where(
        rng.random(planted) < 0.5, commune[source], rng.integers(0, len(COMMUNES), planted)
    )
    dup_days = birth_days[source].copy()

    k_name_dob, k_pid_typo, k_name_typo = (kind == 1), (kind == 2), (kind == 3)
    # kind 2: the old record under a 9-digit CMND, with no ID, or keyed with another valid ID of the
    # same birth year and place (someone else's), a third each; mostly in the same commune
    variant = rng.integers(0, 3, planted)
    dup_legacy[k_name_dob & (variant == 0)] = True
    dup_pid_valid[k_name_dob & (variant < 2)] = False
    dup_pid[k_name_dob & (variant == 0)] = rng.integers(10**8, 10**9, (k_name_dob & (variant == 0)).sum())
    dup_pid = np.where(k_name_dob & (variant == 2), _other_ids(rng, dup_pid), dup_pid)
    dup_commune[k_name_dob] = np.where(rng.random(k_name_dob.sum()) < 0.7, commune[source[k_name_dob]],
                                       dup_commune[k_name_dob])  # fmt: skip
    # kind 3: a typed ID; one in five also has the birth date mistyped
    dup_pid[k_pid_typo] = _id_typos(rng, pid[source[k_pid_typo]])
    wrong_day = k_pid_typo & (rng.random(planted) < 0.2)
    dup_days[wrong_day] = _date_typos(dup_days[wrong_day])
    # kind 4: a name typo under the same ID, or with no ID / another valid ID in the same commune
    dup_full[k_name_typo] = _name_typos(rng, list(full.take(source[k_name_typo]).to_pylist()))
    dup_pid_valid[k_name_typo & (variant == 1)] = False
    dup_pid = np.where(k_name_typo & (variant == 2), _other_ids(rng, dup_pid), dup_pid)
    dup_commune[k_name_typo & (variant > 0)] = commune[source[k_name_typo & (variant > 0)]]

    ids = np.arange(1, n + 1)
    dup_ids = ids[originals:]
    personal = np.concatenate([pid, dup_pid])
    valid12 = np.concatenate([has_pid, dup_pid_valid])
    legacy = np.concatenate([np.zeros(originals, dtype=bool), dup_legacy])
    personal_ids = pc.if_else(
        pa.array(legacy), _id_strings(personal, 9, legacy), _id_strings(personal, 12, valid12)
    )
    all_full = pa.concat_arrays([full, pa.array(dup_full, type=pa.string())])
    _, _, all_keys = _name_columns(all_full)
    genders = np.concatenate([female, female[source]])
    persons = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "personal_id": personal_ids,
            "si_number": _id_strings(4200000000 + rng.permutation(n), 10, np.ones(n, dtype=bool)),
            "full_name": all_full,
            "name_key": all_keys,
            "birth_date": pa.array(np.concatenate([birth_days, dup_days]).astype(np.int32), pa.date32()),
            "gender": pa.array(np.where(genders, "female", "male")),
            "commune_code": pa.array(np.array(COMMUNES)[np.concatenate([commune, dup_commune])]),
        }
    )
    pairs = pa.table(
        {
            "person_a_id": pa.array(source + 1, pa.int64()),
            "person_b_id": pa.array(dup_ids, pa.int64()),
            "kind": pa.array(np.array(KINDS)[kind]),
        }
    )
    return persons, pairs


def build_database(engine: Engine, n: int, seed: int) -> pa.Table:
    """Migrate, insert the communes, bulk-load ``n`` generated persons; return the planted pairs."""
    upgrade(engine)
    with unit_of_work(engine) as session:
        for code in COMMUNES:
            session.add(Commune(code=code, name=f"Xã {code}", kind="xa", province_code="42",
                                valid_from=date(2025, 7, 1)))  # fmt: skip
    persons, pairs = generate(n, seed)
    for start in range(0, persons.num_rows, 200_000):
        write_table(engine, "persons", persons.slice(start, 200_000))
    return pairs


# --- measuring -----------------------------------------------------------------------------------


def evaluate(engine: Engine, planted: pa.Table, kinds: tuple[str, ...] = KINDS) -> None:
    found = read_query(
        engine, "SELECT person_a_id, person_b_id, score FROM dedup_candidates WHERE status = 'open'"
    )
    found = found.cast(
        pa.schema([("person_a_id", pa.int64()), ("person_b_id", pa.int64()), ("score", pa.float64())])
    )
    hits = found.join(planted, ["person_a_id", "person_b_id"], join_type="inner")
    precision = hits.num_rows / found.num_rows if found.num_rows else 0.0
    recall = hits.num_rows / planted.num_rows if planted.num_rows else 0.0
    print(f"planted pairs {planted.num_rows:,}; found {found.num_rows:,}; true {hits.num_rows:,}")
    print(f"precision {precision:.4f}  recall {recall:.4f}")
    for kind in kinds:
        of_kind = planted.filter(pc.equal(planted["kind"], kind)).num_rows
        hit = hits.filter(pc.equal(hits["kind"], kind)).num_rows
        print(f"  recall {kind:<16} {hit:>7,} / {of_kind:<7,} = {hit / of_kind if of_kind else 0:.4f}")
    false = found.join(planted, ["person_a_id", "person_b_id"], join_type="left anti")
    by_band: dict[str, int] = {}
    for score in false["score"].to_pylist():
        by_band[band(score)] = by_band.get(band(score), 0) + 1
    print(f"  unplanted pairs by band: {by_band}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite:///var/bench.db")
    parser.add_argument("--generate", type=int, metavar="N", help="first build an N-person SQLite database")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--min-score", type=float, default=DEFAULT_MIN_SCORE)
    parser.add_argument(
        "--labels", type=Path, help="label file of `ansinh synth` (var/synth-labels/duplicates.csv)"
    )
    args = parser.parse_args()

    engine = make_engine(args.db)
    sidecar = Path((engine.url.database or "bench") + ".planted.parquet")
    if args.generate:
        path = Path(engine.url.database or "")
        if engine.url.get_backend_name() != "sqlite" or not engine.url.database:
            parser.error("--generate builds a SQLite file database")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        start = time.perf_counter()
        planted = build_database(engine, args.generate, args.seed)
        pq.write_table(planted, sidecar)
        print(f"generated {args.generate:,} persons ({planted.num_rows:,} planted duplicates) "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip

    times = []
    for run in range(1, args.runs + 1):
        start = time.perf_counter()
        report = find_candidates(engine, min_score=args.min_score)
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        phases = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
        print(
            f"run {run}: {elapsed:.1f} s ({phases}); {report.persons:,} persons, {report.candidates:,} pairs"
        )
    print(f"median {statistics.median(times):.1f} s over {len(times)} runs")
    print(f"by reason: {report.counts_by_reason}")
    print(f"by band: {report.counts_by_band}")
    if args.labels:
        evaluate(engine, synth_labels(args.labels), kinds=SYNTH_KINDS)
    elif sidecar.exists():
        evaluate(engine, pq.read_table(sidecar))


SYNTH_KINDS = ("same_personal_id", "unaccented_name", "id_typo", "name_typo")


def synth_labels(path: Path) -> pa.Table:
    """The synthetic province's planted pairs, ordered as the candidates table orders them."""
    import pyarrow.csv as pacsv

    labels = pacsv.read_csv(path)
    a = pc.min_element_wise(labels["original_id"], labels["duplicate_id"])
    b = pc.max_element_wise(labels["original_id"], labels["duplicate_id"])
    return pa.table(
        {"person_a_id": a.cast(pa.int64()), "person_b_id": b.cast(pa.int64()), "kind": labels["kind"]}
    )


if __name__ == "__main__":
    main()
