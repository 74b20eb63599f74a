"""Sending surveys: exactly once, the frequency cap, unsubscribes, bounces, quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import OutboundEmail
from core.outbox import email_deliver_many
from outreach.models import ContactPreference, RecipientStatus, SurveyRecipient, SurveyStatus
from outreach.responses import contact_unsubscribe, contacts_mark_bounced
from outreach.sending import next_allowed, recipients_dispatch, recipients_dispatch_batch
from outreach.services import survey_send

pytestmark = pytest.mark.django_db


def deliver_all() -> int:
    return email_deliver_many(list(OutboundEmail.objects.order_by("pk").values_list("pk", flat=True)))


def test_csm_send_reaches_own_contacts_once_over_real_smtp(org, contacts, nps_survey, smtp_server):
    result = survey_send(survey=nps_survey, actor=org.csm_a1)
    assert result.chosen == 3  # the other team's contact is outside csm_a1's scope
    assert recipients_dispatch() == 3
    assert recipients_dispatch() == 0  # a duplicate sweep queues nothing
    again = survey_send(survey=nps_survey, actor=org.csm_a1)  # the same send again
    assert again.chosen == 0 and again.capped == 3
    assert recipients_dispatch() == 0
    assert deliver_all() == 3
    assert deliver_all() == 0
    messages = smtp_server.wait_for(3)
    assert sorted(message["To"] for message in messages) == sorted(c.email for c in contacts[:3])
    assert len(smtp_server.messages) == 3
    message = messages[0]
    assert message["List-Unsubscribe"].strip().startswith("<http") and "/outreach/u/" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "/outreach/r/" in text and "?score=10" in text and "?score=0" in text
    assert "None" not in text and "None" not in html
    keys = set(OutboundEmail.objects.values_list("dedupe_key", flat=True))
    recipients = SurveyRecipient.objects.filter(survey=nps_survey)
    assert keys == {f"survey:{nps_survey.pk}:{r.pk}" for r in recipients}
    assert all(r.status == RecipientStatus.QUEUED and r.expires_at and r.email_message_id for r in recipients)
    nps_survey.refresh_from_db()
    assert nps_survey.status == SurveyStatus.SENT


def test_frequency_cap_spans_surveys(org, contacts, nps_survey, settings):
    from outreach.models import Survey

    other = Survey.objects.create(kind="csat", name="Support CSAT")
    assert survey_send(survey=nps_survey, actor=org.admin).chosen == 4
    assert survey_send(survey=other, actor=org.admin).capped == 4
    ContactPreference.objects.update(last_surveyed_at=timezone.now() - timedelta(days=91))
    assert survey_send(survey=other, actor=org.admin).chosen == 4
    settings.HOURGLASS_SURVEY_MIN_DAYS = 0


def test_unsubscribed_and_bounced_get_nothing(org, contacts, nps_survey):
    contact_unsubscribe(email="LI.WEI@customer.test")
    assert contacts_mark_bounced(emails=["zhang.min@customer.test"], reason="550") == 1
    assert contacts_mark_bounced(emails=["zhang.min@customer.test"]) == 0  # idempotent
    result = survey_send(survey=nps_survey, actor=org.csm_a1)
    assert (result.chosen, result.unsubscribed, result.bounced) == (1, 1, 1)


def test_unsubscribe_after_decision_skips_at_dispatch(org, contacts, nps_survey):
    survey_send(survey=nps_survey, actor=org.csm_a1)
    contact_unsubscribe(email=contacts[0].email)
    assert recipients_dispatch() == 2
    skipped = SurveyRecipient.objects.get(stakeholder=contacts[0])
    assert skipped.status == RecipientStatus.SKIPPED
    assert contacts[0].email not in {address for row in OutboundEmail.objects.all() for address in row.to}


def test_quiet_hours_defer_not_drop(org, contacts, nps_survey, settings):
    settings.HOURGLASS_SURVEY_QUIET_START, settings.HOURGLASS_SURVEY_QUIET_END = 21, 8
    ContactPreference.objects.create(email=contacts[0].email, time_zone="America/New_York")
    # 02:00 UTC = 10:00 in Shanghai (TIME_ZONE), 22:00 the day before in New York.
    night = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    survey_send(survey=nps_survey, actor=org.csm_a1)
    SurveyRecipient.objects.update(send_after=night)
    batch = recipients_dispatch_batch(now=night)
    assert (batch.queued, batch.deferred) == (2, 1)
    waiting = SurveyRecipient.objects.get(stakeholder=contacts[0])
    assert waiting.status == RecipientStatus.PENDING
    assert waiting.send_after == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 08:00 in New York (EDT)
    assert recipients_dispatch_batch(now=night + timedelta(hours=5)).due == 0
    assert recipients_dispatch_batch(now=datetime(2026, 3, 10, 12, 0, tzinfo=UTC)).queued == 1


def test_next_allowed_outside_quiet_hours_is_now(settings):
    settings.HOURGLASS_SURVEY_QUIET_START, settings.HOURGLASS_SURVEY_QUIET_END = 21, 8
    noon_shanghai = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    assert next_allowed(noon_shanghai, "") == noon_shanghai
    assert next_allowed(noon_shanghai, "No/Such_Zone") == noon_shanghai  # unknown zone: the company's


def test_send_permissions_and_bad_audience(org, contacts, nps_survey):
    from org.models import Role
    from tests.factories import make_person

    sales = make_person(Role.SALES, username="sales1")
    with pytest.raises(PermissionDenied):
        survey_send(survey=nps_survey, actor=sales)
    with pytest.raises(ValidationError) as error:
        survey_send(survey=nps_survey, actor=org.admin, audience={"tiers": ["Z"]})
    assert "tiers" in error.value.message_dict
    result = survey_send(survey=nps_survey, actor=org.manager_a)  # team A's accounts only
    assert result.chosen == 3


def test_audience_filters(org, contacts, nps_survey):
    from accounts.models import KeyPersonLevel, Stakeholder

    Stakeholder.objects.filter(pk=contacts[0].pk).update(tier="S", key_level=KeyPersonLevel.DECISION_MAKER)
    result = survey_send(survey=nps_survey, actor=org.admin, audience={"tiers": ["S"]})
    assert result.chosen == 1
    assert SurveyRecipient.objects.get().stakeholder_id == contacts[0].pk


def test_killed_batch_rolls_back_and_is_sent_later(org, contacts, nps_survey, monkeypatch: Any):
    """A failure inside the batch (the worker dying mid-run) leaves nothing claimed."""
    import outreach.survey_sql as survey_sql

    survey_send(survey=nps_survey, actor=org.csm_a1)

    def die(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(survey_sql, "outbox_insert_select", die)
    with pytest.raises(SystemExit):
        recipients_dispatch_batch()
    assert SurveyRecipient.objects.filter(status=RecipientStatus.PENDING).count() == 3
    assert OutboundEmail.objects.count() == 0
    monkeypatch.undo()
    assert recipients_dispatch() == 3
    assert OutboundEmail.objects.count() == 3
