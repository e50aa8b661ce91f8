"""Automatic review rules (giám định tự động), written once as Ibis expressions: DuckDB by default, Spark
at national scale. Each rule is a small function of the :class:`Inputs` returning a findings table
``(episode_id, rule_code, amount, evidence)``: ``amount`` is what it disallows (xuất toán, the fund's share,
đồng), ``evidence`` a JSON object. Rules never write; :mod:`ansinh.claims.review` stores the findings.

Worked example (R10): a 500,000 đồng outpatient episode on a benefit-4 card (80%, Law on HI Art. 22.1(c))
must claim ``T_BHTT`` 400,000; an episode claiming 500,000 (``T_BNCCT`` 0) is found with 100,000 disallowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
from ibis import _

Table = Any  # ibis.expr.types.Table (ibis ships no type information for mypy)


@dataclass(frozen=True)
class Inputs:
    """The Ibis tables a rule may read (see :func:`ansinh.claims.review.prepare` for their columns)."""

    episodes: Table
    lines: Table  # lines with episode facility, level, benefit rate and fund share
    cards: Table
    card_person: Table
    persons: Table
    services: Table
    items: Table
    licences: Table
    icd: Table
    practitioners: Table
    digit_rates: Table
    thresholds: Table
    outpatient_limit: int
    tolerance: int


@dataclass(frozen=True)
class Rule:
    code: str
    vi: str
    en: str
    basis: str
    mode: str  # "deduct": disallow and settle; "review": send to a reviewer
    weight: int  # risk 0–100 the finding gives the episode
    find: Callable[[Inputs], Table]


def finding(t: Table, rule: str, amount: Any, evidence: Any) -> Table:
    return t.select(
        episode_id=t.episode_id.cast("int64"),
        rule_code=ibis.literal(rule),
        amount=amount.cast("int64"),
        evidence=evidence,
    )


def js(**fields: Any) -> Any:
    """A JSON object built from Ibis values (strings quoted, integers bare), identical on every backend."""
    out: Any = None
    for i, (key, value) in enumerate(fields.items()):
        text = value.cast("string")
        quoted = isinstance(
            value, (ibis.expr.types.StringValue, ibis.expr.types.DateValue, ibis.expr.types.TimestampValue)
        )
        piece = (
            ibis.literal(("{" if i == 0 else ",") + f'"{key}":' + ('"' if quoted else ""))
            + text.fill_null("")
            + ibis.literal('"' if quoted else "")
        )
        out = piece if out is None else out + piece
    return out + ibis.literal("}")


def share(amount: Any, rate: Any) -> Any:
    """The fund's share of an amount at a percentage, rounded half up to the đồng."""
    return ((amount * rate + 50) // 100).cast("int64")


# --- rules -------------------------------------------------------------------------------------


def card_invalid(t: Inputs) -> Table:
    """R01. Card not valid on the visit dates, or not the person's (Law on HI Art. 16, 28.1; QĐ 130 XML1
    MA_THE_BHYT, GT_THE_TU/GT_THE_DEN, NGAY_SINH, GIOI_TINH)."""
    ep = t.episodes
    c = t.cards
    on_a = ep.join(
        c, [ep.card_number == c.card, c.valid_from <= ep.admitted_on, c.valid_to >= ep.admitted_on]
    )
    on_d = ep.join(
        c, [ep.card_number == c.card, c.valid_from <= ep.discharged_on, c.valid_to >= ep.discharged_on]
    )
    ok_a = on_a.select(aid=on_a.episode_id).distinct()
    ok_d = on_d.select(did=on_d.episode_id).distinct()
    who = t.card_person.join(t.persons, t.card_person.person_id == t.persons.pid)
    x = (
        ep.left_join(ok_a, ep.episode_id == ok_a.aid)
        .left_join(ok_d, ep.episode_id == ok_d.did)
        .left_join(who, ep.card_number == who.card)
    )
    valid = x.aid.notnull() & x.did.notnull()
    same = x.pid.notnull() & (x.p_birth == x.birth_date) & (x.p_gender == x.gender)
    bad = x.filter(~(valid & same))
    return finding(
        bad,
        "R01",
        bad.fund_claimed,
        js(
            card=bad.card_number,
            valid_on_admission=bad.aid.notnull().cast("int64"),
            valid_on_discharge=bad.did.notnull().cast("int64"),
            birth_date_claim=bad.birth_date,
            birth_date_registry=bad.p_birth,
            gender_claim=bad.gender,
            gender_registry=bad.p_gender,
        ),
    )


def dead_patient(t: Inputs) -> Table:
    """R02. Patient dead before the visit (Law on HI Art. 28; registry death date)."""
    ep = t.episodes
    who = t.card_person.join(t.persons, t.card_person.person_id == t.persons.pid)
    x = ep.join(who, ep.card_number == who.card)
    bad = x.filter(x.p_death.notnull() & (x.p_death < x.admitted_on))
    return finding(bad, "R02", bad.fund_claimed, js(death_date=bad.p_death, admitted_on=bad.admitted_on))


def overlapping_stays(t: Inputs) -> Table:
    """R03. Overlapping inpatient stays of one card in two facilities (QĐ 130 XML1 NGAY_VAO/NGAY_RA,
    MA_LOAI_KCB 03): the later admission is disallowed."""
    ip = t.episodes.filter(_.kind == "03")
    a = ip.select(
        a_id=_.episode_id,
        a_card=_.card_number,
        a_fac=_.facility_code,
        a_in=_.admitted_at,
        a_out=_.discharged_at,
        a_ma_lk=_.ma_lk,
    )
    b = ip.select(
        episode_id=_.episode_id,
        b_card=_.card_number,
        b_fac=_.facility_code,
        b_in=_.admitted_at,
        b_out=_.discharged_at,
        fund_claimed=_.fund_claimed,
    )
    x = a.join(
        b,
        [
            a.a_card == b.b_card,
            a.a_fac != b.b_fac,
            a.a_in < b.b_out,
            b.b_in < a.a_out,
            (b.b_in > a.a_in) | ((b.b_in == a.a_in) & (b.episode_id > a.a_id)),
        ],
    )
    first = x.group_by("episode_id").aggregate(
        fund_claimed=x.fund_claimed.max(), other_ma_lk=x.a_ma_lk.min(), other_facility=x.a_fac.min()
    )
    return finding(
        first,
        "R03",
        first.fund_claimed,
        js(other_ma_lk=first.other_ma_lk, other_facility=first.other_facility),
    )


def duplicate_service(t: Inputs) -> Table:
    """R04. The same once-a-day service charged twice on one day (Thông tư 39/2018/TT-BYT as amended,
    price list notes; QĐ 130 XML3 MA_DICH_VU, NGAY_YL)."""
    ln = t.lines.filter(_.kind == "service")
    s = t.services
    x = ln.join(
        s,
        [
            ln.item_code == s.service_code,
            ln.level == s.facility_level,
            s.valid_from <= ln.ordered_on,
            s.valid_to >= ln.ordered_on,
        ],
    )
    x = x.filter(x.max_per_day == 1)
    g = x.group_by(["episode_id", "item_code", "ordered_on"]).aggregate(
        n=x.count(), total=x.fund_share.sum(), top=x.fund_share.max()
    )
    g = g.filter(g.n > 1)
    e = g.group_by("episode_id").aggregate(
        amount=(g.total - g.top).sum(), code=g.item_code.min(), day=g.ordered_on.min(), times=g.n.max()
    )
    return finding(e, "R04", e.amount, js(service=e.code, day=e.day, times=e.times))


def _priced(t: Inputs) -> Table:
    """Lines with their reference price (services: by level and date; drugs and supplies: tender price
    at the facility and date) and daily maximum."""
    ln = t.lines
    s = t.services
    i = t.items
    sv = ln.filter(_.kind == "service")
    sv = sv.join(
        s,
        [
            sv.item_code == s.service_code,
            sv.level == s.facility_level,
            s.valid_from <= sv.ordered_on,
            s.valid_to >= sv.ordered_on,
        ],
    )
    sv = sv.select(*ln.columns, ref_price=sv.price, max_per_day=sv.max_per_day)
    gd = ln.filter(_.kind != "service")
    gd = gd.join(
        i,
        [
            gd.item_code == i.item_code,
            gd.facility_code == i.i_facility,
            i.valid_from <= gd.ordered_on,
            i.valid_to >= gd.ordered_on,
        ],
    )
    gd = gd.select(*ln.columns, ref_price=gd.tender_price, max_per_day=gd.i_max_per_day)
    return sv.union(gd)


def _fund_of(dong: Any, x: Table) -> Any:
    return ((dong * x.payment_rate * x.benefit_rate + 5000) // 10000).cast("int64")


def price_above_list(t: Inputs) -> Table:
    """R05. Unit price above the price list (services: Thông tư 39/2018/TT-BYT as amended by Thông tư
    22/2023/TT-BYT) or the tendered price (drugs, supplies: Thông tư 30/2018/TT-BYT Art. 7; QĐ 130 XML2
    DON_GIA, TT_THAU)."""
    x = _priced(t)
    x = x.filter(x.unit_price_milli > x.ref_price * 1000)
    excess = ((x.unit_price_milli - x.ref_price * 1000) * x.quantity_milli + 500_000) // 1_000_000
    x = x.mutate(amount=_fund_of(excess, x))
    e = x.group_by("episode_id").aggregate(
        amount=x.amount.sum(),
        code=x.item_code.min(),
        price=(x.unit_price_milli // 1000).max(),
        ref=x.ref_price.min(),
    )
    return finding(e, "R05", e.amount, js(item=e.code, unit_price=e.price, list_price=e.ref))


def quantity_above_max(t: Inputs) -> Table:
    """R06. Quantity ordered for one day above the item's daily maximum (Thông tư 30/2018/TT-BYT Art. 6,
    dosage; QĐ 130 XML2/XML3 SO_LUONG, NGAY_YL): the day's lines of one item in one episode are added up
    (two lines of 4 tablets where 6 is the maximum exceed it by 2). A once-a-day service charged on two
    lines is R04's finding; for those, each line's own quantity is checked. The excess is disallowed at
    the lowest unit price of the day's lines."""
    x = _priced(t)
    x = x.filter(x.max_per_day.notnull())
    once = (x.kind == "service") & (x.max_per_day == 1)
    x = x.mutate(apart=ibis.ifelse(once, x.line_id, ibis.literal(-1, "int64")))
    day = x.group_by(["episode_id", "item_code", "ordered_on", "apart"]).aggregate(
        quantity_milli=x.quantity_milli.sum(),
        max_per_day=x.max_per_day.min(),
        unit_price_milli=x.unit_price_milli.min(),
        payment_rate=x.payment_rate.min(),
        benefit_rate=x.benefit_rate.min(),
    )
    day = day.filter(day.quantity_milli > day.max_per_day * 1000)
    excess = ((day.quantity_milli - day.max_per_day * 1000) * day.unit_price_milli + 500_000) // 1_000_000
    day = day.mutate(amount=_fund_of(excess, day))
    e = day.group_by("episode_id").aggregate(
        amount=day.amount.sum(),
        code=day.item_code.min(),
        qty=(day.quantity_milli // 1000).max(),
        max_q=day.max_per_day.min(),
    )
    return finding(e, "R06", e.amount, js(item=e.code, quantity=e.qty, max_per_day=e.max_q))


def unlicensed_service(t: Inputs) -> Table:
    """R07. A service the facility is not licensed for (Law on Medical Examination and Treatment
    15/2023/QH15 Art. 49; Thông tư 39/2018/TT-BYT Art. 6; QĐ 130 XML3 MA_DICH_VU)."""
    ln = t.lines.filter(_.kind == "service")
    lic = t.licences
    ok = ln.join(
        lic,
        [
            ln.facility_code == lic.l_facility,
            ln.item_code == lic.service_code,
            lic.valid_from <= ln.ordered_on,
            lic.valid_to >= ln.ordered_on,
        ],
    )
    ok_ids = ok.select(ok_id=ok.line_id).distinct()
    x = ln.left_join(ok_ids, ln.line_id == ok_ids.ok_id)
    x = x.filter(x.ok_id.isnull())
    e = x.group_by("episode_id").aggregate(
        amount=x.fund_share.sum(), code=x.item_code.min(), facility=x.facility_code.min()
    )
    return finding(e, "R07", e.amount, js(service=e.code, facility=e.facility))


def diagnosis_sex_age(t: Inputs) -> Table:
    """R08. Main diagnosis inconsistent with the patient's sex or age (ICD-10, QĐ 4469/QĐ-BYT, sex- and
    age-specific categories; QĐ 130 XML1 MA_BENH_CHINH)."""
    ep = t.episodes
    icd = t.icd
    x = ep.join(icd, ep.icd_main == icd.code)
    age = (x.admitted_on.year() - x.birth_date.year()) - (
        (x.admitted_on.month() * 100 + x.admitted_on.day())
        < (x.birth_date.month() * 100 + x.birth_date.day())
    ).cast("int64")
    x = x.mutate(age=age)
    wrong_sex = ((x.sex == "male") & (x.gender == 2)) | ((x.sex == "female") & (x.gender == 1))
    wrong_age = (x.min_age.notnull() & (x.age < x.min_age)) | (x.max_age.notnull() & (x.age > x.max_age))
    bad = x.filter(wrong_sex | wrong_age)
    return finding(bad, "R08", bad.fund_claimed, js(icd=bad.icd_main, gender=bad.gender, age=bad.age))


def _expected(t: Inputs) -> Table:
    """Episodes with the card's rate (by benefit digit) and the small-visit threshold on the visit date."""
    ep = t.episodes.mutate(digit=_.card_number.substr(2, 1))
    ep = ep.join(t.digit_rates, ep.digit == t.digit_rates.d)
    th = t.thresholds
    ep = ep.join(th, [th.t_from <= ep.admitted_on, th.t_to >= ep.admitted_on])
    return ep


def benefit_level(t: Inputs) -> Table:
    """R09. MUC_HUONG above what the card's benefit digit allows (Law on HI Art. 22.1; QĐ 1351/QĐ-BHXH
    card coding; QĐ 130 XML1 MUC_HUONG)."""
    x = _expected(t)
    expected_fund = ibis.ifelse(x.total_hi < x.threshold, x.total_hi, share(x.total_hi, x.card_rate))
    bad = x.filter(x.benefit_rate > x.card_rate).mutate(expected_fund=expected_fund)
    amount = ibis.greatest(bad.fund_claimed - bad.expected_fund, 0)
    return finding(
        bad,
        "R09",
        amount,
        js(
            card_digit=bad.digit,
            card_rate=bad.card_rate,
            claimed_rate=bad.benefit_rate,
            expected_fund=bad.expected_fund,
        ),
    )


def copayment(t: Inputs) -> Table:
    """R10. T_BHTT above the co-payment rules: round(T_TONGCHI_BH × MUC_HUONG / 100), or all of it for a
    visit under 15% of the base salary (Law on HI Art. 22.1(e); Decree 146/2018/NĐ-CP Art. 14)."""
    x = _expected(t)
    expected = ibis.ifelse(x.total_hi < x.threshold, x.total_hi, share(x.total_hi, x.benefit_rate))
    x = x.mutate(expected_fund=expected)
    bad = x.filter(x.fund_claimed > x.expected_fund + t.tolerance)
    return finding(
        bad,
        "R10",
        bad.fund_claimed - bad.expected_fund,
        js(
            total_hi=bad.total_hi, rate=bad.benefit_rate, claimed=bad.fund_claimed, expected=bad.expected_fund
        ),
    )


def practitioner_two_places(t: Inputs) -> Table:
    """R11. One practitioner in two facilities in the same hour (Law 15/2023/QH15 Art. 19 on practising
    registration; QĐ 130 XML2/XML3 MA_BAC_SI, NGAY_TH_YL): the lines away from their registered facility."""
    ln = t.lines.filter(_.practitioner.notnull() & _.performed_at.notnull())
    ln = ln.mutate(hour=_.performed_at.truncate("h"))
    p = t.practitioners
    away = ln.join(p, [ln.practitioner == p.p_code, ln.facility_code != p.p_facility])
    away = away.select(*ln.columns)
    other = ln.select(o_prac=_.practitioner, o_hour=_.hour, o_fac=_.facility_code, o_ma_lk=_.ma_lk)
    x = away.join(
        other,
        [away.practitioner == other.o_prac, away.hour == other.o_hour, away.facility_code != other.o_fac],
    )
    per_line = x.group_by(["line_id", "episode_id", "practitioner"]).aggregate(
        fund_share=x.fund_share.max(), also_fac=x.o_fac.min(), other=x.o_ma_lk.min()
    )
    e = per_line.group_by("episode_id").aggregate(
        amount=per_line.fund_share.sum(),
        prac=per_line.practitioner.min(),
        also_fac=per_line.also_fac.min(),
        other=per_line.other.min(),
    )
    return finding(e, "R11", e.amount, js(practitioner=e.prac, also_at=e.also_fac, other_ma_lk=e.other))


def frequent_outpatient(t: Inputs) -> Table:
    """R12. Outpatient visits of one card in a month beyond the office threshold (QĐ 130 XML1
    MA_LOAI_KCB 01; office screening threshold ``claims_outpatient_visits_per_month``)."""
    ep = t.episodes.filter(_.kind == "01")
    ep = ep.mutate(ym=_.admitted_on.year() * 100 + _.admitted_on.month())
    w = ibis.window(group_by=[ep.card_number, ep.ym], order_by=[ep.admitted_at, ep.episode_id])
    ep = ep.mutate(
        rank=ibis.row_number().over(w) + 1,
        visits=ep.episode_id.count().over(ibis.window(group_by=[ep.card_number, ep.ym])),
    )
    bad = ep.filter(ep.rank > t.outpatient_limit)
    return finding(
        bad,
        "R12",
        bad.fund_claimed,
        js(card=bad.card_number, visit=bad.rank, visits=bad.visits, limit=ibis.literal(t.outpatient_limit)),
    )


RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        Rule(
            "R01",
            "Thẻ BHYT không có giá trị sử dụng vào ngày khám hoặc không đúng người",
            "Card not valid on the visit dates or not matching the person",
            "Luật BHYT Điều 16, 28",
            "review",
            95,
            card_invalid,
        ),
        Rule(
            "R02",
            "Người bệnh đã tử vong trước ngày khám",
            "Patient dead before the visit",
            "Luật BHYT Điều 28; dữ liệu hộ tịch",
            "review",
            100,
            dead_patient,
        ),
        Rule(
            "R03",
            "Trùng thời gian điều trị nội trú tại hai cơ sở",
            "Overlapping inpatient stays in two facilities",
            "QĐ 130/QĐ-BYT XML1 NGAY_VAO, NGAY_RA",
            "review",
            90,
            overlapping_stays,
        ),
        Rule(
            "R04",
            "Dịch vụ chỉ được thanh toán một lần/ngày bị tính hai lần",
            "Once-a-day service charged twice on one day",
            "Thông tư 39/2018/TT-BYT (sửa đổi)",
            "deduct",
            30,
            duplicate_service,
        ),
        Rule(
            "R05",
            "Đơn giá cao hơn giá danh mục hoặc giá trúng thầu",
            "Unit price above the price list or tender",
            "Thông tư 22/2023/TT-BYT; Thông tư 30/2018/TT-BYT Điều 7",
            "deduct",
            30,
            price_above_list,
        ),
        Rule(
            "R06",
            "Số lượng vượt mức tối đa trong ngày",
            "Quantity above the daily maximum",
            "Thông tư 30/2018/TT-BYT Điều 6",
            "deduct",
            30,
            quantity_above_max,
        ),
        Rule(
            "R07",
            "Dịch vụ kỹ thuật cơ sở chưa được phê duyệt",
            "Service the facility is not licensed for",
            "Luật KCB 15/2023/QH15 Điều 49; Thông tư 39/2018/TT-BYT Điều 6",
            "review",
            70,
            unlicensed_service,
        ),
        Rule(
            "R08",
            "Chẩn đoán không phù hợp giới tính hoặc tuổi",
            "Diagnosis inconsistent with sex or age",
            "QĐ 4469/QĐ-BYT (ICD-10)",
            "review",
            80,
            diagnosis_sex_age,
        ),
        Rule(
            "R09",
            "Mức hưởng không phù hợp với thẻ",
            "Benefit level inconsistent with the card",
            "Luật BHYT Điều 22.1; QĐ 1351/QĐ-BHXH",
            "deduct",
            40,
            benefit_level,
        ),
        Rule(
            "R10",
            "T_BHTT không đúng quy định cùng chi trả",
            "T_BHTT does not match the co-payment rules",
            "Luật BHYT Điều 22; Nghị định 146/2018/NĐ-CP Điều 14",
            "deduct",
            40,
            copayment,
        ),
        Rule(
            "R11",
            "Một người hành nghề ở hai nơi cùng thời điểm",
            "One practitioner in two places at once",
            "Luật KCB 15/2023/QH15 Điều 19",
            "review",
            85,
            practitioner_two_places,
        ),
        Rule(
            "R12",
            "Khám ngoại trú vượt ngưỡng số lượt trong tháng",
            "Outpatient visits above the monthly threshold",
            "Quy trình giám định BHYT (ngưỡng của cơ quan)",
            "review",
            60,
            frequent_outpatient,
        ),
    ]
}


def all_findings(t: Inputs, codes: list[str] | None = None) -> Table:
    """The union of every rule's findings (or of the rules in ``codes``)."""
    parts = [rule.find(t) for code, rule in RULES.items() if codes is None or code in codes]
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return out
