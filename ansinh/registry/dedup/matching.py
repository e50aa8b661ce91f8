"""Finding records that are probably one human (một người nhiều sổ BHXH): blocking and scoring.

Pure computation over an Arrow table of persons, in an in-process DuckDB; no operational database.
Comparing every pair of 1 million records is 5·10¹¹ comparisons, so pairs are only formed inside
*blocks*, each aimed at one way a second record comes about:

1. ``same_pid``   — the same personal ID (số định danh cá nhân) under two SI numbers;
2. ``same_name``  — the same diacritic-free name, birth date and gender (e.g. an old record kept
   under the 9-digit CMND, or with no personal ID at all);
3. ``near_pid``   — personal IDs one digit apart or with two adjacent digits swapped (a typing
   mistake), found by equality on 11 masked keys per ID ("digits i and i+1 blanked"), kept only
   when the birth date or the name also agrees;
4. ``name_typo``  — same birth date, gender and commune, names one edit apart (Damerau–Levenshtein 1:
   "Nguyễn Văn Ann" / "Nguyễn Văn An"). The brief also allows "same personal ID" or "ID one digit
   apart" as the agreeing field: those pairs are already formed by blocks 1 and 3.

Every formed pair is then scored from the evidence, whichever block formed it (see :data:`WEIGHTS`
and :func:`band`). Worked example::

    >>> persons = pa.table({...})            # doctest: +SKIP
    >>> candidate_pairs(persons, min_score=50).to_pylist()   # doctest: +SKIP
    [{'person_a_id': 1, 'person_b_id': 2, 'score': 100.0,
      'reasons': 'same_personal_id,same_name,same_birth_date,same_gender,same_commune'}]
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

#: Columns of the ``persons`` table the matcher needs, in the order it reads them.
PERSON_COLUMNS = (
    "id",
    "personal_id",
    "full_name",
    "name_key",
    "birth_date",
    "gender",
    "commune_code",
    "household_id",
)

#: Points each piece of evidence adds (or removes). The score is their sum, clipped to 0–100.
#:
#: The points are roughly twice the log₂ likelihood ratio of each piece of evidence (Fellegi–Sunter):
#: how much more often it is seen in a true duplicate than in two people drawn at random from one
#: province. A birth date agrees by chance once in ~29,000 pairs (30 points), a commune once in ~120
#: (12), a full name once in a few hundred because names are concentrated in Vietnam (Nguyễn ≈ 38 %,
#: "Văn"/"Thị", a few dozen given names: 16), a personal ID essentially never (40). Two different
#: well-formed personal IDs count only a little against (−4): second records are often keyed with
#: someone else's or a mistyped ID, so this is common among true duplicates too. Name, birth date
#: and gender without a place or an ID score 48, just below the threshold: across a million people
#: such namesakes outnumber true duplicates (measured with bench/bench_dedup.py); the same commune
#: lifts them to 60. Twins (sinh đôi) share a household and a birth date, carry different IDs and
#: often names one letter apart (An / Anh): that combination is marked ``possible_twins``.
WEIGHTS: Mapping[str, float] = {
    "same_personal_id": 40,
    "near_personal_id": 24,
    "different_personal_id": -4,
    "same_name": 16,
    "same_name_unaccented": 14,
    "name_one_typo": 10,
    "different_name": -8,
    "same_birth_date": 30,
    "near_birth_date": 10,
    "different_birth_date": -12,
    "same_gender": 2,
    "different_gender": -14,
    "same_commune": 12,
    "same_household": 4,
    "possible_twins": -20,
}

#: Default threshold: pairs scoring below are not listed.
DEFAULT_MIN_SCORE = 50.0

#: Score bands shown to the reviewer, highest first: (lower bound, label, what to do).
BANDS: tuple[tuple[float, str, str], ...] = (
    (75, "very likely", "same ID (or an ID typo), same name and birth date: check the two files, merge"),
    (60, "likely", "an ID or the place agrees with name and birth date: check the population database"),
    (50, "possible", "name or ID partly disagrees: ask the person or the employer before merging"),
    (0, "unlikely", "not listed"),
)

#: Maximum number of pairs one block value may form: a placeholder value (a personal ID typed as
#: all zeros, a name key of "khong ro") must not blow up into millions of pairs.
MAX_BLOCK_SIZE = 50


def band(score: float) -> str:
    """The reviewer's band for a score: 'very likely', 'likely', 'possible' or 'unlikely'."""
    for lower, label, _ in BANDS:
        if score >= lower:
            return label
    return "unlikely"


def score_of(reasons: list[str]) -> float:
    """The score of a list of evidence tokens, as the SQL computes it (for tests and explanations)."""
    return max(0.0, min(100.0, sum(float(WEIGHTS[r]) for r in reasons)))


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never tries to download or load extensions (there is no internet)."""
    return duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})


def candidate_pairs(
    persons: pa.Table,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """Scored candidate pairs among ``persons`` (columns :data:`PERSON_COLUMNS`).

    Returns an Arrow table ``person_a_id < person_b_id, score, reasons``, one row per pair with
    ``score >= min_score``, ordered by score descending.
    """
    own = con is None
    db = connect() if con is None else con
    try:
        db.register("persons_in", persons)
        _prepare(db)
        db.execute(f"CREATE OR REPLACE TEMP TABLE pairs AS {_blocks_sql()}")
        result: pa.Table = db.sql(_score_sql(), params=[min_score]).to_arrow_table()
        return result
    finally:
        db.unregister("persons_in")
        if own:
            db.close()


def _prepare(db: duckdb.DuckDBPyConnection) -> None:
    """Normalise the input once: lower-cased name, numeric 12-digit ID, mask table for block 3."""
    db.execute(
        """
        CREATE OR REPLACE TEMP TABLE p AS
        SELECT CAST(id AS BIGINT) AS id,
               CAST(personal_id AS VARCHAR) AS personal_id,
               lower(CAST(full_name AS VARCHAR)) AS name_lc,
               CAST(name_key AS VARCHAR) AS name_key,
               CAST(birth_date AS DATE) AS birth_date,
               CAST(gender AS VARCHAR) AS gender,
               CAST(commune_code AS VARCHAR) AS commune_code,
               CAST(household_id AS BIGINT) AS household_id,
               CASE WHEN regexp_full_match(personal_id, '[0-9]{12}')
                    THEN CAST(personal_id AS BIGINT) END AS pid12
        FROM persons_in
        """
    )
    db.execute(f"CREATE OR REPLACE TEMP TABLE masks AS {_masks_sql()}")


def _masks_sql() -> str:
    """One row per pair of adjacent digit positions (i, i+1), i = 0..10.

    Blanking two adjacent digits gives keys that are equal for two IDs differing in one digit
    (at i or i+1) *and* for two IDs with digits i and i+1 swapped: 11 keys per ID cover both kinds
    of typo (23 would be needed with one key kind per typo). ``hi``/``lo`` are the place values of
    digits i and i+1, counted from the left of 12.
    """
    rows = [f"({i}, {10 ** (11 - i)}::BIGINT, {10 ** (10 - i)}::BIGINT)" for i in range(11)]
    return "SELECT * FROM (VALUES " + ", ".join(rows) + ") AS m(k, hi, lo)"


def _capped(block: str, keys: str) -> str:
    """Rows of ``p`` whose block ``keys`` value is shared by 2..MAX_BLOCK_SIZE records."""
    return f"""
        (SELECT * FROM p WHERE {block} QUALIFY count(*) OVER (PARTITION BY {keys})
                                                BETWEEN 2 AND {MAX_BLOCK_SIZE})
    """


def _blocks_sql() -> str:
    """The union of the four blocks, as distinct ordered pairs (a_id < b_id)."""
    same_pid = f"""
        SELECT a.id AS a_id, b.id AS b_id
        FROM {_capped("personal_id IS NOT NULL", "personal_id")} a
        JOIN p b ON a.personal_id = b.personal_id AND a.id < b.id
    """
    same_name = f"""
        SELECT a.id, b.id
        FROM {_capped("TRUE", "name_key, birth_date, gender")} a
        JOIN p b ON a.name_key = b.name_key AND a.birth_date = b.birth_date
                AND a.gender = b.gender AND a.id < b.id
    """
    # Block 3 on integers: hashing 11 BIGINT keys per person is far cheaper than strings. The key
    # folds the position k in, so that only keys of the same position can be equal. Blanking two
    # digits also pairs IDs that differ in both (12 vs 34): the last condition drops those.
    near_pid = """
        SELECT a.id, b.id
        FROM idkeys a JOIN idkeys b
          ON a.key = b.key AND a.id < b.id AND a.pid12 <> b.pid12
         AND (a.birth_date = b.birth_date OR a.name_hash = b.name_hash)
        WHERE damerau_levenshtein(lpad(CAST(a.pid12 AS VARCHAR), 12, '0'),
                                  lpad(CAST(b.pid12 AS VARCHAR), 12, '0')) = 1
    """
    name_typo = f"""
        SELECT a.id, b.id
        FROM {_capped("TRUE", "birth_date, gender, commune_code")} a
        JOIN p b ON a.birth_date = b.birth_date AND a.gender = b.gender
                AND a.commune_code = b.commune_code AND a.id < b.id
        WHERE a.name_key <> b.name_key
          AND abs(length(a.name_key) - length(b.name_key)) <= 1
          AND damerau_levenshtein(a.name_key, b.name_key) = 1
    """
    return f"""
        WITH idkeys AS MATERIALIZED (
            SELECT p.id, p.pid12, p.birth_date, hash(p.name_key) AS name_hash,
                   (p.pid12 - ((p.pid12 // m.hi) % 10) * m.hi - ((p.pid12 // m.lo) % 10) * m.lo) * 16
                   + m.k AS key
            FROM p CROSS JOIN masks m
            WHERE p.pid12 IS NOT NULL
        )
        SELECT DISTINCT a_id, b_id FROM (
            {same_pid} UNION ALL {same_name} UNION ALL {near_pid} UNION ALL {name_typo}
        )
    """


def _case(column: str, tokens: list[str]) -> str:
    """SQL for the points of the evidence token held in ``column``."""
    whens = " ".join(f"WHEN '{t}' THEN {float(WEIGHTS[t])}" for t in tokens)
    return f"(CASE {column} {whens} ELSE 0.0 END)"


def _score_sql() -> str:
    """Evidence tokens per pair, the score (sum of :data:`WEIGHTS`, clipped) and the reasons."""
    evidence = {
        "e_pid": ["same_personal_id", "near_personal_id", "different_personal_id"],
        "e_name": ["same_name", "same_name_unaccented", "name_one_typo", "different_name"],
        "e_birth": ["same_birth_date", "near_birth_date", "different_birth_date"],
        "e_gender": ["same_gender", "different_gender"],
        "e_commune": ["same_commune"],
        "e_household": ["same_household"],
        "e_twins": ["possible_twins"],
    }
    points = " + ".join(_case(col, tokens) for col, tokens in evidence.items())
    return f"""
        WITH ev AS (
            SELECT x.a_id, x.b_id,
                CASE WHEN a.personal_id = b.personal_id THEN 'same_personal_id'
                     -- only two well-formed 12-digit IDs can be compared; a legacy 9-digit
                     -- CMND or a missing ID says nothing either way
                     WHEN a.pid12 IS NULL OR b.pid12 IS NULL THEN NULL
                     WHEN damerau_levenshtein(a.personal_id, b.personal_id) = 1
                          THEN 'near_personal_id'
                     ELSE 'different_personal_id' END AS e_pid,
                CASE WHEN a.name_lc = b.name_lc THEN 'same_name'
                     WHEN a.name_key = b.name_key THEN 'same_name_unaccented'
                     WHEN abs(length(a.name_key) - length(b.name_key)) <= 1
                          AND damerau_levenshtein(a.name_key, b.name_key) = 1 THEN 'name_one_typo'
                     ELSE 'different_name' END AS e_name,
                CASE WHEN a.birth_date = b.birth_date THEN 'same_birth_date'
                     WHEN hamming(strftime(a.birth_date, '%Y%m%d'), strftime(b.birth_date, '%Y%m%d')) = 1
                       OR (month(a.birth_date) = day(b.birth_date) AND day(a.birth_date) = month(b.birth_date)
                           AND year(a.birth_date) = year(b.birth_date))
                          THEN 'near_birth_date'
                     ELSE 'different_birth_date' END AS e_birth,
                CASE WHEN a.gender = b.gender THEN 'same_gender' ELSE 'different_gender' END AS e_gender,
                CASE WHEN a.commune_code = b.commune_code THEN 'same_commune' END AS e_commune,
                CASE WHEN a.household_id = b.household_id THEN 'same_household' END AS e_household,
                CASE WHEN a.household_id = b.household_id AND a.birth_date = b.birth_date
                      AND a.pid12 <> b.pid12 AND a.name_key <> b.name_key
                     THEN 'possible_twins' END AS e_twins
            FROM pairs x JOIN p a ON a.id = x.a_id JOIN p b ON b.id = x.b_id
        ), scored AS (
            SELECT a_id, b_id,
                   greatest(0.0, least(100.0, {points})) AS score,
                   concat_ws(',', e_pid, e_name, e_birth, e_gender, e_commune, e_household, e_twins)
                       AS reasons
            FROM ev
        )
        SELECT a_id AS person_a_id, b_id AS person_b_id, score, reasons
        FROM scored WHERE score >= ?
        ORDER BY score DESC, person_a_id, person_b_id
    """


def counts_by_reason(pairs: pa.Table) -> dict[str, int]:
    """How many pairs carry each evidence token (for the run summary)."""
    tokens = pc.list_flatten(pc.split_pattern(pairs.column("reasons"), ","))
    counts = {str(row["values"]): int(row["counts"]) for row in pc.value_counts(tokens).to_pylist()}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def counts_by_band(pairs: pa.Table) -> dict[str, int]:
    """How many pairs fall in each reviewer band (see :data:`BANDS`)."""
    scores = pairs.column("score")
    counts = {}
    upper: float | None = None
    for lower, label, _ in BANDS:
        in_band = pc.greater_equal(scores, lower)
        if upper is not None:
            in_band = pc.and_(in_band, pc.less(scores, upper))
        counts[label] = int(pc.sum(pc.cast(in_band, pa.int64())).as_py() or 0)
        upper = lower
    return {label: n for label, n in counts.items() if n}
