"""The reminder sweep writes each batch set-based: its query count does not grow with the batch."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import KeyPersonLevel, Stakeholder, TimelineEntry
from core.models import Notification, OutboundEmail
from org.models import CsProfile
from renewals.models import ReminderAudience, RenewalOpportunity, RenewalReminder
from renewals.reminders import reminder_sweep
from renewals.services import contract_update
from tests.renewals.conftest import TODAY, make_renewal


def due_renewals(org, count: int, *, customer: bool = False) -> list[RenewalOpportunity]:
    """``count`` renewals due a reminder today: several owners and languages, some at risk."""
    owners = [org.csm_a1, org.csm_a2, org.csm_b1]
    renewals = []
    for i in range(count):
        renewal = make_renewal(owners[i % 3], days_left=(90, 60, 30, 7, -3)[i % 5], at_risk=i % 4 == 0)
        if customer:
            contract_update(
                actor=None,
                contract=renewal.contract,
                customer_reminders=True,
                customer_language="zh-hans" if i % 2 else "",
            )
            if i % 3:  # the others have no level-1 contact: skipped, with the reason kept
                Stakeholder.objects.create(
                    account=renewal.account,
                    name=f"Contact {i}",
                    email=f"contact{i}@customer.example" if i % 5 else "",
                    key_level=KeyPersonLevel.DECISION_MAKER,
                )
        renewals.append(renewal)
    return renewals


def sweep_queries(count: int) -> tuple[int, int]:
    """Run the sweep; return (reminders claimed, SQL queries it ran)."""
    with CaptureQueriesContext(connection) as queries:
        result = reminder_sweep(today=TODAY)
    return result.claimed + result.customer_claimed, len(queries)


@pytest.mark.django_db
def test_sweep_query_count_is_the_same_for_5_and_50_reminders(org):
    CsProfile.objects.filter(user=org.csm_a2).update(language="zh-hans")
    due_renewals(org, 5)
    claimed_5, queries_5 = sweep_queries(5)
    due_renewals(org, 50)
    claimed_50, queries_50 = sweep_queries(50)
    assert (claimed_5, claimed_50) == (5, 50)
    assert queries_5 == queries_50
    assert queries_50 <= 12  # due query, claims in and out, emails in and out, notifications, timeline, claims update
    assert RenewalReminder.objects.filter(queued_at=None).count() == 0
    assert OutboundEmail.objects.count() == Notification.objects.count() == 55
    assert TimelineEntry.objects.filter(kind="renewal_reminder_sent").count() == 55
    assert reminder_sweep(today=TODAY).claimed == 0


@pytest.mark.django_db
def test_customer_sweep_query_count_is_the_same_for_5_and_50_reminders(org, settings):
    settings.HOURGLASS_RENEWAL_CUSTOMER_REMINDERS = True
    due_renewals(org, 5, customer=True)
    claimed_5, queries_5 = sweep_queries(5)
    due_renewals(org, 50, customer=True)
    claimed_50, queries_50 = sweep_queries(50)
    assert (claimed_5, claimed_50) == (10, 100)  # a CSM and a customer claim each
    assert queries_5 == queries_50
    customer = RenewalReminder.objects.filter(audience=ReminderAudience.CUSTOMER)
    sent = customer.exclude(queued_at=None)
    skipped = customer.exclude(skipped_reason="")
    assert sent.count() + skipped.count() == 55 and sent.filter(recipient_email="").count() == 0
    assert OutboundEmail.objects.filter(dedupe_key__startswith="renewal-customer-reminder:").count() == sent.count()
    assert {email.pk for email in OutboundEmail.objects.all()} == set(
        RenewalReminder.objects.exclude(email=None).values_list("email", flat=True)
    )
