"""Demo accounts for ``make demo``: one per role, random passwords printed once, never a fixed one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ansinh.core.auth import create_user, generate_password, reset_password
from ansinh.core.auth_models import ROLES, User
from ansinh.core.db import unit_of_work
from ansinh.core.scope import AreaScope
from ansinh.registry.models import Commune, Participation
from ansinh.registry.queries import dashboard


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    area: str


def summary(engine: Engine, province: str) -> dict[str, int]:
    """What is in the database for the province: people, households, employers, participants."""
    with unit_of_work(engine) as session:
        figures = dashboard(session, AreaScope(province_code=province))
        spells = session.scalar(select(func.count()).select_from(Participation)) or 0
    out = {
        "communes": figures.communes,
        "people": figures.persons,
        "households": figures.households,
        "employers": figures.employers,
        "participation spells": spells,
    }
    out.update({f"participants in force: {scheme}": n for scheme, n in figures.participants.items()})
    return out


def create_demo_accounts(engine: Engine, province: str) -> list[DemoAccount]:
    """Create, or reset the password of, ``demo_<role>`` for every role. The commune officer gets the
    province's first commune (by code); everyone else the province."""

    accounts: list[DemoAccount] = []
    with unit_of_work(engine) as session:
        first_commune = session.scalar(
            select(Commune.code).where(Commune.province_code == province).order_by(Commune.code).limit(1)
        )
        for role in ROLES:
            username = f"demo_{role}"
            area = province
            if role == "commune_officer":
                if first_commune is None:
                    continue  # no commune loaded yet: run `ansinh synth` first
                area = first_commune
            password = generate_password()
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                create_user(
                    session,
                    username=username,
                    role=role,
                    area_code=area,
                    password=password,
                    full_name=f"Demo {role.replace('_', ' ')}",
                    # the synthetic province's first facility (mã cơ sở KCB) files the demo's claims
                    facility_codes=[f"{province}001"] if role == "hospital" else None,
                    actor="demo",
                )
            else:
                user.role, user.area_code, user.active = role, area, True
                reset_password(session, user, actor="demo", password=password, force_change=False)
            accounts.append(DemoAccount(username, password, role, area))
    return accounts
