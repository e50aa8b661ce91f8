"""Assemble the synthetic province: run the components in order and build the tables to write.

>>> ctx = generate(SynthConfig(people=20_000, seed=1))   # doctest: +SKIP
>>> ctx.tables["persons"].num_rows
20000
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.law.parameters import get_parameters
from ansinh.synth.areas import generate_communes
from ansinh.synth.calendar import first_day, last_day
from ansinh.synth.context import SynthConfig, SynthContext
from ansinh.synth.duplicates import duplicate_count, plant_duplicates
from ansinh.synth.employers import generate_employers
from ansinh.synth.employment import generate_spells, salary_segments
from ansinh.synth.health import GROUP_CODES, death_or, generate_health, merge_years
from ansinh.synth.households_poverty import generate_poverty
from ansinh.synth.population import generate_households, generate_persons
from ansinh.synth.voluntary import generate_voluntary

#: Write order (parents before children, for foreign keys).
TABLE_ORDER = [
    "communes",
    "households",
    "household_poverty",
    "persons",
    "employers",
    "employer_regions",
    "employer_statuses",
    "participations",
]
PARTICIPATION_COLUMNS = {
    "person_id": pa.int64(),
    "scheme": pa.string(),
    "valid_from": pa.date32(),
    "valid_to": pa.date32(),
    "employer_id": pa.int64(),
    "salary": pa.int64(),
    "income": pa.int64(),
    "support_group": pa.string(),
    "hi_group": pa.string(),
    "hi_benefit_level": pa.int16(),
    "hi_facility": pa.string(),
    "hi_card_number": pa.string(),
}

Step = Callable[[SynthContext], None]


@dataclass(frozen=True)
class Extension:
    """A later domain's part of the synthetic province (payments, claims, benefits…).

    A domain declares ``EXTENSION = Extension(...)`` in its ``synth`` module (e.g.
    ``ansinh/ledger/synth.py``) and lists the module in :data:`EXTENSION_MODULES`. Its ``step`` runs
    after the registry has been generated, reads ``ctx.arrays`` / ``ctx.tables``, draws from
    ``ctx.rng(name)`` and adds its tables to ``ctx.tables`` (and truth files to ``ctx.labels``);
    ``tables`` gives their write order (parents first)."""

    name: str
    tables: tuple[str, ...]
    step: Step


#: Modules that declare an ``EXTENSION``, in the order they run (a later one may use an earlier one's
#: arrays). A module not present yet is skipped.
EXTENSION_MODULES = (
    "ansinh.ledger.synth",
    "ansinh.claims.synth",
    "ansinh.benefits.synth",
    "ansinh.coverage.synth",
)


def extensions(parts: Collection[str] | None = None) -> list[Extension]:
    """The extensions that exist, optionally only those named in ``parts``."""
    found = []
    for module_name in EXTENSION_MODULES:
        if importlib.util.find_spec(module_name) is None:
            continue
        extension: Extension = importlib.import_module(module_name).EXTENSION
        if parts is None or extension.name in parts:
            found.append(extension)
    return found


def table_order(ctx: SynthContext) -> list[str]:
    """Every generated table, in an order that satisfies the foreign keys."""
    extra = [t for ext in ctx.arrays.get("extensions", []) for t in ext.tables]
    return TABLE_ORDER + extra


def generate(
    config: SynthConfig,
    progress: Callable[[str], None] | None = None,
    parts: Collection[str] | None = None,
) -> SynthContext:
    """Generate every table of the synthetic province in memory (Arrow), deterministically.

    ``parts`` names the extensions to run after the registry (default: all that exist)."""
    ctx = SynthContext(config)
    real_people = config.people - duplicate_count(config.people)
    steps: list[tuple[str, Step]] = [
        ("communes", generate_communes),
        ("households", lambda c: generate_households(c, real_people)),
        ("persons", generate_persons),
        ("poverty", generate_poverty),
        ("employers", generate_employers),
        ("employment", generate_spells),
        ("participation", build_participations),
        ("duplicates", _plant),
    ]
    chosen = extensions(parts)
    ctx.arrays["extensions"] = chosen
    steps += [(ext.name, ext.step) for ext in chosen]
    for name, step in steps:
        if progress:
            progress(name)
        step(ctx)
    return ctx


def _plant(ctx: SynthContext) -> None:
    adults = np.flatnonzero((ctx.arrays["person_age"] >= 20) & np.isnat(ctx.arrays["person_death"]))
    plant_duplicates(ctx, adults)
    ids = ctx.arrays.get("duplicate_ids")
    if ids is None or not len(ids):
        return
    persons = ctx.tables["persons"]
    si = persons["si_number"].take(pa.array(ids - 1))
    level = int(get_parameters().value("hi_group_benefit_level", date(2019, 1, 1))["GD"])
    block = _block(
        len(ids),
        person_id=ids,
        scheme="hi",
        valid_from=np.full(len(ids), np.datetime64("2019-01-01")),
        valid_to=np.full(len(ids), np.datetime64("2019-12-31")),
        hi_group="GD",
        hi_benefit_level=level,
        hi_facility=f"{ctx.config.province}001",
        hi_card_number=_cards("GD", level, ctx.config.province, si),
    )
    _append_participations(ctx, [block])


def _cards(group: pa.Array | str, level: pa.Array | int, province: str, si: pa.Array) -> pa.Array:
    """HI card number: group code + benefit digit + province + SI number (QĐ 1351/QĐ-BHXH)."""
    level_str = pc.cast(level, pa.string()) if isinstance(level, pa.Array) else str(level)
    return pc.binary_join_element_wise(group, level_str, province, si, "")


def _block(n: int, **columns: object) -> pa.Table:
    """A participation block; scalars are broadcast, missing columns are NULL."""
    arrays = []
    for name, typ in PARTICIPATION_COLUMNS.items():
        value = columns.get(name)
        if value is None:
            arrays.append(pa.nulls(n, typ))
        elif isinstance(value, (str, int)):
            arrays.append(pa.array([value] * n, typ))
        elif isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.datetime64):
            dates = value.astype("datetime64[D]")
            arrays.append(pa.array(dates, typ, mask=np.isnat(dates)))
        else:
            arrays.append(
                pa.array(value, typ)
                if not isinstance(value, (pa.Array, pa.ChunkedArray))
                else value.cast(typ)
            )
    return pa.table(arrays, names=list(PARTICIPATION_COLUMNS))


def _open_end(ctx: SynthContext, months: np.ndarray) -> np.ndarray:
    """Last day of the month, or NaT (still in force) for spells that run past the window."""
    return np.where(months > ctx.config.end_month, np.datetime64("NaT"), last_day(np.minimum(months, 10**6)))


def build_participations(ctx: SynthContext) -> None:
    cfg = ctx.config
    province = cfg.province
    si_numbers = ctx.tables["persons"]["si_number"]
    blocks = []
    seg = salary_segments(ctx)
    person = ctx.arrays["spell_person"][seg["spell"]]
    employer = ctx.arrays["spell_employer"][seg["spell"]] + 1
    for scheme, keep in (
        ("si", np.ones(len(person), bool)),
        ("ui", ~ctx.arrays["spell_civil_servant"][seg["spell"]]),
    ):
        blocks.append(
            _block(
                int(keep.sum()),
                person_id=person[keep] + 1,
                scheme=scheme,
                valid_from=first_day(seg["start"][keep]),
                valid_to=_open_end(ctx, seg["end"][keep]),
                employer_id=employer[keep],
                salary=seg["salary"][keep],
            )
        )
    # Employees' HI comes with the job: HC for state agencies, DN for the others.
    sp = ctx.arrays["spell_person"]
    state = ctx.arrays["employer_kind"][ctx.arrays["spell_employer"]] == "state_agency"
    group = pa.array(np.where(state, "HC", "DN"), pa.string())
    level_of = get_parameters().value("hi_group_benefit_level", cfg.reference_date)
    employee_level = pa.array(np.where(state, level_of["HC"], level_of["DN"]).astype(np.int16))
    health = generate_health(ctx)
    facility_codes = pa.array(list(ctx.arrays["facility_codes"]), pa.string())
    blocks.append(
        _block(
            len(sp),
            person_id=sp + 1,
            scheme="hi",
            valid_from=first_day(ctx.arrays["spell_start"]),
            valid_to=_open_end(ctx, ctx.arrays["spell_end"]),
            employer_id=ctx.arrays["spell_employer"] + 1,
            hi_group=group,
            hi_benefit_level=employee_level,
            hi_facility=pc.take(facility_codes, pa.array(ctx.arrays["person_facility"][sp])),
            hi_card_number=_cards(group, employee_level, province, si_numbers.take(pa.array(sp))),
        )
    )
    spells = merge_years(health)
    p = spells["person"]
    codes = np.array(GROUP_CODES, dtype=object)[spells["group"]].astype(str)
    levels = np.array([level_of[c] for c in GROUP_CODES], dtype=np.int16)[spells["group"]]
    jan1 = (spells["first_year"] - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    dec31 = (spells["last_year"] - 1970 + 1).astype("datetime64[Y]").astype("datetime64[D]") - np.timedelta64(
        1, "D"
    )
    valid_from = np.maximum(jan1, ctx.arrays["person_birth"][p])
    hi_group = pa.array(codes, pa.string())
    blocks.append(
        _block(
            len(p),
            person_id=p + 1,
            scheme="hi",
            valid_from=valid_from,
            valid_to=death_or(ctx, p, dec31),
            hi_group=hi_group,
            hi_benefit_level=levels,
            hi_facility=pc.take(facility_codes, pa.array(spells["facility"])),
            hi_card_number=_cards(hi_group, pa.array(levels), province, si_numbers.take(pa.array(p))),
        )
    )
    vol = generate_voluntary(ctx)
    blocks.append(
        _block(
            len(vol["person"]),
            person_id=vol["person"] + 1,
            scheme="vsi",
            valid_from=first_day(vol["start"]),
            valid_to=_open_end(ctx, vol["end"]),
            income=vol["income"],
            support_group=pa.array(vol["group"].astype(str), pa.string()),
        )
    )
    _append_participations(ctx, blocks)


def _append_participations(ctx: SynthContext, blocks: list[pa.Table]) -> None:
    existing = ctx.tables.get("participations")
    parts = ([existing.drop_columns(["id"])] if existing is not None else []) + blocks
    table = pa.concat_tables(parts)
    ids = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    ctx.tables["participations"] = table.add_column(0, "id", ids)
