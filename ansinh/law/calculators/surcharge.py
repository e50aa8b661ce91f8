"""Late-payment surcharge (lãi chậm đóng, trốn đóng) on arrears of SI, HI and UI contributions.

Rule (Law 41/2024/QH15 Art. 40.1(b) and 41.1(b); Decree 274/2025/NĐ-CP): ``days`` = calendar days from
the due date to the payment date (0 if paid on or before the due date); surcharge = round(amount ×
0.03% × days). The daily rate is the one in force on the payment date; arrears still unpaid on
30 Jun 2025 follow this rule (Art. 141.12). The earlier regime (Law 58/2014 Art. 122) is not modelled,
so a payment date before 1 Jul 2025 is refused.

Worked example: 10,000,000 due 2026-01-31, paid 2026-03-02: 30 days, surcharge 90,000.
"""

from __future__ import annotations

from datetime import date

from ansinh.core.money import round_dong
from ansinh.law.calculators.base import CalculationResult, Worksheet, dong, percent
from ansinh.law.parameters import ParameterSet


def surcharge(params: ParameterSet, *, amount: int, due_date: date, paid_date: date) -> CalculationResult:
    """Surcharge owed on ``amount`` paid on ``paid_date`` instead of ``due_date``."""
    sheet = Worksheet(params, paid_date)
    rate = params.rate("late_payment_surcharge_daily_rate", paid_date)
    days = max(0, (paid_date - due_date).days)
    sheet.step(
        "Days late (số ngày chậm đóng)",
        days,
        "Law 41/2024/QH15 Art. 38, Art. 40.1(b)",
        formula=f"{paid_date.isoformat()} − {due_date.isoformat()}",
    )
    value = round_dong(amount * rate * days)
    sheet.step(
        "Surcharge (tiền lãi chậm đóng)",
        value,
        "Law 41/2024/QH15 Art. 40.1(b), Art. 41.1(b)",
        "late_payment_surcharge_daily_rate",
        formula=f"round({dong(amount)} × {percent(rate)} × {days})",
    )
    figures = {"amount": amount, "daily_rate": rate, "days": days, "surcharge": value}
    return CalculationResult("surcharge", figures, sheet.steps)
