"""Customer-facing reminders to the level-1 contact: off by default, once per threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import KeyPersonLevel, Stakeholder, TimelineEntry
from core.models import OutboundEmail
from core.outbox import email_bodies
from renewals.models import ReminderAudience, RenewalOpportunity, RenewalReminder, RenewalStatus
from renewals.reminders import reminder_sweep
from renewals.services import contract_update, renewal_close
from tests.renewals.conftest import TODAY, make_renewal


def opted_in(owner, *, days_left=30, language=""):
    renewal = make_renewal(owner, days_left=days_left)
    contract_update(actor=None, contract=renewal.contract, customer_reminders=True, customer_language=language)
    return RenewalOpportunity.objects.get(pk=renewal.pk)


def decision_maker(renewal, email="cfo@customer.example", name="Zhang Wei"):
    return Stakeholder.objects.create(
        account=renewal.account, name=name, email=email, key_level=KeyPersonLevel.DECISION_MAKER
    )


def customer_emails():
    return OutboundEmail.objects.filter(dedupe_key__startswith="renewal-customer-reminder:")


def customer_claims(renewal):
    return RenewalReminder.objects.filter(renewal=renewal, audience=ReminderAudience.CUSTOMER)


@pytest.mark.django_db
def test_off_by_default(org, settings):
    assert settings.HOURGLASS_RENEWAL_CUSTOMER_REMINDERS is False
    renewal = opted_in(org.csm_a1)
    decision_maker(renewal)
    result = reminder_sweep(today=TODAY)
    assert (result.claimed, result.customer_due, result.customer_claimed) == (1, 0, 0)
    assert not customer_emails().exists() and not customer_claims(renewal).exists()


@pytest.mark.django_db
def test_sent_once_to_the_level_one_contact_of_opted_in_contracts(org, settings):
    settings.HOURGLASS_RENEWAL_CUSTOMER_REMINDERS = True
    renewal = opted_in(org.csm_a1)
    decision_maker(renewal, email="", name="No address")  # skipped for the one with an address
    contact = decision_maker(renewal)
    Stakeholder.objects.create(
        account=renewal.account, name="Day to day", email="ops@customer.example", key_level=KeyPersonLevel.DAY_TO_DAY
    )
    not_opted = make_renewal(org.csm_a1, days_left=30)
    decision_maker(not_opted, email="other@customer.example")

    result = reminder_sweep(today=TODAY)
    assert (result.claimed, result.customer_claimed) == (2, 1)  # both CSMs, one customer
    (message,) = customer_emails()
    assert message.to == [contact.email] and message.cc == [org.csm_a1.email]
    assert renewal.account.name in message.subject and renewal.due_date.isoformat() in message.subject
    text, html = email_bodies(message)  # rendered when delivered
    assert "Dear Zhang Wei" in text and "in 30 days" in text
    assert "Zhang Wei" in html and "http" not in text  # no internal link
    claim = customer_claims(renewal).get()
    assert (claim.threshold_days, claim.recipient_email, claim.email, claim.skipped_reason) == (
        30,
        contact.email,
        message,
        "",
    )
    assert TimelineEntry.objects.filter(account=renewal.account, kind="renewal_customer_reminder_sent").count() == 1

    # Run again, and the next day: nothing more; at 7 days left, the 7-day one.
    assert reminder_sweep(today=TODAY).customer_claimed == 0
    assert reminder_sweep(today=TODAY + timedelta(days=1)).customer_claimed == 0
    assert customer_emails().count() == 1
    assert reminder_sweep(today=TODAY + timedelta(days=23)).customer_claimed == 1
    assert sorted(customer_claims(renewal).values_list("threshold_days", flat=True)) == [7, 30]


@pytest.mark.django_db
def test_in_the_customer_language(org, settings):
    settings.HOURGLASS_RENEWAL_CUSTOMER_REMINDERS = True
    chinese = opted_in(org.csm_a1, language="zh-hans")
    decision_maker(chinese, email="cn@customer.example")
    default = opted_in(org.csm_a1)
    decision_maker(default, email="en@customer.example")
    settings.HOURGLASS_RENEWAL_CUSTOMER_LANGUAGE = "zh-hans"
    english = opted_in(org.csm_a1, language="en")
    decision_maker(english, email="en2@customer.example")
    reminder_sweep(today=TODAY)
    by_address = {message.to[0]: email_bodies(message)[0] for message in customer_emails()}
    # "Products" is translated already; the new sentences follow once the catalogue is merged.
    assert "产品: CRM" in by_address["cn@customer.example"]
    assert "产品: CRM" in by_address["en@customer.example"]  # the deployment default
    assert "Products: CRM" in by_address["en2@customer.example"]


@pytest.mark.django_db
def test_no_level_one_contact_sends_nothing_and_records_why(org, settings, client):
    settings.HOURGLASS_RENEWAL_CUSTOMER_REMINDERS = True
    nobody = opted_in(org.csm_a1)
    Stakeholder.objects.create(
        account=nobody.account, name="Left", email="gone@customer.example",
        key_level=KeyPersonLevel.DECISION_MAKER, is_active=False,
    )  # fmt: skip
    no_address = opted_in(org.csm_a1)
    decision_maker(no_address, email="")
    result = reminder_sweep(today=TODAY)
    assert result.customer_claimed == 2 and not customer_emails().exists()
    assert customer_claims(nobody).get().skipped_reason.startswith("No level-1 contact")
    assert customer_claims(no_address).get().skipped_reason == "The level-1 contact has no email address."
    assert all(claim.queued_at is None and claim.email is None for claim in RenewalReminder.objects.filter(
        audience=ReminderAudience.CUSTOMER))  # fmt: skip
    # Recorded once: a rerun neither sends nor re-records; the CSM reminders went out.
    assert reminder_sweep(today=TODAY).customer_claimed == 0
    assert OutboundEmail.objects.count() == 2
    client.force_login(org.csm_a1)
    page = client.get(f"/renewals/{nobody.pk}/").content.decode()
    assert 'data-testid="reminder-skipped"' in page and "No level-1 contact" in page


@pytest.mark.django_db
def test_closed_renewals_get_none_and_the_next_period_keeps_the_choice(org, settings):
    settings.HOURGLASS_RENEWAL_CUSTOMER_REMINDERS = True
    renewal = opted_in(org.csm_a1, language="zh-hans")
    decision_maker(renewal)
    renewal_close(renewal=renewal, outcome=RenewalStatus.RENEWED, outcome_arr=renewal.contract.arr, actor=None)
    assert reminder_sweep(today=TODAY).customer_claimed == 0
    renewal.contract.refresh_from_db()
    following = renewal.contract.next_period
    assert (following.customer_reminders, following.customer_language) == (True, "zh-hans")
    assert following.start_date == renewal.contract.end_date + timedelta(days=1)
    assert following.renewal.status == RenewalStatus.OPEN
