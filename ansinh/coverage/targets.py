"""Coverage targets (chỉ tiêu) as data: national resolutions and the provinces' own goals.

Every figure is a dated parameter in ``ansinh/law/parameters/targets.yaml`` with its legal basis
(domain reference §8): Resolution 28-NQ/TW (2018) for SI, voluntary SI, UI and pensions by 2021,
2025 and 2030; Resolution 21-NQ/TW (2012) and 20-NQ/TW (2017) for HI; the Hà Tĩnh 2030 goals (36.2%
of the working-age population in SI, debt ratio ≤ 2.5%, 100% non-cash payments; unverified, seed
001) and the Bắc Ninh city 2020 goals (55% SI, 40% UI, 80% HI; seed 004). This module only says which
parameter measures which indicator and for which area (national, or one province code).

>>> [t.parameter for t in TARGET_SETS if t.indicator == "hi"]
['target_hi_coverage', 'target_bac_ninh_hi_coverage']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ansinh.law.parameters import ParameterNotInForce, ParameterSet, get_parameters


@dataclass(frozen=True)
class TargetSet:
    indicator: str
    parameter: str
    #: None = national; else the province code the goal belongs to.
    province: str | None = None
    #: "min": the indicator must reach the target; "max": it must stay at or below it.
    direction: str = "min"


TARGET_SETS = (
    TargetSet("si_participants", "target_si_coverage"),
    TargetSet("si_voluntary", "target_voluntary_si_coverage"),
    TargetSet("ui", "target_ui_coverage"),
    TargetSet("hi", "target_hi_coverage"),
    TargetSet("pension", "target_pension_coverage"),
    TargetSet("si_working_age", "target_ha_tinh_si_coverage", "42"),
    TargetSet("debt_ratio", "target_ha_tinh_debt_ratio_max", "42", "max"),
    TargetSet("non_cash", "target_ha_tinh_non_cash_payments", "42"),
    TargetSet("si_participants", "target_bac_ninh_si_coverage", "24"),
    TargetSet("ui", "target_bac_ninh_ui_coverage", "24"),
    TargetSet("hi", "target_bac_ninh_hi_coverage", "24"),
)


@dataclass(frozen=True)
class Target:
    indicator: str
    year: int
    value: Decimal
    direction: str
    source: str
    confidence: str
    national: bool
    parameter: str

    @property
    def label(self) -> str:
        sign = "≤" if self.direction == "max" else "≥"
        return f"{sign} {100 * self.value:.1f}% ({self.year})"


def targets(province: str, at: date, params: ParameterSet | None = None) -> list[Target]:
    """Every target that applies to ``province`` per the parameters in force at ``at``, by year."""
    params = params or get_parameters()
    out: list[Target] = []
    for ts in TARGET_SETS:
        if ts.province is not None and ts.province != province:
            continue
        try:
            entry = params.entry(ts.parameter, at)
            records = params.records(ts.parameter, at)
        except ParameterNotInForce:
            continue
        for r in records:
            out.append(
                Target(
                    ts.indicator,
                    int(r["year"]),
                    Decimal(r["target"]),
                    ts.direction,
                    entry.legal_basis,
                    entry.confidence,
                    ts.province is None,
                    ts.parameter,
                )
            )
    out.sort(key=lambda t: (t.indicator, t.year, t.national))
    return out


def governing(all_targets: list[Target], indicator: str, year: int) -> Target | None:
    """The target an indicator is projected to: the first target year ≥ ``year``; the province's own
    goal before the national one in the same year."""
    ahead = [t for t in all_targets if t.indicator == indicator and t.year >= year]
    if not ahead:
        return None
    ahead.sort(key=lambda t: (t.year, t.national))
    return ahead[0]


def for_year(all_targets: list[Target], indicator: str, year: int) -> list[Target]:
    return [t for t in all_targets if t.indicator == indicator and t.year == year]
