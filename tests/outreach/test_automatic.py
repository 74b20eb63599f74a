"""Automatic sends: NPS every N months per contact, CSAT after touchpoints of chosen kinds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.timeline import touchpoint_log
from outreach.models import ContactPreference, Survey, SurveyRecipient
from outreach.sending import csat_touchpoint_sweep, nps_auto_sweep
from outreach.services import survey_create

pytestmark = pytest.mark.django_db


def test_nps_every_n_months_per_contact(org, contacts, settings):
    survey = survey_create(actor=org.admin, kind="nps", name="Auto NPS", auto_enabled=True, auto_every_months=3)
    assert nps_auto_sweep() == 4
    assert nps_auto_sweep() == 0  # the same day again: nothing
    settings.HOURGLASS_SURVEY_MIN_DAYS = 0
    later = timezone.now() + timedelta(days=30)
    assert nps_auto_sweep(now=later) == 0  # asked a month ago: not yet due
    assert nps_auto_sweep(now=timezone.now() + timedelta(days=95)) == 4
    assert SurveyRecipient.objects.filter(survey=survey).values("wave").distinct().count() == 2


def test_csat_after_touchpoints_of_the_chosen_kinds(org, contacts):
    survey = survey_create(
        actor=org.admin, kind="csat", name="After calls", auto_enabled=True, auto_touchpoint_kinds=["call"]
    )
    account = contacts[0].account
    call = touchpoint_log(actor=org.csm_a1, account=account, kind="call", title="Call", stakeholders=[contacts[0]])
    touchpoint_log(actor=org.csm_a1, account=account, kind="note", title="Note", stakeholders=[contacts[1]])
    assert csat_touchpoint_sweep() == 1
    recipient = SurveyRecipient.objects.get(survey=survey)
    assert (recipient.stakeholder_id, recipient.touchpoint_id, recipient.wave) == (
        contacts[0].pk,
        call.pk,
        f"tp:{call.pk}",
    )
    assert csat_touchpoint_sweep() == 0  # the high-water mark moved on
    assert ContactPreference.objects.get(email=contacts[0].email).last_surveyed_at is not None


def test_automation_needs_its_rule(org):
    with pytest.raises(ValidationError) as error:
        survey_create(actor=org.admin, kind="csat", name="x", auto_enabled=True)
    assert "auto_touchpoint_kinds" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        survey_create(actor=org.admin, kind="csat", name="x", auto_touchpoint_kinds=["teleport"])
    assert "auto_touchpoint_kinds" in error.value.message_dict
    assert not Survey.objects.exists()
