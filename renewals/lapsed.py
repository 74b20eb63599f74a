"""Lapsed renewals: the renewal date passed and nobody closed the renewal.

A lapsed renewal is neither open pipeline (``OPEN_STATUSES`` leaves it out, so every
pipeline, forecast, reminder and "renewals due" figure does) nor an outcome (the
retention KPIs count closed renewals only). It is still closed the usual way — renewed,
downgraded or churned — once the customer decides.

The daily sweep (beat, ``renewals.lapsed_sweep_task``) is set-based: one locked read of
the renewals whose date passed, one ``UPDATE`` of exactly those, their history rows and
one timeline entry per account in two bulk inserts, and after commit one
``renewals_lapsed`` signal for the batch (playbooks fires its "renewal lapsed" playbook
once per renewal). A second run finds nothing: the status moved on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.timeline import TimelineDraft, timeline_record_many
from core.audit_source import current_audit_source
from core.messages import message

from .models import OPEN_STATUSES, RenewalOpportunity, RenewalStatus
from .signals import renewals_lapsed

# Ids per UPDATE: far below every database's bound-parameter limit.
LAPSE_CHUNK = 5000


@dataclass(frozen=True)
class LapseResult:
    lapsed: int
    accounts: int


def lapsable(*, today: date) -> QuerySet[RenewalOpportunity]:
    """Open (open, at risk, committed) renewals whose renewal date is before ``today``."""
    return RenewalOpportunity.objects.filter(status__in=OPEN_STATUSES, due_date__lt=today)


@transaction.atomic
def renewals_mark_lapsed(*, today: date) -> LapseResult:
    """Mark every open renewal whose date is before ``today`` lapsed, once.

    The candidates are read under a row lock in primary-key order, so two sweeps at once
    serialise and the second finds them no longer open; the ``UPDATE`` re-checks the
    status, and only the rows it changed get history, timeline and the signal.
    """
    ids = list(lapsable(today=today).select_for_update().order_by("pk").values_list("pk", flat=True))
    if not ids:
        return LapseResult(lapsed=0, accounts=0)
    now = timezone.now()
    for start in range(0, len(ids), LAPSE_CHUNK):
        RenewalOpportunity.objects.filter(pk__in=ids[start : start + LAPSE_CHUNK], status__in=OPEN_STATUSES).update(
            status=RenewalStatus.LAPSED, updated_at=now
        )
    # The locks make the UPDATE change exactly the rows read; reading them back by the
    # new status and time keeps that true on a database without row locks (SQLite).
    renewals = list(
        RenewalOpportunity.objects.filter(pk__in=ids, status=RenewalStatus.LAPSED, updated_at=now)
        .select_related("account")
        .order_by("pk")
    )
    RenewalOpportunity.history.bulk_history_create(
        renewals, update=True, default_date=now, default_change_reason=current_audit_source() or ""
    )
    timeline_record_many(_timeline_drafts(renewals, today=today))
    pairs = [(renewal.pk, renewal.account_id) for renewal in renewals]
    transaction.on_commit(partial(renewals_lapsed.send, sender=RenewalOpportunity, renewals=pairs, day=today))
    return LapseResult(lapsed=len(renewals), accounts=len({account for _pk, account in pairs}))


def _timeline_drafts(renewals: list[RenewalOpportunity], *, today: date) -> list[TimelineDraft]:
    """One entry per account (an account with two lapsed contracts gets one line)."""
    by_account: dict[int, list[RenewalOpportunity]] = {}
    for renewal in renewals:
        by_account.setdefault(renewal.account_id, []).append(renewal)
    drafts = []
    for account_id, lapsed in by_account.items():
        drafts.append(
            TimelineDraft(
                account=lapsed[0].account,
                kind="renewal_lapsed",
                message=message(
                    gettext_noop("Renewal due %(date)s lapsed: the date passed without a decision"),
                    date=[renewal.due_date.isoformat() for renewal in lapsed],
                ),
                data={"renewal_ids": [renewal.pk for renewal in lapsed], "day": today.isoformat()},
                dedupe_key=f"renewal-lapsed:{account_id}:{lapsed[0].pk}",
            )
        )
    return drafts


@dataclass(frozen=True)
class LapsedSummary:
    renewals: int
    arr: Decimal


def lapsed_summary(*, renewals: QuerySet[RenewalOpportunity]) -> LapsedSummary:
    """How many of ``renewals`` (already scoped and filtered) lapsed, and their ARR
    (the forecast ARR, as the open pipeline counts it): one aggregate query."""
    totals = (
        renewals.filter(status=RenewalStatus.LAPSED)
        .order_by()
        .aggregate(n=Count("pk"), arr=Coalesce(Sum("forecast_arr"), Decimal("0")))
    )
    return LapsedSummary(renewals=totals["n"], arr=totals["arr"])


def account_lapsed_renewals(*, account: Account) -> list[RenewalOpportunity]:
    """An account's lapsed renewals, oldest first (the caller checked access)."""
    return list(
        RenewalOpportunity.objects.filter(account=account, status=RenewalStatus.LAPSED)
        .select_related("contract")
        .order_by("due_date", "pk")
    )


def lapsed_days(renewal: Any, today: date | None = None) -> int:
    """Days since the renewal date (1 on the day after it)."""
    return ((today or timezone.localdate()) - renewal.due_date).days
