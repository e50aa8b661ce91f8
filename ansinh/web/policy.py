"""The authorisation policy (chính sách phân quyền): who may do what to which record, declared once.

Every route of the staff application has one :class:`Rule` in :data:`POLICY`, keyed by its method and
path template. :func:`enforce_policy`, a dependency of every signed-in router, applies it before the
route's own code runs:

1. the principal must hold the rule's *permission* (role × token scopes), else **403**;
2. ``Area.PROVINCE``: a province-wide operation (a payroll run, a bank statement, the unmatched
   payments queue, accounts) needs a province-scoped principal, else **403**;
3. ``Area.RECORD``: the record named by the path (``record`` kind, ``param`` path parameter) is
   located — an employer's commune for ledger records, a beneficiary's residence for benefit cases and
   payments, a patient's residence for claims — and must lie in the principal's area, else **404**
   (the same answer as a record that does not exist, so a refusal reveals nothing);
4. ``Area.LIST``: no single record; the route's queries filter by the principal's area, and records
   named in the body (an employer's tax code in a declaration, the employer an unmatched payment is
   assigned to, the person a case is opened for) are checked by the service, as ``note`` says.

A route missing from the table answers 500 and fails ``tests/integration/test_policy.py``, which
walks ``app.routes`` and, for every role × {own area, another area}, asserts the outcome this table
gives. ``docs/security.md`` prints the table (:func:`policy_markdown`; the test keeps it current).

>>> POLICY["POST", "/benefits/payroll/{run_id}/confirm"].area is Area.PROVINCE
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import Depends, Request
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ansinh.core.auth import PERMISSIONS, Principal
from ansinh.web.deps import SessionDep, current_principal
from ansinh.web.errors import Forbidden, NotInArea, ProvinceOnly


class Area(StrEnum):
    PUBLIC = "public"  # no sign-in (sign-in page, language, health)
    ANY = "any"  # signed in, no record, nothing personal (API docs, calculators' pages)
    LIST = "list"  # lists and forms: queries filtered by the principal's area
    RECORD = "record"  # the path names a record: its area must be the principal's
    PROVINCE = "province"  # a province-wide operation: province-scoped principals only


@dataclass(frozen=True)
class Rule:
    permission: str | None
    area: Area
    record: str | None = None  # kind of record named by the path (see RESOLVERS)
    param: str | None = None  # the path parameter that names it
    note: str = ""  # what the route's service checks besides (records named in the body)

    @property
    def writes(self) -> bool:
        return self.permission is not None and not self.permission.endswith(":read")


def _r(permission: str, record: str, param: str, note: str = "") -> Rule:
    return Rule(permission, Area.RECORD, record, param, note)


def _l(permission: str | None, note: str = "") -> Rule:
    return Rule(permission, Area.LIST, note=note)


def _p(permission: str, note: str = "") -> Rule:
    return Rule(permission, Area.PROVINCE, note=note)


PUBLIC = Rule(None, Area.PUBLIC)
SIGNED_IN = Rule(None, Area.ANY)
EMPLOYER_IN_BODY = "the employer named in the body (tax code or id) must be in the officer's area"

#: (method, path template) → rule. Kept in the order of the navigation.
POLICY: dict[tuple[str, str], Rule] = {
    # open to everyone
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("POST", "/sign-out"): PUBLIC,
    ("GET", "/language/{lang}"): PUBLIC,
    ("GET", "/api/v1/health"): PUBLIC,
    # the signed-in user's own account and the API documentation
    ("GET", "/account/password"): SIGNED_IN,
    ("POST", "/account/password"): SIGNED_IN,
    ("GET", "/api/openapi.json"): SIGNED_IN,
    ("GET", "/api/docs"): SIGNED_IN,
    # registry
    ("GET", "/"): _l("persons:read"),
    ("GET", "/persons"): _l("persons:read"),
    ("GET", "/persons/{person_id}"): _r("persons:read", "person", "person_id"),
    ("GET", "/api/v1/persons"): _l("persons:read"),
    ("GET", "/api/v1/persons/{person_id}"): _r("persons:read", "person", "person_id"),
    ("GET", "/employers"): _l("employers:read"),
    ("GET", "/employers/{employer_id}"): _r("employers:read", "employer", "employer_id"),
    ("GET", "/api/v1/employers"): _l("employers:read"),
    ("GET", "/api/v1/employers/{employer_id}"): _r("employers:read", "employer", "employer_id"),
    # audit trail and accounts: the province's administrators
    ("GET", "/audit"): _p("audit:read"),
    ("GET", "/audit/export.csv"): _p("audit:read"),
    ("GET", "/api/v1/audit"): _p("audit:read"),
    ("GET", "/users"): _p("users:manage"),
    ("POST", "/users"): _p("users:manage"),
    ("GET", "/users/{user_id}"): _p("users:manage"),
    ("POST", "/users/{user_id}/reset-password"): _p("users:manage"),
    ("POST", "/users/{user_id}/active"): _p("users:manage"),
    ("POST", "/users/{user_id}/tokens"): _p("users:manage"),
    ("POST", "/users/{user_id}/tokens/{token_id}/revoke"): _p("users:manage"),
    # contributions ledger: an employer's commune
    ("GET", "/ledger"): _l("ledger:read"),
    ("GET", "/ledger/arrears"): _l("ledger:read"),
    ("GET", "/ledger/employers/{employer_id}"): _r("ledger:read", "employer", "employer_id"),
    ("GET", "/ledger/employers/{employer_id}/statement.{fmt}"): _r("ledger:read", "employer", "employer_id"),
    ("POST", "/ledger/employers/{employer_id}/reminders"): _r("ledger:write", "employer", "employer_id"),
    ("GET", "/ledger/reminders/{reminder_id}.pdf"): _r("ledger:read", "reminder", "reminder_id"),
    ("GET", "/ledger/payments"): _p("ledger:write", "unmatched payments name no employer yet"),
    ("POST", "/ledger/payments/import"): _p("ledger:write", "a bank statement covers the province"),
    ("POST", "/ledger/payments/{payment_id}/assign"): _r(
        "ledger:write", "ledger_payment", "payment_id", EMPLOYER_IN_BODY
    ),
    ("POST", "/ledger/payments/{payment_id}/reverse"): _r("ledger:write", "ledger_payment", "payment_id"),
    ("GET", "/ledger/declarations"): _l("declarations:write"),
    ("POST", "/ledger/declarations"): _l("declarations:write", EMPLOYER_IN_BODY),
    ("POST", "/ledger/declarations/upload"): _l("declarations:write", EMPLOYER_IN_BODY),
    ("GET", "/ledger/persons/{person_id}"): _r("ledger:read", "person", "person_id"),
    ("POST", "/api/v1/ledger/declarations"): _l("declarations:write", EMPLOYER_IN_BODY),
    ("GET", "/api/v1/ledger/arrears"): _l("ledger:read"),
    ("GET", "/api/v1/ledger/employers/{employer_id}"): _r("ledger:read", "employer", "employer_id"),
    ("GET", "/api/v1/ledger/persons/{person_id}"): _r("ledger:read", "person", "person_id"),
    ("GET", "/api/v1/ledger/debt-ratio"): _l("ledger:read"),
    # health-insurance claims: a patient's residence; only reviewers, directors and inspectors read
    ("GET", "/claims"): _l("claims:read"),
    ("GET", "/claims/episodes/{episode_id}"): _r("claims:read", "claim_episode", "episode_id"),
    ("POST", "/claims/findings/{finding_id}/decide"): _r("claims:write", "claim_finding", "finding_id"),
    ("GET", "/claims/monitoring"): _l("claims:read"),
    ("POST", "/api/v1/claims"): _l("claims:submit", "a hospital token files only its own facilities' claims"),
    ("GET", "/api/v1/claims/queue"): _l("claims:read"),
    ("GET", "/api/v1/claims/episodes/{episode_id}"): _r("claims:read", "claim_episode", "episode_id"),
    ("GET", "/api/v1/claims/card-check"): _p(
        "claims:submit", "check-in card look-up; a hospital account needs a facility code; audited"
    ),
    # benefits: a beneficiary's residence
    ("GET", "/benefits"): _l("benefits:read"),
    ("POST", "/benefits/cases"): _l("benefits:write", "the person named in the body must be in the area"),
    ("GET", "/benefits/cases/{case_id}"): _r("benefits:read", "benefit_case", "case_id"),
    ("POST", "/benefits/cases/{case_id}/draft"): _r("benefits:write", "benefit_case", "case_id"),
    ("POST", "/benefits/cases/{case_id}/approve"): _r("benefits:write", "benefit_case", "case_id"),
    ("POST", "/benefits/cases/{case_id}/return"): _r("benefits:write", "benefit_case", "case_id"),
    ("POST", "/benefits/cases/{case_id}/reject"): _r("benefits:write", "benefit_case", "case_id"),
    ("POST", "/benefits/cases/{case_id}/counselling"): _r("benefits:write", "benefit_case", "case_id"),
    ("GET", "/benefits/cases/{case_id}/counselling"): _r("benefits:read", "benefit_case", "case_id"),
    ("GET", "/benefits/cases/{case_id}/counselling.pdf"): _r("benefits:read", "benefit_case", "case_id"),
    ("GET", "/benefits/beneficiaries/{person_id}"): _r("benefits:read", "person", "person_id"),
    ("POST", "/benefits/beneficiaries/{person_id}/channel"): _r("benefits:write", "person", "person_id"),
    ("GET", "/benefits/payroll"): _l("benefits:read"),
    ("POST", "/benefits/payroll"): _p("benefits:write", "a payroll run covers the province"),
    ("POST", "/benefits/payroll/one-off"): _p("benefits:write", "a payroll run covers the province"),
    ("GET", "/benefits/payroll/{run_id}"): _l("benefits:read", "a commune officer sees its commune's part"),
    ("GET", "/benefits/payroll/{run_id}/files/{name}.csv"): _l(
        "benefits:write", "a commune officer's file holds its commune's payments only"
    ),
    ("POST", "/benefits/payroll/{run_id}/confirm"): _p("benefits:write", "the bank confirms the whole run"),
    ("POST", "/benefits/returns"): _p("benefits:write", "a returns file covers the province"),
    ("POST", "/benefits/payments/{payment_id}/retry"): _r("benefits:write", "benefit_payment", "payment_id"),
    ("GET", "/benefits/noncash"): _l("benefits:read"),
    ("GET", "/api/v1/benefits/cases"): _l("benefits:read"),
    ("GET", "/api/v1/benefits/cases/{case_id}"): _r("benefits:read", "benefit_case", "case_id"),
    ("POST", "/api/v1/benefits/cases/{case_id}/approve"): _r("benefits:write", "benefit_case", "case_id"),
    ("GET", "/api/v1/benefits/noncash"): _l("benefits:read"),
    # coverage: an area's own figures
    ("GET", "/coverage/coverage.css"): _l("coverage:read"),
    ("GET", "/coverage"): _l("coverage:read"),
    ("GET", "/coverage/areas/{code}"): _r("coverage:read", "area", "code"),
    ("GET", "/coverage/areas/{code}/people"): _r("coverage:read", "area", "code"),
    ("GET", "/coverage/indicators"): _l("coverage:read"),
    ("GET", "/coverage/indicators/{code}"): _l("coverage:read"),
    ("GET", "/coverage/outreach"): _l("coverage:read"),
    ("GET", "/coverage/outreach.xlsx"): _l("coverage:read"),
    ("POST", "/coverage/outreach/campaigns"): _l("outreach:write", "a campaign is the officer's commune's"),
    ("POST", "/coverage/outreach/contacts"): _l("outreach:write", "the person contacted must be in the area"),
    ("GET", "/coverage/outreach/conversion"): _l("coverage:read"),
    ("GET", "/coverage/report"): _p("coverage:read", "the leadership report is the province's"),
    ("GET", "/coverage/report.{fmt}"): _p("coverage:read", "the leadership report is the province's"),
    ("GET", "/api/v1/coverage/indicators"): _l("coverage:read"),
    # calculators: the law, no personal record
    ("GET", "/calculators"): _l("calc:use"),
    ("GET", "/calculators/{name}"): _l("calc:use"),
    ("POST", "/calculators/{name}"): _l("calc:use"),
    ("GET", "/api/v1/calc"): _l("calc:use"),
    ("POST", "/api/v1/calc/{name}"): _l("calc:use"),
}


# --- where a record lies ----------------------------------------------------------------------

#: (commune code, province code) of a record; the commune is None for a province-level record (an
#: unmatched payment, a patient not in the registry), which only province-scoped principals reach.
#: None: no such record.
Location = tuple[str | None, str] | None
Resolver = Callable[[Session, int], Location]


def _province_level() -> Location:
    from ansinh.core.settings import get_settings

    return None, get_settings().province_code


def _commune_of(session: Session, commune_code: Any) -> Location:
    from ansinh.registry.models import Commune

    stmt = select(Commune.code, Commune.province_code).where(Commune.code == commune_code)
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def _person(session: Session, person_id: int) -> Location:
    from ansinh.registry.models import Commune, Person

    row = session.execute(
        select(Person.commune_code, Commune.province_code)
        .join(Commune, Commune.code == Person.commune_code)
        .where(Person.id == person_id)
    ).first()
    return None if row is None else (row[0], row[1])


def _employer(session: Session, employer_id: int) -> Location:
    from ansinh.registry.models import Commune, Employer

    row = session.execute(
        select(Employer.commune_code, Commune.province_code)
        .join(Commune, Commune.code == Employer.commune_code)
        .where(Employer.id == employer_id)
    ).first()
    return None if row is None else (row[0], row[1])


def _through(
    session: Session, stmt: Select[Any], then: Callable[[Session, int], Location], unowned: Location = None
) -> Location:
    """Follow a record to its owner (``then``); ``unowned`` when it exists but has none."""
    row = session.execute(stmt).first()
    if row is None:
        return None
    return unowned if row[0] is None else then(session, row[0])


def _ledger_payment(session: Session, payment_id: int) -> Location:
    from ansinh.ledger.models import Payment

    stmt = select(Payment.employer_id).where(Payment.id == payment_id)
    return _through(session, stmt, _employer, unowned=_province_level())


def _reminder(session: Session, reminder_id: int) -> Location:
    from ansinh.ledger.models import Reminder

    return _through(session, select(Reminder.employer_id).where(Reminder.id == reminder_id), _employer)


def _benefit_case(session: Session, case_id: int) -> Location:
    from ansinh.benefits.models import BenefitCase

    return _through(session, select(BenefitCase.person_id).where(BenefitCase.id == case_id), _person)


def _benefit_payment(session: Session, payment_id: int) -> Location:
    from ansinh.benefits.models import BenefitPayment

    stmt = select(BenefitPayment.person_id).where(BenefitPayment.id == payment_id)
    return _through(session, stmt, _person)


def patient_location(session: Session, card_number: str) -> Location:
    """A patient's residence: the commune of the registry's holder of the HI card, or the province
    when the card is not in the registry."""
    from ansinh.registry.models import Participation, Person

    commune = session.scalar(
        select(Person.commune_code)
        .join(Participation, Participation.person_id == Person.id)
        .where(Participation.hi_card_number == card_number)
        .limit(1)
    )
    return _province_level() if commune is None else _commune_of(session, commune)


def _claim_episode(session: Session, episode_id: int) -> Location:
    from ansinh.claims.models import ClaimEpisode

    card = session.scalar(select(ClaimEpisode.card_number).where(ClaimEpisode.id == episode_id))
    return None if card is None else patient_location(session, card)


def _claim_finding(session: Session, finding_id: int) -> Location:
    from ansinh.claims.models import ClaimFinding

    stmt = select(ClaimFinding.episode_id).where(ClaimFinding.id == finding_id)
    return _through(session, stmt, _claim_episode)


#: Record kinds named by paths → where such a record lies. ``area`` (a province or commune code in
#: the path) is resolved by :func:`_area`, the others take an integer id.
RESOLVERS: dict[str, Resolver] = {
    "person": _person,
    "employer": _employer,
    "ledger_payment": _ledger_payment,
    "reminder": _reminder,
    "benefit_case": _benefit_case,
    "benefit_payment": _benefit_payment,
    "claim_episode": _claim_episode,
    "claim_finding": _claim_finding,
}


def _area(session: Session, code: str) -> Location:
    """An area code in a path: the province itself or one of its communes."""
    from ansinh.registry.models import Province

    if len(code) == 2 and code.isdigit():
        return (None, code) if session.get(Province, code) is not None else None
    return _commune_of(session, code) if len(code) == 5 and code.isdigit() else None


def locate(session: Session, kind: str, value: str) -> Location:
    """Where the record of ``kind`` named ``value`` (a path parameter) lies; None if there is none."""
    if kind == "area":
        return _area(session, value)
    # ids beyond BIGINT cannot exist (and would overflow the driver): no such record
    if not value.isdigit() or len(value) > 18:
        return None
    return RESOLVERS[kind](session, int(value))


def in_area(principal: Principal, location: Location) -> bool:
    """May ``principal`` reach a record at ``location``? (None: no such record.)"""
    if location is None:
        return False
    commune, province = location
    if commune is None:
        return principal.scope.is_province and province == principal.scope.province_code
    return principal.scope.allows_commune(commune, province)


# --- enforcement ------------------------------------------------------------------------------


class UndeclaredRoute(RuntimeError):
    """A route with no rule in POLICY: a programming error, caught by the policy test."""


def rule_of(request: Request) -> Rule:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    rule = POLICY.get((request.method, path)) if path else None
    if rule is None and request.method == "HEAD":
        rule = POLICY.get(("GET", path)) if path else None
    if rule is None:
        raise UndeclaredRoute(f"{request.method} {path}: no rule in ansinh.web.policy.POLICY")
    return rule


def decide(session: Session, principal: Principal, rule: Rule, path_params: dict[str, str]) -> None:
    """Raise :class:`Forbidden`, :class:`ProvinceOnly` or :class:`NotInArea` unless ``rule`` admits."""
    if rule.permission is not None and not principal.can(rule.permission):
        raise Forbidden(rule.permission)
    if rule.area is Area.PROVINCE and not principal.scope.is_province:
        raise ProvinceOnly(rule.permission or "")
    if rule.area is Area.RECORD:
        assert rule.record is not None and rule.param is not None
        location = locate(session, rule.record, str(path_params.get(rule.param, "")))
        if not in_area(principal, location):
            raise NotInArea(rule.record)


def enforce_policy(
    request: Request, session: SessionDep, principal: Principal = Depends(current_principal)
) -> Principal:
    """The policy of the route being called, applied to the signed-in principal."""
    rule = rule_of(request)
    if rule.area is Area.PUBLIC:
        return principal
    decide(session, principal, rule, request.path_params)
    return principal


def enforce_public(request: Request) -> None:
    """Routes open to everyone must be declared so too."""
    if rule_of(request).area is not Area.PUBLIC:
        raise UndeclaredRoute(f"{request.method} {request.url.path} is not declared public")


def roles_with(permission: str | None) -> list[str]:
    return [role for role, perms in PERMISSIONS.items() if permission is None or permission in perms]


def policy_markdown() -> str:
    """The policy as a Markdown table, for ``docs/security.md``."""
    lines = [
        "| method | path | permission | area | record | roles | also checked |",
        "|---|---|---|---|---|---|---|",
    ]
    for (method, path), rule in POLICY.items():
        roles = "everyone" if rule.area is Area.PUBLIC else ", ".join(roles_with(rule.permission))
        lines.append(
            f"| {method} | `{path}` | {rule.permission or '—'} | {rule.area.value} | "
            f"{rule.record or '—'} | {roles} | {rule.note or '—'} |"
        )
    return "\n".join(lines) + "\n"
