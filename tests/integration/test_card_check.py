"""The check-in card look-up (tra cứu thẻ BHYT, ``GET /api/v1/claims/card-check``) on both backends:
the official service's result codes and field names, the five-continuous-years date, who may call it,
the audit entry of every look-up, and the 422 of a parameter that cannot be looked up."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ansinh.claims.cardcheck import check_card, five_years_date
from ansinh.core.audit import AuditEntry
from ansinh.core.auth import issue_token
from ansinh.core.auth_models import User
from ansinh.core.db import unit_of_work
from ansinh.core.text import name_key
from ansinh.registry.models import Participation, Person
from tests.integration.web_seed import COMMUNE_A, Web, make_web, sign_in

URL = "/api/v1/claims/card-check"
AN = {"maThe": "DN4424201234567", "hoTen": "Nguyễn Văn An", "ngaySinh": "01051988"}
OFFICIAL_FIELDS = {
    "maKetQua", "ghiChu", "maThe", "hoTen", "ngaySinh", "gioiTinh", "diaChi", "maDKBD", "cqBHXH",
    "gtTheTu", "gtTheDen", "maKV", "ngayDu5Nam", "maSoBHXH", "maTheCu", "maTheMoi", "gtTheTuMoi",
    "gtTheDenMoi", "maDKBDMoi", "tenDKBDMoi",
}  # fmt: skip


def _token(engine: Engine, username: str, *, facilities: str | None = None, area: str | None = None) -> str:
    with unit_of_work(engine) as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        if facilities is not None:
            user.facility_codes = facilities
        if area is not None:
            user.area_code = area
        s.flush()
        return issue_token(s, user, name="quầy tiếp đón", scopes=["claims:submit"], actor="administrator")


@pytest.fixture
def web(engine: Engine) -> Web:
    w = make_web(engine)
    with unit_of_work(engine) as s:
        # Lê Văn Dũng: HI from 2020 to mid-2022, nothing since (card no longer valid, no new card)
        dung = Person(
            full_name="Lê Văn Dũng",
            name_key=name_key("Lê Văn Dũng"),
            personal_id="042070004321",
            si_number="4205555555",
            birth_date=date(1970, 3, 9),
            gender="male",
            commune_code=COMMUNE_A,
        )
        s.add(dung)
        s.flush()
        s.add(
            Participation(
                person_id=dung.id,
                scheme="hi",
                valid_from=date(2020, 1, 1),
                valid_to=date(2022, 6, 30),
                hi_group="GD",
                hi_benefit_level=4,
                hi_facility="42003",
                hi_card_number="GD4424205555555",
            )
        )
    return w


@pytest.fixture
def hospital(web: Web) -> dict[str, str]:
    return {"Authorization": f"Bearer {_token(web.engine, 'hospital', facilities='42001')}"}


def _get(web: Web, headers: dict[str, str], **params: str) -> dict[str, object]:
    r = web.client.get(URL, params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


# --- answers ----------------------------------------------------------------------------------


def test_a_valid_card_answers_000_with_the_official_fields(web: Web, hospital: dict[str, str]) -> None:
    body = _get(web, hospital, **AN)
    assert set(body) >= OFFICIAL_FIELDS
    assert body["maKetQua"] == "000"
    assert body["maThe"] == "DN4424201234567"
    assert body["hoTen"] == "Nguyễn Văn An"
    assert body["ngaySinh"] == "01/05/1988"
    assert body["gioiTinh"] == "Nam"
    assert body["diaChi"] == "12 Trần Phú, Thành Sen, Phường Thành Sen, Tỉnh Hà Tĩnh"
    assert body["cqBHXH"] == "Bảo hiểm xã hội tỉnh Hà Tĩnh"
    assert body["maDKBD"] == "42001"
    assert body["gtTheTu"] == "01/04/2015"
    assert body["gtTheDen"] == ""  # open participation: no end date
    assert body["ngayDu5Nam"] == "01/04/2020"  # HI since 1 April 2015, unbroken
    assert body["maSoBHXH"] == "4201234567"
    assert body["maTheMoi"] == "DN4424201234567" and body["maTheCu"] == ""
    assert body["mucHuong"] == 4 and body["maDoiTuong"] == "DN"
    assert body["conGiaTri"] is True
    assert str(body["ghiChu"]).startswith("Thông tin thẻ chính xác, thẻ còn giá trị sử dụng!")
    assert body["thongBao"] == (
        "Thông tin thẻ chính xác, thẻ còn giá trị sử dụng (Card details correct, the card is valid)"
    )


def test_name_is_compared_without_diacritics_or_case(web: Web, hospital: dict[str, str]) -> None:
    body = _get(web, hospital, **{**AN, "hoTen": "NGUYEN  van an"})
    assert body["maKetQua"] == "000"


def test_an_expired_card_answers_010_and_one_replaced_answers_003(web: Web, hospital: dict[str, str]) -> None:
    dung = _get(web, hospital, maThe="GD4424205555555", hoTen="Lê Văn Dũng", ngaySinh="09031970")
    assert dung["maKetQua"] == "010" and dung["conGiaTri"] is False
    assert (dung["gtTheTu"], dung["gtTheDen"]) == ("01/01/2020", "30/06/2022")
    assert dung["ngayDu5Nam"] == ""  # participation stopped more than three months ago
    # Nguyễn Thị Cúc: the 2023 card (HN, level 5) was followed by a household card from 2024
    cuc = _get(web, hospital, maThe="HN5424209876543", hoTen="Nguyễn Thị Cúc", ngaySinh="20/02/1975")
    assert cuc["maKetQua"] == "003"
    assert (cuc["gtTheTu"], cuc["gtTheDen"]) == ("01/01/2023", "31/12/2023")
    assert (cuc["maTheMoi"], cuc["gtTheTuMoi"], cuc["gtTheDenMoi"]) == ("GD4424209876543", "01/01/2024", "")
    assert cuc["maDKBDMoi"] == "42010" and cuc["mucHuong"] == 5
    assert cuc["ngayDu5Nam"] == "01/01/2028"
    new = _get(web, hospital, maThe="GD4424209876543", hoTen="Nguyễn Thị Cúc", ngaySinh="20021975")
    assert new["maKetQua"] == "000" and new["maTheCu"] == "HN5424209876543"


def test_a_wrong_name_or_birth_date_reveals_nothing(web: Web, hospital: dict[str, str]) -> None:
    wrong = _get(web, hospital, **{**AN, "hoTen": "Trần Văn An"})
    assert wrong["maKetQua"] == "060"
    assert set(wrong) == {"maKetQua", "ghiChu", "thongBao", "maThe", "conGiaTri"}
    assert _get(web, hospital, **{**AN, "hoTen": "Nguyễn Văn Ân Hai"})["maKetQua"] == "061"
    birth = _get(web, hospital, **{**AN, "ngaySinh": "02051988"})
    assert birth["maKetQua"] == "070" and "hoTen" not in birth


def test_birth_year_only(web: Web, hospital: dict[str, str]) -> None:
    body = _get(web, hospital, **{**AN, "ngaySinh": "1988"})
    assert body["maKetQua"] == "000" and body["ngaySinh"] == "1988"
    assert _get(web, hospital, **{**AN, "ngaySinh": "1989"})["maKetQua"] == "070"


def test_personal_id_and_si_number_find_the_current_card(web: Web, hospital: dict[str, str]) -> None:
    by_id = _get(web, hospital, maThe="042175009876", hoTen="Nguyễn Thị Cúc", ngaySinh="20021975")
    assert by_id["maKetQua"] == "000" and by_id["maThe"] == "GD4424209876543"
    assert by_id["gtTheTu"] == "01/01/2024"
    # the duplicate record's SI number, merged into An's record, answers with An's card
    merged = _get(web, hospital, **{**AN, "maThe": "4201230000"})
    assert merged["maKetQua"] == "000" and merged["maThe"] == "DN4424201234567"


def test_unknown_and_malformed_cards(web: Web, hospital: dict[str, str]) -> None:
    unknown = _get(web, hospital, **{**AN, "maThe": "DN4424209999999"})
    assert unknown["maKetQua"] == "050" and set(unknown) == {
        "maKetQua", "ghiChu", "thongBao", "maThe", "conGiaTri"
    }  # fmt: skip
    assert _get(web, hospital, **{**AN, "maThe": "D14424201234567"})["maKetQua"] == "051"
    assert _get(web, hospital, **{**AN, "maThe": "DN7424201234567"})["maKetQua"] == "053"
    assert _get(web, hospital, **{**AN, "maThe": "DN4004201234567"})["maKetQua"] == "052"
    assert _get(web, hospital, **{**AN, "maThe": "999999999999"})["maKetQua"] == "050"


# --- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({**AN, "maThe": "DN44242012345"}, "maThe"),
        ({**AN, "ngaySinh": "31021988"}, "ngaySinh"),
        ({**AN, "ngaySinh": "1988-05-01"}, "ngaySinh"),
        ({**AN, "hoTen": "Nguyễn\x00An"}, "hoTen"),
        ({**AN, "hoTen": "   "}, "hoTen"),
        ({**AN, "cccdCb": "12345"}, "cccdCb"),
        ({"maThe": AN["maThe"], "ngaySinh": AN["ngaySinh"]}, "hoTen"),
        ({**AN, "hoTen": "A" * 101}, "hoTen"),
    ],
)
def test_a_parameter_that_cannot_be_looked_up_is_a_422_naming_it(
    web: Web, hospital: dict[str, str], params: dict[str, str], field: str
) -> None:
    r = web.client.get(URL, params=params, headers=hospital)
    assert r.status_code == 422, r.text
    assert ["query", field] in [e["loc"] for e in r.json()["detail"]]


# --- who may look up --------------------------------------------------------------------------


def test_viewers_and_commune_accounts_are_refused(web: Web) -> None:
    for role in ("viewer", "commune_officer", "director"):
        sign_in(web.client, role)
        assert web.client.get(URL, params=AN).status_code == 403, role
        web.client.cookies.clear()
    # a claims reviewer may look up province-wide, not from a commune-scoped account
    sign_in(web.client, "claims_reviewer")
    assert web.client.get(URL, params=AN).json()["maKetQua"] == "000"
    web.client.cookies.clear()
    commune = _token(web.engine, "claims_reviewer", area=COMMUNE_A)
    assert web.client.get(URL, params=AN, headers={"Authorization": f"Bearer {commune}"}).status_code == 403


def test_a_hospital_account_without_a_facility_is_refused(web: Web) -> None:
    sign_in(web.client, "hospital")  # the seeded hospital account has no facility code (no token either)
    r = web.client.get(URL, params=AN)
    assert r.status_code == 403 and "facility" in r.text


def test_every_look_up_is_audited_with_the_identifier_masked(web: Web, hospital: dict[str, str]) -> None:
    started = datetime.now(UTC)
    _get(web, hospital, **AN, cccdCb="042199001111", hoTenCb="Phạm Thu Hà")
    _get(web, hospital, **{**AN, "maThe": "DN4424209999999"})
    with unit_of_work(web.engine) as s:
        entries = list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "card_check", AuditEntry.at >= started)
                .order_by(AuditEntry.id)
            )
        )
    assert [(e.actor, e.entity, e.entity_id) for e in entries] == [
        ("hospital", "person", str(web.seed.person_a)),
        ("hospital", "person", "-"),
    ]
    first = json.loads(entries[0].detail or "{}")
    assert first == {
        "maThe": "DN4*********567",
        "maKetQua": "000",
        "facilities": ["42001"],
        "cccdCb": "042******111",
        "hoTenCb": "Phạm Thu Hà",
    }
    assert json.loads(entries[1].detail or "{}")["maKetQua"] == "050"


# --- the service and the five-years date -----------------------------------------------------


def test_the_service_on_a_given_day(web: Web) -> None:
    with unit_of_work(web.engine) as s:
        # on 15 June 2023 Cúc's HN card was valid and no newer card yet existed... but the registry
        # already holds the 2024 card: the old card is valid, a new one issued (004)
        on = check_card(s, identifier="HN5424209876543", full_name="Nguyễn Thị Cúc", birth="1975",
                        today=date(2023, 6, 15))  # fmt: skip
        assert on.code == "004" and on.fields["maTheMoi"] == "GD4424209876543"
        before = check_card(s, identifier="GD4424201234568", full_name="Trần Thị Bình", birth="12081990",
                            today=date(2023, 6, 15))  # fmt: skip
        assert before.code == "010" and before.fields["gtTheTu"] == "01/01/2024"
        assert before.detail_vi.startswith("Thẻ chưa đến hạn sử dụng (từ 01/01/2024)!")
        assert before.fields["ngayDu5Nam"] == "01/01/2029"  # projected: participation just begun


def test_five_years_date_counts_short_breaks_out_and_long_ones_reset() -> None:
    today = date(2026, 12, 1)
    # unbroken from 1 Jan 2019
    assert five_years_date([(date(2019, 1, 1), date(2020, 12, 31)), (date(2021, 1, 1), None)], today) == date(
        2024, 1, 1
    )
    # a two-month break (Jan–Feb 2021, 59 days) keeps continuity but does not count: 59 days later
    assert five_years_date([(date(2019, 1, 1), date(2020, 12, 31)), (date(2021, 3, 1), None)], today) == date(
        2024, 2, 29
    )
    # a four-month break starts over on 1 May 2021
    assert five_years_date([(date(2019, 1, 1), date(2020, 12, 31)), (date(2021, 5, 1), None)], today) == date(
        2026, 5, 1
    )
    # overlapping spells count once
    assert five_years_date([(date(2019, 1, 1), date(2021, 6, 30)), (date(2020, 1, 1), None)], today) == date(
        2024, 1, 1
    )
    # a card ending on 31 December, renewable until 31 March: projected on
    assert five_years_date([(date(2024, 1, 1), date(2026, 10, 31))], today) == date(2029, 1, 1)
    assert five_years_date([(date(2024, 1, 1), date(2026, 7, 31))], today) is None
    assert five_years_date([(date(2020, 2, 29), None)], today) == date(2025, 3, 1)
    assert five_years_date([], today) is None
