"""Permission-matrix entries of the playbooks app's newer URLs (see tests/matrix_support.py)."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "playbooks:task_create": e("page"),
}
