"""The accounts export: the columns the import reads, plus segment and dossier score."""

from __future__ import annotations

import io
from collections.abc import Iterable

from core.csv_export import SafeCsvWriter

from ..models import Account
from .parsing import ACCOUNT_COLUMNS


def accounts_csv(accounts: Iterable[Account]) -> Iterable[str]:
    """Rows of the accounts export (same columns the import reads, plus segment/score)."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow([*ACCOUNT_COLUMNS, "segment", "dossier_score"])
    yield "\ufeff" + flush()  # BOM: Excel opens UTF-8 Chinese text correctly
    for account in accounts:
        writer.writerow(
            [
                account.external_id or "",
                account.name,
                account.industry,
                round(account.arr, 2),  # a number, so a negative ARR is not taken for a formula
                account.icp_fit,
                account.owner.get_username() if account.owner else "",
                account.go_live_date.isoformat() if account.go_live_date else "",
                account.status,
                account.segment,
                account.dossier_score,
            ]
        )
        yield flush()
