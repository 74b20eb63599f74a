"""Permission-matrix entries of the two-factor pages (see tests/matrix_support.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import e

ENTRIES = {
    # Everyone manages their own second factor; verify sends people without one onward.
    "two_factor:manage": e("page"),
    "two_factor:verify": e("page"),
    # Only an admin resets someone else's (managers and CSMs: 403).
    "two_factor:reset": e("admin_page", "post", user_id="two_factor_person"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    return {"two_factor_person": org.csm_a1}
