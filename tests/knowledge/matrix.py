"""Permission-matrix entries of the knowledge app (see tests/test_permission_matrix.py).

Targets: ``kn_case`` is a case csm_a1 submitted (visible to the author, their team
lead and admins); ``kn_approved_case`` is in the shared library; ``kn_request`` is a
feedback request linked to csm_a1's account (managers and admins see every request,
a CSM only those linked to their own accounts); ``kn_campaign`` a draft campaign.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.matrix_support import DENIED, HIDDEN, LOGIN, OK, PROFILES, e

# Feedback requests: the board is for managers/admins (all teams), CSMs read their own.
PROFILES.setdefault(
    "feedback_request",
    {
        "anonymous": LOGIN,
        "csm_a1": OK,
        "csm_a2": HIDDEN,
        "csm_b1": HIDDEN,
        "manager_a": OK,
        "manager_b": OK,
        "admin": OK,
    },
)
PROFILES.setdefault(
    "api_feedback_request",
    {
        "anonymous": DENIED,
        "csm_a1": OK,
        "csm_a2": HIDDEN,
        "csm_b1": HIDDEN,
        "manager_a": OK,
        "manager_b": OK,
        "admin": OK,
    },
)

ENTRIES = {
    "knowledge:case_list": e("page"),
    "knowledge:case_create": e("page"),
    "knowledge:review_queue": e("reviewer_page"),
    "knowledge:case_detail": e("scoped", pk="kn_case"),
    "knowledge:case_edit": e("own_record", pk="kn_case"),
    "knowledge:case_submit": e("own_record", "post", pk="kn_case"),
    "knowledge:case_review": e("reviewer_scoped", "post", pk="kn_case"),
    "knowledge:account_cases": e("scoped", pk="account"),
    "knowledge:account_size": e("scoped", "post", pk="account"),
    "knowledge:case_share": e("scoped", "post", pk="account", case_pk="kn_approved_case"),
    "knowledge:feedback_raise": e("scoped", pk="account"),
    "knowledge:feedback_board": e("page"),
    "knowledge:feedback_similar": e("page"),
    "knowledge:feedback_detail": e("feedback_request", pk="kn_request"),
    "knowledge:feedback_status": e("manager_page", "post", pk="kn_request"),
    "knowledge:feedback_merge": e("manager_page", "post", pk="kn_request"),
    "knowledge:campaign_list": e("page"),
    "knowledge:campaign_create": e("manager_page"),
    "knowledge:campaign_detail": e("page", pk="kn_campaign"),
    "knowledge:campaign_launch": e("manager_page", "post", pk="kn_campaign"),
    "knowledge:campaign_close": e("manager_page", "post", pk="kn_campaign"),
    "api:knowledge-case-list": e("api"),
    "api:knowledge-case-detail": e("api_scoped", pk="kn_case"),
    "api:knowledge-account-cases": e("api_scoped", pk="account"),
    "api:knowledge-feedback-list": e("api"),
    "api:knowledge-feedback-detail": e("api_feedback_request", pk="kn_request"),
    "api:knowledge-feedback-set-status": e("api_manager", "post", pk="kn_request"),
    "api:knowledge-campaign-list": e("api"),
    "api:knowledge-campaign-detail": e("api", pk="kn_campaign"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    from knowledge.services import campaign_create, case_create, case_review, case_submit, feedback_raise

    fields = {
        "industry": "retail",
        "size_band": "51_200",
        "arr_band": "smb",
        "problem": "p",
        "approach": "a",
        "result": "r",
    }
    case = case_create(actor=org.csm_a1, title="Submitted case", **fields)
    case_submit(case=case, actor=org.csm_a1)
    approved = case_create(actor=org.csm_a2, title="Approved case", **fields)
    case_submit(case=approved, actor=org.csm_a2)
    case_review(case=approved, actor=org.manager_a, approve=True)
    link = feedback_raise(
        actor=org.csm_a1, account=base["account"], title="Bulk edit", problem="slow", business_scenario="month end",
        urgency=3, roi_estimate=Decimal("1000"),
    )  # fmt: skip
    campaign = campaign_create(actor=org.admin, name="Rollout", feature="Bulk edit", event_names=["bulk.edit"])
    return {"kn_case": case, "kn_approved_case": approved, "kn_request": link.request, "kn_campaign": campaign}
