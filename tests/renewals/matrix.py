"""Permission-matrix entries of the renewals app's newer URLs (see tests/matrix_support.py)."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    # The ARR ledger: the movements behind the KPI figures, a contract's amendments.
    "renewals:arr_movements": e("page"),
    "renewals:arr_movements_export": e("page"),
    "renewals:contract_amendments": e("scoped", pk="contract"),
    "api:contract-amendments": e("api_scoped", pk="contract"),
    "api:arr-retention": e("api"),
}
