"""Permission-matrix entries of the audit log (see tests/matrix_support.py): admins and
managers get the pages (each sees their own scope, tested in test_page_scope.py), CSMs 403."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "audit:log": e("manager_page"),
    "audit:export": e("manager_page"),
    "audit:logins": e("manager_page"),
}
