"""Households and persons: a population pyramid in families, names, identifiers, deaths and moves."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.core.text import name_key
from ansinh.synth.calendar import first_day, months_of
from ansinh.synth.context import SynthContext
from ansinh.synth.names import FAMILY_NAMES, FEMALE_GIVEN, FEMALE_MIDDLE, MALE_GIVEN, MALE_MIDDLE

HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5, 6, 7])
HOUSEHOLD_SIZE_P = np.array([0.10, 0.18, 0.22, 0.26, 0.13, 0.07, 0.04])
#: Other provinces' legacy codes seen in personal IDs of people born elsewhere.
BIRTH_PROVINCES_ELSEWHERE = ["040", "038", "044", "045", "001", "079", "048", "036"]
ETHNIC_MINORITY_CODES = ["03", "05", "06", "18", "20"]  # QĐ 121-TCTK codes, Kinh = 01
#: Affine permutation that turns a rank into a distinct-looking, unique SI number (coprime to 10).
_SI_MULT = 48_271


def _permute(rank: np.ndarray, modulus: int, mult: int, offset: int) -> np.ndarray:
    return (rank.astype(np.int64) * mult + offset) % modulus


def _choose(rng: np.random.Generator, options: list[str], n: int, p: np.ndarray | None = None) -> pa.Array:
    idx = rng.choice(len(options), n, p=p)
    return pc.take(pa.array(options, pa.string()), pa.array(idx))


def _group_rank(keys: np.ndarray) -> np.ndarray:
    """Rank of each element within its group of equal keys (0, 1, 2, …)."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1]
    counts = np.diff(np.r_[starts, len(keys)])
    ranks_sorted = np.arange(len(keys)) - np.repeat(starts, counts)
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = ranks_sorted
    return ranks


def generate_households(ctx: SynthContext, n_people: int) -> None:
    """Households sized like the census (mean ≈ 3.5), each in a commune; ``n_people`` members in all."""
    rng = ctx.rng("households")
    n_households = int(n_people / (HOUSEHOLD_SIZES @ HOUSEHOLD_SIZE_P) * 1.05) + 1
    sizes = rng.choice(HOUSEHOLD_SIZES, n_households, p=HOUSEHOLD_SIZE_P)
    cum = np.cumsum(sizes)
    n_households = int(np.searchsorted(cum, n_people) + 1)
    sizes = sizes[:n_households]
    sizes[-1] -= int(cum[n_households - 1] - n_people)
    communes = ctx.arrays["commune_code"]
    hh_commune = rng.choice(len(communes), n_households, p=ctx.arrays["commune_weight"])
    ctx.arrays["hh_size"] = sizes
    ctx.arrays["hh_commune"] = hh_commune
    # Moves: about 2% of households a year came from another commune of the province.
    first_year, last_year = ctx.config.start_month // 12, ctx.config.end_month // 12
    moved = rng.random(n_households) < 0.02 * ctx.config.months / 12
    ctx.arrays["hh_move_year"] = np.where(
        moved, rng.integers(first_year + 1, last_year + 1, n_households), 9999
    )
    ctx.arrays["hh_prev_commune"] = np.where(
        moved,
        (hh_commune + rng.integers(1, len(ctx.arrays["commune_code"]), n_households))
        % len(ctx.arrays["commune_code"]),
        hh_commune,
    )
    ids = np.arange(1, n_households + 1, dtype=np.int64)
    village = rng.integers(1, 15, n_households)
    ctx.tables["households"] = pa.table(
        {
            "id": ids,
            "code": pc.utf8_lpad(
                pc.cast(pa.array(ids + int(ctx.config.province) * 10**8), pa.string()), 12, "0"
            ),
            "commune_code": pc.take(pa.array(list(communes), pa.string()), pa.array(hh_commune)),
            "address": pc.binary_join_element_wise("Thôn ", pc.cast(pa.array(village), pa.string()), ""),
        }
    )


def _ages_and_roles(ctx: SynthContext) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Age in years (float) at the reference date, gender (1 = female), relation, household index."""
    rng = ctx.rng("persons")
    sizes = ctx.arrays["hh_size"]
    n = int(sizes.sum())
    hh = np.repeat(np.arange(len(sizes)), sizes)
    pos = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    head_age = np.clip(20 + rng.gamma(3.2, 9.5, len(sizes)), 20, 98)
    head_female = rng.random(len(sizes)) < 0.25
    has_spouse = rng.random(len(sizes)) < 0.85
    parent_last = (sizes >= 5) & (rng.random(len(sizes)) < 0.45)
    relation = np.full(n, "child", dtype=object)
    relation[pos == 0] = "head"
    spouse = (pos == 1) & has_spouse[hh]
    relation[spouse] = "spouse"
    parent = (pos == sizes[hh] - 1) & parent_last[hh] & (pos >= 2)
    relation[parent] = "parent"
    age = np.empty(n)
    age[pos == 0] = head_age
    age[spouse] = np.clip(head_age[hh[spouse]] + rng.normal(-2.5, 4.0, spouse.sum()), 18, 98)
    child = relation == "child"
    # A child is 19–42 years younger than the head, and not yet born is not a child: the gap is drawn
    # within what the head's age allows.
    parent_age = head_age[hh[child]]
    age[child] = parent_age - rng.uniform(19, np.minimum(42, parent_age - 0.05))
    age[parent] = np.clip(head_age[hh[parent]] + rng.uniform(22, 32, parent.sum()), 40, 102)
    age = np.clip(age, 0.0, 102)
    female = np.empty(n, dtype=bool)
    female[pos == 0] = head_female
    female[spouse] = ~head_female[hh[spouse]]
    others = ~((pos == 0) | spouse)
    female[others] = rng.random(others.sum()) < 0.49
    # Twins: in some families the second child shares the first child's birth date (a trap for dedup).
    twin = (
        child & (pos == 2) & (relation[np.maximum(np.arange(n) - 1, 0)] == "child") & (rng.random(n) < 0.01)
    )
    age[twin] = age[np.flatnonzero(twin) - 1]
    return age, female, relation, hh


def generate_persons(ctx: SynthContext) -> None:
    rng = ctx.rng("persons")
    age, female, relation, hh = _ages_and_roles(ctx)
    n = len(age)
    ref = np.datetime64(ctx.config.reference_date)
    birth = ref - np.round(age * 365.25).astype("timedelta64[D]")
    birth_year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    # Names: the family name is the household's (the head's, or the head's husband's) for children.
    fam_p = np.array([w for _, w in FAMILY_NAMES])
    hh_family = rng.choice(len(FAMILY_NAMES), len(ctx.arrays["hh_size"]), p=fam_p / fam_p.sum())
    family = hh_family[hh]
    married_in = (relation == "spouse") | (relation == "parent")
    family[married_in] = rng.choice(len(FAMILY_NAMES), married_in.sum(), p=fam_p / fam_p.sum())
    middle = np.where(female, rng.integers(0, len(FEMALE_MIDDLE), n), rng.integers(0, len(MALE_MIDDLE), n))
    given = np.where(female, rng.integers(0, len(FEMALE_GIVEN), n), rng.integers(0, len(MALE_GIVEN), n))
    twins = np.flatnonzero(np.r_[False, (birth[1:] == birth[:-1]) & (hh[1:] == hh[:-1])])
    given[twins] = (given[twins - 1] + 1 + rng.integers(0, 5, len(twins))) % 40  # twins never share a name
    full_name = _join_names(family, middle, given, female)
    key = _join_names(family, middle, given, female, keyed=True)
    # Personal ID: birth-province (3) + century/gender (1) + year (2) + 6 digits unique in the group.
    elsewhere = rng.random(n) < 0.06
    prov = np.where(elsewhere, rng.integers(0, len(BIRTH_PROVINCES_ELSEWHERE), n), -1)
    prov_code = np.where(
        prov < 0,
        int(ctx.config.province),
        np.array([int(c) for c in BIRTH_PROVINCES_ELSEWHERE])[np.maximum(prov, 0)],
    )
    century_gender = 2 * ((birth_year - 1900) // 100) + female.astype(np.int64)
    head9 = prov_code * 1000 + century_gender * 100 + birth_year % 100
    # Digits 7–12 are random in real IDs: a random permutation indexed by the rank within the group
    # keeps them unique without the regular spacing an arithmetic sequence would give.
    serial = rng.permutation(1_000_000)[_group_rank(head9)]
    pid = head9 * 1_000_000 + serial
    si = int(ctx.config.province) * 10**8 + _permute(np.arange(n), 10**8, _SI_MULT, ctx.config.seed % 10**8)
    ethnic = np.where(rng.random(n) < 0.012, rng.integers(0, len(ETHNIC_MINORITY_CODES), n), -1)
    adult = age >= 16
    phone_prefix = rng.choice([90, 91, 94, 96, 97, 98, 33, 35, 36, 38, 39, 86, 88], n)
    phone = phone_prefix * 10**8 + rng.integers(0, 10**8, n)
    died = _deaths(ctx, age, birth)
    ctx.arrays.update(
        person_age=age,
        person_female=female,
        person_hh=hh,
        person_birth=birth,
        person_death=died,
        person_relation=relation,
        person_ethnic_minority=ethnic >= 0,
    )
    hh_commune = pa.array(list(ctx.arrays["commune_code"]), pa.string())
    ctx.tables["persons"] = pa.table(
        {
            "id": np.arange(1, n + 1, dtype=np.int64),
            "personal_id": pc.utf8_lpad(pc.cast(pa.array(pid), pa.string()), 12, "0"),
            "si_number": pc.utf8_lpad(pc.cast(pa.array(si), pa.string()), 10, "0"),
            "full_name": full_name,
            "name_key": key,
            "birth_date": pa.array(birth, pa.date32()),
            "gender": pa.array(np.where(female, "female", "male"), pa.string()),
            "commune_code": pc.take(hh_commune, pa.array(ctx.arrays["hh_commune"][hh])),
            "household_id": pa.array(hh + 1, pa.int64()),
            "relation_to_head": pa.array(relation.astype(str), pa.string()),
            "ethnicity": pa.array(
                np.where(ethnic < 0, "01", np.array(ETHNIC_MINORITY_CODES)[np.maximum(ethnic, 0)]),
                pa.string(),
            ),
            "phone": pc.if_else(
                pa.array(adult & (rng.random(n) < 0.8)),
                pc.utf8_lpad(pc.cast(pa.array(phone), pa.string()), 10, "0"),
                pa.scalar(None, pa.string()),
            ),
            "death_date": pa.array(died, pa.date32(), mask=np.isnat(died)),
            "merged_into_id": pa.nulls(n, pa.int64()),
        }
    )


def _join_names(
    family: np.ndarray, middle: np.ndarray, given: np.ndarray, female: np.ndarray, *, keyed: bool = False
) -> pa.Array:
    def lookup(words: list[str], idx: np.ndarray) -> pa.Array:
        values = [name_key(w) for w in words] if keyed else words
        return pc.take(pa.array(values, pa.string()), pa.array(idx))

    fam = lookup([f for f, _ in FAMILY_NAMES], family)
    mid = pc.if_else(
        pa.array(female),
        lookup(FEMALE_MIDDLE, np.minimum(middle, len(FEMALE_MIDDLE) - 1)),
        lookup(MALE_MIDDLE, np.minimum(middle, len(MALE_MIDDLE) - 1)),
    )
    giv = pc.if_else(
        pa.array(female),
        lookup(FEMALE_GIVEN, given % len(FEMALE_GIVEN)),
        lookup(MALE_GIVEN, given % len(MALE_GIVEN)),
    )
    return pc.binary_join_element_wise(fam, mid, giv, " ")


def _deaths(ctx: SynthContext, age: np.ndarray, birth: np.ndarray) -> np.ndarray:
    """Death dates within the generated months (Gompertz-like annual mortality), NaT for survivors."""
    rng = ctx.rng("deaths")
    years = ctx.config.months / 12
    q_year = np.minimum(0.00005 * np.exp(0.09 * age) + 0.0003, 0.5)
    dies = rng.random(len(age)) < 1 - (1 - q_year) ** years
    span = ctx.config.months
    death_month = ctx.config.start_month + rng.integers(0, span, len(age))
    death = first_day(death_month) + rng.integers(0, 28, len(age)).astype("timedelta64[D]")
    death = np.where(dies & (death > birth), death, np.datetime64("NaT"))
    return death.astype("datetime64[D]")


def death_month(ctx: SynthContext) -> np.ndarray:
    """Month index of death, or a month after the horizon for survivors."""
    death = ctx.arrays["person_death"]
    out = np.full(len(death), ctx.config.end_month + 1000, dtype=np.int64)
    alive = np.isnat(death)
    out[~alive] = months_of(death[~alive])
    return out
