"""Permission-matrix entries of the playbooks app's newer URLs (see tests/matrix_support.py)."""

from __future__ import annotations

from tests.matrix_support import e

ENTRIES = {
    "playbooks:task_create": e("page"),
    # The tasks page's bulk bar: every signed-in role; which tasks each may change is
    # the service's (tests/playbooks/test_bulk.py proves the refusals).
    "playbooks:task_bulk": e("page", "post"),
    "playbooks:task_bulk_undo": e("page", "post"),
    # The builder: everyone signed in reads (and previews over their own accounts);
    # managers and admins write.
    "rules:list": e("page"),
    "rules:detail": e("page", pk="playbook"),
    "rules:preview": e("page", pk="playbook"),
    "rules:dry_run": e("page", pk="playbook"),
    "rules:create": e("manager_page"),
    "rules:edit": e("manager_page", pk="playbook"),
    "rules:copy": e("manager_page", "post", pk="playbook"),
    "rules:active": e("manager_page", "post", pk="playbook"),
    "api:playbook-preview": e("api", pk="playbook"),
    "api:playbook-dry-run": e("api", pk="playbook"),
}
