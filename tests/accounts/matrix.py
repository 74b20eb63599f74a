"""Permission-matrix entries of the accounts app's newer URLs (see tests/matrix_support.py)."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "accounts:overdue_contacts": e("page"),
    "accounts:contact_touch": e("scoped", "post", stakeholder_pk="stakeholder"),
    "api:overdue-contact-list": e("api"),
}
