"""Permission-matrix entries of the health pages added for NPS and "recalculate now"."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from health.models import RecalculationRun
from tests.matrix_support import e

ENTRIES = {
    "health:account_recalculate": e("scoped", "post", account_pk="account"),
    "health:recalculate_all": e("admin_page"),
    "health:recalculation": e("scoped", pk="recalculation"),
    "health:nps": e("page"),
    "health:nps_import": e("page", "post"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    run = RecalculationRun.objects.create(account=base["account"], day=timezone.localdate(), total=1)
    return {"recalculation": run}
