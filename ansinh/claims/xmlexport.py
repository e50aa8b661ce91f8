"""Write episodes (Arrow ``claim_episodes`` / ``claim_lines`` tables, e.g. from the synthetic province)
as GIAMDINHHS files, one file per facility and day, as hospitals send them (for the benchmark and demos).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ansinh.claims.xmlwrite import envelope, episode_hoso

LINE_FIELDS = (
    "kind",
    "seq",
    "item_code",
    "quantity_milli",
    "unit_price_milli",
    "payment_rate",
    "amount_hospital",
    "amount_hi",
    "practitioner",
    "ordered_on",
    "performed_at",
)


def write_files(episodes: pa.Table, lines: pa.Table, directory: Path, batch: int = 2000) -> list[Path]:
    """One file per facility and discharge day (split every ``batch`` episodes). Returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = lines.sort_by([("episode_id", "ascending"), ("seq", "ascending")])
    ep_ids = lines["episode_id"].to_numpy()
    starts: dict[int, tuple[int, int]] = {}
    if len(ep_ids):
        import numpy as np

        change = np.flatnonzero(np.r_[True, ep_ids[1:] != ep_ids[:-1]])
        ends = np.r_[change[1:], len(ep_ids)]
        starts = {int(ep_ids[s]): (int(s), int(e)) for s, e in zip(change, ends, strict=True)}
    cols = {f: lines[f].to_pylist() for f in LINE_FIELDS}
    day = pc.strftime(episodes["discharged_at"], format="%Y%m%d").to_pylist()
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (fac, d) in enumerate(zip(episodes["facility_code"].to_pylist(), day, strict=True)):
        groups[(fac, d)].append(i)
    rows = episodes.to_pylist()
    paths = []
    for (fac, d), idx in sorted(groups.items()):
        for part, start in enumerate(range(0, len(idx), batch)):
            hosos = []
            for i in idx[start : start + batch]:
                e: dict[str, Any] = rows[i]
                s, t = starts.get(int(e["id"]), (0, 0))
                lns = [{f: cols[f][j] for f in LINE_FIELDS} for j in range(s, t)]
                hosos.append(episode_hoso(e, lns))
            path = directory / f"{fac}-{d}-{part + 1:02d}.xml"
            path.write_bytes(envelope(fac, hosos))
            paths.append(path)
    return paths
