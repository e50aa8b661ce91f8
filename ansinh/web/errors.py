"""Refusals raised by dependencies and routes, turned into pages (HTML) or JSON (under ``/api``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException


class SignInRequired(Exception):
    """No valid session or token: pages redirect to the sign-in page, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but the role lacks the permission (403). Out-of-area records are 404, not this."""


class ProvinceOnly(Forbidden):
    """A province-wide operation asked for by a commune-scoped principal (403)."""


class NotInArea(LookupError):
    """The record lies outside the principal's area, or does not exist: the same 404 for both."""


class PasswordChangeRequired(Exception):
    """The account's password was reset by an administrator: pages redirect to the change page
    (``/account/password``) and the API answers 403 until a new password is chosen."""


class BodyTooLarge(HTTPException):
    """A request body beyond the limit of its kind (413, yêu cầu quá lớn); ``limit`` in bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            status_code=413,
            detail=f"Request body too large: the limit is {limit:,} bytes"
            f" / Dữ liệu gửi lên quá lớn: giới hạn {limit:,} byte".replace(",", "."),
        )


class QuotaExceeded(HTTPException):
    """A token that has sent its day's quota of bytes (429, vượt hạn mức trong ngày)."""

    def __init__(self, quota: int) -> None:
        self.limit = quota
        super().__init__(
            status_code=429,
            detail=f"Daily upload quota of {quota:,} bytes reached for this token; try again tomorrow"
            f" / Mã truy cập đã dùng hết hạn mức {quota:,} byte trong ngày; hãy gửi lại vào ngày mai".replace(
                ",", "."
            ),
        )


# --- validation errors, named by field ----------------------------------------------------------

#: Vietnamese wording of Pydantic's error types (the English ``msg`` is kept beside it).
_VI = {
    "missing": "bắt buộc nhập",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "bool_parsing": "phải là có/không (true/false)",
    "date_parsing": "phải là ngày (YYYY-MM-DD)",
    "date_from_datetime_parsing": "phải là ngày (YYYY-MM-DD)",
    "string_type": "phải là chuỗi ký tự",
    "string_unicode": "không phải văn bản Unicode hợp lệ",
    "string_too_long": "quá dài (tối đa {max_length} ký tự)",
    "string_too_short": "quá ngắn (tối thiểu {min_length} ký tự)",
    "string_pattern_mismatch": "sai định dạng",
    "too_long": "quá nhiều phần tử (tối đa {max_length})",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "less_than": "phải nhỏ hơn {lt}",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "greater_than": "phải lớn hơn {gt}",
    "literal_error": "không nằm trong các giá trị cho phép",
    "enum": "không nằm trong các giá trị cho phép",
    "json_invalid": "JSON không hợp lệ",
    "model_attributes_type": "phải là một đối tượng JSON",
    "dict_type": "phải là một đối tượng JSON",
    "list_type": "phải là một danh sách",
}


def printable(value: object) -> str:
    """Text safe to show and to encode: lone surrogates and control characters escaped."""
    text = str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def field_of(loc: Sequence[object]) -> str:
    """``("body", "declarations", 0, "salary")`` → ``declarations[0].salary``; the parameter's name
    for path, query and form fields."""
    parts = [p for p in loc if p not in ("body", "path", "query", "header", "cookie")] or list(loc)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return printable(out)


def describe(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors for the answer: where (``loc``, ``field``), what (``type``), why in English
    (``msg``) and Vietnamese (``msg_vi``). The rejected input is not echoed: it may be megabytes, or
    not encodable at all (a lone surrogate in JSON)."""
    out: list[dict[str, Any]] = []
    for error in errors:
        kind = str(error.get("type", ""))
        ctx = {k: printable(v) for k, v in (error.get("ctx") or {}).items()}
        msg = printable(error.get("msg", ""))
        if kind == "value_error":
            msg = msg.removeprefix("Value error, ")
            vi = msg
        else:
            template = _VI.get(kind, "giá trị không hợp lệ")
            try:
                vi = template.format(**ctx)
            except (KeyError, IndexError):
                vi = "giá trị không hợp lệ"
        loc = [p if isinstance(p, int) else printable(p) for p in error.get("loc", ())]
        out.append({"loc": loc, "field": field_of(loc), "type": kind, "msg": msg, "msg_vi": vi})
    return out
