"""The authorisation walk: every route of the application against the policy table, for every role ×
{province-wide, own commune, another commune}, on SQLite and PostgreSQL.

A small synthetic province (2,000 people, every domain) gives real records of every kind. For each
route and each principal the expected outcome is derived from ``ansinh.web.policy.POLICY`` and the
role's permissions alone: 403 without the permission or for a commune-scoped principal on a
province-wide operation, 404 for a record outside the principal's commune, and otherwise an admitted
request (not 401/403/404, never a server error). A route missing from the table fails here; so does a
table entry without a route, and a route whose own permission dependency disagrees with the table.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ansinh.benefits.models import BenefitCase, BenefitPayment, PayrollRun
from ansinh.claims.models import ClaimFinding
from ansinh.claims.review import run_review
from ansinh.core.audit import AuditEntry, UnauditedChange, guard, record
from ansinh.core.auth import PERMISSIONS, PROVINCE_ROLES, open_session
from ansinh.core.auth_models import ROLES, User
from ansinh.core.db import session_factory, unit_of_work
from ansinh.ledger.models import Payment, Reminder
from ansinh.registry.models import Employer, Person, Province
from ansinh.synth.context import SynthConfig
from ansinh.synth.province import generate
from ansinh.synth.writer import write_province
from ansinh.web.app import create_app
from ansinh.web.policy import POLICY, Area, Rule, locate, policy_markdown
from ansinh.web.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, secret_key

PROVINCE = "42"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def _walk(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "effective_candidates"):
            yield from _walk(route.effective_candidates())
        elif isinstance(getattr(route, "original_route", None), APIRoute):
            yield route


def app_routes(app: Any) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for route in _walk(app.routes):
        for method in route.methods:
            out[method, route.path] = route
    return out


def _required_permissions(route: Any) -> set[str]:
    """The permissions a route's own ``require(...)`` dependencies ask for."""
    found: set[str] = set()

    def visit(dependant: Any) -> None:
        for sub in dependant.dependencies:
            if getattr(sub.call, "__qualname__", "").startswith("require."):
                found.add(sub.call.__closure__[0].cell_contents)
            visit(sub)

    visit(route.dependant)
    return found


# --- static checks ----------------------------------------------------------------------------


def test_every_route_has_exactly_one_rule(tmp_path: Path) -> None:
    from ansinh.core.db import make_engine
    from ansinh.core.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    routes = app_routes(create_app(engine))
    assert set(routes) - set(POLICY) == set(), "routes without a rule in ansinh.web.policy.POLICY"
    assert set(POLICY) - set(routes) == set(), "rules for routes that do not exist"
    for key, route in routes.items():
        rule = POLICY[key]
        own = _required_permissions(route)
        assert own <= {rule.permission}, f"{key}: the route asks for {own}, the policy for {rule.permission}"
        assert rule.area is not Area.RECORD or (rule.record and rule.param and "{" + rule.param in key[1]), (
            key
        )


def test_the_security_document_prints_the_policy() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert policy_markdown() in text, "docs/security.md is out of date: paste policy_markdown() into it"


def test_the_audit_guard_refuses_an_unaudited_change(engine: Engine) -> None:
    sessions = guard(session_factory(engine))
    session = sessions()
    province = session.scalars(select(Province).limit(1)).first()
    assert province is not None
    province.name = province.name + " (sửa)"
    with pytest.raises(UnauditedChange, match="provinces"):
        session.commit()
    session.rollback()
    # the same change with its audit entry commits
    province = session.scalars(select(Province).limit(1)).one()
    province.name = province.name + " (sửa)"
    record(session, actor="test", action="rename", entity="province", entity_id=province.code)
    session.commit()
    session.close()


# --- the walk ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Records:
    """For each kind of record, a record in the first commune and one in another."""

    commune_a: str
    commune_b: str
    by_kind: dict[str, tuple[str, str]]  # kind -> (value in A, value in B)
    run_id: int
    file_name: str
    user_id: int
    token_id: int


def _pick(engine: Engine) -> Records:
    """Commune A: the commune with the most benefit cases, employers and claims among its records."""
    with unit_of_work(engine) as s:

        def commune_of(kind: str, value: int) -> str | None:
            location = locate(s, kind, str(value))
            return None if location is None else location[0]

        candidates: dict[str, list[int]] = {
            "person": list(s.scalars(select(Person.id).order_by(Person.id).limit(400))),
            "employer": list(s.scalars(select(Employer.id).order_by(Employer.id))),
            "reminder": list(s.scalars(select(Reminder.id).order_by(Reminder.id))),
            "ledger_payment": list(
                s.scalars(select(Payment.id).where(Payment.employer_id.is_not(None)).order_by(Payment.id))
            ),
            "benefit_case": list(s.scalars(select(BenefitCase.id).order_by(BenefitCase.id))),
            "benefit_payment": list(
                s.scalars(select(BenefitPayment.id).order_by(BenefitPayment.id).limit(400))
            ),
            "claim_finding": list(s.scalars(select(ClaimFinding.id).order_by(ClaimFinding.id).limit(400))),
        }
        located: dict[str, dict[int, str]] = {}
        for kind, values in candidates.items():
            communes = {v: commune_of(kind, v) for v in values}
            located[kind] = {v: c for v, c in communes.items() if c is not None}
        score: dict[str, int] = {}
        for kind_values in located.values():
            for commune in set(kind_values.values()):
                score[commune] = score.get(commune, 0) + 1
        commune_a = max(sorted(score), key=lambda c: score[c])
        by_kind: dict[str, tuple[str, str]] = {}
        commune_b = ""
        for kind, kind_values in located.items():
            own = [v for v, c in kind_values.items() if c == commune_a]
            other = [(v, c) for v, c in kind_values.items() if c != commune_a]
            assert own and other, f"the synthetic province has no {kind} in {commune_a} and elsewhere"
            by_kind[kind] = (str(own[0]), str(other[0][0]))
            commune_b = commune_b or other[0][1]
        finding_a, finding_b = by_kind["claim_finding"]
        episode_of = {
            f: str(s.scalar(select(ClaimFinding.episode_id).where(ClaimFinding.id == int(f))))
            for f in (finding_a, finding_b)
        }
        by_kind["claim_episode"] = (episode_of[finding_a], episode_of[finding_b])
        by_kind["area"] = (commune_a, commune_b)
        run_id = s.scalar(select(func.max(PayrollRun.id)))
        assert run_id is not None
        admin = s.scalars(select(User).where(User.role == "administrator")).first()
        assert admin is not None
        from ansinh.core.auth import issue_token

        issue_token(s, admin, name="walk", scopes=["persons:read"], actor="test")
        s.flush()
        from ansinh.core.auth_models import ApiToken

        token_id = s.scalar(select(func.max(ApiToken.id)))
        assert token_id is not None
        return Records(commune_a, commune_b, by_kind, run_id, "bank-VCB", admin.id, token_id)


PARAM_KIND = {
    "person_id": "person",
    "employer_id": "employer",
    "reminder_id": "reminder",
    "case_id": "benefit_case",
    "episode_id": "claim_episode",
    "finding_id": "claim_finding",
}


def _concrete(path: str, rule: Rule, records: Records, which: int) -> str:
    """The path with real values: the record in commune A (which=0) or in commune B (which=1)."""
    values: dict[str, str] = {
        "run_id": str(records.run_id),
        "name": "contribution" if path.startswith(("/calculators", "/api/v1/calc")) else records.file_name,
        "fmt": "xlsx",
        "lang": "vi",
        "user_id": str(records.user_id),
        "token_id": str(records.token_id),
        "code": "si_working_age",
    }
    for param, kind in PARAM_KIND.items():
        values[param] = records.by_kind[kind][which]
    if path.startswith("/ledger/payments/"):
        values["payment_id"] = records.by_kind["ledger_payment"][which]
    elif path.startswith("/benefits/payments/"):
        values["payment_id"] = records.by_kind["benefit_payment"][which]
    if rule.record == "area":
        values["code"] = records.by_kind["area"][which]
    for key, value in values.items():
        path = path.replace("{" + key + "}", value)
    assert "{" not in path, path
    return path


def _expected(rule: Rule, role: str, commune_scoped: bool, other_commune: bool) -> int | None:
    """403 / 404 for a refusal; None for an admitted request."""
    if rule.area in (Area.PUBLIC, Area.ANY):
        return None
    if rule.permission is not None and rule.permission not in PERMISSIONS[role]:
        return 403
    if rule.area is Area.PROVINCE and commune_scoped:
        return 403
    if rule.area is Area.RECORD and commune_scoped and other_commune:
        return 404
    return None


#: Query strings a route needs to do its work (the outreach export is a commune's list).
QUERY = {"/coverage/outreach.xlsx": "?commune={a}"}

#: Admitted requests that may still answer 404 for a reason of their own, not the policy's.
OWN_404 = {
    ("GET", "/benefits/payroll/{run_id}/files/{name}.csv"): "the run may have no pending payments",
    ("GET", "/benefits/cases/{case_id}/counselling.pdf"): "only a one-time withdrawal case has a sheet",
    ("GET", "/benefits/cases/{case_id}/counselling"): "only a one-time withdrawal case has a sheet",
}


def _client(engine: Engine, username: str, role: str, area: str) -> TestClient:
    with unit_of_work(engine) as s:
        user = s.scalars(select(User).where(User.username == username)).first()
        if user is None:
            user = User(
                username=username,
                full_name=username,
                role=role,
                area_code=area,
                password_hash="-",
                active=True,
                created_at=datetime.now(UTC),
                facility_codes="42001" if role == "hospital" else None,
            )
            s.add(user)
            s.flush()
        token = open_session(s, user, "testclient")
    client = TestClient(create_app(engine), follow_redirects=False, raise_server_exceptions=False)
    seed = secrets.token_urlsafe(16)
    client.cookies.set(SESSION_COOKIE, token)
    client.cookies.set(CSRF_COOKIE, seed)
    client.headers[CSRF_HEADER] = hmac.new(secret_key(), seed.encode(), hashlib.sha256).hexdigest()
    return client


@pytest.fixture
def province(engine: Engine) -> Engine:
    config = SynthConfig(province=PROVINCE, people=2000, months=36, seed=3, until="2026-10")
    write_province(engine, generate(config))
    run_review(engine, on=date(2026, 11, 1))
    with unit_of_work(engine) as s:
        s.add(
            User(
                username="walk_admin",
                full_name="Walk admin",
                role="administrator",
                area_code=PROVINCE,
                password_hash="-",
                active=True,
                created_at=datetime.now(UTC),
            )
        )
    return engine


def test_every_route_answers_as_the_policy_says(province: Engine) -> None:
    engine = province
    records = _pick(engine)
    app = create_app(engine)
    routes = sorted(app_routes(app))
    failures: list[str] = []
    principals: list[tuple[str, str, bool]] = []
    for role in ROLES:
        principals.append((role, PROVINCE, False))
        if role not in PROVINCE_ROLES and role != "hospital":
            principals.append((role, records.commune_a, True))
    audit_before = _audit_count(engine)
    for role, area, commune_scoped in principals:
        client = _client(engine, f"walk_{role}_{area}", role, area)
        for method, path in routes:
            rule = POLICY[method, path]
            if rule.area is Area.PUBLIC or path == "/api/v1/claims":
                continue  # sign-in etc. are tested in test_web_security; claims intake below
            # a province-wide principal is admitted to both communes' records: the other one suffices
            for which in ((0, 1) if commune_scoped else (1,)) if "{" in path else (0,):
                url = _concrete(path, rule, records, which) + QUERY.get(path, "").format(a=records.commune_a)
                response = client.request(method, url)
                status = response.status_code
                expected = _expected(rule, role, commune_scoped, other_commune=which == 1)
                where = f"{role}@{area} {method} {url}"
                if status >= 500:
                    failures.append(f"{where}: server error {status}")
                elif expected is not None and status != expected:
                    failures.append(f"{where}: expected {expected}, got {status}")
                elif expected is None and (
                    status in (401, 403) or (status == 404 and (method, path) not in OWN_404)
                ):
                    detail = response.text[:80] if path.startswith("/api/") else ""
                    failures.append(f"{where}: should be admitted, got {status} {detail}")
    assert not failures, "\n".join(failures[:60]) + f"\n({len(failures)} in all)"
    assert _audit_count(engine) > audit_before


def _audit_count(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
