"""Daily rollups: local days (settings.TIME_ZONE), incremental after ingest, rebuildable."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from health.models import DailyFeatureRollup, DailyRollup, UsageEvent
from health.services import events_ingest, rollups_rebuild, rollups_recompute

from .conftest import make_event

pytestmark = pytest.mark.django_db


def rollup(account, day):
    row = DailyRollup.objects.get(account=account, day=day)
    return row.events, row.active_users, row.quantity


def features(account, day):
    return {r.event_name: (r.events, r.users) for r in DailyFeatureRollup.objects.filter(account=account, day=day)}


def test_ingest_refreshes_rollups_after_commit(org, eager_tasks, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    events = [
        make_event(account, 0, user_id="ann", quantity=2),
        make_event(account, 1, user_id="ann", event_name="deal.created"),
        make_event(account, 2, user_id="bob", quantity="0.5"),
        make_event(account, 3, user_id=""),  # no user: counted as an event, not a user
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        events_ingest(actor=org.csm_a1, events=events)
    # The ingest defers its work to one callback; what that work commits adds its own
    # (the rollups' rescore, the KPI facts' marks), run here too.
    assert [c.__qualname__.split(".")[0] for c in callbacks].count("events_ingest") == 1
    assert callbacks[0].__qualname__.startswith("events_ingest")
    assert rollup(account, date(2025, 6, 10)) == (4, 2, Decimal("4.5"))
    assert features(account, date(2025, 6, 10)) == {"report.viewed": (3, 2), "deal.created": (1, 1)}


def test_pure_replay_enqueues_nothing(org, eager_tasks, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    with django_capture_on_commit_callbacks(execute=True):
        events_ingest(actor=org.csm_a1, events=[make_event(account, 0)])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        events_ingest(actor=org.csm_a1, events=[make_event(account, 0)])
    assert callbacks == []


def test_local_day_boundary(org, settings):
    """Asia/Shanghai (+08:00): 15:59:59Z is still the 1st locally, 16:00:00Z is the 2nd."""
    assert settings.TIME_ZONE == "Asia/Shanghai"
    account = org.accounts["csm_a1"][0]
    events = [
        make_event(account, 0, occurred_at="2025-03-01T15:59:59.999999Z"),
        make_event(account, 1, occurred_at="2025-03-01T16:00:00Z"),
        make_event(account, 2, occurred_at="2025-03-01T00:00:00+08:00"),
        make_event(account, 3, occurred_at="2025-02-28T23:59:59+08:00"),
    ]
    events_ingest(actor=org.csm_a1, events=events)
    rollups_recompute(
        pairs=[(account.pk, date(2025, 2, 28)), (account.pk, date(2025, 3, 1)), (account.pk, date(2025, 3, 2))]
    )
    assert DailyRollup.objects.get(account=account, day=date(2025, 2, 28)).events == 1
    assert DailyRollup.objects.get(account=account, day=date(2025, 3, 1)).events == 2
    assert DailyRollup.objects.get(account=account, day=date(2025, 3, 2)).events == 1


def test_other_deployment_time_zone(org, settings):
    settings.TIME_ZONE = "America/New_York"
    account = org.accounts["csm_a1"][0]
    # 03:00Z on 10 June is 23:00 on 9 June in New York (EDT, -04:00).
    events_ingest(actor=org.csm_a1, events=[make_event(account, 0, occurred_at="2025-06-10T03:00:00Z")])
    rollups_rebuild(start=date(2025, 6, 9), end=date(2025, 6, 10))
    assert list(DailyRollup.objects.values_list("day", "events")) == [(date(2025, 6, 9), 1)]


def test_late_events_update_an_existing_day(org, eager_tasks, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    day = date(2025, 6, 10)
    with django_capture_on_commit_callbacks(execute=True):
        events_ingest(actor=org.csm_a1, events=[make_event(account, n, user_id="ann") for n in range(3)])
    assert rollup(account, day) == (3, 1, Decimal("3"))
    # Days later, an event of that day arrives (a device was offline); only its day moves.
    late = make_event(account, 10, user_id="cy", event_name="export.run", occurred_at="2025-06-10T23:59:00+08:00")
    with django_capture_on_commit_callbacks(execute=True):
        events_ingest(actor=org.csm_a1, events=[late, make_event(account, 11, occurred_at="2025-06-12T08:00:00+08:00")])
    assert rollup(account, day) == (4, 2, Decimal("4"))
    assert features(account, day) == {"report.viewed": (3, 1), "export.run": (1, 1)}
    assert rollup(account, date(2025, 6, 12)) == (1, 1, Decimal("1"))
    assert not DailyRollup.objects.filter(day=date(2025, 6, 11)).exists()


def test_recompute_is_idempotent_and_drops_stale_rows(org):
    account = org.accounts["csm_a1"][0]
    day = date(2025, 6, 10)
    events_ingest(
        actor=org.csm_a1,
        events=[make_event(account, 0), make_event(account, 1, event_name="gone.soon")],
    )
    for _ in range(2):
        assert rollups_recompute(pairs=[(account.pk, day)]) == 1
    assert DailyRollup.objects.count() == 1
    assert set(features(account, day)) == {"report.viewed", "gone.soon"}
    UsageEvent.objects.filter(event_name="gone.soon").delete()
    rollups_recompute(pairs=[(account.pk, day)])
    assert set(features(account, day)) == {"report.viewed"}
    UsageEvent.objects.all().delete()
    assert rollups_recompute(pairs=[(account.pk, day)]) == 0
    assert not DailyRollup.objects.exists()
    assert not DailyFeatureRollup.objects.exists()


def test_recompute_touches_only_the_requested_pairs(org):
    a, b = org.accounts["csm_a1"]
    events_ingest(actor=org.csm_a1, events=[make_event(a, 0), make_event(b, 1)])
    rollups_recompute(pairs=[(a.pk, date(2025, 6, 10))])
    assert list(DailyRollup.objects.values_list("account_id", flat=True)) == [a.pk]


def test_rebuild_for_a_range_and_for_some_accounts(org):
    a, b = org.accounts["csm_a1"]
    events = [
        make_event(a, n, occurred_at=f"2025-06-{day:02d}T12:00:00+08:00", user_id=f"u{n % 2}")
        for n, day in enumerate([1, 1, 2, 3, 3, 3])
    ]
    events += [make_event(b, 100 + n, occurred_at=f"2025-06-{day:02d}T12:00:00+08:00") for n, day in enumerate([2, 5])]
    events_ingest(actor=org.csm_a1, events=events)
    assert not DailyRollup.objects.exists()  # no worker in this test: nothing ran yet

    assert rollups_rebuild(start=date(2025, 6, 1), end=date(2025, 6, 3), account_ids=[a.pk]) == 3
    assert sorted(DailyRollup.objects.values_list("account_id", "day", "events", "active_users")) == [
        (a.pk, date(2025, 6, 1), 2, 2),
        (a.pk, date(2025, 6, 2), 1, 1),
        (a.pk, date(2025, 6, 3), 3, 2),
    ]
    # A stale row (e.g. left from events since removed) disappears on rebuild.
    DailyRollup.objects.create(account=b, day=date(2025, 6, 4), events=99)
    call_command("rebuild_rollups", "--from", "2025-06-01", "--to", "2025-06-30")
    assert sorted(DailyRollup.objects.filter(account=b).values_list("day", "events")) == [
        (date(2025, 6, 2), 1),
        (date(2025, 6, 5), 1),
    ]
    assert DailyRollup.objects.filter(account=a).count() == 3


def test_rebuild_rejects_a_backwards_range():
    with pytest.raises(ValueError):
        rollups_rebuild(start=date(2025, 6, 2), end=date(2025, 6, 1))
