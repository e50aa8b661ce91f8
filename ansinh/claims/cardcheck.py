"""Card look-up at check-in (tra cứu thông tin thẻ BHYT), as Vietnam Social Security's check-in
service defines it (Công văn 1923/BHXH-CNTT of 2024, Phụ lục 03: the ``KQNhanLichSuKCB2024`` API).

A hospital's reception sends the card number (``maThe``) — or, as our registry also allows, the
10-digit SI number or the 12-digit personal ID shown on a chip ID card — with the patient's name
(``hoTen``) and birth date (``ngaySinh``); the answer is a result code (``maKetQua``, the letter's
codes) and, when name and birth date match, the card's validity, the registered primary-care
facility (nơi đăng ký KCB ban đầu, ``maDKBD``) and the date of five continuous years of HI
(``ngayDu5Nam``). A name or birth-date mismatch reveals nothing but its code.

The answer comes from the registry's HI participation spells (``participations``, scheme ``hi``):
each spell carries a card number, its benefit digit, the facility and the validity dates; the card's
validity is the run of consecutive spells holding that number.

>>> parse_birth("05031994"), parse_birth("05/03/1994"), parse_birth("1994")
((1994, 3, 5), (1994, 3, 5), (1994, None, None))
>>> five_years_date([(date(2019, 1, 1), date(2019, 12, 31)), (date(2020, 3, 1), None)], date(2024, 6, 1))
datetime.date(2024, 3, 1)
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from ansinh.claims.models import ClaimFacility
from ansinh.core.text import name_key
from ansinh.registry.models import Commune, Household, Participation, Person, Province

# --- result codes (mã kết quả, Công văn 1923/BHXH-CNTT Phụ lục 03, mục 4) ------------------------

VALID = "000"  # Thông tin thẻ chính xác
OLD_EXPIRED_NEW_ISSUED = "003"  # Thẻ cũ hết giá trị sử dụng nhưng được cấp thẻ mới
OLD_VALID_NEW_ISSUED = "004"  # Thẻ cũ còn giá trị sử dụng nhưng đã được cấp thẻ mới
EXPIRED = "010"  # Thẻ hết giá trị sử dụng
NOT_FOUND = "050"  # Không có thông tin thẻ
BAD_CARD = "051"  # Mã thẻ không đúng
BAD_PROVINCE = "052"  # Mã tỉnh cấp thẻ (ký tự 4, 5) không đúng
BAD_BENEFIT = "053"  # Mã quyền lợi thẻ (ký tự 3) không đúng
WRONG_NAME = "060"  # Thẻ sai họ tên
WRONG_NAME_INITIAL_RIGHT = "061"  # Thẻ sai họ tên (đúng ký tự đầu)
WRONG_BIRTH_DATE = "070"  # Thẻ sai ngày sinh

#: code → (Vietnamese, English): the short message (``thongBao``) of each answer.
MESSAGES: dict[str, tuple[str, str]] = {
    VALID: ("Thông tin thẻ chính xác, thẻ còn giá trị sử dụng", "Card details correct, the card is valid"),
    OLD_EXPIRED_NEW_ISSUED: (
        "Thẻ cũ hết giá trị sử dụng nhưng đã được cấp thẻ mới",
        "This card has expired but a new card has been issued",
    ),
    OLD_VALID_NEW_ISSUED: (
        "Thẻ cũ còn giá trị sử dụng nhưng đã được cấp thẻ mới",
        "This card is still valid but a new card has been issued",
    ),
    EXPIRED: ("Thẻ hết giá trị sử dụng", "The card is not valid on this date"),
    NOT_FOUND: ("Không có thông tin thẻ", "No such card in the registry"),
    BAD_CARD: ("Mã thẻ không đúng", "The card number is malformed"),
    BAD_PROVINCE: (
        "Mã tỉnh cấp thẻ (ký tự thứ 4, 5 của mã thẻ) không đúng",
        "The issuing province (card characters 4–5) is unknown",
    ),
    BAD_BENEFIT: (
        "Mã quyền lợi thẻ (ký tự thứ 3 của mã thẻ) không đúng",
        "The benefit digit (card character 3) must be 1–5",
    ),
    WRONG_NAME: ("Thẻ sai họ tên", "The name does not match the card"),
    WRONG_NAME_INITIAL_RIGHT: (
        "Thẻ sai họ tên (đúng ký tự đầu)",
        "The name does not match the card (its first letter does)",
    ),
    WRONG_BIRTH_DATE: ("Thẻ sai ngày sinh", "The birth date does not match the card"),
}

#: A break of at most three months keeps HI participation continuous (Decree 146/2018/NĐ-CP
#: art. 14: the next card's period follows the previous one, interrupted 3 months at most).
MAX_BREAK_MONTHS = 3
#: Law on Health Insurance art. 22(1)(e) (as amended by Law 46/2014/QH13): 5 continuous years.
CONTINUOUS_YEARS = 5

_CARD_SHAPE = re.compile(r"^[A-Z0-9]{15}$", re.ASCII)
_CARD = re.compile(r"^[A-Z]{2}\d{13}$", re.ASCII)
_DIGITS = re.compile(r"^\d+$", re.ASCII)


class CardCheckInputError(ValueError):
    """A parameter that cannot be looked up at all; ``field`` names it (the API's 422)."""

    def __init__(self, field: str, vietnamese: str, english: str) -> None:
        super().__init__(f"{vietnamese} ({english})")
        self.field = field


# --- parsing the request ----------------------------------------------------------------------


def identifier_kind(value: str) -> str:
    """``card`` (15 characters), ``si_number`` (10 digits) or ``personal_id`` (12 digits)."""
    if _CARD_SHAPE.fullmatch(value):
        return "card"
    if _DIGITS.fullmatch(value) and len(value) == 10:
        return "si_number"
    if _DIGITS.fullmatch(value) and len(value) == 12:
        return "personal_id"
    raise CardCheckInputError(
        "maThe",
        "maThe phải là mã thẻ BHYT 15 ký tự, mã số BHXH 10 chữ số hoặc số định danh cá nhân 12 chữ số",
        "maThe must be a 15-character HI card number, a 10-digit SI number or a 12-digit personal ID",
    )


def parse_birth(value: str) -> tuple[int, int | None, int | None]:
    """(year, month, day) of ``ddmmyyyy``, ``dd/mm/yyyy`` or ``yyyy`` (the birth year only, as the
    official service accepts for people whose card shows the year alone)."""
    text = value.strip()
    digits = text.replace("/", "") if re.fullmatch(r"\d{2}/\d{2}/\d{4}", text, re.ASCII) else text
    if _DIGITS.fullmatch(digits) and len(digits) == 4:
        return int(digits), None, None
    if _DIGITS.fullmatch(digits) and len(digits) == 8:
        day, month, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
        try:
            date(year, month, day)
        except ValueError:
            raise CardCheckInputError(
                "ngaySinh", f"ngày sinh {text!r} không có thật", f"birth date {text!r} does not exist"
            ) from None
        return year, month, day
    raise CardCheckInputError(
        "ngaySinh",
        f"ngaySinh phải có dạng ddmmyyyy, dd/mm/yyyy hoặc yyyy, nhận được {text!r}",
        f"ngaySinh must be ddmmyyyy, dd/mm/yyyy or yyyy, got {text!r}",
    )


# --- dates ------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def five_years_date(spells: Sequence[tuple[date, date | None]], today: date) -> date | None:
    """The date the current run of continuous HI participation reaches five years (thời điểm đủ 5
    năm liên tục, Law on HI art. 22(1)(e); Decree 146/2018/NĐ-CP art. 14).

    Spells are joined into one run while each begins at most three months after the previous ended;
    the months of such a break do not count, so they push the date back. The run is the one holding
    the latest spell; if it ended more than three months before ``today`` there is none (None). A
    run still going (or ended within three months, so renewable) is projected as if it continued:
    the date may lie in the future, as in the official service's example."""
    ordered = sorted(spells, key=lambda s: s[0])
    if not ordered:
        return None
    # merge overlapping or touching spells into covered intervals (None: open-ended)
    covered: list[tuple[date, date | None]] = []
    for start, end in ordered:
        if covered:
            last_start, last_end = covered[-1]
            if last_end is None:
                continue
            if start <= last_end + timedelta(days=1):
                covered[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        covered.append((start, end))
    # the current run: walk back from the last interval while the breaks are short
    first = len(covered) - 1
    while first > 0:
        previous_end = covered[first - 1][1]
        assert previous_end is not None  # only the last interval can be open
        if covered[first][0] > add_months(previous_end + timedelta(days=1), MAX_BREAK_MONTHS):
            break
        first -= 1
    run = covered[first:]
    last_end = run[-1][1]
    if last_end is not None and today > add_months(last_end + timedelta(days=1), MAX_BREAK_MONTHS):
        return None
    start = run[0][0]
    try:
        needed = (start.replace(year=start.year + CONTINUOUS_YEARS) - start).days
    except ValueError:  # 29 February: five years later it is 1 March
        needed = (date(start.year + CONTINUOUS_YEARS, 3, 1) - start).days
    counted = 0
    for index, (begin, end) in enumerate(run):
        projected_end = end if index < len(run) - 1 else None  # the run is projected to go on
        length = None if projected_end is None else (projected_end - begin).days + 1
        if length is None or counted + length >= needed:
            return begin + timedelta(days=needed - counted)
        counted += length
    return None  # pragma: no cover - the last interval is projected open


# --- the answer -------------------------------------------------------------------------------


def _ddmmyyyy(day: date | None) -> str:
    return "" if day is None else day.strftime("%d/%m/%Y")


GENDER_VI = {"male": "Nam", "female": "Nữ"}


@dataclass
class CardCheck:
    """One look-up's answer, with the official service's field names in :meth:`as_dict`."""

    code: str
    card_number: str
    person_id: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    detail_vi: str = ""

    @property
    def valid(self) -> bool:
        return self.code in (VALID, OLD_VALID_NEW_ISSUED)

    def as_dict(self) -> dict[str, Any]:
        vietnamese, english = MESSAGES[self.code]
        out: dict[str, Any] = {
            "maKetQua": self.code,
            "ghiChu": self.detail_vi or f"{vietnamese}!",
            "thongBao": f"{vietnamese} ({english})",
            "maThe": self.card_number,
        }
        out.update(self.fields)
        out["conGiaTri"] = self.valid
        return out


@dataclass(frozen=True)
class _Spell:
    start: date
    end: date | None
    card: str | None
    level: int | None
    group: str | None
    facility: str | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def _card_run(spells: list[_Spell], card: str) -> tuple[date, date | None, _Spell] | None:
    """Validity of ``card``: from the start to the end of the latest run of consecutive spells holding
    it (a change of salary or employer opens a new spell under the same card)."""
    own = [s for s in spells if (s.card or "") == card]
    if not own:
        return None
    latest = own[-1]
    start = latest.start
    for spell in reversed(own[:-1]):
        if spell.end is not None and spell.end + timedelta(days=1) >= start:
            start = min(start, spell.start)
        else:
            break
    return start, latest.end, latest


def _name_code(given: str, registered_key: str) -> str | None:
    key = name_key(given)
    if key == registered_key:
        return None
    return WRONG_NAME_INITIAL_RIGHT if key[:1] and key[:1] == registered_key[:1] else WRONG_NAME


def _birth_matches(birth: tuple[int, int | None, int | None], registered: date) -> bool:
    year, month, day = birth
    if month is None:
        return registered.year == year
    return (registered.year, registered.month, registered.day) == (year, month, day)


# The statements are built once (bound parameters) and run on the session's connection: a look-up
# is a handful of indexed reads, and building and coercing ORM statements per call would cost more.
_HOLDER = select(Person.id, Person.merged_into_id)
_BY_IDENTIFIER = {
    "card": _HOLDER.join(Participation, Participation.person_id == Person.id)
    .where(Participation.hi_card_number == bindparam("value"))
    .limit(10),
    "si_number": _HOLDER.where(Person.si_number == bindparam("value")),
    "personal_id": _HOLDER.where(Person.personal_id == bindparam("value")).limit(10),
}
_MERGED_INTO = select(Person.merged_into_id).where(Person.id == bindparam("person_id"))
#: The persons with their residence and their HI spells, in one indexed read
#: (``ix_participations_person_scheme``).
_PERSONS_AND_SPELLS = (
    select(
        Person.id,
        Person.full_name,
        Person.name_key,
        Person.birth_date,
        Person.gender,
        Person.si_number,
        Household.address,
        Commune.name,
        Province.name,
        Participation.valid_from,
        Participation.valid_to,
        Participation.hi_card_number,
        Participation.hi_benefit_level,
        Participation.hi_group,
        Participation.hi_facility,
    )
    .join(Participation, Participation.person_id == Person.id)
    .join(Commune, Commune.code == Person.commune_code)
    .join(Province, Province.code == Commune.province_code)
    .outerjoin(Household, Household.id == Person.household_id)
    .where(Person.id.in_(bindparam("ids", expanding=True)), Participation.scheme == "hi")
    .order_by(Person.id, Participation.valid_from, Participation.id)
)
_FACILITY_NAME = (
    select(ClaimFacility.name)
    .where(ClaimFacility.code == bindparam("code"), ClaimFacility.valid_from <= bindparam("on"))
    .order_by(ClaimFacility.valid_from.desc())
    .limit(1)
)


@dataclass(frozen=True)
class _Holder:
    id: int
    full_name: str
    name_key: str
    birth_date: date
    gender: str
    si_number: str | None
    address: str | None
    commune_name: str
    province_name: str


def _find_person_ids(connection: Connection, kind: str, value: str) -> list[int]:
    """The registry's person records for the identifier (one indexed look-up: the card number, the
    unique SI number or the personal ID); a duplicate merged by de-duplication is followed to the
    record it was merged into."""
    out: list[int] = []
    for person_id, merged_into in connection.execute(_BY_IDENTIFIER[kind], {"value": value}).tuples():
        for _ in range(5):  # merge chains are short; bounded so that a cycle cannot hang a request
            if merged_into is None:
                break
            person_id = merged_into
            merged_into = connection.execute(_MERGED_INTO, {"person_id": person_id}).scalar()
        if person_id not in out:
            out.append(person_id)
    return out


_Held = tuple[_Holder, list[_Spell]]


def _holders_and_spells(connection: Connection, person_ids: list[int]) -> dict[int, _Held]:
    out: dict[int, _Held] = {}
    for row in connection.execute(_PERSONS_AND_SPELLS, {"ids": person_ids}).tuples():
        if row[0] not in out:
            out[row[0]] = (_Holder(*row[:9]), [])
        out[row[0]][1].append(_Spell(*row[9:]))
    return out


def _facility_name(connection: Connection, code: str | None, on: date) -> str:
    if not code:
        return ""
    name = connection.execute(_FACILITY_NAME, {"code": code, "on": on}).scalar()
    return name or ""


def _structure_code(session: Session, card: str) -> str | None:
    """For a card number the registry does not hold: 051/052/053 when it cannot be a card at all."""
    if not _CARD.fullmatch(card):
        return BAD_CARD
    if card[2] not in "12345":
        return BAD_BENEFIT
    from ansinh.registry.models import LegacyProvince

    code = card[3:5]
    known = session.scalar(select(Province.code).where(Province.code == code)) or session.scalar(
        select(LegacyProvince.code).where(LegacyProvince.code == code)
    )
    return None if known else BAD_PROVINCE


def check_card(
    session: Session, *, identifier: str, full_name: str, birth: str, today: date | None = None
) -> CardCheck:
    """Look a card up at check-in (tra cứu thẻ BHYT): see the module docstring. Pure query.

    Raises :class:`CardCheckInputError` (naming the field) for an identifier or a birth date that
    cannot be looked up; a card that is not in the registry is an answer (050), not an error."""
    today = today or date.today()
    identifier = identifier.strip().upper()
    kind = identifier_kind(identifier)
    wanted_birth = parse_birth(birth)
    if not name_key(full_name):
        raise CardCheckInputError("hoTen", "hoTen không được để trống", "hoTen must not be empty")

    connection = session.connection()
    person_ids = _find_person_ids(connection, kind, identifier)
    found = _holders_and_spells(connection, person_ids) if person_ids else {}
    if not found:
        code = (_structure_code(session, identifier) if kind == "card" else None) or NOT_FOUND
        return CardCheck(code, identifier if kind == "card" else "")
    # several unmerged records of one personal ID: the one whose HI participation is the latest
    person, spells = max(found.values(), key=lambda held: held[1][-1].start)

    current = next((s for s in reversed(spells) if s.covers(today)), None)
    newest = spells[-1]
    card = identifier if kind == "card" else ((current or newest).card or "")
    shown = card or identifier
    if (mismatch := _name_code(full_name, person.name_key)) is not None:
        return CardCheck(mismatch, shown, person.id)
    if not _birth_matches(wanted_birth, person.birth_date):
        return CardCheck(WRONG_BIRTH_DATE, shown, person.id)

    run = _card_run(spells, card)
    if run is None:  # a merged duplicate's card whose spells stayed with the duplicate: the survivor's
        card = (current or newest).card or ""
        run = _card_run(spells, card)
    assert run is not None  # the current or newest spell's card is this person's
    valid_from, valid_to, latest = run
    valid_now = valid_from <= today and (valid_to is None or today <= valid_to)
    renewal = current if current is not None and current.card != card else None
    if renewal is None and newest.card != card and newest.start > latest.start:
        renewal = newest
    if valid_now:
        code = OLD_VALID_NEW_ISSUED if renewal is not None else VALID
    else:
        code = OLD_EXPIRED_NEW_ISSUED if renewal is not None and renewal.covers(today) else EXPIRED
    earlier = [s.card for s in spells if s.card and s.card != card and s.start < valid_from]
    five_years = five_years_date([(s.start, s.end) for s in spells], today)
    level = latest.level or (int(card[2]) if len(card) == 15 and card[2].isdigit() else None)
    new = renewal or latest
    birth_shown = str(person.birth_date.year) if wanted_birth[1] is None else _ddmmyyyy(person.birth_date)
    province_label = person.province_name[:1].lower() + person.province_name[1:]
    address_text = ", ".join(
        part for part in (person.address, person.commune_name, person.province_name) if part
    )
    fields: dict[str, Any] = {
        "hoTen": person.full_name,
        "ngaySinh": birth_shown,
        "gioiTinh": GENDER_VI.get(person.gender, ""),
        "diaChi": address_text,
        "maDKBD": latest.facility or "",
        "cqBHXH": f"Bảo hiểm xã hội {province_label}",
        "gtTheTu": _ddmmyyyy(valid_from),
        "gtTheDen": _ddmmyyyy(valid_to),
        "maKV": "",
        "ngayDu5Nam": _ddmmyyyy(five_years),
        "maSoBHXH": person.si_number or "",
        "maTheCu": earlier[-1] if earlier else "",
        "maTheMoi": new.card or "",
        "gtTheTuMoi": _ddmmyyyy(new.start),
        "gtTheDenMoi": _ddmmyyyy(new.end),
        "maDKBDMoi": new.facility or "",
        "tenDKBDMoi": _facility_name(connection, new.facility, today),
        # our own, beyond the official answer
        "mucHuong": level,
        "maDoiTuong": latest.group or card[:2],
    }
    if not valid_now and valid_from > today:
        state = f"Thẻ chưa đến hạn sử dụng (từ {_ddmmyyyy(valid_from)})"
    else:
        state = MESSAGES[code][0]
    period = f"{_ddmmyyyy(valid_from)} - {_ddmmyyyy(valid_to) or 'không thời hạn'}"
    detail = (
        f"{state}! (Họ tên: {person.full_name}, Ngày sinh: {birth_shown}, Giới tính: "
        f"{fields['gioiTinh']}! Địa chỉ: {address_text}; Nơi KCBBĐ: {fields['maDKBD']}; "
        f"Hạn thẻ: {period}"
        + (f"; Thời điểm đủ 5 năm liên tục: {fields['ngayDu5Nam']}" if five_years else "")
        + ")."
    )
    return CardCheck(code, card, person.id, fields, detail)
