"""Outreach lists (danh sách vận động): whom commune staff should approach, ranked, with the reason.

The seeds ask to "classify potential participants to find suitable solutions". Five lists, for one
commune, on a date (``as_of``), computed with Ibis on DuckDB over the commune's registry rows:

``voluntary_prospects``
    alive, aged from ``working_age_min`` (15) to below the retirement age, no compulsory or
    voluntary SI in force, hence no employer, not a pupil or student (HI groups HS/SV) and not a
    pensioner (HT/BT): voluntary SI prospects, with what they would pay a month at the minimum income
    (the rural poverty line) after the State support of their group — poor or near-poor household
    (household_poverty of the year), ethnic minority (ethnicity other than 01 Kinh), other —
    computed by the voluntary SI calculator (Law 41/2024/QH15 Art. 31, 36; Decree 159/2025 Art. 5).
    Ranked: people who contributed before first (more months first), then higher support, then older.
``stopped_voluntary``
    voluntary payers whose last voluntary spell ended in the 24 months before ``as_of`` and who are in
    no SI now (below retirement age). Ranked by months contributed.
``household_hi_gaps``
    people without an HI card whose household has at least one member with one (BHYT hộ gia đình:
    Law on HI Art. 13.1(e)). Ranked by the share of the household already insured.
``near_pension``
    people at most ``outreach_near_pension_window`` (5) years before their retirement age with 10 to
    14 full years of SI contributions (compulsory and voluntary, months merged): they can still
    reach the 15-year minimum (``pension_min_years``, Law 41/2024/QH15 Art. 64.1, 98) by paying
    voluntary SI monthly, or by the lump sum for the missing months at retirement (Decree 159/2025
    Art. 7). Ranked by the months still needed.
``one_time_takers``
    people whose one-time withdrawal (BHXH một lần) was approved or paid in the last 24 months and
    who are in no SI now (benefits' ``benefit_cases``; without that table the list says "no data").

>>> sorted(LIST_KINDS)[:2]
['household_hi_gaps', 'near_pension']
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ansinh.core.arrow_io import read_query, read_small
from ansinh.core.audit import record
from ansinh.core.scope import AreaScope, NotFound
from ansinh.core.spreadsheet import save_workbook
from ansinh.coverage.indicators import FAR, PARTS, month_index, retirement_table
from ansinh.coverage.models import LIST_KINDS, OUTCOMES, Campaign, Contact
from ansinh.coverage.service import existing_tables
from ansinh.law.calculators.voluntary import GROUPS, voluntary
from ansinh.law.parameters import get_parameters
from ansinh.law.periods import Period
from ansinh.registry.models import Person

RECENT_MONTHS = 24
LIST_LABELS = {
    "voluntary_prospects": ("Voluntary SI prospects", "Đối tượng tiềm năng tham gia BHXH tự nguyện"),
    "stopped_voluntary": ("Voluntary payers who stopped", "Người dừng đóng BHXH tự nguyện"),
    "household_hi_gaps": ("Household members without HI", "Thành viên hộ gia đình chưa có BHYT"),
    "near_pension": (
        "Near retirement, can still reach a pension",
        "Sắp đến tuổi nghỉ hưu, còn có thể đủ điều kiện hưởng lương hưu",
    ),
    "one_time_takers": ("Recent one-time withdrawals", "Người mới hưởng BHXH một lần"),
}
PERSON_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("full_name", pa.string()),
        ("gender", pa.string()),
        ("birth_date", pa.date32()),
        ("death_date", pa.date32()),
        ("household_id", pa.int64()),
        ("household_code", pa.string()),
        ("phone", pa.string()),
        ("ethnicity", pa.string()),
        ("commune_code", pa.string()),
    ]
)


@dataclass
class Prospect:
    """One person on a list, with the reason as a template key and its figures."""

    person_id: int
    full_name: str
    birth_date: date
    age: int
    phone: str
    household_code: str
    commune_code: str
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)
    rank: int = 0


@dataclass
class OutreachList:
    kind: str
    commune: str
    as_of: date
    rows: list[Prospect]
    #: Set when a source table does not exist yet (the list is then empty, and says why).
    no_data: str | None = None


REASONS = {
    "prospect": (
        "Aged {age}, no SI and no employer; {group_en}: would pay {payable} đồng a month after the State "
        "support of {support} (minimum income {income})",
        "{age} tuổi, chưa tham gia BHXH, không có đơn vị sử dụng lao động; {group_vi}: "
        "đóng {payable} đ/tháng "
        "sau khi Nhà nước hỗ trợ {support} đ (thu nhập tối thiểu {income} đ)",
    ),
    "prospect_before": (
        "Aged {age}, contributed {months} months before, no SI now; {group_en}: would pay {payable} đồng a "
        "month after support",
        "{age} tuổi, đã từng đóng {months} tháng, hiện không tham gia BHXH; {group_vi}: "
        "đóng {payable} đ/tháng "
        "sau hỗ trợ",
    ),
    "stopped": (
        "Stopped voluntary SI after {last}, {months} months paid; in no SI now",
        "Dừng đóng BHXH tự nguyện sau tháng {last}, đã đóng {months} tháng; hiện không tham gia BHXH",
    ),
    "household": (
        "No HI card; household {household}: {insured} of {members} members insured",
        "Chưa có thẻ BHYT; hộ {household}: {insured}/{members} thành viên đã có thẻ",
    ),
    "near_pension_monthly": (
        "{years} years {rest} months contributed; retirement age in {retire} ({left} months): {needed} more "
        "months of voluntary SI reach the {minimum}-year minimum for a pension",
        "Đã đóng {years} năm {rest} tháng; đến tuổi nghỉ hưu tháng {retire} (còn {left} "
        "tháng): đóng tự nguyện "
        "thêm {needed} tháng là đủ {minimum} năm để hưởng lương hưu",
    ),
    "near_pension_lump": (
        "{years} years {rest} months contributed; retirement age in {retire} ({left} "
        "months): {needed} months "
        "short — can pay the missing months at once at retirement (Decree 159/2025 Art. 7)",
        "Đã đóng {years} năm {rest} tháng; đến tuổi nghỉ hưu tháng {retire} (còn {left} "
        "tháng): thiếu {needed} "
        "tháng — có thể đóng một lần cho số tháng còn thiếu (Nghị định 159/2025 Điều 7)",
    ),
    "one_time": (
        "One-time withdrawal decided on {decided} ({amount} đồng); in no SI now",
        "Hưởng BHXH một lần ngày {decided} ({amount} đ); hiện không tham gia BHXH",
    ),
}
GROUP_LABELS = {
    "poor": ("poor household", "hộ nghèo"),
    "near_poor": ("near-poor household", "hộ cận nghèo"),
    "ethnic_minority": ("ethnic minority", "người dân tộc thiểu số"),
    "other": ("no special group", "đối tượng khác"),
}


def _dong(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def reason_text(p: Prospect, locale: str = "vi") -> str:
    en, vi = REASONS[p.reason]
    group = p.figures.get("group")
    extra = {}
    if group:
        extra = {"group_en": GROUP_LABELS[group][0], "group_vi": GROUP_LABELS[group][1]}
    values = {
        k: (_dong(v) if isinstance(v, int) and k in ("payable", "support", "income", "amount") else v)
        for k, v in p.figures.items()
    }
    return (vi if locale == "vi" else en).format(**values, **extra)


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def payable_by_group(at: date) -> dict[str, dict[str, int]]:
    """Monthly contribution, support and payable at the minimum income, per support group."""
    params = get_parameters()
    period = Period.of(at)
    income = params.dong("rural_poverty_line", at)
    out = {}
    for group in GROUPS:
        f = voluntary(params, period=period, income=income, group=group, months=1).figures
        out[group] = {"income": income, "support": int(f["state_support"]), "payable": int(f["payable"])}
    return out


def _read(engine: Engine, commune: str) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table | None]:
    """The commune's persons and spells (two worker reads at once), its households' poverty status
    and its one-time withdrawals (small: in process)."""
    big = {
        "persons": (
            "SELECT p.id, p.full_name, p.gender, p.birth_date, COALESCE(p.death_date, "
            "'9999-12-30') AS death_date, "
            "COALESCE(p.household_id, 0) AS household_id, COALESCE(h.code, '') AS household_code, "
            "COALESCE(p.phone, '') AS phone, COALESCE(p.ethnicity, '') AS ethnicity, p.commune_code "
            "FROM persons p LEFT JOIN households h ON h.id = p.household_id "
            f"WHERE p.commune_code = {_q(commune)} AND p.merged_into_id IS NULL",
            PERSON_SCHEMA,
        ),
        "parts": (
            "SELECT a.person_id, a.scheme, a.valid_from, COALESCE(a.valid_to, '9999-12-30') AS valid_to, "
            "COALESCE(a.hi_group, '') AS hi_group FROM participations a JOIN persons p ON p.id = a.person_id "
            f"WHERE p.commune_code = {_q(commune)} AND p.merged_into_id IS NULL",
            PARTS,
        ),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(read_query, engine, sql, schema) for name, (sql, schema) in big.items()}
        poverty = read_small(
            engine,
            "SELECT hp.household_id AS household_id, hp.year AS year, hp.status AS status "
            "FROM household_poverty hp "
            f"JOIN households h ON h.id = hp.household_id WHERE h.commune_code = {_q(commune)}",
            pa.schema([("household_id", pa.int64()), ("year", pa.int64()), ("status", pa.string())]),
        )
        cases = None
        if "benefit_cases" in existing_tables(engine):
            cases = read_small(
                engine,
                "SELECT c.person_id AS person_id, c.decided_on AS decided_on, COALESCE(c.amount, "
                "0) AS amount "
                "FROM benefit_cases c JOIN persons p ON p.id = c.person_id "
                f"WHERE p.commune_code = {_q(commune)} AND c.kind = 'one_time' AND c.status IN "
                "('approved', 'paid') AND c.decided_on IS NOT NULL",
                pa.schema([("person_id", pa.int64()), ("decided_on", pa.date32()), ("amount", pa.int64())]),
            )
        persons, parts = futures["persons"].result(), futures["parts"].result()
    return persons, parts, poverty, cases


def compute_lists(
    engine: Engine, commune: str, as_of: date, kinds: tuple[str, ...] = LIST_KINDS
) -> dict[str, OutreachList]:
    """Every list for one commune on ``as_of``."""
    persons, parts, poverty, cases = _read(engine, commune)
    return build_lists(persons, parts, poverty, cases, commune, as_of, kinds)


def build_lists(
    persons: pa.Table,
    parts: pa.Table,
    poverty: pa.Table,
    cases: pa.Table | None,
    commune: str,
    as_of: date,
    kinds: tuple[str, ...] = LIST_KINDS,
) -> dict[str, OutreachList]:
    """The lists from the commune's rows (pure: Arrow in, lists out)."""
    params = get_parameters()
    con = ibis.duckdb.connect()
    m_now = Period.of(as_of).index
    min_age = params.integer("working_age_min", as_of)
    min_years = params.integer("pension_min_years", as_of)
    window_years = params.integer("outreach_near_pension_window", as_of)
    con.con.register("o_persons", persons.select(PERSON_SCHEMA.names).cast(PERSON_SCHEMA))
    con.con.register("o_parts", parts.select(PARTS.names).cast(PARTS))
    con.con.register("o_retire", retirement_table(persons.select(["gender", "birth_date"]), params))
    p = con.table("o_persons")
    r = con.table("o_retire")
    p = p.mutate(birth_m=month_index(p.birth_date))
    p = p.left_join(r, ["gender", "birth_m"]).select(p, reached_m=r.reached_m)
    day = ibis.literal(as_of)
    p = p.filter(p.death_date > day)
    a = con.table("o_parts")
    in_force = a.filter((a.valid_from <= day) & (a.valid_to >= day))
    now = in_force.group_by("person_id").aggregate(
        si=(in_force.scheme.isin(("si", "vsi"))).any(),
        hi=(in_force.scheme == "hi").any(),
        study=(in_force.scheme == "hi").ifelse(in_force.hi_group.isin(("HS", "SV")), False).any(),
        pensioner=(in_force.scheme == "hi").ifelse(in_force.hi_group.isin(("HT", "BT")), False).any(),
    )
    # months of SI contributions up to as_of (compulsory and voluntary merged: a month counts once)
    si = a.filter(a.scheme.isin(("si", "vsi")) & (a.valid_from <= day))
    si = si.mutate(
        ma=month_index(si.valid_from),
        mb=ibis.least(month_index(ibis.least(si.valid_to, day)), ibis.literal(m_now, "int64")),
    ).filter(lambda t: t.ma <= t.mb)
    months = si.mutate(m=ibis.range(si.ma, si.mb + 1).unnest()).select("person_id", "m").distinct()
    contributed = months.group_by("person_id").aggregate(months=months.count())
    vsi_end = (
        a.filter((a.scheme == "vsi") & (a.valid_to < day))
        .group_by("person_id")
        .aggregate(last_vsi=a.valid_to.max())
    )
    x = p.left_join(now, p.id == now.person_id).select(
        p,
        si=now.si.fill_null(False),
        hi=now.hi.fill_null(False),
        study=now.study.fill_null(False),
        pensioner=now.pensioner.fill_null(False),
    )
    x = x.left_join(contributed, x.id == contributed.person_id).select(
        x, months=contributed.months.fill_null(0)
    )
    x = x.left_join(vsi_end, x.id == vsi_end.person_id).select(x, last_vsi=vsi_end.last_vsi)
    age_m = ibis.literal(m_now, "int64") - x.birth_m
    x = x.mutate(age=(age_m // 12).cast("int64"), left=ibis.coalesce(x.reached_m, FAR) - m_now)
    people = x.to_pyarrow().to_pylist()
    year = as_of.year
    pov = {
        (int(h), int(y)): s
        for h, y, s in zip(
            poverty["household_id"].to_pylist(),
            poverty["year"].to_pylist(),
            poverty["status"].to_pylist(),
            strict=True,
        )
    }
    # one row per person: the heavy filtering is done; what is left is the commune's few thousand rows
    out: dict[str, OutreachList] = {}
    price = payable_by_group(as_of)

    def group_of(row: dict[str, Any]) -> str:
        status = pov.get((int(row["household_id"]), year)) or pov.get((int(row["household_id"]), year - 1))
        if status in ("poor", "near_poor"):
            return str(status)
        return "ethnic_minority" if row["ethnicity"] not in ("", "01") else "other"

    def prospect(row: dict[str, Any], reason: str, **figures: Any) -> Prospect:
        return Prospect(
            int(row["id"]),
            row["full_name"],
            row["birth_date"],
            int(row["age"]),
            row["phone"],
            row["household_code"],
            commune,
            reason,
            figures,
        )

    working = [r for r in people if r["age"] >= min_age and r["left"] > 0]
    if "voluntary_prospects" in kinds:
        rows = []
        for r in working:
            if r["si"] or r["study"] or r["pensioner"]:
                continue
            g = group_of(r)
            figures = {"age": r["age"], "group": g, **price[g], "months": int(r["months"])}
            rows.append(prospect(r, "prospect_before" if r["months"] else "prospect", **figures))
        support_order = {g: i for i, g in enumerate(("poor", "near_poor", "ethnic_minority", "other"))}
        rows.sort(
            key=lambda p: (-p.figures["months"], support_order[p.figures["group"]], -p.age, p.person_id)
        )
        out["voluntary_prospects"] = OutreachList("voluntary_prospects", commune, as_of, rows)
    if "stopped_voluntary" in kinds:
        since = Period.from_index(m_now - RECENT_MONTHS).first_day
        rows = [
            prospect(r, "stopped", last=str(Period.of(r["last_vsi"])), months=int(r["months"]))
            for r in working
            if not r["si"] and r["last_vsi"] is not None and r["last_vsi"] >= since
        ]
        rows.sort(key=lambda p: (-p.figures["months"], p.person_id))
        out["stopped_voluntary"] = OutreachList("stopped_voluntary", commune, as_of, rows)
    if "household_hi_gaps" in kinds:
        members: dict[int, list[dict[str, Any]]] = {}
        for r in people:
            if r["household_id"]:
                members.setdefault(int(r["household_id"]), []).append(r)
        rows = []
        for hh in members.values():
            insured = sum(1 for r in hh if r["hi"])
            if 0 < insured < len(hh):
                for r in hh:
                    if not r["hi"]:
                        rows.append(
                            prospect(
                                r,
                                "household",
                                household=r["household_code"],
                                insured=insured,
                                members=len(hh),
                            )
                        )
        rows.sort(
            key=lambda p: (
                -Decimal(p.figures["insured"]) / p.figures["members"],
                p.figures["household"],
                p.person_id,
            )
        )
        out["household_hi_gaps"] = OutreachList("household_hi_gaps", commune, as_of, rows)
    if "near_pension" in kinds:
        rows = []
        low, high = (min_years - window_years) * 12, min_years * 12 - 1
        for r in working:
            if r["left"] > window_years * 12 or not low <= r["months"] <= high:
                continue
            needed = min_years * 12 - int(r["months"])
            reason = "near_pension_monthly" if needed <= r["left"] else "near_pension_lump"
            rows.append(
                prospect(
                    r,
                    reason,
                    years=int(r["months"]) // 12,
                    rest=int(r["months"]) % 12,
                    retire=str(Period.from_index(int(r["reached_m"]))),
                    left=int(r["left"]),
                    needed=needed,
                    minimum=min_years,
                    contributed=int(r["months"]),
                )
            )
        rows.sort(key=lambda p: (p.reason != "near_pension_monthly", p.figures["needed"], p.person_id))
        out["near_pension"] = OutreachList("near_pension", commune, as_of, rows)
    if "one_time_takers" in kinds:
        if cases is None:
            out["one_time_takers"] = OutreachList(
                "one_time_takers", commune, as_of, [], no_data="benefit_cases"
            )
        else:
            since = Period.from_index(m_now - RECENT_MONTHS).first_day
            by_person = {int(r["id"]): r for r in people}
            rows = []
            for c in sorted(cases.to_pylist(), key=lambda c: c["decided_on"], reverse=True):
                r = by_person.get(int(c["person_id"]))
                if r is None or r["si"] or not (since <= c["decided_on"] <= as_of):
                    continue
                if any(p.person_id == r["id"] for p in rows):
                    continue
                rows.append(
                    prospect(
                        r, "one_time", decided=c["decided_on"].strftime("%d/%m/%Y"), amount=int(c["amount"])
                    )
                )
            out["one_time_takers"] = OutreachList("one_time_takers", commune, as_of, rows)
    for lst in out.values():
        for i, p_ in enumerate(lst.rows, 1):
            p_.rank = i
    return out


# --- export --------------------------------------------------------------------------------------


def lists_xlsx(lists: dict[str, OutreachList], commune_name: str, locale: str = "vi") -> bytes:
    """One sheet per list: rank, name, birth date, phone, household, reason, and empty outcome
    columns for the commune staff to fill in."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    first = True
    heads_vi = (
        "STT",
        "Mã người",
        "Họ và tên",
        "Ngày sinh",
        "Điện thoại",
        "Mã hộ",
        "Lý do",
        "Kết quả tiếp cận",
        "Ghi chú",
    )
    heads_en = ("Rank", "Person id", "Name", "Birth date", "Phone", "Household", "Reason", "Outcome", "Note")
    for kind, lst in lists.items():
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        first = False
        ws.title = kind[:31]
        label = LIST_LABELS[kind][1 if locale == "vi" else 0]
        ws.append([f"{label} — {commune_name} ({lst.commune}) — {lst.as_of.strftime('%d/%m/%Y')}"])
        ws["A1"].font = Font(bold=True)
        if lst.no_data:
            ws.append(
                [
                    "Chưa có dữ liệu (bảng benefit_cases chưa có)"
                    if locale == "vi"
                    else "No data (table benefit_cases does not exist yet)"
                ]
            )
            continue
        ws.append(list(heads_vi if locale == "vi" else heads_en))
        for c in ws[2]:
            c.font = Font(bold=True)
        for p in lst.rows:
            ws.append(
                [
                    p.rank,
                    p.person_id,
                    p.full_name,
                    p.birth_date.strftime("%d/%m/%Y"),
                    p.phone,
                    p.household_code,
                    reason_text(p, locale),
                    "",
                    "",
                ]
            )
        for letter, width in zip("ABCDEFGHI", (6, 10, 26, 12, 13, 18, 90, 18, 24), strict=True):
            ws.column_dimensions[letter].width = width
    buf = io.BytesIO()
    save_workbook(wb, buf)  # a name or phone that starts like a formula stays text
    return buf.getvalue()


# --- campaigns and contacts -------------------------------------------------------------------


class OutreachError(ValueError):
    """A contact or campaign that cannot be recorded as asked."""


def create_campaign(
    session: Session, scope: AreaScope, *, name: str, list_kind: str, started_on: date, actor: str
) -> Campaign:
    if list_kind not in LIST_KINDS:
        raise OutreachError(f"unknown list {list_kind!r}")
    if not name.strip():
        raise OutreachError("a campaign needs a name")
    campaign = Campaign(
        name=name.strip()[:120],
        list_kind=list_kind,
        area_code=scope.area_code,
        started_on=started_on,
        created_by=actor,
        created_at=datetime.now(UTC),
    )
    session.add(campaign)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity="outreach_campaign",
        entity_id=campaign.id,
        detail={"name": campaign.name, "list": list_kind, "area": scope.area_code},
    )
    return campaign


def campaigns(session: Session, scope: AreaScope) -> list[Campaign]:
    stmt = select(Campaign).order_by(Campaign.started_on.desc(), Campaign.id.desc())
    if scope.commune_code is not None:
        stmt = stmt.where(Campaign.area_code.in_((scope.commune_code, scope.province_code)))
    return list(session.scalars(stmt))


def record_contact(
    session: Session,
    scope: AreaScope,
    *,
    campaign_id: int,
    person_id: int,
    outcome: str,
    contacted_on: date,
    actor: str,
    note: str | None = None,
) -> Contact:
    """Record one approach. The person must be in the caller's area (else :class:`NotFound`)."""
    if outcome not in OUTCOMES:
        raise OutreachError(f"outcome must be one of {', '.join(OUTCOMES)}")
    stmt = scope.apply(select(Person).where(Person.id == person_id), Person.commune_code)
    person = session.scalar(stmt)
    if person is None:
        raise NotFound(person_id)
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.area_code not in (person.commune_code, scope.province_code):
        raise OutreachError("no such campaign for this person's commune")
    contact = Contact(
        campaign_id=campaign_id,
        person_id=person_id,
        commune_code=person.commune_code,
        outcome=outcome,
        note=(note or "").strip()[:300] or None,
        contacted_on=contacted_on,
        recorded_by=actor,
        recorded_at=datetime.now(UTC),
    )
    session.add(contact)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity="outreach_contact",
        entity_id=contact.id,
        detail={"campaign": campaign_id, "person": person_id, "outcome": outcome},
    )
    return contact


@dataclass
class ConversionRow:
    campaign_id: int
    campaign: str
    list_kind: str
    commune_code: str
    people: int
    contacted: int
    enrolled: int
    refused: int
    unreachable: int

    @property
    def conversion(self) -> Decimal | None:
        """Enrolled ÷ people approached (their latest outcome counts)."""
        return Decimal(self.enrolled) / Decimal(self.people) if self.people else None


def conversion(session: Session, scope: AreaScope) -> list[ConversionRow]:
    """Per campaign × commune: people approached and their latest outcome."""
    latest = (
        select(Contact.campaign_id, Contact.person_id, func.max(Contact.id).label("last_id"))
        .group_by(Contact.campaign_id, Contact.person_id)
        .subquery()
    )
    stmt = (
        select(
            Campaign.id,
            Campaign.name,
            Campaign.list_kind,
            Contact.commune_code,
            Contact.outcome,
            func.count(),
        )
        .join(latest, latest.c.last_id == Contact.id)
        .join(Campaign, Campaign.id == Contact.campaign_id)
        .group_by(Campaign.id, Campaign.name, Campaign.list_kind, Contact.commune_code, Contact.outcome)
    )
    if scope.commune_code is not None:
        stmt = stmt.where(Contact.commune_code == scope.commune_code)
    rows: dict[tuple[int, str], ConversionRow] = {}
    for cid, name, kind, commune, outcome, n in session.execute(stmt).all():
        row = rows.setdefault((cid, commune), ConversionRow(cid, name, kind, commune, 0, 0, 0, 0, 0))
        row.people += int(n)
        setattr(row, outcome, getattr(row, outcome) + int(n))
    return sorted(rows.values(), key=lambda r: (r.campaign_id, r.commune_code))
