"""``ansinh law show/list`` and ``ansinh calc NAME`` (JSON on stdin, JSON on stdout, exit 2 on bad input)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ansinh.cli.main import app

runner = CliRunner()


def test_calc_contribution() -> None:
    result = runner.invoke(
        app, ["calc", "contribution"], input='{"period": "2026-03", "salary": 10000000, "region": 1}'
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["employee"] == {"si": 800_000, "hi": 150_000, "ui": 100_000, "total": 1_050_000}
    assert body["employer"] == {"si": 1_750_000, "hi": 300_000, "ui": 100_000, "total": 2_150_000}
    assert body["total"] == 3_200_000
    assert all(step["legal_basis"] for step in body["steps"])


def test_calc_below_minimum_wage_exits_2_with_error_body() -> None:
    result = runner.invoke(
        app, ["calc", "contribution"], input='{"period": "2026-01", "salary": 5000000, "region": 1}'
    )
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "below_minimum_wage" and error["field"] == "salary" and error["message"]


def test_calc_bad_json() -> None:
    result = runner.invoke(app, ["calc", "voluntary"], input="{not json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "invalid_json"


def test_calc_not_an_object() -> None:
    result = runner.invoke(app, ["calc", "voluntary"], input="[1, 2]")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "not_an_object"


def test_calc_missing_and_wrong_type_name_the_field() -> None:
    result = runner.invoke(app, ["calc", "surcharge"], input='{"amount": 1000, "due_date": "2026-01-31"}')
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"] == {
        "code": "missing_field",
        "field": "paid_date",
        "message": "Payment date is required",
    }
    result = runner.invoke(
        app,
        ["calc", "surcharge"],
        input='{"amount": 1000.5, "due_date": "2026-01-31", "paid_date": "2026-02-01"}',
    )
    error = json.loads(result.stdout)["error"]
    assert (error["code"], error["field"]) == ("wrong_type", "amount")


def test_calc_unknown_field_and_unknown_calculator() -> None:
    result = runner.invoke(
        app,
        ["calc", "surcharge"],
        input='{"amount": 1, "due_date": "2026-01-31", "paid_date": "2026-02-01", "x": 1}',
    )
    assert json.loads(result.stdout)["error"]["code"] == "unknown_field"
    result = runner.invoke(app, ["calc", "nope"], input="{}")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "unknown_calculator"


def test_calc_retirement_age_worked_example() -> None:
    result = runner.invoke(
        app, ["calc", "retirement_age"], input='{"gender": "male", "birth_date": "1966-01-01"}'
    )
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert (body["age_years"], body["age_months"], body["reached_month"], body["pension_from"]) == (
        61,
        9,
        "2027-10",
        "2027-11-01",
    )


def test_law_show_history_and_value_at_date() -> None:
    result = runner.invoke(
        app, ["law", "show", "reference_level", "--at", "2026-07-01"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "Decree 73/2024" in result.output
    assert "2,530,000" in result.output
    assert "In force on 2026-07-01" in result.output


def test_law_show_before_first_value_and_unknown() -> None:
    result = runner.invoke(
        app,
        ["law", "show", "late_payment_surcharge_daily_rate", "--at", "2020-01-01"],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 2
    assert "no value in force" in result.output
    assert runner.invoke(app, ["law", "show", "nope"]).exit_code == 2


def test_law_list() -> None:
    result = runner.invoke(app, ["law", "list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "regional_minimum_wage" in result.output
