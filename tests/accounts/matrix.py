"""Permission-matrix entries of the accounts app's newer URLs (see tests/matrix_support.py)."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "accounts:overdue_contacts": e("page"),
    "accounts:contact_touch": e("scoped", "post", stakeholder_pk="stakeholder"),
    "api:overdue-contact-list": e("api"),
    # Undo "mark as left": whoever may mark a person as left on the account may undo it.
    "accounts:stakeholder_undo_left": e("scoped", "post", pk="account", stakeholder_pk="stakeholder"),
    "api:stakeholder-undo-left": e("api_scoped", "post", pk="stakeholder"),
}
