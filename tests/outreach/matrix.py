"""Permission-matrix entries of the outreach app (see tests/test_permission_matrix.py).

Surveys are company-wide: every staff role sees the list and a survey's page (whose
figures are scoped to their accounts); managers and admins create and edit them; CSMs,
managers and admins send (to their own scope). The answer and unsubscribe pages are
public: the signed token is the key. The bounce API is for an admin's token.
"""

from __future__ import annotations

from typing import Any

from tests.matrix_support import e

ENTRIES = {
    "outreach:survey_list": e("page"),
    "outreach:survey_create": e("manager_page"),
    "outreach:results": e("page"),
    "outreach:results_export": e("page"),
    "outreach:survey_detail": e("page", pk="survey"),
    "outreach:survey_edit": e("manager_page", pk="survey"),
    "outreach:survey_send": e("page", pk="survey"),
    "outreach:respond": e("public", token="survey_token"),
    "outreach:unsubscribe": e("public", token="survey_token"),
    "api:outreach-bounces": e("api_admin", "post"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    from outreach.emails import recipient_token
    from outreach.models import Survey
    from tests.outreach.conftest import contact, sent_recipient

    survey = Survey.objects.create(kind="nps", name="Matrix NPS")
    person = contact(base["account"], "Matrix contact", "matrix@customer.test")
    recipient = sent_recipient(survey, person)
    return {"survey": survey, "survey_token": recipient_token(recipient.pk)}
