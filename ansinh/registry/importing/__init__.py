"""File imports into the registry (nhập dữ liệu từ tệp): communes, persons, households, employers,
participation, from CSV (UTF-8) or .xlsx with English or Vietnamese headings.

Every row is validated and every problem is returned as data (row, column, value, reason). By
default an import is all-or-nothing; with ``skip_invalid`` the valid rows are written and the others
go to a quarantine file. Importing the same file twice, or the same rows in another file, changes
nothing. Each kind's module documents its columns: :mod:`.areas`, :mod:`.persons`,
:mod:`.households`, :mod:`.employers`, :mod:`.participation`.

>>> from pathlib import Path
>>> report = import_file(engine, "persons", Path("xa_18631.csv"), actor="cli:lan")  # doctest: +SKIP
>>> report.inserted, report.updated, report.unchanged, report.quarantined  # doctest: +SKIP
(120, 3, 0, 2)
"""

from ansinh.registry.importing.base import ImportFileError, ImportReport, RowError
from ansinh.registry.importing.service import KINDS, import_file

__all__ = ["KINDS", "ImportFileError", "ImportReport", "RowError", "import_file"]
