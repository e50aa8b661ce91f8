"""The catalogue of calculators: names, titles, input fields and the function behind each.

The CLI (``ansinh calc NAME``), the API (``POST /api/v1/calc/NAME``) and the web page all go through
:func:`calculate`, so they share one code path. The web page builds its form from :data:`CATALOG`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ansinh.law.calculators.base import CalculationError, CalculationResult
from ansinh.law.calculators.contribution import SCHEMES, contribution
from ansinh.law.calculators.household_hi import household_hi
from ansinh.law.calculators.inputs import FieldSpec, parse_payload
from ansinh.law.calculators.lump_sum import lump_sum
from ansinh.law.calculators.maternity import BENEFICIARIES, maternity
from ansinh.law.calculators.pension import GENDERS, pension
from ansinh.law.calculators.retirement_age import retirement_age
from ansinh.law.calculators.sickness import sickness
from ansinh.law.calculators.surcharge import surcharge
from ansinh.law.calculators.unemployment import unemployment
from ansinh.law.calculators.voluntary import GROUPS, voluntary
from ansinh.law.parameters import ParameterNotInForce, ParameterSet, get_parameters


@dataclass(frozen=True)
class CalculatorSpec:
    """A calculator as the edges see it."""

    name: str
    title: str
    title_vi: str
    legal_basis: str
    fields: tuple[FieldSpec, ...]
    function: Callable[..., CalculationResult]
    outputs: tuple[str, ...]
    date_field: str | None = None  # the input whose date selects the parameters

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "title_vi": self.title_vi,
            "legal_basis": self.legal_basis,
            "fields": [f.describe() for f in self.fields],
            "outputs": list(self.outputs),
        }


PERIOD = FieldSpec("period", "period", "Period (YYYY-MM)", "Kỳ (tháng/năm)")
REGION = FieldSpec("region", "integer", "Minimum-wage region", "Vùng lương tối thiểu", choices=(1, 2, 3, 4))
GENDER = FieldSpec("gender", "choice", "Gender", "Giới tính", choices=GENDERS)


def _dong(name: str, label: str, label_vi: str, **extra: Any) -> FieldSpec:
    return FieldSpec(name, "dong", label, label_vi, minimum=0, **extra)


def _count(name: str, label: str, label_vi: str, **extra: Any) -> FieldSpec:
    extra.setdefault("minimum", 0)
    return FieldSpec(name, "integer", label, label_vi, **extra)


_SPECS = (
    CalculatorSpec(
        "contribution",
        "Compulsory contributions (SI, HI, UI)",
        "Tiền đóng BHXH, BHYT, BHTN bắt buộc",
        "Law 41/2024/QH15 Art. 31–34; Law on Health Insurance Art. 13–14; "
        "Law on Employment 74/2025/QH15 Art. 33–34",
        (
            PERIOD,
            _dong("salary", "Monthly salary", "Tiền lương tháng"),
            REGION,
            FieldSpec("schemes", "choices", "Schemes", "Loại bảo hiểm", required=False, choices=SCHEMES),
        ),
        contribution,
        ("base", "employee", "employer", "total"),
        "period",
    ),
    CalculatorSpec(
        "voluntary",
        "Voluntary social insurance",
        "BHXH tự nguyện",
        "Law 41/2024/QH15 Art. 31.2, 36; Decree 159/2025/NĐ-CP Art. 5",
        (
            PERIOD,
            _dong("income", "Chosen monthly income", "Mức thu nhập lựa chọn"),
            FieldSpec("group", "choice", "Group", "Nhóm đối tượng", choices=GROUPS),
            FieldSpec(
                "months", "integer", "Months paid at once", "Phương thức đóng (tháng)", choices=(1, 3, 6, 12)
            ),
            _count(
                "supported_months_used",
                "Months of support already received",
                "Số tháng đã được hỗ trợ",
                required=False,
                default=0,
            ),
        ),
        voluntary,
        ("contribution", "state_support", "payable"),
        "period",
    ),
    CalculatorSpec(
        "household_hi",
        "Household health insurance",
        "BHYT hộ gia đình",
        "Law on Health Insurance Art. 13.1(e); Decree 146/2018/NĐ-CP Art. 7; Decree 188/2025/NĐ-CP",
        (
            PERIOD,
            # bounded: the calculation is per member (a count of 10^6 took seconds)
            _count("members", "Members joining", "Số thành viên tham gia", minimum=1, maximum=100),
            FieldSpec(
                "months", "integer", "Months paid at once", "Phương thức đóng (tháng)", choices=(3, 6, 12)
            ),
        ),
        household_hi,
        ("members", "total"),
        "period",
    ),
    CalculatorSpec(
        "surcharge",
        "Late-payment surcharge",
        "Lãi chậm đóng",
        "Law 41/2024/QH15 Art. 40–41; Decree 274/2025/NĐ-CP",
        (
            _dong("amount", "Amount in arrears", "Số tiền chậm đóng"),
            FieldSpec("due_date", "date", "Due date", "Hạn đóng"),
            FieldSpec("paid_date", "date", "Payment date", "Ngày đóng"),
        ),
        surcharge,
        ("days", "surcharge"),
        "paid_date",
    ),
    CalculatorSpec(
        "pension",
        "Retirement pension",
        "Lương hưu",
        "Law 41/2024/QH15 Art. 5.6, 64, 66, 68; Law 58/2014/QH13 Art. 54, 56, 58",
        (
            GENDER,
            _count("contribution_months", "Months of contributions", "Số tháng đóng BHXH"),
            _dong("average_salary", "Average salary", "Mức bình quân tiền lương"),
            FieldSpec("retirement_date", "date", "Retirement date", "Ngày nghỉ hưu"),
        ),
        pension,
        ("eligible", "rate_percent", "monthly_pension", "one_off_allowance"),
        "retirement_date",
    ),
    CalculatorSpec(
        "lump_sum",
        "One-time SI withdrawal",
        "BHXH một lần",
        "Law 41/2024/QH15 Art. 5.6, 70.3",
        (
            _count("months_before_2014", "Months of contributions before 2014", "Số tháng đóng trước 2014"),
            _count("months_from_2014", "Months of contributions from 2014", "Số tháng đóng từ 2014"),
            _dong("average_salary", "Average salary", "Mức bình quân tiền lương"),
            FieldSpec(
                "decision_date", "date", "Decision date (default today)", "Ngày quyết định", required=False
            ),
            _dong(
                "contributions_paid",
                "Amount paid (only under one year)",
                "Số tiền đã đóng (dưới 1 năm)",
                required=False,
            ),
        ),
        lump_sum,
        ("amount",),
        "decision_date",
    ),
    CalculatorSpec(
        "unemployment",
        "Unemployment benefit",
        "Trợ cấp thất nghiệp",
        "Law on Employment 74/2025/QH15 Art. 38–39; Law 38/2013/QH13 Art. 49–50",
        (
            PERIOD,
            _count("contribution_months", "Months of UI contributions", "Số tháng đóng BHTN"),
            _dong(
                "average_salary_last6",
                "Average UI salary, last 6 months",
                "Bình quân tiền lương 6 tháng liền kề",
            ),
            REGION,
        ),
        unemployment,
        ("eligible", "monthly_benefit", "duration_months"),
        "period",
    ),
    CalculatorSpec(
        "retirement_age",
        "Retirement age",
        "Tuổi nghỉ hưu",
        "Labour Code 45/2019/QH14 Art. 169; Decree 135/2020/NĐ-CP Art. 4",
        (GENDER, FieldSpec("birth_date", "date", "Date of birth", "Ngày sinh")),
        retirement_age,
        ("age_years", "age_months", "reached_month", "pension_from"),
        "birth_date",
    ),
    CalculatorSpec(
        "sickness",
        "Sickness benefit",
        "Chế độ ốm đau",
        "Law 41/2024/QH15 Art. 43, 45, 46",
        (
            PERIOD,
            _dong("salary_previous_month", "SI salary of the month before", "Tiền lương tháng liền kề trước"),
            _count("contribution_years", "Years of contributions", "Số năm đóng BHXH"),
            _count("days", "Working days of leave", "Số ngày nghỉ"),
            FieldSpec(
                "heavy_work",
                "boolean",
                "Heavy or hazardous work, or hard area",
                "Nặng nhọc, độc hại",
                required=False,
                default=False,
            ),
            _count(
                "days_taken_this_year",
                "Days already paid this year",
                "Số ngày đã hưởng trong năm",
                required=False,
                default=0,
            ),
            _count(
                "convalescence_days", "Days of convalescence", "Số ngày dưỡng sức", required=False, default=0
            ),
        ),
        sickness,
        ("entitlement_days", "paid_days", "sickness_benefit", "convalescence_benefit", "total"),
        "period",
    ),
    CalculatorSpec(
        "maternity",
        "Maternity benefit at childbirth",
        "Chế độ thai sản khi sinh con",
        "Law 41/2024/QH15 Art. 50, 53, 58, 59, 60",
        (
            PERIOD,
            FieldSpec("beneficiary", "choice", "Beneficiary", "Người hưởng", choices=BENEFICIARIES),
            _dong("average_salary_last6", "Average SI salary, last 6 months", "Bình quân tiền lương 6 tháng"),
            _count(
                "contribution_months_last12",
                "Months of contributions in the last 12",
                "Số tháng đóng trong 12 tháng",
                maximum=12,
            ),
            _count("children", "Children born", "Số con", required=False, default=1, minimum=1),
            FieldSpec("caesarean", "boolean", "Caesarean", "Sinh mổ", required=False, default=False),
            FieldSpec(
                "premature",
                "boolean",
                "Born under 32 weeks",
                "Sinh con dưới 32 tuần",
                required=False,
                default=False,
            ),
            FieldSpec(
                "mother_insured",
                "boolean",
                "Mother is insured",
                "Mẹ tham gia BHXH",
                required=False,
                default=True,
            ),
            _count(
                "convalescence_days",
                "Days of convalescence (mother)",
                "Số ngày dưỡng sức",
                required=False,
                default=0,
            ),
        ),
        maternity,
        ("eligible", "leave_benefit", "lump_sum", "total"),
        "period",
    ),
)

CATALOG: dict[str, CalculatorSpec] = {spec.name: spec for spec in _SPECS}


def calculate_result(
    name: str, payload: object, params: ParameterSet | None = None, today: date | None = None
) -> CalculationResult:
    """Parse the JSON ``payload`` for calculator ``name`` and run it (typed result)."""
    spec = CATALOG.get(name)
    if spec is None:
        raise CalculationError(
            "unknown_calculator", "name", f"no calculator {name!r}; known: {', '.join(sorted(CATALOG))}"
        )
    kwargs = parse_payload(spec.fields, payload)
    if name == "lump_sum" and "decision_date" not in kwargs:
        kwargs["decision_date"] = today or date.today()
    try:
        return spec.function(params or get_parameters(), **kwargs)
    except ParameterNotInForce as error:
        raise CalculationError("parameter_not_in_force", spec.date_field, str(error)) from None


def calculate(name: str, payload: object, params: ParameterSet | None = None) -> dict[str, Any]:
    """Run calculator ``name`` on a JSON object and return the JSON-able result (with ``steps``).

    Raises :class:`CalculationError` (``code``, ``field``, ``message``) on invalid input.
    """
    return calculate_result(name, payload, params).to_json()
