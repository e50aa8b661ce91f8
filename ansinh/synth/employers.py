"""Employers: heavy-tailed sizes, kinds and sectors, wage regions and status histories, and the
payment behaviour that the contributions ledger generator uses (on time, late, partial, chronic
non-payer, absconded)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.core.text import name_key
from ansinh.synth.calendar import first_day, last_day
from ansinh.synth.context import SynthContext
from ansinh.synth.names import COMPANY_TRADES, COMPANY_WORDS

KINDS = ["enterprise", "state_agency", "business_household", "cooperative", "ngo", "foreign_org", "other"]
KIND_P = [0.80, 0.06, 0.07, 0.04, 0.01, 0.01, 0.01]
KIND_PREFIX = {
    "enterprise": "Công ty TNHH",
    "state_agency": "",
    "business_household": "Hộ kinh doanh",
    "cooperative": "Hợp tác xã",
    "ngo": "Hội",
    "foreign_org": "Văn phòng đại diện",
    "other": "Tổ chức",
}
SECTORS = list(COMPANY_TRADES)
#: Weights of C, G, F, H, I, A, J, K, M, N, P, Q, O, S, D, E, B (manufacturing, trade, construction…).
SECTOR_P = np.array([24, 22, 14, 6, 6, 4, 2, 2, 3, 5, 1, 1, 1, 3, 1, 1, 1], dtype=float)
STATE_SECTORS = ["O", "P", "Q"]
PAYMENT_PROFILES = ["on_time", "late", "partial", "chronic", "absconded"]
PAYMENT_PROFILE_P = [0.72, 0.15, 0.07, 0.045, 0.015]
#: Decree 293/2025 re-mapped communes to regions from 1 January 2026; some employers changed region.
REGION_REMAP_DATE = np.datetime64("2026-01-01")


def employer_count(people: int) -> int:
    """About one employer registered with social insurance per 130 inhabitants."""
    return max(20, round(people / 130))


def generate_employers(ctx: SynthContext) -> None:
    rng = ctx.rng("employers")
    n = employer_count(ctx.config.people)
    kind = rng.choice(len(KINDS), n, p=KIND_P)
    kind_name = np.array(KINDS, dtype=object)[kind]
    sector = np.array(SECTORS, dtype=object)[rng.choice(len(SECTORS), n, p=SECTOR_P / SECTOR_P.sum())]
    state = kind_name == "state_agency"
    sector[state] = rng.choice(STATE_SECTORS, state.sum(), p=[0.3, 0.5, 0.2])
    # Heavy tail: most employers have a handful of employees, a few have thousands.
    size = (
        np.exp(rng.normal(1.4, 1.45, n))
        * np.where(state, 0.9, 1.0)
        * np.where(kind_name == "business_household", 0.3, 1.0)
    )
    size[np.argsort(-size)[: max(1, n // 2000)]] *= 6  # a steel plant, a port: very large employers
    ctx.arrays["employer_size"] = size / size.sum()
    communes = ctx.arrays["commune_code"]
    commune = rng.choice(len(communes), n, p=ctx.arrays["commune_weight"])
    region = ctx.arrays["commune_region"][commune]
    ctx.arrays["employer_kind"] = kind_name
    ctx.arrays["employer_region"] = region
    ctx.arrays["employer_wage_level"] = rng.lognormal(0.0, 0.3, n) * np.where(state, 1.25, 1.0)
    profile = rng.choice(len(PAYMENT_PROFILES), n, p=PAYMENT_PROFILE_P)
    profile[state] = 0  # state agencies are paid from the budget, on time
    ctx.arrays["employer_payment_profile"] = np.array(PAYMENT_PROFILES, dtype=object)[profile]
    registered = np.datetime64("1995-01-01") + rng.integers(0, 365 * 28, n).astype("timedelta64[D]")
    ids = np.arange(1, n + 1, dtype=np.int64)
    base = int(ctx.config.province) * 10**8 + 30_000_000 + ids * 37
    tax = pc.utf8_lpad(pc.cast(pa.array(base), pa.string()), 10, "0")
    branch = rng.random(n) < 0.04
    tax = pc.if_else(pa.array(branch), pc.binary_join_element_wise(tax, "001", "-"), tax)
    names = _employer_names(rng, kind_name, sector)
    ctx.tables["employers"] = pa.table(
        {
            "id": ids,
            "tax_code": tax,
            "name": pa.array(names, pa.string()),
            "name_key": pa.array([name_key(x) for x in names], pa.string()),
            "kind": pa.array(kind_name.astype(str), pa.string()),
            "commune_code": pc.take(pa.array(list(communes), pa.string()), pa.array(commune)),
            "sector": pa.array(sector.astype(str), pa.string()),
            "registered_on": pa.array(registered, pa.date32()),
        }
    )
    _region_history(ctx, ids, region, registered, rng)
    _status_history(ctx, ids, registered, rng)


def _employer_names(rng: np.random.Generator, kind: np.ndarray, sector: np.ndarray) -> list[str]:
    words = rng.integers(0, len(COMPANY_WORDS), len(kind))
    names = []
    for i, (k, s) in enumerate(zip(kind, sector, strict=True)):
        trade = COMPANY_TRADES.get(s, "Dịch vụ")
        word = COMPANY_WORDS[words[i]]
        if k == "state_agency":
            names.append(
                {"O": "Ủy ban nhân dân", "P": "Trường", "Q": "Trạm Y tế"}.get(s, "Sở") + f" {word} {i}"
            )
        else:
            names.append(f"{KIND_PREFIX[k]} {trade} {word} {i}".strip())
    return names


def _region_history(
    ctx: SynthContext, ids: np.ndarray, region: np.ndarray, registered: np.ndarray, rng: np.random.Generator
) -> None:
    moved = rng.random(len(ids)) < 0.05
    new_region = np.clip(region - 1, 1, 4)  # re-mapping moved some communes up a region
    moved &= new_region != region
    day = np.timedelta64(1, "D")
    ctx.arrays["employer_region_2026"] = np.where(moved, new_region, region)
    first_to = np.where(moved, REGION_REMAP_DATE - day, np.datetime64("NaT"))
    emp = np.r_[ids, ids[moved]]
    ctx.tables["employer_regions"] = pa.table(
        {
            "id": np.arange(1, len(emp) + 1, dtype=np.int64),
            "employer_id": emp,
            "region": pa.array(np.r_[region, new_region[moved]].astype(np.int16), pa.int16()),
            "valid_from": pa.array(np.r_[registered, np.full(moved.sum(), REGION_REMAP_DATE)], pa.date32()),
            "valid_to": pa.array(
                np.r_[first_to, np.full(moved.sum(), np.datetime64("NaT"))].astype("datetime64[D]"),
                pa.date32(),
                mask=np.isnat(np.r_[first_to, np.full(moved.sum(), np.datetime64("NaT"))]),
            ),
        }
    )


def _status_history(
    ctx: SynthContext, ids: np.ndarray, registered: np.ndarray, rng: np.random.Generator
) -> None:
    """Active since registration; some are suspended for a while, dissolve, or abscond (the owner
    disappears leaving unpaid contributions: the absconded payment profile)."""
    cfg = ctx.config
    n = len(ids)
    profile = ctx.arrays["employer_payment_profile"]
    end_month = np.full(n, cfg.end_month + 1000, dtype=np.int64)  # month the employer stops operating
    event_month = cfg.start_month + rng.integers(3, cfg.months, n)
    absconded = profile == "absconded"
    dissolved = ~absconded & (rng.random(n) < 0.02) & (ctx.arrays["employer_kind"] != "state_agency")
    suspended = ~absconded & ~dissolved & (rng.random(n) < 0.03)
    end_month[absconded | dissolved] = event_month[absconded | dissolved]
    ctx.arrays["employer_end_month"] = end_month
    day = np.timedelta64(1, "D")
    ev_start = first_day(event_month)
    rows_emp, rows_status, rows_from, rows_to = [ids], [np.full(n, "active", dtype=object)], [registered], []
    first_to = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    changed = absconded | dissolved | suspended
    first_to[changed] = ev_start[changed] - day
    rows_to.append(first_to)
    for mask, status in ((absconded, "absconded"), (dissolved, "dissolved")):
        rows_emp.append(ids[mask])
        rows_status.append(np.full(mask.sum(), status, dtype=object))
        rows_from.append(ev_start[mask])
        rows_to.append(np.full(mask.sum(), np.datetime64("NaT"), dtype="datetime64[D]"))
    resume = np.minimum(event_month + rng.integers(2, 7, n), cfg.end_month + 1)
    back = suspended & (resume <= cfg.end_month)
    rows_emp.append(ids[suspended])
    rows_status.append(np.full(suspended.sum(), "suspended", dtype=object))
    rows_from.append(ev_start[suspended])
    rows_to.append(
        np.where(back[suspended], last_day(resume[suspended] - 1), np.datetime64("NaT")).astype(
            "datetime64[D]"
        )
    )
    rows_emp.append(ids[back])
    rows_status.append(np.full(back.sum(), "active", dtype=object))
    rows_from.append(first_day(resume[back]))
    rows_to.append(np.full(back.sum(), np.datetime64("NaT"), dtype="datetime64[D]"))
    # Suspended employers' workers are not subject that period; modelled as leaving at suspension.
    end_month[suspended] = np.minimum(end_month[suspended], event_month[suspended])
    emp = np.concatenate(rows_emp)
    valid_to = np.concatenate(rows_to).astype("datetime64[D]")
    ctx.tables["employer_statuses"] = pa.table(
        {
            "id": np.arange(1, len(emp) + 1, dtype=np.int64),
            "employer_id": emp,
            "status": pa.array(np.concatenate(rows_status).astype(str), pa.string()),
            "valid_from": pa.array(np.concatenate(rows_from).astype("datetime64[D]"), pa.date32()),
            "valid_to": pa.array(valid_to, pa.date32(), mask=np.isnat(valid_to)),
        }
    )
