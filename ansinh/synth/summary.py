"""Headline figures of a generated province, to check it looks like a real one."""

from __future__ import annotations

import duckdb
import numpy as np

from ansinh.synth.context import SynthContext

#: Share of the population aged 15+ in the labour force (GSO labour-force survey, north-central region).
LABOUR_FORCE_PARTICIPATION = 0.70


def summarise(ctx: SynthContext) -> dict[str, float | int]:
    """Persons alive, labour force estimate, and participants by scheme at the last generated month."""
    cfg = ctx.config
    con = duckdb.connect()
    con.register("persons", ctx.tables["persons"])
    con.register("participations", ctx.tables["participations"])
    ref = cfg.reference_date.isoformat()
    alive = con.execute(
        f"SELECT count(*) FROM persons WHERE death_date IS NULL OR death_date > DATE '{ref}'"
    ).fetchone()
    age = ctx.arrays["person_age"]
    alive_mask = np.isnat(ctx.arrays["person_death"])
    labour_force = int(((age >= 15) & alive_mask).sum() * LABOUR_FORCE_PARTICIPATION)
    first = f"{cfg.until}-01"
    rows = con.execute(f"""
        SELECT scheme, count(DISTINCT person_id) FROM participations
        WHERE valid_from <= DATE '{ref}' AND (valid_to IS NULL OR valid_to >= DATE '{first}')
        GROUP BY scheme""").fetchall()
    by_scheme = {scheme: int(count) for scheme, count in rows}
    population = int(alive[0]) if alive else 0
    si = by_scheme.get("si", 0)
    vsi = by_scheme.get("vsi", 0)
    return {
        "population": population,
        "labour_force": labour_force,
        "labour_force_share": labour_force / max(population, 1),
        "si": si,
        "vsi": vsi,
        "ui": by_scheme.get("ui", 0),
        "hi": by_scheme.get("hi", 0),
        "si_share_of_labour_force": (si + vsi) / max(labour_force, 1),
        "vsi_share_of_labour_force": vsi / max(labour_force, 1),
        "hi_share_of_population": by_scheme.get("hi", 0) / max(population, 1),
        "employers": ctx.tables["employers"].num_rows,
        "households": ctx.tables["households"].num_rows,
        "duplicates_planted": int(ctx.arrays.get("duplicate_rows", 0)),
    }
