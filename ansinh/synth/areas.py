"""Communes of the synthetic province, their wage regions and primary-care facilities."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ansinh.synth.context import SynthContext
from ansinh.synth.names import COMMUNE_STEMS

MERGER_DATE = np.datetime64("2025-07-01")


def commune_count(people: int) -> int:
    """A real commune after the 2025 merger has about 15–25 thousand inhabitants."""
    return int(np.clip(round(people / 19_000), 12, len(COMMUNE_STEMS)))


def generate_communes(ctx: SynthContext) -> None:
    rng = ctx.rng("areas")
    province = ctx.config.province
    n = commune_count(ctx.config.people)
    kinds = np.where(np.arange(n) < max(2, n // 6), "phuong", "xa")
    stems = np.array(COMMUNE_STEMS[:n], dtype=object)
    names = np.where(kinds == "phuong", "Phường " + stems, "Xã " + stems)
    codes = [f"{int(province) * 430 + 2 + 3 * i:05d}" for i in range(n)]  # 5-digit, spaced like real lists
    # Wards (phường) are urban: wage region II–III; rural communes III–IV (Decree 293/2025 annex).
    region = np.where(
        kinds == "phuong", rng.choice([2, 3], n, p=[0.5, 0.5]), rng.choice([3, 4], n, p=[0.3, 0.7])
    )
    weight = rng.lognormal(0.0, 0.35, n) * np.where(kinds == "phuong", 1.6, 1.0)
    ctx.arrays["commune_code"] = np.array(codes, dtype=object)
    ctx.arrays["commune_weight"] = weight / weight.sum()
    ctx.arrays["commune_region"] = region.astype(np.int16)
    # Registered primary-care facilities (MA_DKBD): the commune health station, and provincial hospitals.
    ctx.arrays["station_code"] = np.array([f"{province}{100 + i:03d}" for i in range(n)], dtype=object)
    ctx.arrays["hospital_code"] = np.array(
        [f"{province}{i:03d}" for i in range(1, 1 + max(3, n // 5))], dtype=object
    )
    ctx.tables["communes"] = pa.table(
        {
            "code": pa.array(codes, pa.string()),
            "name": pa.array(list(names), pa.string()),
            "kind": pa.array(list(kinds), pa.string()),
            "province_code": pa.array([province] * n, pa.string()),
            "valid_from": pa.array(np.full(n, MERGER_DATE).astype("datetime64[D]"), pa.date32()),
            "valid_to": pa.nulls(n, pa.date32()),
            "wage_region": pa.array(region.astype(np.int16), pa.int16()),
        }
    )
