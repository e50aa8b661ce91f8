"""``POST /api/v1/calc/{name}``: same JSON as the CLI; 400 on invalid input, 404 for an unknown calculator."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ansinh.law.api import router
from ansinh.law.calculators import CATALOG, calculate

app = FastAPI()
app.include_router(router)
client = TestClient(app)


def test_contribution() -> None:
    payload = {"period": "2026-03", "salary": 10_000_000, "region": 1}
    response = client.post("/api/v1/calc/contribution", json=payload)
    assert response.status_code == 200
    body = response.json()
    assert body["employer"] == {"si": 1_750_000, "hi": 300_000, "ui": 100_000, "total": 2_150_000}
    assert body == calculate("contribution", payload)  # one code path for CLI, API and page


def test_household_hi() -> None:
    response = client.post(
        "/api/v1/calc/household_hi", json={"period": "2026-07", "members": 2, "months": 12}
    )
    assert response.status_code == 200
    assert response.json()["members"] == [1_366_200, 956_340]


def test_invalid_input_is_400_with_error_body() -> None:
    response = client.post(
        "/api/v1/calc/voluntary",
        json={"period": "2026-01", "income": 1_000_000, "group": "poor", "months": 1},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "below_minimum_income"
    assert response.json()["error"]["field"] == "income"


def test_bad_json_is_400() -> None:
    response = client.post(
        "/api/v1/calc/voluntary", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_unknown_calculator_is_404() -> None:
    response = client.post("/api/v1/calc/nope", json={})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_calculator"


def test_catalogue_describes_every_calculator_for_the_form() -> None:
    response = client.get("/api/v1/calc")
    assert response.status_code == 200
    names = [c["name"] for c in response.json()]
    assert names == list(CATALOG)
    contribution = response.json()[0]
    region = next(f for f in contribution["fields"] if f["name"] == "region")
    assert region["choices"] == [1, 2, 3, 4] and region["label_vi"]
