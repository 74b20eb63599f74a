"""The nightly sweep spreads its batches over the workers: one task per batch, each
claiming and queuing in its own transaction."""

from __future__ import annotations

import pytest

from accounts.models import TimelineEntry
from core.models import Notification, OutboundEmail
from renewals.models import ReminderAudience, RenewalReminder, RenewalStatus
from renewals.reminders import reminder_sweep_dispatch
from renewals.services import renewal_set_stage
from renewals.tasks import reminder_batch_task
from tests.renewals.conftest import TODAY, fail_queuing_the_nth_reminder, make_renewal

pytestmark = pytest.mark.django_db


def written() -> tuple[int, int, int, int]:
    return (
        RenewalReminder.objects.count(),
        OutboundEmail.objects.count(),
        Notification.objects.count(),
        TimelineEntry.objects.filter(kind="renewal_reminder_sent").count(),
    )


def test_one_task_per_batch_each_reminder_queued_once(org, celery_eager):
    renewals = [make_renewal(org.csm_a1 if i % 2 else org.csm_b1, days_left=(30, 7, 60)[i % 3]) for i in range(5)]
    result = reminder_sweep_dispatch(today=TODAY, batch_size=2)
    assert (result.due, result.customer_due, result.tasks) == (5, 0, 3)
    assert written() == (5, 5, 5, 5)
    assert set(RenewalReminder.objects.values_list("renewal_id", flat=True)) == {r.pk for r in renewals}
    again = reminder_sweep_dispatch(today=TODAY, batch_size=2)
    assert (again.due, again.tasks) == (0, 0)
    assert written() == (5, 5, 5, 5)


def test_a_batch_delivered_twice_queues_nothing_the_second_time(org):
    renewals = [make_renewal(org.csm_a1, days_left=30) for _ in range(3)]
    arguments = {"renewal_ids": [r.pk for r in renewals], "today": TODAY.isoformat(), "audience": ReminderAudience.CSM}
    assert reminder_batch_task(**arguments) == 3
    assert reminder_batch_task(**arguments) == 0  # the broker redelivered it: every claim exists
    assert written() == (3, 3, 3, 3)
    assert len(set(OutboundEmail.objects.values_list("dedupe_key", flat=True))) == 3


def test_a_failed_batch_leaves_its_reminders_owed_and_the_others_go_out(org, celery_eager, monkeypatch):
    renewals = [make_renewal(org.csm_a2, days_left=7) for _ in range(6)]
    restore = fail_queuing_the_nth_reminder(monkeypatch, 3, "SMTP settings unreadable")  # in the second batch
    assert reminder_sweep_dispatch(today=TODAY, batch_size=2).tasks == 3
    # Batches 1 and 3 committed; batch 2 rolled back whole, claims included.
    assert written() == (4, 4, 4, 4)
    restore()
    retry = reminder_sweep_dispatch(today=TODAY, batch_size=2)
    assert (retry.due, retry.tasks) == (2, 1)
    assert written() == (6, 6, 6, 6)
    assert set(RenewalReminder.objects.values_list("renewal_id", flat=True)) == {r.pk for r in renewals}


def test_a_batch_run_late_skips_what_changed_since_it_was_sent(org):
    """The task asks what is owed when it runs: a renewal closed (or committed) since
    the dispatch is not reminded, and one not yet due is not reminded early."""
    closed = make_renewal(org.csm_a1, days_left=30)
    renewal_set_stage(renewal=closed, status=RenewalStatus.COMMITTED, actor=None)
    early = make_renewal(org.csm_a1, days_left=95)
    owed = make_renewal(org.csm_a1, days_left=30)
    ids = [closed.pk, early.pk, owed.pk]
    assert reminder_batch_task(renewal_ids=ids, today=TODAY.isoformat(), audience=ReminderAudience.CSM) == 1
    assert list(RenewalReminder.objects.values_list("renewal_id", flat=True)) == [owed.pk]
