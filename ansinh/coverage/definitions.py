"""The coverage indicators (chỉ tiêu bao phủ): what each one counts, over what, from which source.

Each :class:`Indicator` has a definition page (``/coverage/indicators/<code>``) that prints these
fields. Shares are numerator ÷ denominator; counts have no denominator. Every stock is taken on the
last day of the month (số người tham gia tại thời điểm cuối tháng), by the person's commune of
residence in the registry (the registry keeps the current commune only, so a person who moved is
counted in the new commune for every month), excluding records merged into another and people who
had died by then. Targets: domain reference §8 (Resolution 28-NQ/TW, 21-NQ/TW, 20-NQ/TW and the
provinces' own goals), kept in ``ansinh/law/parameters/targets.yaml``.

>>> INDICATORS["si_participants"].denominator
'labour_force'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    name_vi: str
    numerator: str
    denominator: str | None
    source: str
    #: "share" (numerator ÷ denominator), "count", "ratio_max" (a share that must stay below a target).
    kind: str = "share"
    #: Headline indicators are projected to their target year and shown on the dashboard.
    headline: bool = False


#: Denominator codes → what they are (the columns of ``coverage_denominators``, plus the registry's
#: count of people past retirement age and the ledger's receivable).
DENOMINATORS = {
    "labour_force": "Working-age labour force (lực lượng lao động trong độ tuổi), statistics office table",
    "working_age_population": "Working-age population (dân số trong độ tuổi lao "
    "động), statistics office table",
    "population": "Population (dân số), statistics office table",
    "elderly": "People past retirement age alive on the day (registry; retirement age by Decree 135/2020)",
    "receivable_year": "Amount receivable for the year (ledger; year to date × 12 ÷ months elapsed)",
    "paid_payments": "Benefit payments paid in the month (benefits)",
}

INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in (
        Indicator(
            "si_participants",
            "SI participants (compulsory + voluntary), share of the labour force",
            "Người tham gia BHXH (bắt buộc + tự nguyện), tỷ lệ so với lực lượng lao động",
            "Distinct persons with a compulsory (si) or voluntary (vsi) SI spell in force on "
            "the month's last day",
            "labour_force",
            "registry participations (si, vsi); denominators table",
            headline=True,
        ),
        Indicator(
            "si_compulsory",
            "Compulsory SI participants, share of the labour force",
            "Người tham gia BHXH bắt buộc, tỷ lệ so với lực lượng lao động",
            "Distinct persons with a compulsory SI (si) spell in force on the month's last day",
            "labour_force",
            "registry participations (si); denominators table",
        ),
        Indicator(
            "si_voluntary",
            "Voluntary SI participants, share of the labour force",
            "Người tham gia BHXH tự nguyện, tỷ lệ so với lực lượng lao động",
            "Distinct persons with a voluntary SI (vsi) spell in force on the month's last day",
            "labour_force",
            "registry participations (vsi); denominators table",
            headline=True,
        ),
        Indicator(
            "si_working_age",
            "SI participants, share of the working-age population",
            "Người tham gia BHXH, tỷ lệ so với dân số trong độ tuổi lao động",
            "Distinct persons with a compulsory or voluntary SI spell in force on the month's last day",
            "working_age_population",
            "registry participations (si, vsi); denominators table",
            headline=True,
        ),
        Indicator(
            "ui",
            "UI participants, share of the labour force",
            "Người tham gia BHTN, tỷ lệ so với lực lượng lao động",
            "Distinct persons with an unemployment insurance (ui) spell in force on the month's last day",
            "labour_force",
            "registry participations (ui); denominators table",
            headline=True,
        ),
        Indicator(
            "hi",
            "HI cardholders, share of the population",
            "Người tham gia BHYT, tỷ lệ so với dân số",
            "Distinct persons with a health insurance (hi) card valid on the month's last day",
            "population",
            "registry participations (hi); denominators table",
            headline=True,
        ),
        Indicator(
            "pension",
            "People past retirement age with a pension, monthly benefit or social pension",
            "Người sau tuổi nghỉ hưu hưởng lương hưu, BHXH hằng tháng, trợ cấp hưu trí xã hội",
            "People past retirement age with, on the month's last day, a beneficiaries row in force "
            "(pension, survivor, monthly allowance) or an HI card of group HT (pensioners, monthly SI "
            "benefits) or BT (monthly social assistance, which includes the social pension allowance)",
            "elderly",
            "benefits (beneficiaries) when present, and registry HI groups HT/BT (QĐ 1351/QĐ-BHXH)",
            headline=True,
        ),
        Indicator(
            "debt_ratio",
            "Debt ratio of contributions",
            "Tỷ lệ nợ",
            "Contributions open past their deadline at the month's end (interest-bearing arrears, "
            "surcharges excluded); the employers' commune",
            "receivable_year",
            "ledger: province from the month's close (ledger_kpis, the collection dashboard's figure); "
            "communes from the ledger entries posted by the month's end",
            kind="ratio_max",
            headline=True,
        ),
        Indicator(
            "arrears",
            "Arrears past the deadline (đồng)",
            "Số tiền chậm đóng (đồng)",
            "Contributions open past their deadline at the month's end, in đồng",
            None,
            "ledger",
            kind="count",
        ),
        Indicator(
            "one_time",
            "One-time SI withdrawals",
            "Số người hưởng BHXH một lần",
            "Benefit cases of kind one_time approved or paid, by the month of the decision",
            None,
            "benefits (benefit_cases)",
            kind="count",
        ),
        Indicator(
            "non_cash",
            "Benefit payments made without cash",
            "Tỷ lệ chi trả không dùng tiền mặt",
            "Paid benefit payments of the month through a bank account or e-wallet",
            "paid_payments",
            "benefits (benefit_payments)",
            headline=True,
        ),
        Indicator(
            "new_participants",
            "New SI participants",
            "Người tham gia BHXH mới",
            "Persons in SI (compulsory or voluntary) at the month's end who were not at the "
            "previous month's end",
            None,
            "registry participations (si, vsi)",
            kind="count",
        ),
        Indicator(
            "lost_participants",
            "SI participants lost",
            "Người dừng tham gia BHXH",
            "Persons in SI at the previous month's end who are not at this month's end (left, or died)",
            None,
            "registry participations (si, vsi); deaths",
            kind="count",
        ),
        Indicator(
            "net_growth",
            "Net growth of SI participants",
            "Tăng giảm thuần người tham gia BHXH",
            "New participants − participants lost",
            None,
            "registry participations (si, vsi)",
            kind="count",
        ),
    )
}

HEADLINE = tuple(code for code, i in INDICATORS.items() if i.headline)
#: Indicators whose source is the benefits domain (``benefit_cases``, ``beneficiaries``,
#: ``benefit_payments``).
BENEFITS_INDICATORS = ("one_time", "non_cash")
