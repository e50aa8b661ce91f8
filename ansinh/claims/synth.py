"""Claims of the synthetic province: facilities, price lists, practitioners, episodes with their lines,
and planted abuse of every kind the review looks for, with a label file (``claims_labels``) saying which
episode carries which (rule code per episode).

Volume: ``ANSINH_SYNTH_CLAIMS_MONTHS`` months of claims ending with the last generated month (default 1;
12 gives the full year, about 5 million episodes for 1.3 million people). Vectorised (numpy/Arrow).

>>> ctx = generate(SynthConfig(people=20_000, seed=1), parts=["claims"])   # doctest: +SKIP
>>> ctx.labels["claims_labels"].column_names
['ma_lk', 'facility_code', 'rule_code']
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ansinh.claims.synthdata import Skeleton, build_episodes, reference_tables
from ansinh.claims.synthplant import plant_all
from ansinh.synth.context import SynthContext
from ansinh.synth.province import Extension

TABLES = (
    "claim_facilities",
    "claim_licences",
    "claim_service_prices",
    "claim_item_prices",
    # not claim_icd: the full ICD-10 is reference data the migration loads (0014); replacing the
    # province keeps it
    "claim_practitioners",
    "claim_allocations",
    "claim_files",
    "claim_episodes",
    "claim_lines",
)


def claim_months() -> int:
    return max(1, min(24, int(os.environ.get("ANSINH_SYNTH_CLAIMS_MONTHS", "1"))))


def generate_claims(ctx: SynthContext, months: int | None = None) -> None:
    """Add the claims tables and labels to ``ctx``."""
    rng = ctx.rng("claims")
    refs = reference_tables(ctx, rng)
    months = months or claim_months()
    skeleton: Skeleton = build_episodes(ctx, refs, rng, months)
    ctx.tables.update(refs.tables)
    labels = plant_all(ctx, refs, skeleton, rng)
    episodes, lines = skeleton.to_tables(refs)
    ctx.tables["claim_files"] = pa.table(
        {
            "id": pa.array([1], pa.int64()),
            "facility_code": pa.array([None], pa.string()),
            "file_name": pa.array(["synthetic province"], pa.string()),
            "sha256": pa.array(["0" * 64], pa.string()),
            "size": pa.array([0], pa.int64()),
            "received_at": pa.array(np.array([ctx.config.reference_date], dtype="datetime64[us]")).cast(
                pa.timestamp("us", "UTC")
            ),
            "received_by": pa.array(["synth"], pa.string()),
            "error_code": pa.array([None], pa.string()),
            "error_message": pa.array([None], pa.string()),
            "episodes": pa.array([episodes.num_rows], pa.int32()),
            "accepted": pa.array([episodes.num_rows], pa.int32()),
            "new_versions": pa.array([0], pa.int32()),
            "duplicates": pa.array([0], pa.int32()),
            "rejected": pa.array([0], pa.int32()),
        }
    )
    ctx.tables["claim_episodes"] = episodes
    ctx.tables["claim_lines"] = lines
    ma_lk = episodes["ma_lk"]
    fac = episodes["facility_code"]
    idx = pa.array(labels["episode"])
    ctx.labels["claims_labels"] = pa.table(
        {
            "ma_lk": pc.take(ma_lk, idx),
            "facility_code": pc.take(fac, idx),
            "rule_code": pa.array(labels["rule"], pa.string()),
        }
    )
    ctx.arrays["claims_levels"] = {c: lvl for c, lvl in refs.level.items()}


EXTENSION = Extension(name="claims", tables=TABLES, step=generate_claims)
