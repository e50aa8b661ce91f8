"""Imports every domain's tables so that ``Base.metadata`` is complete (Alembic, tests)."""

from ansinh.benefits import models as benefits_models  # noqa: F401
from ansinh.claims import catalogues as claims_catalogues  # noqa: F401
from ansinh.claims import models as claims_models  # noqa: F401
from ansinh.core import (
    audit,  # noqa: F401
    auth_models,  # noqa: F401
)
from ansinh.coverage import models as coverage_models  # noqa: F401
from ansinh.ledger import models as ledger_models  # noqa: F401
from ansinh.registry import models as registry_models  # noqa: F401
