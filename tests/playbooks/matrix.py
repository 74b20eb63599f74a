"""Permission-matrix entries of the playbooks app's newer URLs (see tests/matrix_support.py)."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "playbooks:task_create": e("page"),
    # The tasks page's bulk bar: every signed-in role; which tasks each may change is
    # the service's (tests/playbooks/test_bulk.py proves the refusals).
    "playbooks:task_bulk": e("page", "post"),
    "playbooks:task_bulk_undo": e("page", "post"),
}
