"""Sign-in and accounts against the attacks of issue 13: timing that reveals who has an account,
parallel guesses racing past the limit, lock-outs of the owner and of everyone behind an address,
weak passwords, no self-service change, resets without a forced change, tokens beyond their role,
hospital accounts bound to their facilities (mã cơ sở KCB)."""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from ansinh.core import auth
from ansinh.core.audit import AuditEntry
from ansinh.core.auth import (
    ADDRESS_FAILURES,
    MAX_FAILURES,
    BadCredentials,
    InvalidAccount,
    Throttled,
    WeakPassword,
    authenticate,
    create_user,
    issue_token,
    principal_for_token,
    principal_of,
    reset_password,
)
from ansinh.core.auth_models import ApiToken, SignInThrottle, User
from ansinh.core.db import unit_of_work
from tests.integration.web_seed import PASSWORD, PROVINCE, Web, csrf_of, make_web, seed, seed_users, sign_in

NEW_PASSWORD = "mây-trắng-bay-về-núi"


@pytest.fixture
def web(engine: Engine) -> Web:
    return make_web(engine)


def _client(web: Web) -> TestClient:
    return TestClient(web.client.app, base_url="http://testserver", follow_redirects=False)


def _audit(engine: Engine, action: str) -> list[AuditEntry]:
    with unit_of_work(engine) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _counting_verify(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the hash every password verification is made against (thread-safe: list.append)."""
    calls: list[str] = []
    real: Callable[[str, str], bool] = auth.verify_password

    def spy(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", spy)
    return calls


# --- the same work for unknown, disabled and real accounts ------------------------------------


def test_unknown_and_disabled_accounts_cost_an_argon2_verification(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_users(engine)
    with unit_of_work(engine) as s:
        s.scalars(select(User).where(User.username == "viewer")).one().active = False
        viewer_hash = s.scalars(select(User.password_hash).where(User.username == "viewer")).one()
    calls = _counting_verify(monkeypatch)
    for name in ("nobody", "viewer"):
        with pytest.raises(BadCredentials), unit_of_work(engine) as s:
            authenticate(s, name, PASSWORD, "10.0.0.1")
    assert calls == [auth.dummy_hash(), viewer_hash]
    assert auth.dummy_hash().startswith("$argon2id$")
    assert auth.dummy_hash().split("$")[3] == viewer_hash.split("$")[3]  # same m, t, p parameters


def test_unknown_and_known_usernames_take_the_same_order_of_time(engine: Engine) -> None:
    seed_users(engine)
    auth.dummy_hash()  # made once per process, not on the first unknown name

    def timed(name: str, ip: str) -> float:
        start = time.perf_counter()
        with pytest.raises(BadCredentials), unit_of_work(engine) as s:
            authenticate(s, name, "wrong-password-here", ip)
        return time.perf_counter() - start

    known = statistics.median(timed("director", f"10.1.0.{i}") for i in range(3))
    unknown = statistics.median(timed(f"nobody{i}", f"10.2.0.{i}") for i in range(3))
    # Before: 9 ms against ~230 ms. Now both are an argon2 verification; a loose bound, not a race.
    assert unknown > known / 3 and known > unknown / 3, (known, unknown)


# --- atomic throttling -------------------------------------------------------------------------


def _parallel_attempts(engine: Engine, names: list[str], ip: str) -> tuple[int, int]:
    barrier = threading.Barrier(len(names))
    outcomes: list[str] = []

    def attempt(name: str) -> None:
        barrier.wait()
        with unit_of_work(engine) as s:  # as the sign-in route: the refusal's audit entry commits
            try:
                authenticate(s, name, "guess-guess-guess", ip)
            except Throttled:
                outcomes.append("throttled")
            except BadCredentials:
                outcomes.append("evaluated")

    threads = [threading.Thread(target=attempt, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes.count("evaluated"), outcomes.count("throttled")


def test_thirty_parallel_guesses_evaluate_at_most_the_allowance(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_users(engine)
    calls = _counting_verify(monkeypatch)
    evaluated, throttled = _parallel_attempts(engine, ["inspector"] * 30, "203.0.113.7")
    assert (evaluated, throttled) == (MAX_FAILURES, 30 - MAX_FAILURES)
    assert len(calls) == MAX_FAILURES  # refused attempts never reached argon2
    with unit_of_work(engine) as s:
        row = s.get(SignInThrottle, "user:inspector")
        assert row is not None and row.failures == MAX_FAILURES and row.blocked_until is not None
    assert len(_audit(engine, "sign_in_throttled")) == 30 - MAX_FAILURES
    assert len(_audit(engine, "sign_in_failed")) == MAX_FAILURES


def test_parallel_guesses_of_many_names_from_one_address_are_bounded(engine: Engine) -> None:
    seed_users(engine)
    evaluated, throttled = _parallel_attempts(engine, [f"name{i}" for i in range(30)], "198.51.100.9")
    assert (evaluated, throttled) == (ADDRESS_FAILURES, 30 - ADDRESS_FAILURES)


def test_the_wait_doubles_and_is_capped(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_users(engine)
    clock = [datetime(2025, 9, 1, 8, 0, tzinfo=UTC)]
    monkeypatch.setattr(auth, "utcnow", lambda: clock[0])

    def attempt(password: str) -> None:
        with unit_of_work(engine) as s:
            authenticate(s, "director", password, "192.0.2.1")

    for _ in range(MAX_FAILURES):  # free
        with pytest.raises(BadCredentials):
            attempt("guess-guess-guess")
    waits: list[int] = []
    for _ in range(8):
        with pytest.raises(Throttled) as refused:
            attempt(PASSWORD)  # not evaluated during the wait, even the right password
        waits.append(refused.value.retry_after)
        clock[0] += timedelta(seconds=refused.value.retry_after)
        with pytest.raises(BadCredentials):
            attempt("guess-guess-guess")  # evaluated once the wait is over
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]
    clock[0] += timedelta(minutes=15)
    # after the wait the owner gets in
    with unit_of_work(engine) as s:
        assert authenticate(s, "director", PASSWORD, "192.0.2.1").username == "director"
    with unit_of_work(engine) as s:
        row = s.get(SignInThrottle, "user:director")
        assert row is not None and row.failures == 0 and row.blocked_until is None


# --- the owner is not locked out ---------------------------------------------------------------


def test_owner_with_a_known_device_gets_in_while_the_account_is_under_attack(web: Web) -> None:
    owner = web.client
    assert sign_in(owner, "inspector").status_code == 303
    device = [name for name in owner.cookies if name.startswith("ansinh_device_")]
    assert len(device) == 1
    owner.post("/sign-out", data={"csrf_token": csrf_of(owner, "/")})

    attacker = _client(web)
    for _ in range(MAX_FAILURES):
        assert sign_in(attacker, "inspector", "guess-guess-guess").status_code == 401
    refused = sign_in(attacker, "inspector", "guess-guess-guess")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
    assert "Vui lòng chờ 30 giây rồi thử lại" in refused.text
    assert sign_in(attacker, "inspector", PASSWORD).status_code == 429  # not even the right one

    assert sign_in(owner, "inspector").status_code == 303  # the known browser gets in
    assert owner.get("/").status_code == 200
    entry = _audit(web.engine, "sign_in")[-1]
    assert entry.actor == "inspector" and entry.detail == '{"known_device": true}'
    assert len(_audit(web.engine, "sign_in_throttled")) == 2

    # a forged device cookie is worth nothing
    forger = _client(web)
    forger.cookies.set(device[0], "someid." + "0" * 64)
    assert sign_in(forger, "inspector", PASSWORD).status_code == 429


def test_a_known_device_is_throttled_on_its_own(web: Web) -> None:
    owner = web.client
    assert sign_in(owner, "viewer").status_code == 303
    for _ in range(MAX_FAILURES):
        assert sign_in(owner, "viewer", "guess-guess-guess").status_code == 401
    assert sign_in(owner, "viewer").status_code == 429
    assert sign_in(_client(web), "viewer").status_code == 303  # the account itself was not touched


def test_failures_from_one_address_slow_but_do_not_lock_out_everyone_behind_it(web: Web) -> None:
    attacker = _client(web)  # same address as everyone in the test client
    for i in range(ADDRESS_FAILURES):
        assert sign_in(attacker, f"nobody{i}", "guess-guess-guess").status_code == 401
    colleague = _client(web)
    refused = sign_in(colleague, "director")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 30
    with unit_of_work(web.engine) as s:  # the wait has passed
        s.execute(update(SignInThrottle).values(blocked_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert sign_in(colleague, "director").status_code == 303


# --- password policy where passwords are chosen ------------------------------------------------


def test_policy_on_creation_and_on_a_reset_with_a_chosen_password(engine: Engine) -> None:
    seed_users(engine)
    with pytest.raises(WeakPassword, match="ít nhất 12 ký tự"), unit_of_work(engine) as s:
        create_user(s, username="lan", role="viewer", area_code=PROVINCE, password="aaaaaaaaaa")
    with pytest.raises(WeakPassword, match="chứa tên đăng nhập"), unit_of_work(engine) as s:
        create_user(s, username="lanxyz", role="viewer", area_code=PROVINCE, password="lanxyz-mua-thu-2025")
    with unit_of_work(engine) as s:
        viewer = s.scalars(select(User).where(User.username == "viewer")).one()
        with pytest.raises(WeakPassword, match="phổ biến"):
            reset_password(s, viewer, actor="administrator", password="password1234")
        assert viewer.must_change_password is False
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.username.like("lan%"))) == 0


# --- forced change after a reset, self-service change ------------------------------------------


def _user_id(web: Web, username: str) -> int:
    with unit_of_work(web.engine) as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


def test_reset_forces_a_change_at_next_sign_in_and_tokens_are_unaffected(web: Web) -> None:
    admin = web.client
    assert sign_in(admin, "administrator").status_code == 303
    viewer_id = _user_id(web, "viewer")
    with unit_of_work(web.engine) as s:
        token = issue_token(s, s.get(User, viewer_id), name="app", scopes=["persons:read"], actor="test")  # type: ignore[arg-type]
    page = admin.post(f"/users/{viewer_id}/reset-password", data={"csrf_token": csrf_of(admin, "/users")})
    assert page.status_code == 200
    new = re.search(r'<code class="secret">([^<]+)</code>', page.text)
    assert new
    assert "phải đổi ở lần đăng nhập tới" in page.text

    user = _client(web)
    assert sign_in(user, "viewer", new.group(1)).status_code == 303
    away = user.get("/persons")
    assert away.status_code == 303 and away.headers["location"] == "/account/password?next=%2Fpersons"
    api = user.get(f"/api/v1/persons/{web.seed.person_a}")
    assert api.status_code == 403 and api.json()["detail"].startswith("Cần đổi mật khẩu")
    bearer = TestClient(web.client.app, headers={"Authorization": f"Bearer {token}"})
    assert bearer.get(f"/api/v1/persons/{web.seed.person_a}").status_code == 200  # tokens unaffected

    form = user.get("/account/password?next=%2Fpersons")
    assert form.status_code == 200
    assert "Mật khẩu của bạn đã được quản trị viên cấp lại" in form.text
    csrf = csrf_of(user, "/account/password")
    weak = user.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": new.group(1),
            "new_password": "aaaaaaaaaaaaaa",
            "new_password_again": "aaaaaaaaaaaaaa",
            "next": "/persons",
        },
    )
    assert weak.status_code == 422
    assert "Mật khẩu không được chỉ là một hoặc hai ký tự lặp lại." in weak.text
    done = user.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": new.group(1),
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
            "next": "/persons",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/persons"
    assert user.get("/persons").status_code == 200
    with unit_of_work(web.engine) as s:
        row = s.get(User, viewer_id)
        assert row is not None and row.must_change_password is False and row.password_changed_at is not None
    assert [e.actor for e in _audit(web.engine, "reset_password")] == ["administrator"]
    assert [e.actor for e in _audit(web.engine, "change_password")] == ["viewer"]


def test_changing_ones_password_closes_the_other_sessions(web: Web) -> None:
    here, there = web.client, _client(web)
    assert sign_in(here, "benefits_officer").status_code == 303
    assert sign_in(there, "benefits_officer").status_code == 303
    page = here.get("/")
    assert 'href="/account/password"' in page.text  # linked from the header
    form = here.get("/account/password")
    assert form.status_code == 200
    for text in (
        "Đổi mật khẩu",
        "Mật khẩu hiện tại",
        "Mật khẩu mới",
        "Nhập lại mật khẩu mới",
        "Ít nhất 12 ký tự",
    ):
        assert text in form.text, text
    csrf = csrf_of(here, "/account/password")
    wrong = here.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": "not-my-password",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng." in wrong.text
    assert [e.actor for e in _audit(web.engine, "change_password_failed")] == ["benefits_officer"]
    differ = here.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD + "x",
        },
    )
    assert differ.status_code == 422 and "Hai lần nhập mật khẩu mới không giống nhau." in differ.text
    done = here.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/account/password?done=1"
    assert "Đã đổi mật khẩu" in here.get(done.headers["location"]).text
    assert here.get("/").status_code == 200
    assert there.get("/").status_code == 303  # signed out
    entry = _audit(web.engine, "change_password")[-1]
    assert entry.detail == '{"other_sessions_closed": 1}'
    assert sign_in(_client(web), "benefits_officer", NEW_PASSWORD).status_code == 303
    assert sign_in(_client(web), "benefits_officer", PASSWORD).status_code == 401


def test_the_change_page_in_english(web: Web) -> None:
    sign_in(web.client, "viewer")
    web.client.cookies.set("ansinh_lang", "en")
    page = web.client.get("/account/password")
    assert "Current password" in page.text and "New password again" in page.text


# --- tokens within the role; hospital accounts -------------------------------------------------


def test_a_token_cannot_have_scopes_beyond_its_role(engine: Engine) -> None:
    seed_users(engine)
    with unit_of_work(engine) as s:
        viewer = s.scalars(select(User).where(User.username == "viewer")).one()
        with pytest.raises(InvalidAccount) as caught:
            issue_token(s, viewer, name="x", scopes=["persons:read", "audit:read", "users:manage"], actor="a")
        assert str(caught.value) == (
            "Vai trò viewer của tài khoản viewer không có quyền: audit:read, users:manage; "
            "mã truy cập không thể có phạm vi rộng hơn vai trò."
        )
        assert caught.value.field == "scopes"
    with unit_of_work(engine) as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_hospital_accounts_are_bound_to_their_facilities(engine: Engine) -> None:
    seed(engine)  # the province and its communes
    seed_users(engine)
    with pytest.raises(InvalidAccount, match="cần ít nhất một mã cơ sở KCB"), unit_of_work(engine) as s:
        create_user(s, username="bv_tinh", role="hospital", area_code=PROVINCE)
    with pytest.raises(InvalidAccount, match="5 chữ số: 4201"), unit_of_work(engine) as s:
        create_user(s, username="bv_tinh", role="hospital", area_code=PROVINCE, facility_codes="4201")
    with pytest.raises(InvalidAccount, match="phải là cả tỉnh"), unit_of_work(engine) as s:
        create_user(s, username="bv_tinh", role="hospital", area_code="18001", facility_codes="42001")
    with pytest.raises(InvalidAccount, match="Chỉ tài khoản cơ sở KCB"), unit_of_work(engine) as s:
        create_user(s, username="lan", role="viewer", area_code=PROVINCE, facility_codes="42001")
    with unit_of_work(engine) as s:
        hospital, _ = create_user(
            s, username="bv_tinh", role="hospital", area_code=PROVINCE, facility_codes="42002, 42001"
        )
        assert hospital.facility_codes == "42001 42002"
        assert principal_of(s, hospital).facilities == frozenset({"42001", "42002"})
        director = s.scalars(select(User).where(User.username == "director")).one()
        assert principal_of(s, director).facilities is None
        with pytest.raises(InvalidAccount, match="không thuộc tài khoản bv_tinh: 42999"):
            issue_token(
                s, hospital, name="his", scopes=["claims:submit"], facility_codes=["42999"], actor="a"
            )
        with pytest.raises(InvalidAccount, match="không có quyền: claims:read"):
            issue_token(s, hospital, name="his", scopes=["claims:read"], actor="a")
        whole = issue_token(s, hospital, name="his", scopes=["claims:submit"], actor="a")
        one = issue_token(
            s, hospital, name="khoa", scopes=["claims:submit"], facility_codes=["42002"], actor="a"
        )
    with unit_of_work(engine) as s:
        assert sorted(s.scalars(select(ApiToken.facility_codes))) == ["42001 42002", "42002"]
        p_whole, p_one = principal_for_token(s, whole), principal_for_token(s, one)
        assert p_whole is not None and p_whole.facilities == frozenset({"42001", "42002"})
        assert p_one is not None and p_one.facilities == frozenset({"42002"})
        assert p_one.permissions == frozenset({"claims:submit"})
    created = _audit(engine, "create")[-1]
    assert '"facility_codes": ["42001", "42002"]' in (created.detail or "")


def test_the_accounts_page_creates_a_hospital_account_and_offers_only_its_scopes(web: Web) -> None:
    admin = web.client
    sign_in(admin, "administrator")
    csrf = csrf_of(admin, "/users")
    missing = admin.post(
        "/users",
        data={
            "csrf_token": csrf,
            "username": "bv_huyen",
            "full_name": "BV huyện",
            "role": "hospital",
            "area_code": PROVINCE,
        },
    )
    assert missing.status_code == 422
    assert "Tài khoản cơ sở KCB cần ít nhất một mã cơ sở KCB (5 chữ số)." in missing.text
    made = admin.post(
        "/users",
        data={
            "csrf_token": csrf,
            "username": "bv_huyen",
            "full_name": "BV huyện",
            "role": "hospital",
            "area_code": PROVINCE,
            "facility_codes": "42010 42011",
        },
    )
    assert made.status_code == 200 and 'id="new-password"' in made.text
    hospital_id = _user_id(web, "bv_huyen")
    detail = admin.get(f"/users/{hospital_id}")
    assert re.findall(r'name="scopes" value="([^"]+)"', detail.text) == ["claims:submit"]
    assert re.findall(r'name="facility_codes" value="([^"]+)"', detail.text) == ["42010", "42011"]
    issued = admin.post(
        f"/users/{hospital_id}/tokens",
        data={"csrf_token": csrf, "name": "HIS", "scopes": ["claims:submit"], "facility_codes": ["42011"]},
    )
    assert issued.status_code == 200 and 'id="new-token"' in issued.text
    with unit_of_work(web.engine) as s:
        assert (
            s.scalars(select(ApiToken.facility_codes).where(ApiToken.user_id == hospital_id)).one() == "42011"
        )
    english = _client(web)
    sign_in(english, "administrator")
    english.cookies.set("ansinh_lang", "en")
    refused = english.post(
        f"/users/{hospital_id}/tokens",
        data={"csrf_token": csrf_of(english, "/users"), "name": "HIS", "scopes": ["persons:read"]},
    )
    assert refused.status_code == 422
    assert "The hospital role of account bv_huyen lacks: persons:read" in refused.text


def test_stale_throttle_rows_are_purged(engine: Engine) -> None:
    """Keys whose last failure is older than FORGET_AFTER and that slow nobody are forgotten; a key
    still waiting out its delay, or failed recently, is kept."""
    now = datetime.now(UTC)
    old = now - auth.FORGET_AFTER - timedelta(minutes=1)
    with unit_of_work(engine) as s:
        s.add_all([
            SignInThrottle(key="ip:198.51.100.1", failures=3, last_failure_at=old, blocked_until=None),
            SignInThrottle(key="user:ghost", failures=9, last_failure_at=old,
                           blocked_until=old + timedelta(minutes=15)),
            SignInThrottle(key="user:recent", failures=2, last_failure_at=now - timedelta(minutes=5)),
            SignInThrottle(key="user:waiting", failures=12, last_failure_at=old,
                           blocked_until=now + timedelta(minutes=5)),
        ])
    assert auth.purge_throttles(engine, now) == 2
    with unit_of_work(engine) as s:
        assert sorted(s.scalars(select(SignInThrottle.key))) == ["user:recent", "user:waiting"]
