"""Permission-matrix entries of the book's and the overdue-contacts list's bulk bars
(see tests/matrix_support.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import e

ENTRIES = {
    # A new owner for the checked accounts: managers and admins only (a CSM gets 403).
    "accounts:bulk_owner": e("manager_page", "post"),
    "accounts:bulk_task": e("page", "post"),
    "accounts:bulk_undo": e("page", "post"),
    "accounts:contact_touch_bulk": e("page", "post"),
    "accounts:contact_touch_bulk_undo": e("page", "post"),
    # The account page's tabs (one URL, a slug per tab; tests/workspace/test_account_page.py
    # checks every tab's 404 outside the user's scope).
    "accounts:tab": e("scoped", pk="account", tab="account_tab"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    return {"account_tab": "people"}
