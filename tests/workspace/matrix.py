"""Permission-matrix entries of the book's and the overdue-contacts list's bulk bars
(see tests/matrix_support.py)."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    # A new owner for the checked accounts: managers and admins only (a CSM gets 403).
    "accounts:bulk_owner": e("manager_page", "post"),
    "accounts:bulk_task": e("page", "post"),
    "accounts:bulk_undo": e("page", "post"),
    "accounts:contact_touch_bulk": e("page", "post"),
    "accounts:contact_touch_bulk_undo": e("page", "post"),
}
