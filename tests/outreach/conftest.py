from __future__ import annotations

from typing import Any

import pytest

from accounts.models import KeyPersonLevel, Stakeholder
from outreach.models import Survey, SurveyKind, SurveyRecipient
from outreach.sending import recipients_dispatch


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings: Any) -> None:
    """Tests send at any hour unless they test quiet hours themselves."""
    settings.HOURGLASS_SURVEY_QUIET_START = 0
    settings.HOURGLASS_SURVEY_QUIET_END = 0


def contact(account: Any, name: str, email: str, **fields: Any) -> Stakeholder:
    fields.setdefault("key_level", KeyPersonLevel.DAY_TO_DAY)
    return Stakeholder.objects.create(account=account, name=name, email=email, **fields)


@pytest.fixture
def contacts(org: Any) -> list[Stakeholder]:
    """Three contacts of csm_a1's accounts, one of csm_b1's."""
    first, second = org.accounts["csm_a1"]
    return [
        contact(first, "Li Wei", "li.wei@customer.test"),
        contact(first, "Zhang Min", "zhang.min@customer.test"),
        contact(second, "Anna Berg", "anna@customer.test"),
        contact(org.accounts["csm_b1"][0], "Other Team", "other@customer.test"),
    ]


@pytest.fixture
def nps_survey(org: Any) -> Survey:
    return Survey.objects.create(kind=SurveyKind.NPS, name="Quarterly NPS", created_by=org.admin)


def sent_recipient(survey: Survey, stakeholder: Stakeholder, **fields: Any) -> SurveyRecipient:
    """A recipient whose email went out (decided and dispatched through the real services)."""
    from outreach.sending import Candidate, recipients_decide

    candidates: list[Candidate] = [(stakeholder.pk, stakeholder.account_id, stakeholder.email, "test", None)]
    emails = Stakeholder.objects.filter(pk=stakeholder.pk).values("email")
    recipients_decide(survey=survey, candidates=candidates, emails=emails)
    recipients_dispatch()
    recipient = SurveyRecipient.objects.get(survey=survey, stakeholder=stakeholder, wave="test")
    if fields:
        SurveyRecipient.objects.filter(pk=recipient.pk).update(**fields)
        recipient.refresh_from_db()
    return recipient
