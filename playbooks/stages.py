"""Lifecycle stages, computed from dates (domain.md §3), and the sweep that keeps them.

Stages, for ``days = today − go-live`` (the local date, ``TIME_ZONE``) with the offsets
from settings (defaults 30 / 90 / 90):

- churned: the account's status is churned, or its last renewal closed as churned and
  no renewal is open;
- renewal window: an open renewal is due within the window (renewal − 90 days up to
  and including the renewal day; a renewal still open after its date stays here);
- onboarding: no go-live date yet, or it is in the future;
- promotion month: ``0 <= days < 30`` (day 0 is go-live, day 30 is stabilisation);
- stabilisation: ``30 <= days < 90``;
- renewed: after stabilisation, once a renewal has closed as renewed or downgraded;
- steady: after stabilisation, before the first renewal.

The renewal window wins over the go-live stages: a short first contract must not miss
its renewal because the customer is still in its first months.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Account, AccountStatus
from accounts.timeline import TimelineDraft, timeline_record_many
from core.clock import local_date, local_day_start
from core.messages import choice, message
from renewals.models import CLOSED_STATUSES, OPEN_STATUSES, RenewalOpportunity, RenewalStatus

from .models import STAGE_TRIGGERS, AccountStage, Stage, accounts_q

logger = logging.getLogger(__name__)

RENEWED_OUTCOMES = (RenewalStatus.RENEWED, RenewalStatus.DOWNGRADED)


@dataclass(frozen=True)
class StageOffsets:
    promotion_days: int = 30
    stabilisation_days: int = 90
    renewal_window_days: int = 90

    @classmethod
    def from_settings(cls) -> StageOffsets:
        return cls(
            promotion_days=settings.HOURGLASS_STAGE_PROMOTION_DAYS,
            stabilisation_days=settings.HOURGLASS_STAGE_STABILISATION_DAYS,
            renewal_window_days=settings.HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS,
        )


@dataclass(frozen=True)
class StageFacts:
    """Everything the stage depends on, read for many accounts in one query."""

    go_live_date: date | None
    status: str
    next_renewal_date: date | None = None
    last_closed_outcome: str | None = None
    last_closed_on: date | None = None


@dataclass(frozen=True)
class StageResult:
    stage: str
    # The date the stage began when the dates tell it; None when only "now" is known.
    since: date | None


def compute_stage(facts: StageFacts, *, today: date, offsets: StageOffsets | None = None) -> StageResult:
    offsets = offsets or StageOffsets.from_settings()
    if facts.status == AccountStatus.CHURNED or (
        facts.last_closed_outcome == RenewalStatus.CHURNED and facts.next_renewal_date is None
    ):
        return StageResult(Stage.CHURNED, facts.last_closed_on)
    if facts.next_renewal_date is not None:
        window_opens = facts.next_renewal_date - timedelta(days=offsets.renewal_window_days)
        if today >= window_opens:
            return StageResult(Stage.RENEWAL_WINDOW, window_opens)
    if facts.go_live_date is None or today < facts.go_live_date:
        return StageResult(Stage.ONBOARDING, None)
    days = (today - facts.go_live_date).days
    if days < offsets.promotion_days:
        return StageResult(Stage.PROMOTION, facts.go_live_date)
    if days < offsets.stabilisation_days:
        return StageResult(Stage.STABILISATION, facts.go_live_date + timedelta(days=offsets.promotion_days))
    if facts.last_closed_outcome in RENEWED_OUTCOMES:
        return StageResult(Stage.RENEWED, facts.last_closed_on)
    return StageResult(Stage.STEADY, facts.go_live_date + timedelta(days=offsets.stabilisation_days))


def accounts_with_stage_facts(account_ids: Iterable[int] | None = None) -> Any:
    """Accounts annotated with their renewal facts and stored stage: one query."""
    # A lapsed renewal is still undecided: the account stays in its renewal window.
    open_renewals = RenewalOpportunity.objects.filter(
        account=OuterRef("pk"), status__in=(*OPEN_STATUSES, RenewalStatus.LAPSED)
    ).order_by("due_date", "pk")
    closed = RenewalOpportunity.objects.filter(account=OuterRef("pk"), status__in=CLOSED_STATUSES).order_by(
        "-due_date", "-pk"
    )
    accounts = Account.objects.all()
    if account_ids is not None:
        accounts = accounts.filter(accounts_q(account_ids))
    return accounts.annotate(
        next_renewal_date=Subquery(open_renewals.values("due_date")[:1]),
        last_closed_outcome=Subquery(closed.values("status")[:1]),
        last_closed_at=Subquery(closed.values("closed_at")[:1]),
        last_closed_due=Subquery(closed.values("due_date")[:1]),
        stored_stage=Subquery(AccountStage.objects.filter(account=OuterRef("pk")).values("stage")[:1]),
        stored_since=Subquery(AccountStage.objects.filter(account=OuterRef("pk")).values("entered_on")[:1]),
    ).order_by("pk")


FACT_FIELDS = (
    "pk",
    "go_live_date",
    "status",
    "next_renewal_date",
    "last_closed_outcome",
    "last_closed_at",
    "last_closed_due",
    "stored_stage",
    "stored_since",
)


def facts_of(account: Any) -> StageFacts:
    closed_at = account.last_closed_at
    if isinstance(closed_at, str):  # SQLite returns subquery datetimes as text
        closed_at = datetime.fromisoformat(closed_at)
    closed_on = timezone.localdate(closed_at) if closed_at else account.last_closed_due
    if isinstance(closed_on, str):
        closed_on = date.fromisoformat(closed_on)
    next_renewal = account.next_renewal_date
    if isinstance(next_renewal, str):
        next_renewal = date.fromisoformat(next_renewal)
    return StageFacts(
        go_live_date=account.go_live_date,
        status=account.status,
        next_renewal_date=next_renewal,
        last_closed_outcome=account.last_closed_outcome,
        last_closed_on=closed_on,
    )


@dataclass
class Transition:
    account: Account
    stage: str
    entered_on: date
    previous: str


@dataclass
class StageSweepResult:
    checked: int = 0
    changed: int = 0
    tasks_created: int = 0


def stage_label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else stage


def _record_transitions(transitions: list[Transition]) -> None:
    """One timeline entry per transition, in bulk; the dedupe key makes a re-run or a
    racing worker write nothing."""
    entries: list[TimelineDraft] = []
    for t in transitions:
        body = (
            message(gettext_noop("Previous stage: %(stage)s."), stage=choice(AccountStage, "stage", t.previous))
            if t.previous
            else message(gettext_noop("First stage recorded for this account."))
        )
        entries.append(
            TimelineDraft(
                account=t.account,
                kind="stage_changed",
                message=message(
                    gettext_noop("Lifecycle stage: %(stage)s"), stage=choice(AccountStage, "stage", t.stage)
                ),
                body_messages=(body,),
                occurred_at=local_day_start(t.entered_on),
                data={"stage": t.stage, "previous": t.previous, "entered_on": t.entered_on.isoformat()},
                dedupe_key=f"stage:{t.account.pk}:{t.stage}:{t.entered_on.isoformat()}",
            )
        )
    timeline_record_many(entries)


@transaction.atomic
def stage_refresh(*, account_ids: Iterable[int] | None = None, today: date | None = None) -> StageSweepResult:
    """Recompute the stage of the given accounts (all when None); record and act on changes.

    Set-based: one query reads the facts, one upsert writes the changed stages; then a
    timeline entry per transition (deduplicated by key, so a re-run writes nothing) and
    the stage playbooks, fired in bulk (idempotent through the task constraint).
    """
    from .services import FireRequest, playbooks_fire, recurring_reports_fire

    today = today or local_date()
    offsets = StageOffsets.from_settings()
    result = StageSweepResult()
    changes: list[tuple[int, str, date, str]] = []  # (account id, stage, entered on, previous)
    silent_updates: list[AccountStage] = []
    # Plain rows, not model instances: most accounts do not change on a given day, and
    # building 100,000 Account objects would cost more than the query itself.
    for row in accounts_with_stage_facts(account_ids).values(*FACT_FIELDS):
        result.checked += 1
        facts = SimpleNamespace(**row)
        computed = compute_stage(facts_of(facts), today=today, offsets=offsets)
        stored_since = facts.stored_since
        if isinstance(stored_since, str):
            stored_since = date.fromisoformat(stored_since)
        if facts.stored_stage == computed.stage:
            # Same stage, but a date it hangs on was edited: keep time in stage right,
            # without a new episode (that would fire the playbook a second time).
            if computed.since is not None and computed.since != stored_since:
                silent_updates.append(
                    AccountStage(account_id=facts.pk, stage=computed.stage, entered_on=computed.since)
                )
            continue
        changes.append((facts.pk, computed.stage, computed.since or today, facts.stored_stage or ""))
    # The few accounts that changed, as objects (the playbooks read owner and ARR).
    changed_accounts = Account.objects.in_bulk([pk for pk, *_ in changes]) if changes else {}
    transitions = [
        Transition(account=changed_accounts[pk], stage=stage, entered_on=entered_on, previous=previous)
        for pk, stage, entered_on, previous in changes
        if pk in changed_accounts
    ]
    rows = [
        AccountStage(account=t.account, stage=t.stage, entered_on=t.entered_on, previous_stage=t.previous)
        for t in transitions
    ]
    if rows:
        AccountStage.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["account"],
            update_fields=["stage", "entered_on", "previous_stage", "updated_at"],
        )
    if silent_updates:
        AccountStage.objects.bulk_create(
            silent_updates, update_conflicts=True, unique_fields=["account"], update_fields=["entered_on", "updated_at"]
        )
    _record_transitions(transitions)
    result.changed = len(transitions)
    result.tasks_created = playbooks_fire(
        [
            FireRequest(
                account=t.account,
                trigger=STAGE_TRIGGERS[t.stage],
                episode_key=f"stage:{t.stage}:{t.entered_on.isoformat()}",
                trigger_date=t.entered_on,
            )
            for t in transitions
        ],
        today=today,
    )
    result.tasks_created += recurring_reports_fire(account_ids=account_ids, today=today)
    return result
