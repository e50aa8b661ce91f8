"""Eligibility and amount of a benefit case (xét duyệt hồ sơ): pure functions of the applicant, the
dossier's facts and the contribution history (:mod:`ansinh.benefits.history`), using the calculators
of :mod:`ansinh.law.calculators` for every amount they cover.

Each evaluation returns a :class:`Draft`: the checks (each with its legal basis and pass/fail), the
calculator steps, the amount, and the problems that block a decision (stable codes with a message).

- pension (lương hưu): retirement age reached (Labour Code Art. 169; Decree 135/2020), ≥ 15 full years
  (Law 41/2024/QH15 Art. 64.1), rate and amount by the pension calculator (Art. 66, 68), minimum
  pension = reference level for members who joined before 1 Jul 2025 with ≥ 20 years of compulsory SI
  (Art. 141.11);
- one-time withdrawal (BHXH một lần, Art. 70.1): ground (a) retirement age with < 15 years; (b)
  emigration; (c) listed serious illness; (d) ≥ 81% loss of work capacity; (đ) 12 months out of SI with
  < 20 years — from 1 Jul 2025 only for members who contributed before that date (Law 58/2014 Art. 60.1
  and NQ 93/2015 before); amount by the lump-sum calculator (Art. 70.3), at the decision date (70.5);
- unemployment (Law on Employment 74/2025/QH15 Art. 38–39): ≥ 12 UI months in the 24 before the
  contract ended, not eligible for a pension; amount and duration by the calculator;
- sickness (Art. 43–46), maternity (Art. 50–60): by the calculators;
- funeral (Art. 85): 10 × the reference level in the month of death, if ≥ 12 months of compulsory SI or
  a pensioner;
- survivor monthly allowance (Art. 86–87): 50% (70% without a direct carer) of the reference level per
  relative, at most 4, if the deceased had ≥ 15 years of compulsory SI or was a pensioner.

Unpaid employer months (the employer declared but has not paid) block every kind that counts
contributions: they must be settled first (Law 41/2024/QH15 Art. 40, 41).

Worked example (one-time, ground đ): a member since 2016 (first month before 1 Jul 2025) with 8 years
4 months from 2014, out of SI for 13 months, average 9,000,000, decided 2026-03-02: 8.5 years × 2 = 17
months → 153,000,000.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ansinh.core.money import round_dong
from ansinh.law.calculators import (
    CalculationError,
    CalculationResult,
    lump_sum,
    maternity,
    pension,
    retirement_age,
    sickness,
    unemployment,
)
from ansinh.law.calculators.base import jsonable
from ansinh.law.calculators.years import full_years
from ansinh.law.parameters import ParameterSet
from ansinh.law.periods import Period

ONE_TIME_GROUNDS = ("a", "b", "c", "d", "dd")
GROUND_LABELS = {
    "a": "reached retirement age with fewer than 15 years (Art. 70.1(a))",
    "b": "emigrating to settle abroad (Art. 70.1(b))",
    "c": "listed serious illness (Art. 70.1(c))",
    "d": "loss of work capacity of 81% or more (Art. 70.1(d))",
    "dd": "12 months out of SI with fewer than 20 years (Art. 70.1(đ))",
}


@dataclass(frozen=True)
class Applicant:
    """The registry facts about the person a case is about."""

    person_id: int
    gender: str
    birth_date: date
    death_date: date | None = None
    is_pensioner: bool = False


@dataclass
class Check:
    label: str
    ok: bool
    legal_basis: str
    detail: str = ""


@dataclass
class Problem:
    """Why a draft cannot be approved: a stable ``code`` and a message naming the record and field."""

    code: str
    field: str
    message: str


@dataclass
class Draft:
    """A draft decision (dự thảo quyết định): eligibility, amount and every step with its legal basis."""

    kind: str
    eligible: bool
    amount: int | None = None
    monthly_amount: int | None = None
    duration_months: int | None = None
    checks: list[Check] = field(default_factory=list)
    #: Calculator steps (kept as objects; made JSON-shaped by :meth:`to_json`) and the rules' own steps.
    steps: list[Any] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def check(self, label: str, ok: bool, legal_basis: str, detail: str = "") -> bool:
        self.checks.append(Check(label, ok, legal_basis, detail))
        return ok

    def problem(self, code: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(code, field_name, message))
        self.eligible = False

    def add_result(self, result: CalculationResult) -> None:
        self.steps.extend(result.steps)

    def step_dicts(self) -> list[dict[str, Any]]:
        """The steps as JSON-shaped dicts (label, value, formula, legal_basis)."""
        out: list[dict[str, Any]] = []
        for s in self.steps:
            out.append(s if isinstance(s, dict) else jsonable(s.__dict__))
        return out

    @property
    def legal_basis(self) -> list[str]:
        seen: list[str] = []
        step_bases = [str(s["legal_basis"] if isinstance(s, dict) else s.legal_basis) for s in self.steps]
        for text in [c.legal_basis for c in self.checks] + step_bases:
            for part in text.split("; "):
                if part and part not in seen:
                    seen.append(part)
        return seen

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "eligible": self.eligible,
            "amount": self.amount,
            "monthly_amount": self.monthly_amount,
            "duration_months": self.duration_months,
            "checks": [c.__dict__ for c in self.checks],
            "steps": self.step_dicts(),
            "problems": [p.__dict__ for p in self.problems],
            "legal_basis": self.legal_basis,
            "figures": jsonable(self.figures),
        }


def _history_checks(draft: Draft, history: Mapping[str, Any], person_id: int) -> bool:
    """No history, or unpaid employer months: the case cannot be decided yet."""
    if int(history["total_months"]) == 0:
        draft.problem(
            "no_contribution_history",
            "person_id",
            f"person {person_id} has no SI contribution months before the event: nothing to count",
        )
        return False
    if int(history["unpaid_months"]) > 0:
        draft.problem(
            "unpaid_employer_months",
            "unpaid_periods",
            f"person {person_id}: {history['unpaid_months']} month(s) declared but not paid by the employer "
            f"({history['unpaid_periods']}); the employer must settle them first"
            " (Law 41/2024/QH15 Art. 40–41)",
        )
        draft.check(
            "No month left unpaid by an employer",
            False,
            "Law 41/2024/QH15 Art. 40, 41",
            str(history["unpaid_periods"]),
        )
        return False
    draft.check("No month left unpaid by an employer", True, "Law 41/2024/QH15 Art. 40, 41")
    return True


def retirement_start(params: ParameterSet, applicant: Applicant) -> date:
    """First day of pension by the retirement-age calculator (which depends on the birth month only,
    so its answer is kept per parameter set, gender and birth month)."""
    return _retirement_start(params, applicant.gender, applicant.birth_date.replace(day=1))


@lru_cache(maxsize=4096)
def _retirement_start(params: ParameterSet, gender: str, birth_month: date) -> date:
    out: date = retirement_age(params, gender=gender, birth_date=birth_month)["pension_from"]
    return out


def evaluate_pension(
    params: ParameterSet,
    applicant: Applicant,
    history: Mapping[str, Any],
    facts: Mapping[str, Any],
    event: date,
) -> Draft:
    """Pension (Law 41/2024/QH15 Art. 64, 66, 68, 141.11; Labour Code Art. 169)."""
    draft = Draft("pension", True)
    if not _history_checks(draft, history, applicant.person_id):
        return draft
    age = retirement_age(params, gender=applicant.gender, birth_date=applicant.birth_date)
    start: date = age["pension_from"]
    draft.add_result(age)
    if not draft.check(
        "Retirement age reached",
        event >= start,
        "Labour Code 45/2019/QH14 Art. 169; Decree 135/2020/NĐ-CP Art. 4",
        f"pension from {start.isoformat()}, requested {event.isoformat()}",
    ):
        draft.problem(
            "retirement_age_not_reached", "event_date", f"the pension can start on {start} at the earliest"
        )
        return draft
    months = int(history["total_months"])
    average = int(history["average_salary"])
    result = pension(
        params,
        gender=applicant.gender,
        contribution_months=months,
        average_salary=average,
        retirement_date=event,
    )
    draft.add_result(result)
    if not draft.check(
        "Years of contributions ≥ minimum", bool(result["eligible"]), "Law 41/2024/QH15 Art. 64.1"
    ):
        draft.problem(
            "too_few_years",
            "total_months",
            f"{months} months ({result['full_years']} full years) are fewer than "
            f"{params.integer('pension_min_years', event)} years;"
            " see the one-time withdrawal or the Art. 23 allowance",
        )
        return draft
    monthly = int(result["monthly_pension"])
    first = history.get("first_month")
    law_start = date(2025, 7, 1)  # Law 41/2024/QH15 Art. 140: in force 1 Jul 2025
    joined_before = first is not None and int(first) < Period.of(law_start).index
    if event >= law_start and joined_before and int(history["si_months"]) >= 20 * 12:
        floor = round_dong(
            params.rate("minimum_pension_floor", event) * params.dong("reference_level", event)
        )
        if monthly < floor:
            draft.steps.append(
                {
                    "label": "Minimum pension (mức lương hưu thấp nhất) = reference level",
                    "value": floor,
                    "legal_basis": "Law 41/2024/QH15 Art. 141.11",
                    "formula": f"max({monthly:,}, {floor:,})",
                }
            )
            monthly = floor
    draft.monthly_amount = monthly
    draft.amount = monthly
    draft.figures = {
        "pension_from": start,
        "rate_percent": result["rate_percent"],
        "average_salary": average,
        "months": months,
        "one_off_allowance": result["one_off_allowance"],
    }
    return draft


def _one_time_rule_law_58(
    params: ParameterSet, draft: Draft, history: Mapping[str, Any], decided: date
) -> bool:
    """Law 58/2014/QH13 Art. 60.1(d) and NQ 93/2015/QH13: 12 months out, fewer than 20 years."""
    break_needed = params.integer("one_time_break_months", decided)
    max_years = params.integer("one_time_max_years", decided)
    gap = Period.of(decided).index - int(history["last_month"]) - 1
    years = full_years(int(history["total_months"]))
    ok1 = draft.check(
        f"Out of SI for at least {break_needed} months",
        gap >= break_needed,
        "Law 58/2014/QH13 Art. 60.1; Resolution 93/2015/QH13",
        f"{gap} months",
    )
    ok2 = draft.check(
        f"Fewer than {max_years} years", years < max_years, "Resolution 93/2015/QH13", f"{years} years"
    )
    return ok1 and ok2


def _one_time_rule_law_41(
    params: ParameterSet, draft: Draft, history: Mapping[str, Any], decided: date
) -> bool:
    """Law 41/2024/QH15 Art. 70.1(đ): contributed before 1 Jul 2025, 12 months out, < 20 years."""
    law_start = ONE_TIME_RULES[-1][0]
    ok0 = draft.check(
        f"Contributions made before {law_start.isoformat()}",
        int(history["first_month"]) < Period.of(law_start).index,
        "Law 41/2024/QH15 Art. 70.1(đ)",
        f"first month {Period.from_index(int(history['first_month']))}",
    )
    ok = _one_time_rule_law_58(params, draft, history, decided)
    draft.checks[-2].legal_basis = draft.checks[-1].legal_basis = "Law 41/2024/QH15 Art. 70.1(đ)"
    return ok0 and ok


OneTimeRule = Callable[[ParameterSet, Draft, Mapping[str, Any], date], bool]
#: Which rule of ground (đ) applies, by decision date (the date each law came into force).
ONE_TIME_RULES: tuple[tuple[date, str, OneTimeRule], ...] = (
    (date(2016, 1, 1), "Law 58/2014/QH13", _one_time_rule_law_58),
    (date(2025, 7, 1), "Law 41/2024/QH15", _one_time_rule_law_41),
)


def evaluate_one_time(
    params: ParameterSet,
    applicant: Applicant,
    history: Mapping[str, Any],
    facts: Mapping[str, Any],
    decided: date,
) -> Draft:
    """One-time withdrawal (Law 41/2024/QH15 Art. 70; Law 58/2014/QH13 Art. 60 before 1 Jul 2025)."""
    draft = Draft("one_time", True)
    if not _history_checks(draft, history, applicant.person_id):
        return draft
    ground = str(facts.get("ground") or "dd")
    if ground not in ONE_TIME_GROUNDS:
        draft.problem("invalid_ground", "ground", f"ground must be one of {ONE_TIME_GROUNDS}, got {ground!r}")
        return draft
    months = int(history["total_months"])
    if ground == "a":
        start = retirement_start(params, applicant)
        min_years = params.integer("pension_min_years", decided)
        ok = draft.check(
            "Retirement age reached", decided >= start, "Law 41/2024/QH15 Art. 70.1(a)", str(start)
        )
        ok = (
            draft.check(
                f"Fewer than {min_years} full years",
                full_years(months) < min_years,
                "Law 41/2024/QH15 Art. 70.1(a)",
                f"{full_years(months)} years",
            )
            and ok
        )
    elif ground == "dd":
        rule: OneTimeRule | None = None
        for since, _law, candidate in ONE_TIME_RULES:
            if decided >= since:
                rule = candidate
        assert rule is not None
        ok = rule(params, draft, history, decided)
    else:
        evidence = bool(facts.get("evidence"))
        ok = draft.check(
            GROUND_LABELS[ground], evidence, f"Law 41/2024/QH15 Art. 70.1({ground})", "document received"
        )
    if not ok:
        draft.problem("not_eligible", "ground", f"ground {GROUND_LABELS[ground]} is not met")
        return draft
    result = lump_sum(
        params,
        months_before_2014=int(history["months_before_2014"]),
        months_from_2014=int(history["months_from_2014"]),
        average_salary=int(history["average_salary"]),
        decision_date=decided,
    )
    draft.add_result(result)
    draft.amount = int(result["amount"])
    draft.figures = {
        "ground": ground,
        "months": months,
        "average_salary": int(history["average_salary"]),
        "months_of_salary": result["months_of_salary"],
    }
    return draft


def evaluate_unemployment(
    params: ParameterSet,
    applicant: Applicant,
    history: Mapping[str, Any],
    facts: Mapping[str, Any],
    event: date,
) -> Draft:
    """Unemployment benefit (Law on Employment 74/2025/QH15 Art. 38–39)."""
    draft = Draft("unemployment", True)
    if not _history_checks(draft, history, applicant.person_id):
        return draft
    minimum = params.integer("ui_min_contribution_months", event)
    last24 = int(history["ui_months_last24"])
    if not draft.check(
        f"UI months in the 24 months before the contract ended ≥ {minimum}",
        last24 >= minimum,
        "Law on Employment 74/2025/QH15 Art. 38.1",
        f"{last24} months",
    ):
        draft.problem(
            "too_few_ui_months", "ui_months_last24", f"{last24} UI months in the last 24, {minimum} needed"
        )
        return draft
    start = retirement_start(params, applicant)
    pension_years = params.integer("pension_min_years", event)
    pension_eligible = event >= start and full_years(int(history["total_months"])) >= pension_years
    if not draft.check(
        "Not eligible for a pension",
        not pension_eligible,
        "Law on Employment 74/2025/QH15 Art. 38",
    ):
        draft.problem("pension_eligible", "event_date", "the applicant is eligible for a pension instead")
        return draft
    region = int(facts.get("region") or 1)
    result = unemployment(
        params,
        period=Period.of(event),
        contribution_months=int(history["ui_months"]),
        average_salary_last6=int(history["average_last6"]),
        region=region,
    )
    draft.add_result(result)
    draft.monthly_amount = int(result["monthly_benefit"])
    draft.duration_months = int(result["duration_months"])
    draft.amount = int(result["total_benefit"])
    draft.figures = {"region": region, "average_last6": int(history["average_last6"])}
    return draft


def evaluate_sickness(
    params: ParameterSet,
    applicant: Applicant,
    history: Mapping[str, Any],
    facts: Mapping[str, Any],
    event: date,
) -> Draft:
    """Sickness benefit (Law 41/2024/QH15 Art. 42–46)."""
    draft = Draft("sickness", True)
    if not _history_checks(draft, history, applicant.person_id):
        return draft
    salary = int(history["salary_previous_month"])
    if not draft.check("Insured in the month before the leave", salary > 0, "Law 41/2024/QH15 Art. 42, 45.2"):
        draft.problem(
            "not_insured_before_leave", "event_date", "no compulsory SI salary in the month before the leave"
        )
        return draft
    days = int(facts.get("days") or 0)
    if days <= 0:
        draft.problem("missing_fact", "days", "the number of working days of leave is required")
        return draft
    result = sickness(
        params,
        period=Period.of(event),
        salary_previous_month=salary,
        contribution_years=full_years(int(history["si_months"])),
        days=days,
        heavy_work=bool(facts.get("heavy_work")),
        days_taken_this_year=int(facts.get("days_taken_this_year") or 0),
        convalescence_days=int(facts.get("convalescence_days") or 0),
    )
    draft.add_result(result)
    draft.amount = int(result["total"])
    return draft


def evaluate_maternity(
    params: ParameterSet,
    applicant: Applicant,
    history: Mapping[str, Any],
    facts: Mapping[str, Any],
    event: date,
) -> Draft:
    """Maternity benefit at childbirth (Law 41/2024/QH15 Art. 50–60)."""
    draft = Draft("maternity", True)
    if not _history_checks(draft, history, applicant.person_id):
        return draft
    beneficiary = str(facts.get("beneficiary") or ("mother" if applicant.gender == "female" else "father"))
    result = maternity(
        params,
        period=Period.of(event),
        beneficiary=beneficiary,
        average_salary_last6=int(history["average_last6"]),
        contribution_months_last12=int(history["si_months_last12"]),
        children=int(facts.get("children") or 1),
        caesarean=bool(facts.get("caesarean")),
        convalescence_days=int(facts.get("convalescence_days") or 0),
    )
    draft.add_result(result)
    if not draft.check(
        "Qualifying months in the 12 before birth", bool(result["eligible"]), "Law 41/2024/QH15 Art. 50.2"
    ):
        draft.problem(
            "too_few_months", "si_months_last12", f"{history['si_months_last12']} months in the last 12"
        )
        return draft
    draft.amount = int(result["total"])
    return draft


def evaluate_funeral(
    params: ParameterSet,
    applicant: Applicant,
    history: Mapping[str, Any],
    facts: Mapping[str, Any],
    event: date,
) -> Draft:
    """Funeral allowance (trợ cấp mai táng), Law 41/2024/QH15 Art. 85: 10 × reference level."""
    draft = Draft("funeral", True)
    death = applicant.death_date or event
    needed = params.integer("funeral_min_contribution_months", death)
    months = int(history["si_months"])
    occupational = bool(facts.get("occupational"))
    if not draft.check(
        f"≥ {needed} months of compulsory SI, or a pensioner, or an occupational death",
        months >= needed or applicant.is_pensioner or occupational,
        "Law 41/2024/QH15 Art. 85.1",
        f"{months} months; pensioner {applicant.is_pensioner}",
    ):
        draft.problem("not_eligible", "si_months", f"{months} months of compulsory SI, {needed} needed")
        return draft
    if (
        not applicant.is_pensioner
        and not occupational
        and not _history_checks(draft, history, applicant.person_id)
    ):
        return draft
    multiplier = params.rate("funeral_allowance_multiplier", death)
    level = params.dong("reference_level", death)
    amount = round_dong(multiplier * level)
    draft.steps.append(
        {
            "label": "Funeral allowance (trợ cấp mai táng)",
            "value": amount,
            "legal_basis": "Law 41/2024/QH15 Art. 85.2; "
            + params.entry("reference_level", death).legal_basis,
            "formula": f"{multiplier} × {level:,} (reference level in the month of death)",
        }
    )
    draft.amount = amount
    return draft


def evaluate_survivor(
    params: ParameterSet,
    applicant: Applicant,
    history: Mapping[str, Any],
    facts: Mapping[str, Any],
    event: date,
) -> Draft:
    """Monthly survivor allowance (trợ cấp tuất hằng tháng), Law 41/2024/QH15 Art. 86–87."""
    draft = Draft("survivor", True)
    death = applicant.death_date or event
    min_years = params.integer("survivor_monthly_min_years", death)
    years = full_years(int(history["si_months"]))
    if not draft.check(
        f"Deceased had ≥ {min_years} years of compulsory SI, or was a pensioner",
        years >= min_years or applicant.is_pensioner,
        "Law 41/2024/QH15 Art. 86.1",
        f"{years} years; pensioner {applicant.is_pensioner}",
    ):
        draft.problem("not_eligible", "si_months", f"{years} years of compulsory SI, {min_years} needed")
        return draft
    relatives = list(facts.get("relatives") or [])
    if not relatives:
        draft.problem("missing_fact", "relatives", "at least one eligible relative is required")
        return draft
    most = params.integer("survivor_max_relatives", death)
    rates = params.rate_by_key("survivor_monthly_rate", death)
    start = Period.of(death).next().first_day  # from the month after death (Art. 87.3)
    level = params.dong("reference_level", start)
    total = 0
    for i, rel in enumerate(relatives[:most]):
        key = "without_carer" if rel.get("without_carer") else "with_carer"
        amount = round_dong(rates[key] * level)
        total += amount
        draft.steps.append(
            {
                "label": f"Relative {i + 1} ({key.replace('_', ' ')})",
                "value": amount,
                "legal_basis": "Law 41/2024/QH15 Art. 87.1",
                "formula": f"{rates[key] * 100}% × {level:,}",
            }
        )
    if len(relatives) > most:
        draft.check(
            f"At most {most} relatives", False, "Law 41/2024/QH15 Art. 87.2", f"{len(relatives)} listed"
        )
    draft.monthly_amount = total
    draft.amount = total
    draft.figures = {"start": start, "relatives": min(len(relatives), most)}
    return draft


Evaluator = Callable[[ParameterSet, Applicant, Mapping[str, Any], Mapping[str, Any], date], Draft]
EVALUATORS: dict[str, Evaluator] = {
    "pension": evaluate_pension,
    "one_time": evaluate_one_time,
    "unemployment": evaluate_unemployment,
    "sickness": evaluate_sickness,
    "maternity": evaluate_maternity,
    "funeral": evaluate_funeral,
    "survivor": evaluate_survivor,
}


def evaluate(
    params: ParameterSet,
    kind: str,
    applicant: Applicant,
    history: Mapping[str, Any],
    facts: Mapping[str, Any],
    event: date,
    decided: date,
) -> Draft:
    """Evaluate one case. ``event`` is the pension start, contract end, leave start, birth or death;
    ``decided`` the decision date (the one-time withdrawal is computed at it, Art. 70.5)."""
    try:
        when = decided if kind == "one_time" else event
        return EVALUATORS[kind](params, applicant, history, facts, when)
    except CalculationError as exc:
        draft = Draft(kind, False)
        draft.problem(exc.code, exc.field or "", exc.message)
        return draft


def needs_second_approval(params: ParameterSet, draft: Draft, at: date) -> bool:
    """Amount above the office's threshold (lump sum, or 12 months of a recurring benefit)."""
    threshold = params.dong("second_approval_threshold", at)
    amount = draft.amount or 0
    if draft.kind in ("pension", "survivor") and draft.monthly_amount:
        amount = draft.monthly_amount * 12
    return amount > threshold


def decimal_or_int(value: Any) -> Any:
    return int(value) if isinstance(value, Decimal) and value == value.to_integral() else value
