"""Schemathesis over the JSON API: no input makes the server answer 5xx.

What is exercised: every operation of the OpenAPI schema the application publishes
(``app.openapi()``, the document ``/api/openapi.json`` serves behind sign-in) — persons, employers,
audit, ledger (declarations, arrears, employers, persons, debt ratio), claims (submit, queue,
episodes), benefits (cases, approve, non-cash), coverage indicators, the calculators and the health
check — with cases Schemathesis generates from the schema, both *positive* (valid by the schema) and
*negative* (violating it: wrong types, out-of-range numbers, missing fields, odd strings), sent through
the ASGI app with the bearer token of an administrator and of a collection officer (each token holds
every scope of its role), on a seeded database (tests/integration/web_seed.py), on SQLite and on
PostgreSQL. The only check is Schemathesis' ``not_a_server_error``; refusals (401/403/404/422/413/429)
are the expected answers.

Bounds: ``MAX_EXAMPLES`` cases per operation and token, no Hypothesis database (the run is the same
each time: ``derandomize``), no deadline per case, and the whole test stops generating after
``BUDGET_SECONDS`` (about 25 s per backend on the shared machine).
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ansinh.core.auth import PERMISSIONS, issue_token
from ansinh.core.auth_models import User
from ansinh.core.db import unit_of_work
from tests.integration.web_seed import make_web

MAX_EXAMPLES = 30
BUDGET_SECONDS = 25.0
ROLES = ("administrator", "collection_officer")


def _token(engine: Engine, role: str) -> str:
    with unit_of_work(engine) as s:
        user = s.scalars(select(User).where(User.username == role)).one()
        return issue_token(s, user, name="fuzz", scopes=sorted(PERMISSIONS[role]), actor="administrator")


def _fuzz(operation: Any, label: str, token: str, statuses: Counter[int], failures: list[str]) -> None:
    """Up to MAX_EXAMPLES cases of ``operation``; a server error is recorded in ``failures``."""
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        response = case.call()
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except Exception as exc:
            failures.append(f"{label}: {response.status_code} {exc}"[:2000])
            raise

    try:
        run()
    except Exception as exc:  # a server error is recorded above; anything else is the test's own
        if not failures or not failures[-1].startswith(f"{label}:"):
            failures.append(f"{label}: the test itself failed: {exc!r}"[:2000])


def test_no_server_error_on_any_generated_request(engine: Engine) -> None:
    web = make_web(engine)
    app: Any = web.client.app
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app  # requests go through the ASGI app, no network
    tokens = {role: _token(engine, role) for role in ROLES}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [o.label for o in operations]
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.monotonic()
    exercised = 0
    for operation in operations:
        for role, token in tokens.items():
            if time.monotonic() - started > BUDGET_SECONDS:
                break
            _fuzz(operation, f"{role} {operation.label}", token, statuses, failures)
            exercised += 1
    assert failures == []
    assert not [code for code in statuses if code >= 500]
    assert exercised >= len(operations)  # every operation ran at least once within the budget
    assert statuses[200] > 100 and statuses[422] > 100  # both accepted and refused requests were made
