"""Debt ratio (tỷ lệ nợ): outstanding arrears at the period end ÷ amount receivable.

Not a statutory definition (domain reference §4.5): documents differ in what they count, so both
parts are configurable and every report names the variant it used.

Numerators (at the month's end, contributions only, surcharges excluded):

- ``late`` (default): open amounts past their deadline — interest-bearing arrears (nợ phải tính lãi);
- ``collectible``: the same without employers dissolved or absconded by then (nợ khó thu left out);
- ``open``: everything not yet paid, including months whose deadline has not come.

Denominators:

- ``receivable_year`` (default): the amount receivable for the year, projected from the periods
  posted so far (receivable_ytd × 12 ÷ months elapsed) — stable through the year;
- ``receivable_ytd``: dues and adjustments of the year's periods up to the month (small in January,
  so the ratio is high early in the year);
- ``annual_plan``: the collection plan of the year (``ANSINH_LEDGER_ANNUAL_PLAN``, đồng); without one
  it falls back to ``receivable_year``, and the report says so.

Choose the default with ``ANSINH_LEDGER_DEBT_RATIO=numerator/denominator`` (e.g. ``collectible/
receivable_ytd``; default ``late/receivable_year``) or per report (``?variant=`` on the pages,
``--variant`` on the command line).

>>> Variant.parse("collectible/annual_plan").label
'arrears excluding dissolved/absconded employers ÷ annual collection plan'
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pydantic_settings import BaseSettings, SettingsConfigDict

NUMERATORS = {
    "late": "arrears past the deadline (interest-bearing)",
    "collectible": "arrears excluding dissolved/absconded employers",
    "open": "all unpaid contributions",
}
DENOMINATORS = {
    "receivable_year": "receivable for the year (projected)",
    "receivable_ytd": "receivable for the year to date",
    "annual_plan": "annual collection plan",
}


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANSINH_LEDGER_", extra="ignore")

    debt_ratio: str = "late/receivable_year"
    annual_plan: int | None = None


@dataclass(frozen=True)
class Variant:
    numerator: str = "late"
    denominator: str = "receivable_year"

    @classmethod
    def parse(cls, text: str | None) -> Variant:
        if not text:
            text = LedgerSettings().debt_ratio
        num, _, den = text.partition("/")
        num, den = num.strip() or "late", den.strip() or "receivable_year"
        if num not in NUMERATORS or den not in DENOMINATORS:
            raise ValueError(
                f"debt ratio variant {text!r}: numerator one of {', '.join(NUMERATORS)}, "
                f"denominator one of {', '.join(DENOMINATORS)}"
            )
        return cls(num, den)

    @property
    def code(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @property
    def label(self) -> str:
        return f"{NUMERATORS[self.numerator]} ÷ {DENOMINATORS[self.denominator]}"


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int
    projected: bool

    @property
    def value(self) -> Decimal | None:
        if self.denominator <= 0:
            return None
        return Decimal(self.numerator) / Decimal(self.denominator)


def debt_ratio(kpi: dict[str, int], month: int, variant: Variant, plan: int | None = None) -> Ratio:
    """The ratio for one month's figures (a ``ledger_kpis`` row); ``month`` is 1–12."""
    numerator = {
        "late": kpi["arrears_late"],
        "collectible": kpi["arrears_collectible"],
        "open": kpi["arrears_open"],
    }[variant.numerator]
    projected = False
    if variant.denominator == "annual_plan":
        plan = plan if plan is not None else LedgerSettings().annual_plan
    if variant.denominator == "receivable_ytd":
        denominator = kpi["receivable_ytd"]
    elif variant.denominator == "annual_plan" and plan is not None:
        denominator = plan
    else:
        denominator, projected = kpi["receivable_ytd"] * 12 // max(month, 1), True
    return Ratio(numerator, denominator, projected)
