"""Statistical screening (giám định chủ động): practitioners whose cost per episode, length of stay or
share of high-severity diagnoses stands out from their peers (same facility level, same kind of care,
same ICD-10 chapter), by robust statistics (medians and MAD, so the outliers do not hide themselves).

- S01 cost per episode: the practitioner's median of ``ln(T_TONGCHI_BH) − peer median``;
- S02 length of stay (inpatient): the same with ``ln(1 + SO_NGAY_DTRI)``;
- S03 upcoding: the practitioner's share of high-severity codes.

S01/S02 measure the practitioner's median residual against its standard error: a median of ``n``
episodes whose residuals spread as σ (1.4826 × MAD over the peer episodes) varies by about
1.2533 σ / √n, so ``z = (score − median of practitioners' scores) / max(1.2533 σ / √n, floor)``; the
floor (log units) is the smallest practical effect ÷ :data:`Z_FLAG`. (A z among practitioners' scores
would mostly measure the noise of practitioners with few inpatient episodes and hide real outliers.)
S03 uses the robust z among practitioners' shares.

A practitioner is flagged when z ≥ :data:`Z_FLAG` on at least :data:`MIN_EPISODES` episodes; each of
their episodes of that kind (S03: with a high-severity code) gets a finding with no amount disallowed and
goes to a reviewer, its risk growing with z. Legal basis: Law on HI Art. 32 (giám định), QĐ 130 XML1.

Example (S02): inpatient stays whose ``ln(1 + days)`` residuals spread with σ = 0.5; a practitioner with
16 stays and a median residual of 0.9 (stays about 2.5 times as long) has
z = 0.9 / (1.2533 × 0.5 / 4) ≈ 5.7 and is flagged.
"""

from __future__ import annotations

from typing import Any

import ibis
from ibis import _

from ansinh.claims.rules import Inputs, Rule, js

Z_FLAG = 4.0
MIN_EPISODES = 10
#: Smallest scale a z-score divides by (log units for S01/S02, a share for S03): a practitioner must
#: stand out by a practical margin, not only against a very uniform peer group.
MAD_FLOOR = 0.05
#: Standard error of a median of n draws is about 1.2533 σ / √n (σ: the robust spread 1.4826 × MAD).
MEDIAN_SE = 1.2533

Table = Any


def _robust_z(scores: Table, by: list[str], floor: float = MAD_FLOOR) -> Table:
    """z of ``score`` within groups ``by``: (score − median) / max(1.4826 × MAD, floor)."""
    med = scores.group_by(by).aggregate(m=scores.score.median())
    x = scores.join(med, by)
    x = x.mutate(dev=(x.score - x.m).abs())
    mad = x.group_by(by).aggregate(mad=x.dev.median())
    x = x.join(mad, by)
    scale = ibis.greatest(x.mad * 1.4826, floor)
    return x.mutate(z=(x.score - x.m) / scale)


def _episodes(t: Inputs) -> Table:
    ep = t.episodes.filter(_.practitioner.notnull())
    return ep.mutate(chapter=_.icd_main.substr(0, 1))


def _residual_outliers(t: Inputs, rule: str, value: Any, kinds: list[str], floor: float) -> Table:
    ep = _episodes(t).filter(_.kind.isin(kinds))
    ep = ep.mutate(v=value(ep))
    peer = ep.group_by(["level", "kind", "chapter"]).aggregate(pm=ep.v.median())
    ep = ep.join(peer, ["level", "kind", "chapter"]).mutate(res=_.v - _.pm)
    # spread of one episode's residual among peers (robust), for the standard error of a median
    centre = ep.group_by(["level", "kind"]).aggregate(rm=ep.res.median())
    spread = ep.join(centre, ["level", "kind"]).mutate(dev=(_.res - _.rm).abs())
    spread = spread.group_by(["level", "kind"]).aggregate(sigma=spread.dev.median() * 1.4826)
    per = ep.group_by(["practitioner", "level", "kind"]).aggregate(score=ep.res.median(), n=ep.count())
    per = per.filter(per.n >= MIN_EPISODES)
    med = per.group_by(["level", "kind"]).aggregate(m=per.score.median())
    z = per.join(med, ["level", "kind"]).join(spread, ["level", "kind"])
    se = MEDIAN_SE * z.sigma / z.n.cast("float64").sqrt()
    z = z.mutate(z=(z.score - z.m) / ibis.greatest(se, floor))
    flagged = z.filter(z.z >= Z_FLAG).select("practitioner", "kind", "z")
    x = ep.join(flagged, ["practitioner", "kind"])
    return x.select(
        episode_id=x.episode_id.cast("int64"),
        rule_code=ibis.literal(rule),
        amount=ibis.literal(0).cast("int64"),
        evidence=js(practitioner=x.practitioner, z10=(x.z * 10).floor().cast("int64")),
        z=x.z,
    )


def cost_outliers(t: Inputs) -> Table:
    """S01. Cost per episode far above peers."""
    return _residual_outliers(t, "S01", lambda e: (e.total_hi + 1).cast("float64").ln(), ["01", "03"], 0.08)


def stay_outliers(t: Inputs) -> Table:
    """S02. Length of stay far above peers (inpatient)."""
    return _residual_outliers(t, "S02", lambda e: (e.treatment_days + 1).cast("float64").ln(), ["03"], 0.1)


def upcoding(t: Inputs) -> Table:
    """S03. Share of high-severity diagnosis codes far above peers."""
    ep = _episodes(t)
    icd = t.icd.select(code=t.icd.code, high=t.icd.high_severity)
    ep = ep.join(icd, ep.icd_main == icd.code)
    per = ep.group_by(["practitioner", "level"]).aggregate(score=ep.high.cast("float64").mean(), n=ep.count())
    per = per.filter(per.n >= MIN_EPISODES)
    z = _robust_z(per, ["level"])
    flagged = z.filter(z.z >= Z_FLAG).select("practitioner", "z")
    x = ep.filter(ep.high).join(flagged, "practitioner")
    return x.select(
        episode_id=x.episode_id.cast("int64"),
        rule_code=ibis.literal("S03"),
        amount=ibis.literal(0).cast("int64"),
        evidence=js(practitioner=x.practitioner, z10=(x.z * 10).floor().cast("int64")),
        z=x.z,
    )


SCREENS: dict[str, Rule] = {
    r.code: r
    for r in [
        Rule(
            "S01",
            "Chi phí/hồ sơ của người hành nghề cao bất thường so với cùng hạng",
            "Practitioner's cost per episode far above peers",
            "Luật BHYT Điều 32; QĐ 130 XML1 T_TONGCHI_BH",
            "review",
            0,
            cost_outliers,
        ),
        Rule(
            "S02",
            "Số ngày điều trị cao bất thường so với cùng hạng",
            "Length of stay far above peers",
            "Luật BHYT Điều 32; QĐ 130 XML1 SO_NGAY_DTRI",
            "review",
            0,
            stay_outliers,
        ),
        Rule(
            "S03",
            "Tỷ lệ chẩn đoán nặng cao bất thường (nghi nâng mã)",
            "Share of high-severity codes far above peers (upcoding)",
            "Luật BHYT Điều 32; QĐ 4469/QĐ-BYT",
            "review",
            0,
            upcoding,
        ),
    ]
}


def all_screens(t: Inputs) -> Table:
    parts = [rule.find(t) for rule in SCREENS.values()]
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return out
