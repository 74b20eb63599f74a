"""Who is due, in their own time zone, and exactly once per person, kind and local date."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import OutboundEmail
from integrations.digests.models import DigestClaim, DigestKind, Weekday
from integrations.digests.sending import (
    DueDigest,
    digest_claims_prune,
    digest_sweep,
    digests_claim_and_queue,
    digests_due,
)
from org.models import CsProfile
from tests.digests.conftest import NOW, TODAY, alert, prefer, task

pytestmark = pytest.mark.django_db


def due_pairs(now=NOW):
    return {(d.user_id, d.kind) for d in digests_due(now=now)}


def test_people_without_a_preference_get_the_daily_digest_after_the_default_time(org):
    people = set(get_user_model().objects.filter(cs_profile__isnull=False).values_list("pk", flat=True))
    assert due_pairs() == {(pk, DigestKind.DAILY) for pk in people}
    assert due_pairs(NOW.replace(hour=7, minute=59)) == set()


def test_the_default_can_be_off(org, settings):
    settings.HOURGLASS_DIGEST_DAILY_DEFAULT = False
    prefer(org.csm_a1)
    assert due_pairs() == {(org.csm_a1.pk, DigestKind.DAILY)}


def test_each_person_in_their_own_time_zone(org, settings):
    settings.HOURGLASS_DIGEST_DAILY_DEFAULT = False
    # NOW is 09:00 in Shanghai = 10:00 in Tokyo = 20:00 the day before in New York.
    prefer(org.csm_a1, time_zone="Asia/Tokyo", send_at=time(10, 0))
    prefer(org.csm_a2, time_zone="Asia/Tokyo", send_at=time(10, 15))
    prefer(org.csm_b1, time_zone="America/New_York", send_at=time(19, 45))
    due = {d.user_id: d.local_date for d in digests_due(now=NOW)}
    assert due == {org.csm_a1.pk: TODAY, org.csm_b1.pk: TODAY - timedelta(days=1)}


def test_weekly_only_on_the_chosen_day_and_daily_can_be_off(org, settings):
    settings.HOURGLASS_DIGEST_DAILY_DEFAULT = False
    assert NOW.weekday() == Weekday.WEDNESDAY
    prefer(org.csm_a1, daily=False, weekly=True, weekly_day=Weekday.WEDNESDAY)
    prefer(org.csm_a2, daily=False, weekly=True, weekly_day=Weekday.MONDAY)
    prefer(org.csm_b1, daily=False, weekly=False)
    assert due_pairs() == {(org.csm_a1.pk, DigestKind.WEEKLY)}


def test_no_email_address_no_profile_or_deactivated_means_no_digest(org, settings):
    settings.HOURGLASS_DIGEST_DAILY_DEFAULT = False
    for user in (org.csm_a1, org.csm_a2, org.csm_b1):
        prefer(user)
    get_user_model().objects.filter(pk=org.csm_a1.pk).update(email="")
    get_user_model().objects.filter(pk=org.csm_a2.pk).update(is_active=False)
    CsProfile.objects.filter(user=org.csm_b1).delete()
    assert due_pairs() == set()


def test_a_sweep_run_twice_queues_one_email_and_skips_empty_digests(org, settings):
    settings.HOURGLASS_DIGEST_DAILY_DEFAULT = False
    for user in (org.csm_a1, org.csm_a2):
        prefer(user)
    task(org.csm_a1, org.accounts["csm_a1"][0], days=-1, title="Send the QBR deck")
    first = digest_sweep(now=NOW)
    assert first == {"queued": 1, "empty": 1, "skipped": 0}
    again = digest_sweep(now=NOW + timedelta(minutes=15))
    assert again == {"queued": 0, "empty": 0, "skipped": 0}  # nobody is due any more
    (email,) = OutboundEmail.objects.all()
    assert email.to == [org.csm_a1.email]
    assert email.dedupe_key == f"digest:daily:{org.csm_a1.pk}:{TODAY.isoformat()}"
    assert "Send the QBR deck" in email.body_text and "Send the QBR deck" in email.body_html
    outcomes = dict(DigestClaim.objects.values_list("user_id", "outcome"))
    assert outcomes == {org.csm_a1.pk: "queued", org.csm_a2.pk: "empty"}
    # The next day is a new digest.
    assert digest_sweep(now=NOW + timedelta(days=1))["queued"] == 1


def test_a_batch_delivered_twice_claims_nothing_twice(org):
    task(org.csm_a1, org.accounts["csm_a1"][0])
    batch = [DueDigest(org.csm_a1.pk, DigestKind.DAILY, TODAY)]
    assert digests_claim_and_queue(due=batch, now=NOW)["queued"] == 1
    assert digests_claim_and_queue(due=batch, now=NOW) == {"queued": 0, "empty": 0, "skipped": 1}
    assert OutboundEmail.objects.count() == 1 and DigestClaim.objects.count() == 1


def test_the_digest_is_in_the_readers_language(org):
    CsProfile.objects.filter(user=org.csm_a1).update(language="zh-hans")
    task(org.csm_a1, org.accounts["csm_a1"][0], days=-2, title="回访客户")
    digests_claim_and_queue(due=[DueDigest(org.csm_a1.pk, DigestKind.DAILY, TODAY)], now=NOW)
    email = OutboundEmail.objects.get()
    assert email.subject == f"{TODAY.isoformat()} 每日摘要"
    assert "逾期" in email.body_text and "回访客户" in email.body_text


def test_a_batch_that_fails_leaves_its_digests_owed(org, monkeypatch):
    alert(org.accounts["csm_a1"][0])

    def broken(drafts):
        raise RuntimeError("outbox down")

    monkeypatch.setattr("integrations.digests.sending.emails_enqueue", broken)
    with pytest.raises(RuntimeError):
        digests_claim_and_queue(due=[DueDigest(org.csm_a1.pk, DigestKind.DAILY, TODAY)], now=NOW)
    assert DigestClaim.objects.count() == 0
    assert (org.csm_a1.pk, DigestKind.DAILY) in due_pairs()


def test_due_selection_is_one_query_per_time_zone_and_kind(org, settings):
    prefer(org.csm_a1, time_zone="Asia/Tokyo")
    prefer(org.csm_a2, time_zone="Europe/Berlin")
    with CaptureQueriesContext(connection) as queries:
        digests_due(now=NOW)
    zones = 3  # Shanghai (the site's), Tokyo, Berlin
    assert len(queries) == 1 + zones * len(DigestKind.values)


def test_old_claims_can_be_pruned_without_resending(org):
    task(org.csm_a1, org.accounts["csm_a1"][0])
    digests_claim_and_queue(due=[DueDigest(org.csm_a1.pk, DigestKind.DAILY, TODAY - timedelta(days=40))], now=NOW)
    digests_claim_and_queue(due=[DueDigest(org.csm_a1.pk, DigestKind.DAILY, TODAY)], now=NOW)
    assert digest_claims_prune(before=TODAY - timedelta(days=30)) == 1
    assert list(DigestClaim.objects.values_list("local_date", flat=True)) == [TODAY]
    assert (org.csm_a1.pk, DigestKind.DAILY) not in due_pairs()
