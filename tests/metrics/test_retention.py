"""Data retention: old raw events, timeline system entries, sent emails, delivered webhook
and chat deliveries and past digest claims go, in batches, idempotently; rollups,
touchpoints, unsent emails and undelivered deliveries stay."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import TimelineEntry
from core.models import OutboundEmail
from health.models import DailyRollup, UsageEvent
from health.retention import events_prune
from integrations.digests.models import DigestClaim
from integrations.webhooks.models import Delivery, Endpoint
from workspace.system.retention import data_retention_run, retention_figures

pytestmark = pytest.mark.django_db


def _event(account, *, days_ago: float, n: int) -> UsageEvent:
    return UsageEvent.objects.create(
        account=account,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        event_name="login",
        quantity=Decimal(1),
        event_id=f"e-{days_ago}-{n}",
    )


@pytest.fixture
def data(org):
    account = org.accounts["csm_a1"][0]
    for n in range(5):
        _event(account, days_ago=500, n=n)
    for n in range(2):
        _event(account, days_ago=10, n=n)
    DailyRollup.objects.create(account=account, day=(timezone.now() - timedelta(days=500)).date(), events=5)
    old = timezone.now() - timedelta(days=800)
    TimelineEntry.objects.create(account=account, kind="renewal_reminder", title="system", occurred_at=old)
    TimelineEntry.objects.create(account=account, kind="call", is_touchpoint=True, title="call", occurred_at=old)
    TimelineEntry.objects.create(account=account, kind="renewal_reminder", title="recent")
    for status in ("sent", "queued", "failed"):
        message = OutboundEmail.objects.create(
            dedupe_key=f"k:{status}", to=["x@example.com"], subject="s", body_text="b", status=status
        )
        OutboundEmail.objects.filter(pk=message.pk).update(sent_at=old if status == "sent" else None, created_at=old)
    OutboundEmail.objects.create(
        dedupe_key="k:recent", to=["x@example.com"], subject="s", body_text="b", status="sent", sent_at=timezone.now()
    )
    return account


@pytest.fixture
def integration_rows(org):
    """Webhook deliveries (an old delivered one, an old failed one, a recent delivered one)
    and digest claims (one of 40 days ago, one of today)."""
    endpoint = Endpoint.objects.create(name="crm", url="https://hooks.example.com/x", created_by=org.admin)
    old = timezone.now() - timedelta(days=100)
    for key, status, when in (("old", "delivered", old), ("failed", "failed", None), ("new", "delivered", None)):
        Delivery.objects.create(
            endpoint=endpoint, dedupe_key=key, event_type="account.created", payload={}, status=status,
            delivered_at=when or (timezone.now() if status == "delivered" else None),
        )  # fmt: skip
    today = timezone.localdate()
    for day in (today - timedelta(days=40), today):
        DigestClaim.objects.create(user=org.admin, kind="daily", local_date=day, run_token=f"t{day:%d}")


def test_webhook_deliveries_and_digest_claims_are_pruned_too(data, integration_rows, settings) -> None:
    settings.HOURGLASS_DELIVERY_LOG_RETENTION_DAYS = 90
    result = data_retention_run()
    assert result["webhook_deliveries"] == 1 and result["digest_claims"] == 1
    assert set(Delivery.objects.values_list("dedupe_key", flat=True)) == {"failed", "new"}
    assert list(DigestClaim.objects.values_list("local_date", flat=True)) == [timezone.localdate()]
    again = data_retention_run()
    assert (again["webhook_deliveries"], again["digest_claims"]) == (0, 0)


def test_retention_deletes_what_is_past_each_cutoff_and_keeps_the_rest(data, settings) -> None:
    settings.HOURGLASS_EVENT_RETENTION_DAYS = 400
    settings.HOURGLASS_TIMELINE_SYSTEM_RETENTION_DAYS = 730
    settings.HOURGLASS_DELIVERY_LOG_RETENTION_DAYS = 90
    settings.HOURGLASS_RETENTION_BATCH = 2  # several batches
    result = data_retention_run()
    assert result["events"] == 5 and result["timeline"] == 1 and result["deliveries"] == 1
    assert UsageEvent.objects.count() == 2
    assert DailyRollup.objects.filter(account=data).count() == 1  # rollups kept
    assert set(TimelineEntry.objects.values_list("title", flat=True)) == {"call", "recent"}
    assert set(OutboundEmail.objects.values_list("dedupe_key", flat=True)) == {"k:queued", "k:failed", "k:recent"}
    # Idempotent: the second run finds nothing.
    again = data_retention_run()
    assert (again["events"], again["timeline"], again["deliveries"]) == (0, 0, 0)


def test_zero_days_keeps_for_ever(data, settings) -> None:
    settings.HOURGLASS_EVENT_RETENTION_DAYS = 0
    settings.HOURGLASS_TIMELINE_SYSTEM_RETENTION_DAYS = 0
    settings.HOURGLASS_DELIVERY_LOG_RETENTION_DAYS = 0
    # Only the digest claims go (they matter around their own day, not a retention policy).
    assert data_retention_run() == {"digest_claims": 0}
    assert UsageEvent.objects.count() == 7


def test_figures_show_the_policy_and_what_waits(data, settings) -> None:
    settings.HOURGLASS_EVENT_RETENTION_DAYS = 400
    settings.HOURGLASS_AUDIT_RETENTION_DAYS = 365
    figures, _run = retention_figures()
    by_setting = {figure.setting: figure for figure in figures}
    assert by_setting["HOURGLASS_EVENT_RETENTION_DAYS"].waiting == 5
    assert by_setting["HOURGLASS_EVENT_RETENTION_DAYS"].days == 400
    assert by_setting["HOURGLASS_AUDIT_RETENTION_DAYS"].days == 365


@pytest.mark.skipif(connection.vendor != "postgresql", reason="event partitions exist on PostgreSQL only")
def test_postgresql_drops_whole_old_partitions(data) -> None:
    from health.partitions import event_partitions, event_partitions_ensure

    start = (timezone.now() - timedelta(days=520)).date()
    event_partitions_ensure(months_ahead=1, start=start)
    old_month = f"health_usageevent_p{(timezone.now() - timedelta(days=500)):%Y_%m}"
    assert old_month in event_partitions()
    pruned = events_prune(before=timezone.now() - timedelta(days=400))
    assert old_month in pruned.partitions_dropped
    assert old_month not in event_partitions()
    assert UsageEvent.objects.count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [old_month])
        assert cursor.fetchone()[0] is None  # dropped, not just detached
