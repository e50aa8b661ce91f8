"""Planted duplicate records (một người nhiều sổ BHXH) and the label file that says which is which.

Kinds: ``same_personal_id`` (a second SI number under the same personal ID), ``unaccented_name``
(the name typed without diacritics, another personal ID), ``id_typo`` (one digit of the personal ID
mistyped, or two adjacent digits swapped), ``name_typo`` (one letter of the name mistyped, another
personal ID, same commune). Each duplicate carries an old HI spell, as such records do.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.core.text import name_key, strip_diacritics
from ansinh.synth.context import SynthContext

KINDS = ["same_personal_id", "unaccented_name", "id_typo", "name_typo"]
KIND_P = [0.40, 0.20, 0.25, 0.15]
DUPLICATE_SHARE = 0.0025


def duplicate_count(people: int) -> int:
    return int(people * DUPLICATE_SHARE)


def _typo_id(pid: str, rng: np.random.Generator) -> str:
    digits = list(pid)
    if rng.random() < 0.5:  # adjacent swap within the random part (digits 7–12)
        i = int(rng.integers(6, 11))
        if digits[i] == digits[i + 1]:
            digits[i + 1] = str((int(digits[i + 1]) + 1) % 10)
        else:
            digits[i], digits[i + 1] = digits[i + 1], digits[i]
    else:
        i = int(rng.integers(6, 12))
        digits[i] = str((int(digits[i]) + int(rng.integers(1, 10))) % 10)
    return "".join(digits)


def _typo_name(name: str, rng: np.random.Generator) -> str:
    given_start = name.rfind(" ") + 1
    i = int(rng.integers(given_start, len(name)))
    letters = "aeiounmhtgc"
    return name[:i] + letters[int(rng.integers(0, len(letters)))] + name[i + 1 :]


def plant_duplicates(ctx: SynthContext, originals_pool: np.ndarray) -> None:
    """Append duplicate person rows to ``persons`` and the labels to ``ctx.labels['duplicates']``."""
    rng = ctx.rng("duplicates")
    persons = ctx.tables["persons"]
    n_dup = min(duplicate_count(ctx.config.people), len(originals_pool))
    if n_dup == 0:
        ctx.arrays["duplicate_rows"] = 0
        return
    orig = np.sort(rng.choice(originals_pool, n_dup, replace=False))
    kind = rng.choice(len(KINDS), n_dup, p=KIND_P)
    src = persons.take(pa.array(orig)).to_pylist()
    first_id = persons.num_rows + 1
    used_ids = set(persons["personal_id"].to_pylist())
    rows: list[dict[str, object]] = []
    for k, row in zip(kind, src, strict=True):
        dup = dict(row)
        dup["id"] = first_id + len(rows)
        dup["si_number"] = f"{int(ctx.config.province)}{(dup['id'] * 48_271 + 977) % 10**8:08d}"
        dup["household_id"] = None
        dup["relation_to_head"] = None
        dup["phone"] = None
        dup["death_date"] = None
        name = KINDS[k]
        if name == "unaccented_name":
            dup["full_name"] = strip_diacritics(row["full_name"])
            dup["personal_id"] = _fresh_id(row["personal_id"], rng, used_ids)
        elif name == "id_typo":
            dup["personal_id"] = _typo_id(row["personal_id"], rng)
        elif name == "name_typo":
            dup["full_name"] = _typo_name(row["full_name"], rng)
            dup["personal_id"] = _fresh_id(row["personal_id"], rng, used_ids)
        dup["name_key"] = name_key(dup["full_name"])
        used_ids.add(dup["personal_id"])
        rows.append(dup)
    extra = pa.Table.from_pylist(rows, schema=persons.schema)
    ctx.tables["persons"] = pa.concat_tables([persons, extra])
    ctx.arrays["duplicate_rows"] = n_dup
    ctx.arrays["duplicate_ids"] = np.arange(first_id, first_id + n_dup)
    ctx.labels["duplicates"] = pa.table(
        {
            "original_id": pa.array(orig + 1, pa.int64()),
            "duplicate_id": pa.array(np.arange(first_id, first_id + n_dup), pa.int64()),
            "kind": pc.take(pa.array(KINDS), pa.array(kind)),
        }
    )


def _fresh_id(pid: str, rng: np.random.Generator, used: set[str]) -> str:
    """Another valid personal ID with the same province, century/gender digit and year."""
    while True:
        candidate = pid[:6] + f"{int(rng.integers(0, 10**6)):06d}"
        if candidate not in used:
            return candidate
