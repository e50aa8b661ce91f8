"""One received episode: from its decoded tables to the rows to store, or a rejection with its code.

Checks (QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, XML1–XML3 field descriptions):

- structure: XML1 present; MA_LK, MA_THE_BHYT, NGAY_SINH, GIOI_TINH, MA_BENH_CHINH, NGAY_VAO, NGAY_RA,
  MA_LOAI_KCB, MUC_HUONG and the totals present and well-formed;
- arithmetic, within ``tolerance`` đồng: every line THANH_TIEN_BV = SO_LUONG × DON_GIA and
  THANH_TIEN_BH = THANH_TIEN_BV(at the HI price) × TYLE_TT_BH / 100; T_TONGCHI_BV = Σ THANH_TIEN_BV;
  T_TONGCHI_BH = Σ THANH_TIEN_BH; T_BHTT = T_TONGCHI_BH − T_BNCCT;
- codes known: facility, card (registry), ICD-10, every drug, service and supply code.

Example: an outpatient line ``SO_LUONG 2.000 × DON_GIA 1500.000`` must carry ``THANH_TIEN_BV 3000.00``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ansinh.claims.icd import normalise_icd
from ansinh.claims.xmlparse import InnerRejected, decode_content, parse_inner, records

CARD_RE = re.compile(r"^[A-Z]{2}[1-5]\d{2}\d{10}$")
KNOWN_TABLES = ("XML1", "XML2", "XML3")
#: The fields of one line, in the order of the tuples in :attr:`Parsed.lines`.
LINE_FIELDS = (
    "source",
    "seq",
    "item_code",
    "kind",
    "group_code",
    "quantity_milli",
    "unit_price_milli",
    "payment_rate",
    "amount_hospital",
    "amount_hi",
    "practitioner",
    "ordered_on",
    "performed_at",
)


@dataclass(frozen=True)
class Known:
    """The codes intake accepts (from the reference data and the registry)."""

    facilities: frozenset[str]
    services: frozenset[str]
    items: frozenset[str]
    icd: frozenset[str]
    cards: frozenset[str] | None  # None: do not check against the registry
    tolerance: int = 1


class Reject(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass
class Parsed:
    """A valid episode: its row, its lines (tuples in :data:`LINE_FIELDS` order), its other tables and its
    content hash."""

    ma_lk: str
    content_hash: str
    row: dict[str, Any]
    lines: list[tuple[Any, ...]] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)


def _dec(value: str, name: str) -> Decimal:
    try:
        out = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise Reject("E04", f"{name}={value!r} is not a number") from None
    if not out.is_finite():
        raise Reject("E04", f"{name}={value!r} is not a number")
    return out


def _req(rec: dict[str, str], name: str, where: str = "XML1") -> str:
    value = rec.get(name, "")
    if not value:
        raise Reject("E04", f"{where}: {name} is missing")
    return value


def _dong(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _milli(value: Decimal) -> int:
    return int((value * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _datetime(value: str, name: str) -> datetime:
    """``yyyymmddHHMM`` (or ``yyyymmdd``), parsed by position (strptime is slow at millions of lines)."""
    if value.isdigit() and len(value) in (8, 12):
        try:
            if len(value) == 12:
                return datetime(
                    int(value[:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]), int(value[10:12])
                )
            return datetime(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            pass
    raise Reject("E04", f"{name}={value!r} is not yyyymmddHHMM")


def _first_date(value: str) -> date | None:
    if not value:
        return None
    part = value.split(";")[0].strip()
    head = part[:8]
    if len(head) == 8 and head.isascii() and head.isdigit():
        try:
            return date(int(head[:4]), int(head[4:6]), int(head[6:8]))
        except ValueError:
            pass
    try:
        return datetime.strptime(part[:8], "%Y%m%d").date()
    except ValueError:
        raise Reject("E04", f"GT_THE_TU/GT_THE_DEN {value!r} is not yyyymmdd") from None


def _last_date(value: str) -> date | None:
    return _first_date(value.split(";")[-1]) if value else None


def _line(
    rec: dict[str, str], source: str, known: Known, rate: int
) -> tuple[dict[str, Any], Decimal, Decimal]:
    where = f"{source} STT {rec.get('STT', '?')}"
    if source == "XML2":
        code = _req(rec, "MA_THUOC", where)
        kind = "drug"
        price = _dec(_req(rec, "DON_GIA", where), "DON_GIA")
        price_bh = price
    else:
        supply = rec.get("MA_VAT_TU", "")
        code = supply or _req(rec, "MA_DICH_VU", where)
        kind = "supply" if supply else "service"
        price = _dec(_req(rec, "DON_GIA_BV", where), "DON_GIA_BV")
        price_bh = _dec(rec.get("DON_GIA_BH") or rec["DON_GIA_BV"], "DON_GIA_BH")
    if (kind == "service" and code not in known.services) or (kind != "service" and code not in known.items):
        raise Reject("E12", f"{where}: code {code!r} is not in the price lists")
    qty = _dec(_req(rec, "SO_LUONG", where), "SO_LUONG")
    if qty < 0 or price < 0:
        raise Reject("E04", f"{where}: negative SO_LUONG or DON_GIA")
    pay_rate = _dec(rec.get("TYLE_TT_BH") or "100", "TYLE_TT_BH")
    amount_bv = _dec(_req(rec, "THANH_TIEN_BV", where), "THANH_TIEN_BV")
    amount_bh = _dec(_req(rec, "THANH_TIEN_BH", where), "THANH_TIEN_BH")
    tol = known.tolerance
    if abs(amount_bv - qty * price) > tol:
        raise Reject("E05", f"{where}: THANH_TIEN_BV {amount_bv} ≠ {qty} × {price} = {qty * price}")
    expected_bh = qty * price_bh * pay_rate / 100
    if abs(amount_bh - expected_bh) > tol:
        raise Reject(
            "E05", f"{where}: THANH_TIEN_BH {amount_bh} ≠ {qty} × {price_bh} × {pay_rate}% = {expected_bh}"
        )
    ordered = _datetime(_req(rec, "NGAY_YL", where), "NGAY_YL")
    performed_text = rec.get("NGAY_TH_YL", "")
    performed = _datetime(performed_text, "NGAY_TH_YL") if performed_text else None
    row = {
        "source": source,
        "seq": int(_dec(rec.get("STT") or "0", "STT")),
        "item_code": code[:50],
        "kind": kind,
        "group_code": rec.get("MA_NHOM", "")[:4] or None,
        "quantity_milli": _milli(qty),
        "unit_price_milli": _milli(price_bh),
        "payment_rate": int(pay_rate),
        "amount_hospital": _dong(amount_bv),
        "amount_hi": _dong(amount_bh),
        "practitioner": (rec.get("MA_BAC_SI", "").split(";")[0][:30] or None),
        "ordered_on": ordered.date(),
        "performed_at": performed,
    }
    del rate
    return row, amount_bv, amount_bh


# --- fast path ---------------------------------------------------------------------------------
# Millions of lines a month: the lines of a well-formed episode are checked with integer arithmetic
# (amounts in millionths of a đồng, exact like Decimal). Any line or total the fast path does not
# accept sends the whole episode through the Decimal path above, which gives the rejection and its
# message; so both paths accept exactly the same episodes and store the same rows.

_MICRO = 1_000_000
_DT_CACHE: dict[str, datetime] = {}
_SCALE = (1_000_000, 100_000, 10_000, 1_000, 100, 10, 1)


class _Slow(Exception):
    """The fast path declines this episode: check it on the Decimal path."""


def _micro(value: str) -> int | None:
    """``value`` × 10⁶ for a plain decimal with at most 6 fraction digits (``-12.5``), else None."""
    whole, _, frac = value.partition(".")
    neg = whole.startswith("-")
    if neg:
        whole = whole[1:]
    if not (whole.isascii() and whole.isdigit()) or len(frac) > 6:
        return None
    if frac:
        if not (frac.isascii() and frac.isdigit()):
            return None
        n = int(whole) * _MICRO + int(frac) * _SCALE[len(frac)]
    else:
        n = int(whole) * _MICRO
    return -n if neg else n


def _round(n: int, unit: int) -> int:
    """``n / unit`` rounded half up (away from zero), as Decimal's ROUND_HALF_UP."""
    q, r = divmod(abs(n), unit)
    if 2 * r >= unit:
        q += 1
    return q if n >= 0 else -q


def _dt_fast(value: str) -> datetime | None:
    got = _DT_CACHE.get(value)
    if got is not None:
        return got
    if len(value) not in (8, 12) or not (value.isascii() and value.isdigit()):
        return None
    try:
        if len(value) == 12:
            got = datetime(
                int(value[:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]), int(value[10:12])
            )
        else:
            got = datetime(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None
    if len(_DT_CACHE) > 100_000:
        _DT_CACHE.clear()
    _DT_CACHE[value] = got
    return got


def _line_fast(rec: dict[str, str], source: str, known: Known) -> tuple[tuple[Any, ...], int, int] | None:
    """The line as a tuple, THANH_TIEN_BV and THANH_TIEN_BH in millionths; None: use :func:`_line`."""
    get = rec.get
    if source == "XML2":
        code = get("MA_THUOC", "")
        kind = "drug"
        price = price_bh = _micro(get("DON_GIA", ""))
        if not code or code not in known.items:
            return None
    else:
        supply = get("MA_VAT_TU", "")
        code = supply or get("MA_DICH_VU", "")
        kind = "supply" if supply else "service"
        bv_text = get("DON_GIA_BV", "")
        price = _micro(bv_text)
        price_bh = _micro(get("DON_GIA_BH") or bv_text)
        if not code or code not in (known.items if supply else known.services):
            return None
    qty = _micro(get("SO_LUONG", ""))
    pay = _micro(get("TYLE_TT_BH") or "100")
    bv = _micro(get("THANH_TIEN_BV", ""))
    bh = _micro(get("THANH_TIEN_BH", ""))
    if price is None or price_bh is None or qty is None or pay is None or bv is None or bh is None:
        return None
    if qty < 0 or price < 0 or pay < 0:
        return None
    tol = known.tolerance
    if abs(bv * _MICRO - qty * price) > tol * _MICRO * _MICRO:
        return None
    if abs(bh * _MICRO * _MICRO * 100 - qty * price_bh * pay) > tol * _MICRO * _MICRO * _MICRO * 100:
        return None
    ordered = _dt_fast(get("NGAY_YL", ""))
    performed_text = get("NGAY_TH_YL", "")
    performed = _dt_fast(performed_text) if performed_text else None
    if ordered is None or (performed_text and performed is None):
        return None
    stt = get("STT") or "0"
    if not (stt.isascii() and stt.isdigit()):
        return None
    row = (
        source,
        int(stt),
        code[:50],
        kind,
        get("MA_NHOM", "")[:4] or None,
        _round(qty, 1000),
        _round(price_bh, 1000),
        pay // _MICRO,
        _round(bv, _MICRO),
        _round(bh, _MICRO),
        get("MA_BAC_SI", "").split(";")[0][:30] or None,
        ordered.date(),
        performed,
    )
    return row, bv, bh


def build(tables: Iterable[tuple[str, str]], facility: str, known: Known) -> Parsed:
    """Decode, parse and check one episode. Raises :class:`Reject` (or InnerRejected) with the code."""
    decoded: list[tuple[str, bytes]] = [(kind, decode_content(text)) for kind, text in tables]
    hasher = hashlib.sha256()
    for kind, data in decoded:
        hasher.update(kind.encode() + b"\0" + data + b"\0")
    by_kind: dict[str, list[bytes]] = {}
    for kind, data in decoded:
        by_kind.setdefault(kind, []).append(data)
    if "XML1" not in by_kind:
        raise Reject("E03", "the episode has no XML1 table")
    summary = next(records(parse_inner(by_kind["XML1"][0]), "TONG_HOP"), None)
    if summary is None:
        raise Reject("E04", "XML1 has no TONG_HOP element")
    ma_lk = _req(summary, "MA_LK")[:100]
    try:
        try:
            return _build(summary, ma_lk, by_kind, hasher.hexdigest(), facility, known, decoded, True)
        except _Slow:
            return _build(summary, ma_lk, by_kind, hasher.hexdigest(), facility, known, decoded, False)
    except Reject as exc:
        exc.detail = f"MA_LK {ma_lk}: {exc.detail}"
        raise


def _build(
    s: dict[str, str],
    ma_lk: str,
    by_kind: dict[str, list[bytes]],
    content_hash: str,
    facility: str,
    known: Known,
    decoded: list[tuple[str, bytes]],
    fast: bool,
) -> Parsed:
    own = s.get("MA_CSKCB", "")
    if own and own != facility:
        raise Reject("E08", f"MA_CSKCB {own} differs from the sending facility {facility}")
    card = _req(s, "MA_THE_BHYT").split(";")[-1].strip()
    if not CARD_RE.match(card):
        raise Reject("E11", f"MA_THE_BHYT {card!r} is not a 15-character card number")
    if known.cards is not None and card not in known.cards:
        raise Reject("E14", f"card {card} is not in the registry")
    icd = _req(s, "MA_BENH_CHINH")
    if icd not in known.icd:
        raise Reject("E13", f"MA_BENH_CHINH {icd!r} is not in the ICD-10 list")
    gender = _req(s, "GIOI_TINH")
    if gender not in ("1", "2", "3"):
        raise Reject("E04", f"GIOI_TINH {gender!r} is not 1, 2 or 3")
    birth = _datetime(_req(s, "NGAY_SINH"), "NGAY_SINH").date()
    admitted = _datetime(_req(s, "NGAY_VAO"), "NGAY_VAO")
    discharged = _datetime(_req(s, "NGAY_RA"), "NGAY_RA")
    if discharged < admitted:
        raise Reject("E04", "NGAY_RA is before NGAY_VAO")
    kind = _req(s, "MA_LOAI_KCB").zfill(2)[:2]
    rate = int(_dec(_req(s, "MUC_HUONG"), "MUC_HUONG"))
    if not 0 <= rate <= 100:
        raise Reject("E04", f"MUC_HUONG {rate} is not a percentage")
    totals = {k: _dec(_req(s, k), k) for k in ("T_TONGCHI_BV", "T_TONGCHI_BH", "T_BNCCT", "T_BHTT")}
    self_pay = _dec(s.get("T_BNTT") or "0", "T_BNTT")
    lines: list[tuple[Any, ...]] = []
    sum_bv = Decimal(0)
    sum_bh = Decimal(0)
    micro_bv = micro_bh = 0
    for source, tag in (("XML2", "CHI_TIET_THUOC"), ("XML3", "CHI_TIET_DVKT")):
        for data in by_kind.get(source, []):
            for rec in records(parse_inner(data), tag):
                if fast:
                    got = _line_fast(rec, source, known)
                    if got is None:
                        raise _Slow
                    lines.append(got[0])
                    micro_bv += got[1]
                    micro_bh += got[2]
                    continue
                row, bv, bh = _line(rec, source, known, rate)
                lines.append(tuple(row[f] for f in LINE_FIELDS))
                sum_bv += bv
                sum_bh += bh
    tol = known.tolerance
    if fast:
        sum_bv = Decimal(micro_bv).scaleb(-6)
        sum_bh = Decimal(micro_bh).scaleb(-6)
        if (
            abs(totals["T_TONGCHI_BV"] - sum_bv) > tol
            or abs(totals["T_TONGCHI_BH"] - sum_bh) > tol
            or abs(totals["T_BHTT"] - (totals["T_TONGCHI_BH"] - totals["T_BNCCT"])) > tol
        ):
            raise _Slow
    if abs(totals["T_TONGCHI_BV"] - sum_bv) > tol:
        raise Reject("E15", f"T_TONGCHI_BV {totals['T_TONGCHI_BV']} ≠ Σ THANH_TIEN_BV {sum_bv}")
    if abs(totals["T_TONGCHI_BH"] - sum_bh) > tol:
        raise Reject("E06", f"T_TONGCHI_BH {totals['T_TONGCHI_BH']} ≠ Σ THANH_TIEN_BH {sum_bh}")
    if abs(totals["T_BHTT"] - (totals["T_TONGCHI_BH"] - totals["T_BNCCT"])) > tol:
        raise Reject(
            "E07",
            f"T_BHTT {totals['T_BHTT']} ≠ T_TONGCHI_BH {totals['T_TONGCHI_BH']} "
            f"− T_BNCCT {totals['T_BNCCT']}",
        )
    year = s.get("NAM_QT", "")
    month = s.get("THANG_QT", "")
    practitioner = next((ln[10] for ln in lines if ln[0] == "XML3" and ln[10]), None)
    row = {
        "facility_code": facility,
        "ma_lk": ma_lk,
        "content_hash": content_hash,
        "patient_name": s.get("HO_TEN", "")[:100],
        "birth_date": birth,
        "gender": int(gender),
        "card_number": card,
        "card_from": _first_date(s.get("GT_THE_TU", "")),
        "card_to": _last_date(s.get("GT_THE_DEN", "")),
        "icd_main": normalise_icd(icd)[:10],
        "icd_other": s.get("MA_BENH_KT", "")[:200] or None,
        "kind": kind,
        "admitted_at": admitted,
        "discharged_at": discharged,
        "treatment_days": int(_dec(s.get("SO_NGAY_DTRI") or "0", "SO_NGAY_DTRI")),
        "benefit_rate": rate,
        "practitioner": practitioner,
        "total_hospital": _dong(totals["T_TONGCHI_BV"]),
        "total_hi": _dong(totals["T_TONGCHI_BH"]),
        "patient_copay": _dong(totals["T_BNCCT"]),
        "patient_self": _dong(self_pay),
        "fund_claimed": _dong(totals["T_BHTT"]),
        "settle_year": int(year) if year.isdigit() else discharged.year,
        "settle_month": int(month) if month.isdigit() else discharged.month,
    }
    attachments = [
        (kind_, data.decode("utf-8", "replace")) for kind_, data in decoded if kind_ not in KNOWN_TABLES
    ]
    return Parsed(ma_lk, content_hash, row, lines, attachments)


def reject_of(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, (Reject, InnerRejected)):
        return exc.code, getattr(exc, "detail", None) or str(exc)
    raise exc
