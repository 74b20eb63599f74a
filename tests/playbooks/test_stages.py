"""Lifecycle stages: every boundary, the local date, and the sweep's transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import AccountStatus, TimelineEntry
from core.clock import local_date
from playbooks.models import AccountStage, Stage, Task
from playbooks.stages import StageFacts, StageOffsets, compute_stage, stage_refresh
from renewals.models import RenewalStatus
from renewals.services import renewal_close
from tests.factories import AccountFactory, make_person
from tests.renewals.conftest import churn_reason, make_renewal

GO_LIVE = date(2025, 1, 1)
OFFSETS = StageOffsets(promotion_days=30, stabilisation_days=90, renewal_window_days=90)


def stage_on(day_offset: int, **facts: object) -> str:
    values: dict[str, object] = {"go_live_date": GO_LIVE, "status": AccountStatus.ACTIVE, **facts}
    return compute_stage(StageFacts(**values), today=GO_LIVE + timedelta(days=day_offset), offsets=OFFSETS).stage


@pytest.mark.parametrize(
    ("day", "stage"),
    [
        (-1, Stage.ONBOARDING),
        (0, Stage.PROMOTION),
        (29, Stage.PROMOTION),
        (30, Stage.STABILISATION),
        (31, Stage.STABILISATION),
        (89, Stage.STABILISATION),
        (90, Stage.STEADY),
        (200, Stage.STEADY),
    ],
)
def test_go_live_boundaries(day, stage):
    assert stage_on(day) == stage


def test_no_go_live_date_is_onboarding():
    facts = StageFacts(go_live_date=None, status=AccountStatus.ONBOARDING)
    assert compute_stage(facts, today=GO_LIVE, offsets=OFFSETS).stage == Stage.ONBOARDING


@pytest.mark.parametrize(
    ("days_to_renewal", "stage"),
    [
        (91, Stage.STEADY),
        (90, Stage.RENEWAL_WINDOW),
        (89, Stage.RENEWAL_WINDOW),
        (0, Stage.RENEWAL_WINDOW),
        (-3, Stage.RENEWAL_WINDOW),
    ],
)
def test_renewal_window_boundaries(days_to_renewal, stage):
    today_offset = 400
    renewal = GO_LIVE + timedelta(days=today_offset + days_to_renewal)
    assert stage_on(today_offset, next_renewal_date=renewal) == stage


def test_renewal_window_since_is_renewal_minus_window():
    renewal = date(2026, 6, 30)
    result = compute_stage(
        StageFacts(go_live_date=GO_LIVE, status="active", next_renewal_date=renewal), today=renewal, offsets=OFFSETS
    )
    assert (result.stage, result.since) == (Stage.RENEWAL_WINDOW, renewal - timedelta(days=90))


def test_renewal_window_wins_over_the_first_months():
    assert stage_on(10, next_renewal_date=GO_LIVE + timedelta(days=60)) == Stage.RENEWAL_WINDOW


def test_renewed_and_churned():
    closed = date(2026, 1, 5)
    assert stage_on(400, last_closed_outcome=RenewalStatus.RENEWED, last_closed_on=closed) == Stage.RENEWED
    assert stage_on(400, last_closed_outcome=RenewalStatus.DOWNGRADED, last_closed_on=closed) == Stage.RENEWED
    assert stage_on(400, last_closed_outcome=RenewalStatus.CHURNED, last_closed_on=closed) == Stage.CHURNED
    assert stage_on(10, status=AccountStatus.CHURNED) == Stage.CHURNED
    # A churned renewal followed by a new contract: the new renewal decides.
    later = GO_LIVE + timedelta(days=700)
    assert stage_on(400, last_closed_outcome=RenewalStatus.CHURNED, next_renewal_date=later) == Stage.STEADY


def test_offsets_come_from_settings(settings):
    settings.HOURGLASS_STAGE_PROMOTION_DAYS = 14
    facts = StageFacts(go_live_date=GO_LIVE, status="active")
    assert compute_stage(facts, today=GO_LIVE + timedelta(days=14)).stage == Stage.STABILISATION


def test_local_date_decides_not_utc(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    # 17:00 UTC on day 29 is 01:00 on day 30 in Shanghai: stabilisation has begun there.
    now = datetime(2025, 1, 30, 17, 0, tzinfo=UTC)
    assert now.date() == GO_LIVE + timedelta(days=29)
    today = local_date(now)
    assert today == GO_LIVE + timedelta(days=30)
    facts = StageFacts(go_live_date=GO_LIVE, status="active")
    assert compute_stage(facts, today=today, offsets=OFFSETS).stage == Stage.STABILISATION
    assert compute_stage(facts, today=now.date(), offsets=OFFSETS).stage == Stage.PROMOTION


@pytest.mark.django_db
def test_sweep_records_each_transition_once_with_its_date(default_playbooks):
    csm = make_person(username="csm")
    account = AccountFactory(owner=csm, go_live_date=GO_LIVE, arr=Decimal("50000"))
    day = GO_LIVE + timedelta(days=5)
    first = stage_refresh(account_ids=[account.pk], today=day)
    assert first.changed == 1
    lifecycle = AccountStage.objects.get(account=account)
    assert (lifecycle.stage, lifecycle.entered_on) == (Stage.PROMOTION, GO_LIVE)
    assert lifecycle.days_in_stage(day) == 5
    tasks = Task.objects.filter(account=account).count()
    assert tasks == 3

    again = stage_refresh(account_ids=[account.pk], today=day)
    assert (again.changed, again.tasks_created) == (0, 0)
    assert Task.objects.filter(account=account).count() == tasks

    stage_refresh(account_ids=[account.pk], today=GO_LIVE + timedelta(days=30))
    lifecycle.refresh_from_db()
    assert (lifecycle.stage, lifecycle.entered_on, lifecycle.previous_stage) == (
        Stage.STABILISATION,
        GO_LIVE + timedelta(days=30),
        Stage.PROMOTION,
    )
    entries = TimelineEntry.objects.filter(account=account, kind="stage_changed").order_by("occurred_at")
    assert [e.data["stage"] for e in entries] == [Stage.PROMOTION, Stage.STABILISATION]
    assert [e.data["entered_on"] for e in entries] == ["2025-01-01", "2025-01-31"]
    assert entries[1].dedupe_key == f"stage:{account.pk}:stabilisation:2025-01-31"


@pytest.mark.django_db
def test_sweep_follows_renewals_to_renewed_and_churned(default_playbooks):
    csm = make_person(username="csm")
    account = AccountFactory(owner=csm, go_live_date=date(2024, 1, 1))
    today = date(2025, 3, 3)
    renewal = make_renewal(account=account, days_left=30, today=today)
    stage_refresh(account_ids=[account.pk], today=today)
    assert AccountStage.objects.get(account=account).stage == Stage.RENEWAL_WINDOW
    assert AccountStage.objects.get(account=account).entered_on == renewal.due_date - timedelta(days=90)

    renewal_close(renewal=renewal, outcome=RenewalStatus.RENEWED, outcome_arr=Decimal("120000"), actor=None)
    stage_refresh(account_ids=[account.pk], today=today)
    assert AccountStage.objects.get(account=account).stage == Stage.RENEWED

    other = AccountFactory(owner=csm, go_live_date=date(2024, 1, 1))
    lost = make_renewal(account=other, days_left=-5, today=today)
    renewal_close(renewal=lost, outcome=RenewalStatus.CHURNED, churn_reason=churn_reason(), actor=None)
    stage_refresh(account_ids=[other.pk], today=today)
    assert AccountStage.objects.get(account=other).stage == Stage.CHURNED


@pytest.mark.django_db
def test_editing_go_live_inside_a_stage_keeps_one_episode(default_playbooks):
    account = AccountFactory(owner=make_person(username="csm"), go_live_date=GO_LIVE)
    stage_refresh(account_ids=[account.pk], today=GO_LIVE + timedelta(days=3))
    account.go_live_date = GO_LIVE + timedelta(days=2)
    account.save()
    stage_refresh(account_ids=[account.pk], today=GO_LIVE + timedelta(days=3))
    assert AccountStage.objects.get(account=account).entered_on == GO_LIVE + timedelta(days=2)
    assert Task.objects.filter(account=account).count() == 3
    assert TimelineEntry.objects.filter(account=account, kind="stage_changed").count() == 1


@pytest.mark.django_db
def test_saving_an_account_refreshes_its_stage_after_commit(celery_eager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        account = AccountFactory(owner=make_person(username="csm"), go_live_date=local_date() - timedelta(days=40))
    assert AccountStage.objects.get(account=account).stage == Stage.STABILISATION
