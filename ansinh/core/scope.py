"""Area scope (phạm vi địa bàn): which part of the province a user may see.

Every staff account has an area: the province (2 digits) or one commune (5 digits). Services take an
:class:`AreaScope` and filter every query on persons, households and employers by ``commune_code``,
so a commune officer who asks for another commune's person gets "not found", never the record.

>>> AreaScope.of_area("42").is_province
True
>>> AreaScope(province_code="42", commune_code="16279").allows_commune("16279", "42")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ansinh.registry.models import Commune

T = TypeVar("T", bound=tuple[Any, ...])


class NotFound(LookupError):
    """No such record in the caller's scope: it may exist, but not for this user. Callers answer
    404, never 403, so that a refusal does not reveal that the record exists."""


@dataclass(frozen=True)
class AreaScope:
    """A province, or one commune within it."""

    province_code: str
    commune_code: str | None = None

    @property
    def is_province(self) -> bool:
        return self.commune_code is None

    @property
    def area_code(self) -> str:
        return self.commune_code or self.province_code

    @classmethod
    def of_area(cls, area_code: str, session: Session | None = None) -> AreaScope:
        """The scope of an account's area. A commune's province is read from the communes table."""
        if len(area_code) == 2:
            return cls(province_code=area_code)
        if len(area_code) != 5:
            raise ValueError(f"area code must be a 2-digit province or 5-digit commune, got {area_code!r}")
        province = None
        if session is not None:
            province = session.scalar(select(Commune.province_code).where(Commune.code == area_code))
            if province is None:
                raise ValueError(f"commune {area_code} does not exist")
        return cls(province_code=province or "", commune_code=area_code)

    def allows_commune(self, commune_code: str, province_code: str | None) -> bool:
        """May this scope see a record located in ``commune_code`` (of ``province_code``)?"""
        if self.commune_code is not None:
            return commune_code == self.commune_code
        return province_code == self.province_code

    def apply(self, stmt: Select[T], commune_column: InstrumentedAttribute[str]) -> Select[T]:
        """Restrict a query on a table with a ``commune_code`` column to this scope."""
        if self.commune_code is not None:
            return stmt.where(commune_column == self.commune_code)
        communes = select(Commune.code).where(Commune.province_code == self.province_code)
        return stmt.where(commune_column.in_(communes))
