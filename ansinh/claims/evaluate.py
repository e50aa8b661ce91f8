"""Quality of the review against the synthetic province's labels: precision and recall per rule, the
statistical screening as a whole, and the share of clean claims settled without a reviewer.

Goals (issue 6): every rule-detectable plant found (recall 1.0) with precision ≥ 0.99; screening recall
≥ 0.8 at precision ≥ 0.8; ≥ 90% of clean claims settled automatically.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ansinh.claims.rules import RULES
from ansinh.claims.screening import SCREENS


@dataclass(frozen=True)
class Score:
    rule: str
    planted: int
    found: int
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.planted if self.planted else 1.0


@dataclass(frozen=True)
class Evaluation:
    scores: list[Score]
    clean_episodes: int
    clean_settled: int
    all_episodes: int
    all_settled: int

    @property
    def clean_settled_share(self) -> float:
        return self.clean_settled / self.clean_episodes if self.clean_episodes else 1.0

    @property
    def settled_share(self) -> float:
        return self.all_settled / self.all_episodes if self.all_episodes else 1.0


def _pairs(episode_ids: list[int], rules: list[str]) -> set[tuple[int, str]]:
    return set(zip(episode_ids, rules, strict=True))


def evaluate(episodes: pa.Table, labels: pa.Table, findings: pa.Table, outcomes: pa.Table) -> Evaluation:
    """``episodes`` (id, facility_code, ma_lk), ``labels`` (ma_lk, facility_code, rule_code)."""
    key = {
        (f, m): i
        for i, f, m in zip(
            episodes["id"].to_pylist(),
            episodes["facility_code"].to_pylist(),
            episodes["ma_lk"].to_pylist(),
            strict=True,
        )
    }
    planted = {
        (key[(f, m)], r)
        for f, m, r in zip(
            labels["facility_code"].to_pylist(),
            labels["ma_lk"].to_pylist(),
            labels["rule_code"].to_pylist(),
            strict=True,
        )
        if (f, m) in key
    }
    found = _pairs(findings["episode_id"].to_pylist(), findings["rule_code"].to_pylist())
    scores = []
    for code in list(RULES) + list(SCREENS):
        p = {x for x in planted if x[1] == code}
        f = {x for x in found if x[1] == code}
        scores.append(Score(code, len(p), len(f), len(p & f)))
    p_stat = {e for e, r in planted if r.startswith("S")}
    f_stat = {e for e, r in found if r.startswith("S")}
    scores.append(Score("S*", len(p_stat), len(f_stat), len(p_stat & f_stat)))
    labelled = {e for e, _ in planted}
    settled = pc.not_equal(outcomes["outcome"], "review")
    ids = outcomes["episode_id"].to_pylist()
    flags = settled.to_pylist()
    clean = [(i, s) for i, s in zip(ids, flags, strict=True) if i not in labelled]
    return Evaluation(
        scores=scores,
        clean_episodes=len(clean),
        clean_settled=sum(1 for _, s in clean if s),
        all_episodes=len(ids),
        all_settled=sum(1 for s in flags if s),
    )
