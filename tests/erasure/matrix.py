"""Permission-matrix entries of personal-data export and erasure: admins only."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "accounts:stakeholder_export": e("admin_page", pk="account", stakeholder_pk="stakeholder"),
    "accounts:stakeholder_erase": e("admin_page", "post", pk="account", stakeholder_pk="stakeholder"),
    "api:stakeholder-personal-data": e("api_admin", pk="stakeholder"),
}
