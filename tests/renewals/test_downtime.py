"""A reminder missed while the system was down goes out on the next run: late, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import OutboundEmail
from core.outbox import email_bodies
from renewals.models import RenewalReminder
from renewals.reminders import reminder_sweep
from tests.renewals.conftest import TODAY, make_renewal


@pytest.mark.django_db
def test_missed_threshold_is_sent_late_once_after_downtime(org):
    renewal = make_renewal(org.csm_a1, days_left=65)
    assert reminder_sweep(today=TODAY).claimed == 1  # the 90-day one, on time
    # Down for ten days: the 60-day threshold (5 days from now) passes without a run.
    back = TODAY + timedelta(days=10)
    assert reminder_sweep(today=back).claimed == 1
    late = RenewalReminder.objects.get(renewal=renewal, threshold_days=60)
    assert late.days_left == 55 and late.queued_at is not None
    assert "55" in late.email.subject and "60-day reminder, sent late" in email_bodies(late.email)[0]
    # Nothing more the next days, and never a second 60-day email.
    for offset in range(1, 5):
        assert reminder_sweep(today=back + timedelta(days=offset)).claimed == 0
    assert OutboundEmail.objects.filter(dedupe_key__endswith=f":{renewal.pk}:60").count() == 1
    assert OutboundEmail.objects.count() == 2
