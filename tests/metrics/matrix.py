"""Permission-matrix entries of /metrics and the system status page (tests/matrix_support.py).

/metrics: with neither HOURGLASS_METRICS_TOKEN nor HOURGLASS_METRICS_ALLOW set (the
matrix's settings) nobody reads it, signed in or not — a session is no credential.
"""

from __future__ import annotations

from typing import Any

from core.models import OutboundEmail, TaskFailure
from tests.matrix_support import e

ENTRIES = {
    "metrics": e("machine_only"),
    "system:status": e("admin_page"),
    "system:email_retry": e("admin_page", "post", pk="failed_email"),
    "system:task_retry": e("admin_page", "post", pk="task_failure"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    email = OutboundEmail.objects.create(
        dedupe_key="matrix:failed", to=["x@example.com"], subject="s", body_text="b", status="failed"
    )
    failure = TaskFailure.objects.create(task_name="core.heartbeat_prune_task", task_id="matrix")
    return {"failed_email": email, "task_failure": failure}
