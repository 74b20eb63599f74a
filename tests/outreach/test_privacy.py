"""A contact's survey rows are in their personal-data export and forgotten by erasure."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.privacy import ERASED_EMAIL, stakeholder_erase, stakeholder_personal_data_export
from outreach.models import ContactPreference, SurveyRecipient, SurveyResponse
from outreach.responses import contact_unsubscribe
from tests.outreach.conftest import sent_recipient
from tests.outreach.test_public import url

pytestmark = pytest.mark.django_db


def answered(client, contacts, nps_survey):
    recipient = sent_recipient(nps_survey, contacts[0])
    client.post(url(recipient), {"score": "4", "comment": "Call me on 138-0000-1111, Li Wei here"})
    contact_unsubscribe(email=contacts[0].email)
    return recipient


def test_the_export_lists_recipients_answers_and_standing(client, org, contacts, nps_survey):
    answered(client, contacts, nps_survey)
    data = stakeholder_personal_data_export(stakeholder=contacts[0], actor=org.admin)
    assert [r["email"] for r in data["survey_recipients"]] == [contacts[0].email]
    assert [(r["score"], "Li Wei here" in r["comment"]) for r in data["survey_responses"]] == [(4, True)]
    assert [p["email"] for p in data["contact_preferences"]] == [contacts[0].email]
    assert data["contact_preferences"][0]["unsubscribed_at"] is not None


def test_erasure_forgets_address_comment_and_standing_but_keeps_the_score(client, org, contacts, nps_survey):
    recipient = answered(client, contacts, nps_survey)
    other = sent_recipient(nps_survey, contacts[1])

    stakeholder_erase(actor=org.admin, stakeholder=contacts[0], confirm_name=contacts[0].name)

    recipient.refresh_from_db()
    assert recipient.email == ERASED_EMAIL
    response = SurveyResponse.objects.get(recipient=recipient)
    assert (response.score, response.comment) == (4, "")
    assert not ContactPreference.objects.filter(email=contacts[0].email.lower()).exists()
    other.refresh_from_db()
    assert other.email == contacts[1].email  # a colleague's rows are theirs
    for table in ("outreach_surveyrecipient", "outreach_surveyresponse", "outreach_contactpreference"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dump = repr(cursor.fetchall())
        assert contacts[0].email not in dump and "138-0000-1111" not in dump, table
    assert SurveyRecipient.objects.filter(stakeholder=contacts[0]).count() == 1  # the claim stays
