"""Kiểm tra của Cổng tiếp nhận (the receiving portal's checks of a QĐ 130/4750 claim), every problem at once.

Sources, per check (each :class:`~ansinh.claims.qd130.problems.Code` carries its legal basis):

- the portal's validation sheets for Decision 130/QĐ-BYT and Decision 4750/QĐ-BYT (Vietnam Social Security,
  "Cổng tiếp nhận dữ liệu Hệ thống thông tin giám định BHYT"): per field, required ("Bắt buộc"), type and
  size, and the rule ("VALID"): SO_CCCD format, NGAY_VAO_NOI_TRU ≥ NGAY_VAO, NGAY_TH_YL ≥ NGAY_YL,
  SO_NGAY_DTRI by MA_LOAI_KCB, fields "required when MA_NHOM = …", fields that must equal XML1's;
- the field descriptions of Decision 130/QĐ-BYT (18 January 2023) as amended by Decision 4750/QĐ-BYT
  (29 December 2023): the code lists (KET_QUA_DTRI 1–8, code 8 added by QĐ 4750; MA_LOAI_RV 1–5; MA_LOAI_KCB
  01–09; PHAM_VI, MA_PTTT, NGUON_CTRA…), the date formats, at most 12 secondary diagnoses, and the totals of
  XML1: T_BHTT = T_TONGCHI_BH − T_BNCCT; T_TONGCHI_BV = Σ THANH_TIEN_BV of XML2 and XML3; T_TONGCHI_BH,
  T_BNTT, T_BNCCT, T_BHTT, T_NGUONKHAC = the sums of the same line fields of XML2 and XML3; T_BHTT_GDV = Σ
  T_BHTT of the lines paid by fee for service (MA_PTTT = 1); T_THUOC = Σ THANH_TIEN_BV of XML2; T_VTYT =
  Σ THANH_TIEN_BV of the medical supplies of XML3 (lines with MA_VAT_TU).

Decisions: an episode that cannot be read or linked is **refused** (no XML1, no MA_LK, no card number or
unreadable card dates, unreadable admission/discharge dates); everything else is a **finding** for the
review. Totals that do not add up are findings, not refusals: about one real file in ten has them and the
portal receives such files (the review deducts).

District codes (MAHUYEN_CU_TRU) are required by the sheet but accepted empty: district-level administrative
units ceased on 1 July 2025 (Resolution 202/2025/QH15 and the Law on the Organisation of Local Government
2025, two-level local government); communes carry the new codes. Card province digits are not checked against
a list: 97 and 98 are the defence and police funds and pre-2025 province codes remain on valid cards.

Money is compared exactly as sent (:class:`decimal.Decimal`) with a tolerance of :data:`TOLERANCE` (one đồng,
keyword ``tolerance``): hospitals round line amounts to the đồng in several steps, and the review deducts
larger differences, not rounding.

The checks take the records of an episode as lists (one column at a time for the totals), so
:func:`check_episodes` is one pass over every episode and returns every problem of every episode: a hospital
fixes its export in one round.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache

from ansinh.claims.qd130.problems import Problem
from ansinh.claims.qd130.reader import Episode, ReadResult
from ansinh.claims.qd130.schema import Field, table
from ansinh.claims.qd130.values import (
    Invalid,
    date_value,
    datetime_value,
    decimal_value,
    integer_value,
    split_multi,
)

TOLERANCE = Decimal("1")
"""Rounding tolerance of a total, in đồng."""

MAX_SECONDARY_DIAGNOSES = 12
"""QĐ 130/QĐ-BYT, XML1 MA_BENH_KT: at most 12 secondary diagnosis codes."""

CODE_LISTS: dict[tuple[str, str], frozenset[str]] = {
    # Field descriptions of QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT.
    ("XML1", "GIOI_TINH"): frozenset({"1", "2", "3"}),
    ("XML1", "KET_QUA_DTRI"): frozenset({"1", "2", "3", "4", "5", "6", "7", "8"}),
    ("XML1", "MA_LOAI_RV"): frozenset({"1", "2", "3", "4", "5"}),
    ("XML1", "MA_LOAI_KCB"): frozenset({"01", "02", "03", "04", "05", "06", "07", "08", "09"}),
    ("XML2", "PHAM_VI"): frozenset({"1", "2", "3"}),
    ("XML2", "MA_PTTT"): frozenset({"1", "2", "3"}),
    ("XML2", "NGUON_CTRA"): frozenset({"1", "2", "3", "4"}),
    ("XML2", "VET_THUONG_TP"): frozenset({"1"}),
    ("XML3", "PHAM_VI"): frozenset({"1", "2", "3"}),
    ("XML3", "MA_PTTT"): frozenset({"1", "2", "3"}),
    ("XML3", "PP_VO_CAM"): frozenset({"1", "2", "3", "4"}),
    ("XML3", "VET_THUONG_TP"): frozenset({"1"}),
    ("XML7", "MA_DINH_CHI_THAI"): frozenset({"0", "1"}),
    ("XML8", "KET_QUA_DTRI"): frozenset({"1", "2", "3", "4", "5", "6", "7", "8"}),
    ("XML9", "GIOI_TINH_CON"): frozenset({"1", "2", "3"}),
    ("XML13", "MA_LOAI_RV"): frozenset({"1", "2", "3", "4", "5"}),
}

ACCEPTED_EMPTY = frozenset({("XML1", "MAHUYEN_CU_TRU")})
"""Required by the sheet, accepted empty (districts abolished on 1 July 2025)."""

_CARD = re.compile(r"[A-Z]{2}[1-5]\d{12}")
"""Mã thẻ BHYT, 15 characters: object group (2 letters), benefit level (1–5), province (2 digits: any, 97/98
included), social-insurance number (10 digits) — card structure of QĐ 1351/QĐ-BHXH (2015)."""
_CCCD = re.compile(r"\d{9}|\d{12}|[A-Z]\d{7}")
"""Portal rule for SO_CCCD: 9 or 12 digits, or 8 characters: one capital letter then 7 digits."""

_IDENTITY = frozenset({"MA_THE_BHYT", "GT_THE_TU", "GT_THE_DEN", "NGAY_VAO", "NGAY_RA"})
"""XML1 fields checked by :func:`_check_identity` (their absence refuses the episode), not field by field."""
_NUMERIC_KINDS = frozenset({"decimal", "integer"})
_DATE_KINDS = frozenset({"date", "datetime"})
_SAME_AS_XML1 = "Nếu có dữ liệu thì phải giống thông tin này ở bảng 1"

LINE_TOTALS: tuple[tuple[str, str], ...] = (
    ("T_TONGCHI_BV", "THANH_TIEN_BV"),
    ("T_TONGCHI_BH", "THANH_TIEN_BH"),
    ("T_BNTT", "T_BNTT"),
    ("T_BNCCT", "T_BNCCT"),
    ("T_BHTT", "T_BHTT"),
    ("T_NGUONKHAC", "T_NGUONKHAC"),
)
"""XML1 total ← the line field of XML2 and XML3 it sums (QĐ 130/QĐ-BYT, descriptions of the XML1 totals)."""

_CONDITIONAL: dict[str, tuple[tuple[str, frozenset[int], bool], ...]] = {
    # (field, MA_NHOM values, True = required for these / False = required except these)
    "XML2": (("TT_THAU", frozenset({7, 17}), False),),
    "XML3": (
        ("TT_THAU", frozenset({10}), True),
        ("MA_XANG_DAU", frozenset({12}), True),
        ("NGUOI_THUC_HIEN", frozenset({1, 2, 3, 8, 18}), True),
        ("NGAY_TH_YL", frozenset({1, 2, 3, 8, 18}), True),
    ),
}


@dataclass(frozen=True)
class At:
    """Where a problem is: HOSO index, MA_LK, table, record (1-based), field."""

    hoso: int | None
    ma_lk: str | None
    table: str | None = None
    record: int | None = None
    field: str | None = None

    def p(
        self, code: str, vi: str = "", en: str = "", *, field: str | None = None, value: str | None = None
    ) -> Problem:
        return Problem(
            code, vi, en, self.hoso, self.ma_lk, self.table, self.record, field or self.field, value
        )


@dataclass(frozen=True)
class _Spec:
    name: str
    kind: str
    multi: bool
    required: bool
    max_len: int | None
    codes: frozenset[str] | None
    same_as_xml1: bool
    ok: Callable[[str], object] | None = None
    """A quick test that a value passes every check of the field (``None``: always the full path)."""


def _quick(
    kind: str, multi: bool, max_len: int | None, codes: frozenset[str] | None
) -> Callable[[str], object]:
    """One call deciding the common case: a regular expression for numbers (type and size together), the
    memoised date parsers, a set membership for codes, a length for text."""
    if codes is not None:
        return codes.__contains__
    if multi and kind != "text":
        return lambda raw: False
    if kind == "decimal":
        n = "" if max_len is None else str(max_len)
        return re.compile(rf"[+-]?\d{{1,{n}}}(?:[.,]\d*)?").fullmatch
    if kind == "integer":
        n = "" if max_len is None else str(max_len)
        return re.compile(rf"[+-]?\d{{1,{n}}}").fullmatch
    if kind == "date":
        return lambda raw: not isinstance(date_value(raw), Invalid)
    if kind == "datetime":
        return lambda raw: not isinstance(datetime_value(raw), Invalid)
    if max_len is None:
        return lambda raw: True
    return lambda raw: len(raw) <= max_len


@cache
def _specs(name: str) -> tuple[_Spec, ...]:
    xml1 = table("XML1")

    def spec(f: Field) -> _Spec:
        codes = CODE_LISTS.get((name, f.name))
        return _Spec(
            f.name,
            f.kind,
            f.multi,
            f.required and (name, f.name) not in ACCEPTED_EMPTY and (name, f.name) != ("XML1", "MA_LK"),
            f.max_portal,
            codes,
            name != "XML1" and f.portal_rule == _SAME_AS_XML1 and xml1.has(f.name),
            _quick(f.kind, f.multi, f.max_portal, codes),
        )

    skip = _IDENTITY if name == "XML1" else frozenset()
    return tuple(spec(f) for f in table(name).fields if f.name not in skip)


def _int_digits(raw: str) -> int:
    s = raw.strip().lstrip("+-")
    for sep in ".,":
        s = s.split(sep, 1)[0]
    return len(s)


def _check_value(spec: _Spec, raw: str, at: At) -> list[Problem]:
    """Type, length, format and code list of one non-empty value."""
    out: list[Problem] = []
    parts = split_multi(raw) if spec.multi else [raw]
    kind = spec.kind
    for part in parts:
        if kind == "decimal" or kind == "integer":
            v = decimal_value(part) if kind == "decimal" else integer_value(part)
            if isinstance(v, Invalid):
                out.append(at.p("P102", v.vi, v.en, value=raw))
                return out
        elif kind == "date" or kind == "datetime":
            d = date_value(part) if kind == "date" else datetime_value(part)
            if isinstance(d, Invalid):
                out.append(at.p("P104", d.vi, d.en, value=raw))
                return out
    if spec.max_len is not None and kind not in _DATE_KINDS:
        size = max((_int_digits(p) for p in parts), default=0) if kind in _NUMERIC_KINDS else len(raw)
        if size > spec.max_len:
            vi, en = f"{size} > {spec.max_len} ký tự", f"{size} > {spec.max_len} characters"
            out.append(at.p("P103", vi, en, value=raw))
    if spec.codes is not None:
        code = raw.strip()
        if kind == "integer" and code.isdigit():
            code = str(int(code))
        if code not in spec.codes:
            allowed = ", ".join(sorted(spec.codes))
            out.append(at.p("P105", f"được phép: {allowed}", f"allowed: {allowed}", value=raw))
    return out


def check_records(
    name: str, records: Sequence[Mapping[str, str]], *, hoso: int | None = None, ma_lk: str | None = None
) -> list[Problem]:
    """Required, type, length, date format and code list of every field of every record of one table."""
    out: list[Problem] = []
    specs = _specs(name)
    for i, row in enumerate(records, start=1):
        for spec in specs:
            raw = row.get(spec.name)
            if raw is None or not raw.strip():
                if spec.required:
                    out.append(Problem("P101", "", "", hoso, ma_lk, name, i, spec.name))
                continue
            if spec.ok is not None and spec.ok(raw):
                continue  # the common case, decided in one call without building anything
            out.extend(_check_value(spec, raw, At(hoso, ma_lk, name, i, spec.name)))
    return out


# -- XML1 identity: card and dates ---------------------------------------------------------------------------


def _check_identity(xml1: Mapping[str, str], hoso: int | None, ma_lk: str | None) -> list[Problem]:
    out: list[Problem] = []
    at = At(hoso, ma_lk, "XML1")
    cards = split_multi(xml1.get("MA_THE_BHYT", ""))
    if not cards:
        out.append(at.p("P109", "không có mã thẻ", "no card number", field="MA_THE_BHYT"))
    for card in cards:
        if _CARD.fullmatch(card) is None:
            out.append(at.p("P106", value=card, field="MA_THE_BHYT"))
    counts = {}
    for name in ("GT_THE_TU", "GT_THE_DEN"):
        raw = xml1.get(name, "")
        parts = split_multi(raw)
        counts[name] = len(parts)
        if not parts:
            out.append(at.p("P109", "không có hạn thẻ", "no card validity", field=name))
        elif any(isinstance(date_value(p), Invalid) for p in parts):
            vi, en = "hạn thẻ không đọc được (yyyymmdd)", "card validity unreadable (yyyymmdd)"
            out.append(at.p("P109", vi, en, field=name, value=raw))
    if (
        cards
        and counts["GT_THE_TU"]
        and (counts["GT_THE_TU"] != len(cards) or counts["GT_THE_DEN"] != len(cards))
    ):
        vi = f"{len(cards)} thẻ, {counts['GT_THE_TU']} GT_THE_TU, {counts['GT_THE_DEN']} GT_THE_DEN"
        en = f"{len(cards)} cards, {counts['GT_THE_TU']} GT_THE_TU, {counts['GT_THE_DEN']} GT_THE_DEN"
        out.append(at.p("P111", vi, en, field="MA_THE_BHYT"))
    for name in ("NGAY_VAO", "NGAY_RA"):
        raw = xml1.get(name, "")
        if not raw.strip() or isinstance(datetime_value(raw), Invalid):
            out.append(at.p("P110", field=name, value=raw or None))
    cccd = xml1.get("SO_CCCD", "").strip()
    if cccd and _CCCD.fullmatch(cccd) is None:
        out.append(at.p("P107", field="SO_CCCD", value=cccd))
    kt = split_multi(xml1.get("MA_BENH_KT", ""))
    if len(kt) > MAX_SECONDARY_DIAGNOSES:
        out.append(at.p("P108", f"{len(kt)} mã", f"{len(kt)} codes", field="MA_BENH_KT"))
    return out


# -- dates in order and bed days ------------------------------------------------------------


def _dt(raw: str | None) -> datetime | None:
    v = datetime_value(raw or "")
    return v if isinstance(v, datetime) else None


def _check_dates(ep: Episode, hoso: int | None, ma_lk: str | None) -> list[Problem]:
    out: list[Problem] = []
    xml1 = ep.xml1
    vao, ra, vnt = _dt(xml1.get("NGAY_VAO")), _dt(xml1.get("NGAY_RA")), _dt(xml1.get("NGAY_VAO_NOI_TRU"))
    at = At(hoso, ma_lk, "XML1")
    if vao and ra and ra < vao:
        out.append(at.p("P205", field="NGAY_RA", value=xml1.get("NGAY_RA")))
    if vao and vnt and vnt < vao:
        out.append(at.p("P206", field="NGAY_VAO_NOI_TRU", value=xml1.get("NGAY_VAO_NOI_TRU")))
    out.extend(_check_bed_days(xml1, vao, ra, at))
    for name in ("XML2", "XML3"):
        for i, row in enumerate(ep.records(name), start=1):
            yl, th = _dt(row.get("NGAY_YL")), _dt(row.get("NGAY_TH_YL"))
            if yl and th and th < yl:
                out.append(
                    Problem(
                        "P207",
                        hoso=hoso,
                        ma_lk=ma_lk,
                        table=name,
                        record=i,
                        field="NGAY_TH_YL",
                        value=row["NGAY_TH_YL"],
                    )
                )
    return out


def _check_bed_days(
    xml1: Mapping[str, str], vao: datetime | None, ra: datetime | None, at: At
) -> list[Problem]:
    """SO_NGAY_DTRI: 0 for MA_LOAI_KCB 01, 07, 09; NGAY_RA − NGAY_VAO + 1 (days) for 02, 03, 04, 06."""
    loai = xml1.get("MA_LOAI_KCB", "").strip()
    days = integer_value(xml1.get("SO_NGAY_DTRI", ""))
    if not isinstance(days, int):
        return []
    expected: int | None = None
    if loai in ("01", "07", "09"):
        expected = 0
    elif loai in ("02", "03", "04", "06") and vao and ra:
        expected = (ra.date() - vao.date()).days + 1
    if expected is None or days == expected:
        return []
    vi, en = f"MA_LOAI_KCB {loai}: cần {expected}", f"MA_LOAI_KCB {loai}: expected {expected}"
    return [at.p("P208", vi, en, field="SO_NGAY_DTRI", value=str(days))]


# -- totals --------------------------------------------------------------------------------------------------


def _column(records: Iterable[Mapping[str, str]], name: str) -> list[Decimal]:
    """The readable amounts of one line field (unreadable ones are already a P102 finding)."""
    out = []
    for row in records:
        v = decimal_value(row.get(name, ""))
        if isinstance(v, Decimal):
            out.append(v)
    return out


def _amount(xml1: Mapping[str, str], name: str) -> Decimal | None:
    v = decimal_value(xml1.get(name, ""))
    return v if isinstance(v, Decimal) else None


def _total(
    code: str,
    field: str,
    declared: Decimal,
    summed: Decimal,
    what: str,
    at: At,
    tolerance: Decimal,
) -> list[Problem]:
    if abs(declared - summed) <= tolerance:
        return []
    vi = f"{field} = {declared}, {what} = {summed} (chênh {declared - summed})"
    en = f"{field} = {declared}, {what} = {summed} (difference {declared - summed})"
    return [at.p(code, vi, en, field=field)]


def _check_totals(ep: Episode, hoso: int | None, ma_lk: str | None, tolerance: Decimal) -> list[Problem]:
    out: list[Problem] = []
    xml1 = ep.xml1
    xml2, xml3 = ep.records("XML2"), ep.records("XML3")
    lines = [*xml2, *xml3]
    at = At(hoso, ma_lk, "XML1")
    bh, bncct, bhtt = _amount(xml1, "T_TONGCHI_BH"), _amount(xml1, "T_BNCCT"), _amount(xml1, "T_BHTT")
    if bh is not None and bncct is not None and bhtt is not None:
        out += _total("P201", "T_BHTT", bhtt, bh - bncct, "T_TONGCHI_BH − T_BNCCT", at, tolerance)
    for total, line_field in LINE_TOTALS:
        declared = _amount(xml1, total)
        if declared is not None:
            summed = sum(_column(lines, line_field), Decimal(0))
            out += _total("P202", total, declared, summed, f"Σ {line_field} XML2+XML3", at, tolerance)
    declared = _amount(xml1, "T_BHTT_GDV")
    if declared is not None:
        fee_lines = [r for r in lines if r.get("MA_PTTT", "").strip() == "1"]
        summed = sum(_column(fee_lines, "T_BHTT"), Decimal(0))
        out += _total("P202", "T_BHTT_GDV", declared, summed, "Σ T_BHTT (MA_PTTT = 1)", at, tolerance)
    declared = _amount(xml1, "T_THUOC")
    if declared is not None:
        out += _total(
            "P203",
            "T_THUOC",
            declared,
            sum(_column(xml2, "THANH_TIEN_BV"), Decimal(0)),
            "Σ XML2",
            at,
            tolerance,
        )
    declared = _amount(xml1, "T_VTYT")
    if declared is not None:
        supplies = [r for r in xml3 if r.get("MA_VAT_TU", "").strip()]
        summed = sum(_column(supplies, "THANH_TIEN_BV"), Decimal(0))
        out += _total("P204", "T_VTYT", declared, summed, "Σ XML3 vật tư", at, tolerance)
    return out


# -- conditional requirements and consistency with XML1 ------------------------------------------------------


def _check_conditional(ep: Episode, hoso: int | None, ma_lk: str | None) -> list[Problem]:
    out: list[Problem] = []
    for name, rules in _CONDITIONAL.items():
        for i, row in enumerate(ep.records(name), start=1):
            group = integer_value(row.get("MA_NHOM", ""))
            if not isinstance(group, int):
                continue
            for field, groups, required_for in rules:
                needed = (group in groups) if required_for else (group not in groups)
                if needed and not row.get(field, "").strip():
                    vi, en = f"MA_NHOM = {group}", f"MA_NHOM = {group}"
                    out.append(
                        Problem("P209", vi, en, hoso=hoso, ma_lk=ma_lk, table=name, record=i, field=field)
                    )
    return out


def _check_same_as_xml1(ep: Episode, hoso: int | None, ma_lk: str | None) -> list[Problem]:
    out: list[Problem] = []
    xml1 = ep.xml1
    for name, rows in ep.tables.items():
        if name == "XML1":
            continue
        same = [s.name for s in _specs(name) if s.same_as_xml1]
        for i, row in enumerate(rows, start=1):
            for field in same:
                v = row.get(field, "").strip()
                if v and v != xml1.get(field, "").strip():
                    out.append(
                        Problem("P210", hoso=hoso, ma_lk=ma_lk, table=name, record=i, field=field, value=v)
                    )
    return out


# -- entry points ----------------------------------------------------------------------


def check_episode(ep: Episode, *, tolerance: Decimal = TOLERANCE) -> list[Problem]:
    """Every problem of one episode: the reader's, then every field and formula check."""
    out = list(ep.problems)
    if "XML1" not in ep.tables or not ep.tables["XML1"]:
        return out
    hoso, ma_lk = ep.index, ep.ma_lk
    for name, rows in ep.tables.items():
        out += check_records(name, rows, hoso=hoso, ma_lk=ma_lk)
    out += _check_identity(ep.xml1, hoso, ma_lk)
    out += _check_dates(ep, hoso, ma_lk)
    out += _check_totals(ep, hoso, ma_lk, tolerance)
    out += _check_conditional(ep, hoso, ma_lk)
    out += _check_same_as_xml1(ep, hoso, ma_lk)
    return out


@dataclass
class EpisodeOutcome:
    index: int
    ma_lk: str | None
    problems: list[Problem]

    @property
    def refused(self) -> bool:
        return any(p.refuses for p in self.problems)


def check_episodes(episodes: Iterable[Episode], *, tolerance: Decimal = TOLERANCE) -> list[EpisodeOutcome]:
    """Every problem of every episode, in one pass (streaming: the episodes may come from the reader)."""
    return [EpisodeOutcome(ep.index, ep.ma_lk, check_episode(ep, tolerance=tolerance)) for ep in episodes]


def check_file(result: ReadResult, *, tolerance: Decimal = TOLERANCE) -> list[Problem]:
    """All problems of a file: the file's own, then every episode's, in file order."""
    out = list(result.problems)
    for ep in result.episodes:
        out += check_episode(ep, tolerance=tolerance)
    return out


def refused_episodes(problems: Iterable[Problem]) -> set[int]:
    """HOSO indices whose episode is refused."""
    return {p.hoso for p in problems if p.refuses and p.hoso is not None}
