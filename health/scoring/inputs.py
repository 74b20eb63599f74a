"""The raw value of every measure for a chunk of accounts: one set-based query each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q, Sum

from accounts.models import PromiseStatus, PurchasedProduct, RiskFlag, SalesPromise, Stakeholder, Tier, TimelineEntry
from core.clock import local_date, local_day_start
from health.models import DailyFeatureRollup, DailyRollup, MeasureKey, NpsResponse
from health.nps import nps_counts, nps_value

Inputs = dict[str, float | None]


def measure_inputs(
    *,
    account_ids: Sequence[int],
    day: date,
    key_features: dict[int, list[str]],
    core_workflows: dict[int, list[str]] | None = None,
) -> dict[int, Inputs]:
    """Raw values of every measure for every account, in a fixed number of queries.

    ``key_features`` maps account id to its model's key features (for depth),
    ``core_workflows`` to its model's core-workflow events (for process embedding).
    """
    core_workflows = core_workflows or {}
    ids = sorted(set(account_ids))
    end = local_day_start(day + timedelta(days=1))
    seats = _seats(ids)
    usage = _usage(ids, day)
    used = _features_used(
        ids,
        day,
        {name for names in key_features.values() for name in names}
        | {name for names in core_workflows.values() for name in names},
    )
    executives = _executives_touched(ids, day, end)
    last_contact = _last_contacts(ids, end)
    nps = _nps(ids, day)
    risks = _open_risks(ids, day, end)

    result: dict[int, Inputs] = {}
    for account_id in ids:
        account_usage = usage.get(account_id)
        account_seats = seats.get(account_id) or 0
        values: Inputs = dict.fromkeys(MeasureKey.values)
        if account_usage is not None:
            if account_seats > 0:
                values[MeasureKey.ACTIVITY_RATE_7D] = (account_usage["users_7"] or 0) / 7 / account_seats
                values[MeasureKey.ACTIVITY_RATE_30D] = (account_usage["users_30"] or 0) / 30 / account_seats
            features = set(key_features.get(account_id) or [])
            if features:
                values[MeasureKey.DEPTH] = len(used[account_id] & features) / len(features)
            workflows = set(core_workflows.get(account_id) or [])
            if workflows:
                values[MeasureKey.PROCESS_EMBEDDING] = len(used[account_id] & workflows) / len(workflows)
        execs = executives.get(account_id)
        if execs and execs["total"]:
            values[MeasureKey.EXECUTIVE_USAGE] = execs["touched"] / execs["total"]
        last = last_contact.get(account_id)
        if last is not None:
            values[MeasureKey.CONTACT_RECENCY] = float((day - local_date(last)).days)
        values[MeasureKey.NPS] = nps.get(account_id)
        values[MeasureKey.OPEN_RISKS] = float(risks[account_id])
        result[account_id] = values
    return result


def _window_starts(day: date) -> tuple[date, date]:
    """First days of the 7- and the 30-day windows ending on ``day``."""
    return day - timedelta(days=6), day - timedelta(days=29)


def _seats(ids: list[int]) -> dict[int, int]:
    """Licensed seats: the sum over the account's purchased products."""
    return {
        row["account_id"]: row["total_seats"]
        for row in PurchasedProduct.objects.filter(account_id__any_of=ids)
        .order_by()
        .values("account_id")
        .annotate(total_seats=Sum("seats"))
    }


def _usage(ids: list[int], day: date) -> dict[int, dict[str, Any]]:
    """Daily active users summed over each window; an account is absent without usage."""
    start_7, start_30 = _window_starts(day)
    return {
        row["account_id"]: row
        for row in DailyRollup.objects.filter(account_id__any_of=ids, day__lte=day)
        .order_by()
        .values("account_id")
        .annotate(
            users_7=Sum("active_users", filter=Q(day__gte=start_7)),
            users_30=Sum("active_users", filter=Q(day__gte=start_30)),
        )
    }


def _features_used(ids: list[int], day: date, names: set[str]) -> dict[int, set[str]]:
    """Which of ``names`` (key features, core workflows) each account used in 30 days."""
    used: dict[int, set[str]] = defaultdict(set)
    if not names:
        return used
    _start_7, start_30 = _window_starts(day)
    for account_id, event_name in (
        DailyFeatureRollup.objects.filter(
            account_id__any_of=ids, day__gte=start_30, day__lte=day, event_name__in=sorted(names)
        )
        .order_by()
        .values_list("account_id", "event_name")
        .distinct()
    ):
        used[account_id].add(event_name)
    return used


def _executives_touched(ids: list[int], day: date, end: datetime) -> dict[int, dict[str, Any]]:
    """Active S-tier stakeholders (``total``) and those with a touchpoint in 30 days."""
    _start_7, start_30 = _window_starts(day)
    return {
        row["account_id"]: row
        for row in Stakeholder.objects.filter(account_id__any_of=ids, tier=Tier.S, is_active=True)
        .order_by()
        .values("account_id")
        .annotate(
            total=Count("pk", distinct=True),
            touched=Count(
                "pk",
                distinct=True,
                filter=Q(
                    touchpoints__is_touchpoint=True,
                    touchpoints__occurred_at__gte=local_day_start(start_30),
                    touchpoints__occurred_at__lt=end,
                ),
            ),
        )
    }


def _last_contacts(ids: list[int], end: datetime) -> dict[int, datetime]:
    return {
        row["account_id"]: row["last"]
        for row in TimelineEntry.objects.filter(account_id__any_of=ids, is_touchpoint=True, occurred_at__lt=end)
        .order_by()
        .values("account_id")
        .annotate(last=Max("occurred_at"))
    }


def _nps(ids: list[int], day: date) -> dict[int, float | None]:
    """NPS of the last ``HOURGLASS_HEALTH_NPS_DAYS`` days, per account with answers."""
    start = day - timedelta(days=settings.HOURGLASS_HEALTH_NPS_DAYS - 1)
    return {
        row["account_id"]: nps_value(
            promoters=row["promoters"], detractors=row["detractors"], responses=row["responses"]
        )
        for row in NpsResponse.objects.filter(account_id__any_of=ids, responded_on__gte=start, responded_on__lte=day)
        .order_by()
        .values("account_id")
        .annotate(**nps_counts())
    }


def _open_risks(ids: list[int], day: date, end: datetime) -> dict[int, int]:
    """Open risk flags plus broken or overdue open sales promises (0 is a real value)."""
    risks: dict[int, int] = defaultdict(int)
    for row in (
        RiskFlag.objects.filter(account_id__any_of=ids, resolved_at=None, raised_at__lt=end)
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
    ):
        risks[row["account_id"]] += row["n"]
    for row in (
        SalesPromise.objects.filter(account_id__any_of=ids)
        .filter(Q(status=PromiseStatus.BROKEN) | Q(status=PromiseStatus.OPEN, due_date__lt=day))
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
    ):
        risks[row["account_id"]] += row["n"]
    return risks
