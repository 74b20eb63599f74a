"""Permission-matrix entries of the accounts app's newer URLs (see tests/matrix_support.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import e

ENTRIES = {
    "accounts:overdue_contacts": e("page"),
    "accounts:contact_touch": e("scoped", "post", stakeholder_pk="stakeholder"),
    "api:overdue-contact-list": e("api"),
    # Undo "mark as left": whoever may mark a person as left on the account may undo it.
    "accounts:stakeholder_undo_left": e("scoped", "post", pk="account", stakeholder_pk="stakeholder"),
    "api:stakeholder-undo-left": e("api_scoped", "post", pk="stakeholder"),
    # Saved segments (the target: csm_a1's, shared with team A). Anyone saves one and
    # adds accounts to their lists; the teammate and the team's manager see it, only
    # the owner (and admins) change it; the other team does not learn it exists.
    "accounts:segment_create": e("page", "post"),
    "accounts:bulk_segment": e("page", "post"),
    # Taking accounts out of a list: its owner and admins (the segment is named in the post).
    "accounts:bulk_segment_remove": e("page", "post"),
    "accounts:segment_change": e("segment_owner", "post", pk="segment"),
    "api:segment-list": e("api"),
    "api:segment-detail": e("api_segment_shared", pk="segment"),
    "api:segment-members": e("api_segment_shared", pk="segment"),
    # The column chooser: each person's own choice.
    "column_preference": e("page", "post", table="column_table"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    from accounts.saved_segments import segment_create

    return {"segment": segment_create(actor=org.csm_a1, name="Team A red", shared=True), "column_table": "book"}
