"""CSV import of accounts and stakeholders (a CRM export), all-or-nothing by default.

Every row is checked before anything is written; each problem is reported with its
row number (the header is row 1), column and reason. By default one bad row means
nothing is written; with ``valid_only`` the valid rows are written and the rejected
ones come back as a CSV (with an ``error`` column) to fix and re-import.
Re-importing the same file changes nothing: accounts are matched by external id,
stakeholders by account + email (or name when there is no email). Accounts are
checked and written through ``accounts.services`` (the rules of ``account_create``
and ``account_update``, history and timeline rows included).

``parsing``: the file and its cells; ``account_rows`` / ``stakeholder_rows``: checking
and writing each kind; ``runs``: an import run, at once or on a worker; ``export``.
"""

from __future__ import annotations

from .export import accounts_csv
from .parsing import MAX_ROWS, ImportFileError, ImportResult, RowError, read_csv
from .runs import csv_import, estimated_rows, import_run_execute, import_start

__all__ = [
    "MAX_ROWS",
    "ImportFileError",
    "ImportResult",
    "RowError",
    "accounts_csv",
    "csv_import",
    "estimated_rows",
    "import_run_execute",
    "import_start",
    "read_csv",
]
