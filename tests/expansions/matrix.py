"""Permission-matrix entries of the expansion pipeline (see tests/matrix_support.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from renewals.expansions import expansion_create
from tests.matrix_support import e

ENTRIES = {
    "renewals:expansions": e("page"),
    "renewals:expansions_export": e("page"),
    "renewals:expansion_new": e("page"),
    "renewals:expansion_detail": e("scoped", pk="expansion"),
    "renewals:expansion_stage": e("scoped", "post", pk="expansion"),
    "renewals:expansion_win": e("scoped", "post", pk="expansion"),
    "renewals:expansion_lose": e("scoped", "post", pk="expansion"),
    "api:expansion-list": e("api"),
    "api:expansion-summary": e("api"),
    "api:expansion-detail": e("api_scoped", pk="expansion"),
    "api:expansion-win": e("api_scoped", "post", pk="expansion"),
    "api:expansion-lose": e("api_scoped", "post", pk="expansion"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    expansion = expansion_create(
        account=base["account"], title="Matrix seats", kind="upsell", amount=Decimal("1000"), actor=org.csm_a1
    )
    return {"expansion": expansion}
