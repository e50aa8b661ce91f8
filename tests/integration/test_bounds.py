"""Bounds everywhere: ids, pages, limits, periods, tax codes, amounts and request bodies out of range
are refused with a message naming the field — 422 for the JSON API, a 404 or 422 page otherwise,
413/429 for bodies — and never a server error (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ansinh.claims.models import ClaimFile
from ansinh.core.auth import issue_token
from ansinh.core.auth_models import ApiTokenUsage, User
from ansinh.core.db import unit_of_work
from ansinh.ledger.declarations import parse_file
from ansinh.ledger.models import Declaration
from ansinh.ledger.payments import parse_statement
from ansinh.web.limits import BodyLimits, today_in_vietnam
from tests.integration.web_seed import Web, csrf_of, make_web, sign_in

BAD_IDS = (str(2**63), str(2**64), "-1", "0", "abc")
NOT_FOUND_VI = "Không tìm thấy"


@pytest.fixture
def web(engine: Engine) -> Web:
    w = make_web(engine)
    w.client.raise_server_exceptions = False  # a 500 must show as a status, not as an exception
    return w


def _walk(routes: Iterable[Any]) -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route.path, route
        elif hasattr(route, "effective_candidates"):
            yield from _walk(route.effective_candidates())
        elif isinstance(getattr(route, "original_route", None), APIRoute):
            yield route.path, route.original_route


def id_routes(web: Web) -> list[tuple[str, str, list[str]]]:
    """(method, path template, id parameters) of every route whose path names a record by id."""
    out = []
    for path, route in _walk(web.client.app.routes):  # type: ignore[attr-defined]
        ids = [p.name for p in route.dependant.path_params if p.name.endswith("_id")]
        if ids:
            out.extend((m, path, ids) for m in sorted(route.methods) if m != "HEAD")
    return sorted(set((m, p, tuple(i)) for m, p, i in out))  # type: ignore[misc]


def _url(path: str, ids: Iterable[str], value: str) -> str:
    for name in ids:
        path = path.replace("{" + name + "}", value)
    return path.replace("{fmt}", "pdf").replace("{name}", "x")


def test_every_id_route_refuses_ids_out_of_range(web: Web) -> None:
    routes = id_routes(web)
    assert len(routes) >= 35  # every domain's record pages and API
    assert {("GET", "/api/v1/persons/{person_id}"), ("POST", "/benefits/cases/{case_id}/approve")} <= {
        (m, p) for m, p, _ in routes
    }
    c = web.client
    user = ""
    for method, path, ids in sorted(routes, key=lambda r: r[1].startswith("/users")):
        # accounts are the administrator's; everything else the director may read
        if user != (wanted := "administrator" if path.startswith("/users") else "director"):
            user = wanted
            sign_in(c, user)
        for value in BAD_IDS:
            url = _url(path, ids, value)
            r = c.request(method, url)
            if path.startswith("/api/"):
                assert r.status_code == 422, (method, url, r.status_code, r.text[:200])
                detail = r.json()["detail"]
                assert detail[0]["field"] in ids and detail[0]["loc"][0] == "path", detail
                assert detail[0]["msg_vi"]  # Vietnamese beside the English
            else:
                assert r.status_code == 404, (method, url, r.status_code, r.text[:200])
                assert NOT_FOUND_VI in r.text
        # the largest id a table can hold is in range: no such record, never an overflow
        r = c.request(method, _url(path, ids, str(2**63 - 1)))
        assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text[:200])


def test_api_answer_names_the_parameter(web: Web) -> None:
    r = web.client.get(f"/api/v1/persons/{2**64}", headers={"Authorization": "Bearer nothing"})
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {
            "loc": ["path", "person_id"],
            "field": "person_id",
            "type": "less_than_equal",
            "msg": "Input should be less than or equal to 9223372036854775807",
            "msg_vi": "phải nhỏ hơn hoặc bằng 9223372036854775807",
        }
    ]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/claims?page={2**63}", 404),
        ("/claims?page=0", 404),
        ("/claims?page=-5", 404),
        ("/claims?page=abc", 404),
        (f"/claims/monitoring?year={2**63}", 404),
        ("/claims/monitoring?year=7115", 404),
        (f"/audit?before={2**64}", 404),
        (f"/coverage/areas/18001/people?page={2**63}", 404),
        (f"/benefits/cases/1/counselling?group=poor&income={10**20}", 404),
        (f"/api/v1/claims/queue?limit={2**63}", 422),
        ("/api/v1/claims/queue?limit=0", 422),
        (f"/api/v1/audit?before={2**63}", 422),
        ("/api/v1/audit?limit=-1", 422),
        (f"/api/v1/persons?q=an&limit={2**64}", 422),
        (f"/api/v1/ledger/arrears?limit={2**63}", 422),
    ],
)
def test_pages_limits_and_cursors_out_of_range(web: Web, url: str, status: int) -> None:
    c = web.client
    sign_in(c, "administrator" if "audit" in url else "director")
    r = c.get(url)
    assert r.status_code == status, (url, r.status_code, r.text[:300])
    if status == 422:
        assert r.json()["detail"][0]["field"] == url.rsplit("?", 1)[1].split("&")[-1].split("=")[0]
    else:
        assert NOT_FOUND_VI in r.text


#: Found on PostgreSQL (which refuses NUL in text): a NUL in a search box was a 500 (psycopg DataError).
NUL_URLS = (
    "/api/v1/persons?q=%00",
    "/api/v1/employers?q=a%00",
    "/api/v1/audit?actor=%00",
    "/api/v1/benefits/cases?status=%00&kind=%00",
    "/api/v1/ledger/arrears?status=%00",
    "/api/v1/benefits/noncash?period_from=%00&period_to=%00",
    "/api/v1/coverage/indicators?area=%00",
    "/api/v1/ledger/debt-ratio?variant=%00",
    "/persons?q=%00",
    "/employers?q=%00",
    "/audit?actor=%00",
    "/ledger/arrears?commune=%00&sector=%00&status=%00",
    "/benefits?status=%00",
    "/coverage/outreach?commune=%00",
    "/coverage/areas/%00",
    "/ledger/employers/1?notice=%00",
    "/claims/episodes/1?error=%00",
)


def test_control_characters_in_the_url_are_refused(web: Web) -> None:
    c = web.client
    sign_in(c, "administrator")
    for url in NUL_URLS:
        r = c.get(url)
        if url.startswith("/api/"):
            assert r.status_code == 422, (url, r.status_code, r.text[:300])
            detail = r.json()["detail"]
            assert detail[0]["msg_vi"] == "ký tự không hợp lệ U+0000 / invalid character U+0000", detail
            assert detail[0]["field"] in url
        else:
            assert r.status_code == 404, (url, r.status_code, r.text[:300])
    r = c.get("/api/v1/persons", params={"q": "An\ud800"[:2] + "\x7f"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "q"


# --- declarations: periods, tax codes, amounts ---------------------------------------------------


def _declare(web: Web, batch: dict[str, Any] | str) -> Any:
    with unit_of_work(web.engine) as s:
        user = s.scalars(select(User).where(User.username == "collection_officer")).one()
        token = issue_token(s, user, name="payroll", scopes=["declarations:write"], actor="administrator")
    body = batch if isinstance(batch, str) else json.dumps(batch)
    return web.client.post(
        "/api/v1/ledger/declarations",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def _item(**kw: Any) -> dict[str, Any]:
    return {"kind": "join", "si_number": "4201234567", "from_period": "2026-03", "salary": 9_850_000} | kw


def _declarations(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Declaration)) or 0)


@pytest.mark.parametrize(
    ("item", "field", "words"),
    [
        (_item(from_period="7115-60"), "declarations[0].from_period", "năm 1995–2100"),
        (_item(from_period="2026-13"), "declarations[0].from_period", "tháng 01–12"),
        (_item(from_period="1900-01"), "declarations[0].from_period", "năm 1995–2100"),
        (_item(to_period="２０２６-０３"), "declarations[0].to_period", "YYYY-MM"),
        (_item(salary=10**20), "declarations[0].salary", "nhỏ hơn hoặc bằng 1000000000000000"),
        (_item(si_number="４２０１２３４５６７"), "declarations[0].si_number", "sai định dạng"),
        (_item(key="a\x00b"), "declarations[0].key", "ký tự không hợp lệ U+0000"),
    ],
)
def test_declarations_api_refuses_bad_items_naming_the_field(
    web: Web, item: dict[str, Any], field: str, words: str
) -> None:
    r = _declare(web, {"employer_tax_code": "3000123456", "declarations": [item]})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert [d["field"] for d in detail] == [field]
    assert words in detail[0]["msg_vi"]
    assert _declarations(web.engine) == 0


TAX_CODE_VI = "mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu '-' và 3 chữ số"


@pytest.mark.parametrize(
    ("tax_code_json", "words"),
    [
        (r'"\ud800\udfff\ud800"', "không phải văn bản Unicode hợp lệ"),  # lone surrogates
        ('"３０００１２３４５６"', TAX_CODE_VI),  # fullwidth digits
        (r'"3000123456\u0000"', TAX_CODE_VI),  # NUL
        ('"30001234"', TAX_CODE_VI),
        ('"3000123456-12"', TAX_CODE_VI),
    ],
)
def test_declarations_api_refuses_malformed_tax_codes(web: Web, tax_code_json: str, words: str) -> None:
    body = f'{{"employer_tax_code": {tax_code_json}, "declarations": [{json.dumps(_item())}]}}'
    r = _declare(web, body)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail[0]["field"] == "employer_tax_code"
    assert words in detail[0]["msg_vi"]
    assert _declarations(web.engine) == 0


def test_declarations_api_accepts_a_branch_tax_code_shape(web: Web) -> None:
    r = _declare(web, {"employer_tax_code": "3000123456-001", "declarations": [_item()]})
    # the shape is right; no such employer: the service's own refusal, naming the item
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "employer"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"salary": str(10**18)}, "salary: số tiền 1000000000000000000 vượt giới hạn"),
        ({"salary": str(10**20)}, "<strong>salary</strong>: quá dài (tối đa 20 ký tự)"),
        ({"from_month": "7115-60"}, "from_month: kỳ phải có dạng YYYY-MM"),
        ({"from_month": "13/2026"}, "from_month: kỳ phải có dạng YYYY-MM"),
        ({"tax_code": "３０００１２３４５６"}, "tax_code: mã số thuế"),
        ({"tax_code": "3000123456\x00"}, "<strong>tax_code</strong>: ký tự không hợp lệ U+0000"),
        ({"person": "42012345\x0167"}, "<strong>person</strong>: ký tự không hợp lệ U+0001"),
        ({"person": "420123456"}, "person: mã số BHXH (10 chữ số) hoặc số định danh (12 chữ số)"),
    ],
)
def test_declaration_form_refuses_bad_fields(web: Web, fields: dict[str, str], words: str) -> None:
    c = web.client
    sign_in(c, "collection_officer")
    form = {
        "tax_code": "3000123456",
        "person": "4201234567",
        "kind": "join",
        "from_month": "03/2026",
        "schemes": "si",
        "salary": "9.850.000",
        "csrf_token": csrf_of(c, "/ledger/declarations"),
    } | fields
    r = c.post("/ledger/declarations", data=form)
    assert r.status_code == 422, r.text[:500]
    assert words in r.text
    assert _declarations(web.engine) == 0


def test_declaration_file_and_bank_statement_refuse_huge_amounts() -> None:
    csv = (
        "Mã số BHXH,Họ và tên,Mức lương,Từ tháng,Loại bảo hiểm\n"
        "4201234567,Nguyễn Văn An,9.850.000,03/2026,BHXH\n"
        f"4201234568,Trần Thị Bình,{10**20},03/2026,BHXH\n"
        "4201234569,Lê Văn Cường,5.000.000,60/7115,BHXH\n"
    ).encode()
    items, errors = parse_file(Path("ke_khai.csv"), csv)
    assert [i.row for i in items] == [2]
    # the column as the file heads it (the officer's words), and the row
    assert [(e.row, e.column) for e in errors] == [(3, "Mức lương"), (4, "Từ tháng")]
    assert "vượt giới hạn 1.000.000.000.000.000 đồng" in errors[0].reason
    statement = (
        "Mã giao dịch,Ngày giao dịch,Số tiền,Nội dung\n"
        "T1,02/03/2026,1.000.000,3000123456 nop BHXH\n"
        f"T2,02/03/2026,{10**20},3000123456 nop BHXH\n"
    ).encode()
    rows, _ignored = parse_statement(Path("sao_ke.csv"), statement)
    assert [r.record is not None for r in rows] == [True, False]
    assert [(e.row, e.column) for e in rows[1].errors] == [(3, "Số tiền")]
    assert "vượt giới hạn 1.000.000.000.000.000 đồng" in rows[1].errors[0].reason


# --- request bodies ---------------------------------------------------------------------------

SMALL = BodyLimits(json=2_000, form=1_000, upload=4_000, claims=8_000, claims_daily_quota=20_000)


def _chunks(data: bytes, size: int = 500) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _json_of_size(n: int) -> bytes:
    head = b'{"employer_tax_code": "3000123456", "declarations": [], "pad": "'
    return head + b"x" * (n - len(head) - 2) + b'"}'


@pytest.mark.parametrize("chunked", [False, True])
def test_json_body_above_the_limit_is_413(web: Web, chunked: bool) -> None:
    web.client.app.state.body_limits = SMALL  # type: ignore[attr-defined]
    with unit_of_work(web.engine) as s:
        user = s.scalars(select(User).where(User.username == "collection_officer")).one()
        token = issue_token(s, user, name="payroll", scopes=["declarations:write"], actor="administrator")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = _json_of_size(SMALL.json + 1)
    assert len(body) == SMALL.json + 1
    content: Any = _chunks(body) if chunked else body
    r = web.client.post("/api/v1/ledger/declarations", content=content, headers=headers)
    assert r.status_code == 413, r.text
    assert r.json()["detail"] == (
        "Request body too large: the limit is 2.000 bytes / Dữ liệu gửi lên quá lớn: giới hạn 2.000 byte"
    )
    assert _declarations(web.engine) == 0
    # at the limit: read and validated as usual (the schema answers, not the limiter)
    r = web.client.post("/api/v1/ledger/declarations", content=_json_of_size(SMALL.json), headers=headers)
    assert r.status_code != 413


@pytest.mark.parametrize("chunked", [False, True])
def test_form_above_the_limit_is_a_413_page(web: Web, chunked: bool) -> None:
    c = web.client
    sign_in(c, "collection_officer")
    c.app.state.body_limits = SMALL  # type: ignore[attr-defined]
    token = csrf_of(c, "/ledger/declarations")
    body = f"csrf_token={token}&tax_code=3000123456&note=".encode()
    body += b"x" * (SMALL.form + 1 - len(body))
    content: Any = _chunks(body) if chunked else body
    r = c.post(
        "/ledger/declarations",
        content=content,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413, r.text[:300]
    assert "Dữ liệu gửi lên quá lớn (giới hạn: 1.000 byte)." in r.text
    assert _declarations(web.engine) == 0


def _hospital_token(web: Web) -> str:
    with unit_of_work(web.engine) as s:
        user = s.scalars(select(User).where(User.username == "claims_reviewer")).one()
        return issue_token(s, user, name="BV", scopes=["claims:submit"], actor="administrator")


def _claim_files(engine: Engine) -> int:
    with unit_of_work(engine) as s:
        return int(s.scalar(select(func.count()).select_from(ClaimFile)) or 0)


@pytest.mark.parametrize("chunked", [False, True])
def test_claims_upload_above_its_limit_is_413_and_nothing_stored(web: Web, chunked: bool) -> None:
    web.client.app.state.body_limits = SMALL  # type: ignore[attr-defined]
    token = _hospital_token(web)
    body = b"<GIAMDINHHS>" + b" " * SMALL.claims  # limit + 12 bytes
    content: Any = _chunks(body) if chunked else body
    r = web.client.post(
        "/api/v1/claims",
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
    )
    assert r.status_code == 413, r.text
    assert "limit is 8.000 bytes" in r.json()["detail"]
    assert _claim_files(web.engine) == 0
    # the claims upload has its own, larger limit: a body above the JSON limit is received
    small = b"<GIAMDINHHS>" + b" " * (SMALL.json * 2) + b"</GIAMDINHHS>"
    r = web.client.post(
        "/api/v1/claims",
        content=small,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
    )
    assert r.status_code == 200, r.text  # received (an empty envelope: no episodes)
    assert r.json()["episodes"] == 0 and _claim_files(web.engine) == 1


def test_claims_daily_quota_per_token(web: Web) -> None:
    web.client.app.state.body_limits = SMALL  # type: ignore[attr-defined]
    token = _hospital_token(web)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
    body = b"<GIAMDINHHS>" + b" " * 6_000 + b"</GIAMDINHHS>"  # 6,025 bytes: 3 fit in 20,000
    for _ in range(3):
        assert web.client.post("/api/v1/claims", content=body, headers=headers).status_code == 200
    r = web.client.post("/api/v1/claims", content=body, headers=headers)
    assert r.status_code == 429, r.text
    assert "Daily upload quota of 20.000 bytes" in r.json()["detail"]
    assert "hạn mức 20.000 byte trong ngày" in r.json()["detail"]
    # chunked (no Content-Length): refused while it streams
    r = web.client.post("/api/v1/claims", content=_chunks(body), headers=headers)
    assert r.status_code == 429, r.text
    with unit_of_work(web.engine) as s:
        usage = s.scalars(select(ApiTokenUsage)).one()
        assert usage.day == today_in_vietnam()
        assert usage.requests == 4  # three received whole, one refused mid-stream (the first 429
        # was refused on its declared length, before a byte was read)
        assert 3 * len(body) < usage.bytes <= 4 * len(body)
    # another token has its own quota
    other = _hospital_token(web)
    r = web.client.post(
        "/api/v1/claims", content=body, headers=headers | {"Authorization": f"Bearer {other}"}
    )
    assert r.status_code == 200


def test_large_declared_length_is_refused_before_reading(engine: Engine) -> None:
    """A declared Content-Length above the limit is answered at once, before sign-in is checked."""
    web = make_web(engine)
    client = TestClient(web.client.app, raise_server_exceptions=False)
    client.app.state.body_limits = SMALL  # type: ignore[attr-defined]
    r = client.post(
        "/api/v1/ledger/declarations",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": str(10**12)},
    )
    assert r.status_code == 413


# --- the calculators' API: found by probing every field with extreme values ---------------------


@pytest.mark.parametrize(
    ("name", "payload", "field", "code"),
    [
        # took 149 s (a loop over the months up to year 9999): now refused at once
        ("household_hi", {"period": "9999-12", "members": 2, "months": 12}, "period", "invalid_format"),
        # took seconds (one amount per member)
        ("household_hi", {"period": "2026-03", "members": 10**6, "months": 12}, "members", "out_of_range"),
        # was a 500 (ValueError: year 10039 is out of range)
        ("retirement_age", {"gender": "male", "birth_date": "9999-12-31"}, "birth_date", "out_of_range"),
        ("contribution", {"period": "2026-03", "salary": 10**20, "region": 1}, "salary", "out_of_range"),
    ],
)
def test_calculators_refuse_extreme_inputs(
    web: Web, name: str, payload: dict[str, Any], field: str, code: str
) -> None:
    c = web.client
    sign_in(c, "director")
    r = c.post(f"/api/v1/calc/{name}", json=payload, headers={"X-CSRF-Token": csrf_of(c, "/")})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert (error["field"], error["code"]) == (field, code)


def test_the_daily_quota_is_reserved_atomically(web: Web) -> None:
    """Two uploads of one token at the same moment cannot both pass a check made before either
    counted: each reservation is one conditional UPDATE."""
    from concurrent.futures import ThreadPoolExecutor

    from ansinh.core.auth import digest
    from ansinh.core.auth_models import ApiToken
    from ansinh.web.limits import DailyQuota

    token = _hospital_token(web)
    with unit_of_work(web.engine) as s:
        token_id = s.scalars(select(ApiToken.id).where(ApiToken.token_hash == digest(token))).one()
    quota = DailyQuota(web.engine, token_id, limit=100)
    with ThreadPoolExecutor(4) as pool:
        granted = list(pool.map(lambda _n: quota.reserve(30, request=True), range(8)))
    assert granted.count(True) == 3  # 3 × 30 ≤ 100 < 4 × 30, whatever the interleaving
    assert quota.used() == 90
    assert quota.reserve(10) and not quota.reserve(1)
    quota.charge(-25)  # an upload that received less than it declared gives the rest back
    assert quota.used() == 75
    with unit_of_work(web.engine) as s:
        assert s.get(ApiTokenUsage, (token_id, quota.day)).requests == 3  # type: ignore[union-attr]


def test_a_small_chunked_upload_fits_the_rest_of_the_quota(web: Web) -> None:
    """Reserving a step ahead never refuses an upload that fits what is left."""
    web.client.app.state.body_limits = SMALL  # type: ignore[attr-defined]
    token = _hospital_token(web)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/xml"}
    body = b"<GIAMDINHHS>" + b" " * 6_000 + b"</GIAMDINHHS>"
    for _ in range(3):
        assert web.client.post("/api/v1/claims", content=_chunks(body), headers=headers).status_code == 200
    small = b"<GIAMDINHHS></GIAMDINHHS>"  # 20,000 - 3 × 6,025 = 1,925 bytes left
    assert web.client.post("/api/v1/claims", content=_chunks(small), headers=headers).status_code == 200
    with unit_of_work(web.engine) as s:
        assert s.scalars(select(ApiTokenUsage)).one().bytes == 3 * len(body) + len(small)
