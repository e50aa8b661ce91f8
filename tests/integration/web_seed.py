"""A small, hand-written province for the web tests: two communes of province 42, households,
persons (one merged duplicate), an employer, and participation in every scheme with HI cards.

Both ``commune_a`` and ``commune_b`` exist so that scoping can be tested in both directions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine

from ansinh.core.auth import hash_password
from ansinh.core.auth_models import ROLES, User
from ansinh.core.db import unit_of_work
from ansinh.core.text import name_key
from ansinh.registry.models import Commune, Employer, Household, Participation, Person
from ansinh.registry.queries import clear_dashboard_cache
from ansinh.web.app import create_app

PROVINCE = "42"
COMMUNE_A = "18001"
COMMUNE_B = "18002"
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Seed:
    person_a: int  # in commune A, head of household, SI + HI + UI
    person_a2: int  # in commune A, same household, HI only
    person_b: int  # in commune B, voluntary SI + HI
    merged: int  # duplicate of person_a, merged into it
    employer: int  # in commune A
    employer_b: int  # in commune B
    household_a: int


def _person(**kw: object) -> Person:
    full_name = str(kw["full_name"])
    return Person(name_key=name_key(full_name), **kw)


def seed(engine: Engine) -> Seed:
    with unit_of_work(engine) as s:
        s.add_all(
            [
                Commune(
                    code=COMMUNE_A,
                    name="Phường Thành Sen",
                    kind="phuong",
                    province_code=PROVINCE,
                    valid_from=date(2025, 7, 1),
                    wage_region=2,
                ),
                Commune(
                    code=COMMUNE_B,
                    name="Xã Thạch Hà",
                    kind="xa",
                    province_code=PROVINCE,
                    valid_from=date(2025, 7, 1),
                    wage_region=3,
                ),
            ]
        )
        s.flush()
        hh_a = Household(code="HH4218001000001", commune_code=COMMUNE_A, address="12 Trần Phú, Thành Sen")
        hh_b = Household(code="HH4218002000001", commune_code=COMMUNE_B, address="Thôn Đông, Thạch Hà")
        s.add_all([hh_a, hh_b])
        s.flush()
        employer = Employer(
            tax_code="3000123456",
            name="Công ty TNHH Thép Hà Tĩnh",
            name_key=name_key("Công ty TNHH Thép Hà Tĩnh"),
            kind="enterprise",
            commune_code=COMMUNE_A,
            sector="C",
            registered_on=date(2015, 3, 2),
        )
        employer_b = Employer(
            tax_code="3000999888",
            name="Hợp tác xã Nông nghiệp Thạch Hà",
            name_key=name_key("Hợp tác xã Nông nghiệp Thạch Hà"),
            kind="cooperative",
            commune_code=COMMUNE_B,
            sector="A",
            registered_on=date(2010, 1, 5),
        )
        s.add_all([employer, employer_b])
        s.flush()
        a = _person(
            full_name="Nguyễn Văn An",
            personal_id="042088001234",
            si_number="4201234567",
            birth_date=date(1988, 5, 1),
            gender="male",
            commune_code=COMMUNE_A,
            household_id=hh_a.id,
            relation_to_head="head",
            phone="0912345678",
            ethnicity="01",
        )
        a2 = _person(
            full_name="Trần Thị Bình",
            personal_id="042190005678",
            si_number="4201234568",
            birth_date=date(1990, 8, 12),
            gender="female",
            commune_code=COMMUNE_A,
            household_id=hh_a.id,
            relation_to_head="spouse",
            phone="0987654321",
        )
        b = _person(
            full_name="Nguyễn Thị Cúc",
            personal_id="042175009876",
            si_number="4209876543",
            birth_date=date(1975, 2, 20),
            gender="female",
            commune_code=COMMUNE_B,
            household_id=hh_b.id,
            relation_to_head="head",
            phone="0977000111",
        )
        s.add_all([a, a2, b])
        s.flush()
        dup = _person(
            full_name="Nguyễn Văn An",
            personal_id="042088001234",
            si_number="4201230000",
            birth_date=date(1988, 5, 1),
            gender="male",
            commune_code=COMMUNE_A,
            merged_into_id=a.id,
        )
        s.add(dup)
        s.flush()
        s.add_all(
            [
                Participation(
                    person_id=a.id,
                    scheme="si",
                    valid_from=date(2015, 4, 1),
                    valid_to=date(2021, 12, 31),
                    employer_id=employer.id,
                    salary=6_500_000,
                ),
                Participation(
                    person_id=a.id,
                    scheme="si",
                    valid_from=date(2022, 1, 1),
                    employer_id=employer.id,
                    salary=9_850_000,
                ),
                Participation(
                    person_id=a.id,
                    scheme="ui",
                    valid_from=date(2015, 4, 1),
                    employer_id=employer.id,
                    salary=9_850_000,
                ),
                Participation(
                    person_id=a.id,
                    scheme="hi",
                    valid_from=date(2015, 4, 1),
                    hi_group="DN",
                    hi_benefit_level=4,
                    hi_facility="42001",
                    hi_card_number="DN4424201234567",
                ),
                Participation(
                    person_id=a2.id,
                    scheme="hi",
                    valid_from=date(2024, 1, 1),
                    hi_group="GD",
                    hi_benefit_level=4,
                    hi_facility="42002",
                    hi_card_number="GD4424201234568",
                ),
                Participation(
                    person_id=b.id,
                    scheme="vsi",
                    valid_from=date(2023, 1, 1),
                    income=1_500_000,
                    support_group="near_poor",
                ),
                Participation(
                    person_id=b.id,
                    scheme="hi",
                    valid_from=date(2023, 1, 1),
                    valid_to=date(2023, 12, 31),
                    hi_group="HN",
                    hi_benefit_level=5,
                    hi_facility="42010",
                    hi_card_number="HN5424209876543",
                ),
                Participation(
                    person_id=b.id,
                    scheme="hi",
                    valid_from=date(2024, 1, 1),
                    hi_group="GD",
                    hi_benefit_level=4,
                    hi_facility="42010",
                    hi_card_number="GD4424209876543",
                ),
            ]
        )
        return Seed(a.id, a2.id, b.id, dup.id, employer.id, employer_b.id, hh_a.id)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2id is slow on purpose: hash once per test session


def seed_users(engine: Engine) -> dict[str, str]:
    """One account per role, named after it; the commune officer in commune A. Password: PASSWORD."""
    with unit_of_work(engine) as s:
        for role in ROLES:
            area = COMMUNE_A if role == "commune_officer" else PROVINCE
            s.add(
                User(
                    username=role,
                    role=role,
                    full_name=role.replace("_", " ").title(),
                    area_code=area,
                    password_hash=_password_hash(),
                    active=True,
                    created_at=datetime.now(UTC),
                )
            )
    return {role: role for role in ROLES}


# --- HTTP helpers ------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Web:
    """A test client on a seeded database, with the seed's ids."""

    client: TestClient
    seed: Seed
    engine: Engine


def make_web(engine: Engine, base_url: str = "http://testserver") -> Web:
    clear_dashboard_cache()
    ids = seed(engine)
    seed_users(engine)
    return Web(TestClient(create_app(engine), base_url=base_url, follow_redirects=False), ids, engine)


def csrf_of(client: TestClient, path: str = "/sign-in") -> str:
    """The CSRF token of a page (the client keeps the matching cookie)."""
    match = _CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    return client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": csrf_of(client)}
    )
