"""``GET /api/v1/claims/card-check``: the card look-up a hospital's reception calls at check-in
(tra cứu thông tin thẻ BHYT; Công văn 1923/BHXH-CNTT, the ``KQNhanLichSuKCB2024`` service), answered
from the registry by :func:`ansinh.claims.cardcheck.check_card`.

Parameters keep the official names: ``maThe`` (card number, or the 10-digit SI number, or the
12-digit personal ID), ``hoTen``, ``ngaySinh`` (``ddmmyyyy``, ``dd/mm/yyyy`` or ``yyyy``), and the
looking-up officer's ``hoTenCb`` / ``cccdCb``, which the official service requires for accountability
and which are written to the audit entry. Callers: hospital tokens bound to facility codes and the
office's claims staff (scope ``claims:submit``, province-wide; see ``ansinh.web.policy``).

Every look-up is audited (action ``card_check``): it reveals a person's card and facility, like an
identifier search of the registry, with the identifiers masked. A look-up is an answer with a result
code (HTTP 200) whether or not the card is valid; a parameter that cannot be looked up is a 422 naming
it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ansinh.claims.cardcheck import CardCheckInputError, check_card
from ansinh.core.audit import record
from ansinh.core.auth import Principal
from ansinh.core.text import mask_id
from ansinh.web.deps import SessionDep, require
from ansinh.web.security import client_ip

CardSubmitter = Annotated[Principal, Depends(require("claims:submit"))]

CardNumber = Annotated[
    str,
    Query(
        alias="maThe",
        min_length=10,
        max_length=20,
        description="Mã thẻ BHYT (15 ký tự), mã số BHXH (10 số) hoặc số định danh cá nhân (12 số)",
    ),
]
FullName = Annotated[str, Query(alias="hoTen", min_length=1, max_length=100, description="Họ và tên")]
BirthDate = Annotated[
    str, Query(alias="ngaySinh", min_length=4, max_length=10, description="ddmmyyyy, dd/mm/yyyy hoặc yyyy")
]
OfficerName = Annotated[
    str | None, Query(alias="hoTenCb", max_length=100, description="Họ tên cán bộ tra cứu")
]
OfficerId = Annotated[
    str | None,
    Query(alias="cccdCb", pattern=r"^\d{12}$", description="Số định danh (CCCD) của cán bộ tra cứu"),
]


def card_check(
    request: Request,
    session: SessionDep,
    principal: CardSubmitter,
    card: CardNumber,
    full_name: FullName,
    birth: BirthDate,
    officer_name: OfficerName = None,
    officer_id: OfficerId = None,
) -> JSONResponse:
    """Tra cứu thẻ BHYT: ``maKetQua`` (000 valid, 003/004 a new card issued, 010 not valid on this
    date, 050 no such card, 051–053 malformed card, 060/061 wrong name, 070 wrong birth date) and,
    when the name and birth date match, the card's dates, facility and five-years date."""
    if principal.role == "hospital" and not principal.facilities:
        # a hospital account acts for its facilities; one bound to none acts for nobody
        raise HTTPException(
            status_code=403,
            detail="Tài khoản cơ sở KCB chưa được gắn mã cơ sở (the hospital account has no facility code)",
        )
    try:
        answer = check_card(session, identifier=card, full_name=full_name, birth=birth)
    except CardCheckInputError as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", exc.field), "msg": f"Value error, {exc}"}]
        ) from None
    detail: dict[str, object] = {"maThe": mask_id(card.strip().upper()), "maKetQua": answer.code}
    if principal.facilities:
        detail["facilities"] = sorted(principal.facilities)
    if officer_id:
        detail["cccdCb"] = mask_id(officer_id)
    if officer_name:
        detail["hoTenCb"] = officer_name
    record(
        session,
        actor=principal.username,
        action="card_check",
        entity="person",
        entity_id=answer.person_id if answer.person_id is not None else "-",
        source_ip=client_ip(request),
        detail=detail,
    )
    return JSONResponse(answer.as_dict())
