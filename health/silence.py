"""Silence alerts: an account whose usage stopped while its baseline was healthy.

The rule
--------
At the scan's moment ``now`` (by default the daily 00:25 run), with ``H`` =
``HOURGLASS_SILENCE_HOURS`` (12), an account is *silent* when

- it sent no usage event in the last ``H`` hours (its latest event is older) while,
  in each of the four weeks before, the same ``H`` hours held at least one event
  (the same weekday and hours: an account quiet every weekend or every night is not
  silent then) — usage *stopped*; or, with ``HOURGLASS_SILENCE_FLOOR`` above 0, its
  last complete day held at most that many events while the same weekday held more
  in each of the four weeks before — usage fell *below the floor*;
- its baseline was healthy: the four 7-day windows before the current one (the drop
  rule's baseline) held at least ``HOURGLASS_ACTIVITY_DROP_MIN_BASELINE`` events a
  week on average, so an account that was always tiny never alerts;
- it has no open silence alert and no alert (drop or silence) in the
  ``HOURGLASS_ACTIVITY_DROP_COOLDOWN_DAYS`` before: one alert per episode.

Whether an hour span held an event is read from the rollups' first and last event of each day,
exactly when the span crosses a midnight (the 00:25 scan's does). An account whose
last event came at ``t`` is alerted by the first daily scan after ``t + H``: with the
defaults, at most 36 h after its last event.

The scan is one aggregate query over ``DailyRollup`` for every account (those that
sent nothing included), then the same batch inserts and side effects as the drop scan
(timeline, owner notification and email, ``activity_drops_detected``). The silent
accounts are rescored at once, so their score reflects the silence the same day.
A silence alert resolves itself when the account's usage comes back (above the floor).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import AccountStatus
from core.clock import local_date
from core.locks import advisory_xact_lock

from .alerts import BASELINE_WINDOWS, WINDOW_DAYS, DropRule, ScanResult, announce_alerts, scan_lock
from .models import ActivityAlert, AlertKind, AlertStatus, DailyRollup
from .rescore import score_requests_add

logger = logging.getLogger(__name__)

__all__ = ["FLOOR_EPISODE", "STOPPED_EPISODE", "SilenceRule", "silence_candidates", "silence_resolve", "silence_scan"]

# Episode keys: the hours rule names the last event, the floor rule the day below it.
STOPPED_EPISODE = "silent-since:"
FLOOR_EPISODE = "below-floor:"


@dataclass(frozen=True)
class SilenceRule:
    hours: int
    min_baseline: int
    cooldown_days: int
    floor: int = 0

    @classmethod
    def from_settings(cls) -> SilenceRule:
        drop = DropRule.from_settings()
        return cls(
            hours=int(settings.HOURGLASS_SILENCE_HOURS),
            min_baseline=drop.min_baseline,
            cooldown_days=drop.cooldown_days,
            floor=max(0, int(settings.HOURGLASS_SILENCE_FLOOR)),
        )


def _span_q(start: datetime, end: datetime) -> Q:
    """Rollup rows that prove an event in ``[start, end)``: the first day's last event
    is after ``start``, the last day's first event before ``end``, or a day in between
    has any (exact when the span crosses a midnight; within one day: events on both
    sides of it count)."""
    first, last = local_date(start), local_date(end)
    if first == last:
        return Q(day=first, last_event_at__gte=start, first_event_at__lt=end)
    return (
        Q(day=first, last_event_at__gte=start)
        | Q(day=last, first_event_at__lt=end)
        | Q(day__gt=first, day__lt=last, events__gt=0)
    )


def silence_candidates(
    *, now: datetime, rule: SilenceRule, account_ids: Iterable[int] | None = None
) -> QuerySet[DailyRollup, dict[str, Any]]:
    """Accounts silent at ``now`` by the rule (module doc), not in cooldown: one query.

    Rows: ``account_id``, ``last`` (latest event), ``current`` / ``baseline_total``
    (events in the 7 days to yesterday / in the 28 days before them), ``seen_1..4``.
    """
    span = timedelta(hours=rule.hours)
    yesterday = local_date(now) - timedelta(days=1)
    window_start = yesterday - timedelta(days=WINDOW_DAYS - 1)
    baseline_start = window_start - timedelta(days=WINDOW_DAYS * BASELINE_WINDOWS)
    earliest = min(baseline_start, local_date(now - span - timedelta(days=WINDOW_DAYS * BASELINE_WINDOWS)))
    weeks = {
        f"seen_{week}": Count("pk", filter=_span_q(now - span - timedelta(weeks=week), now - timedelta(weeks=week)))
        for week in range(1, BASELINE_WINDOWS + 1)
    }
    recent_alert = ActivityAlert.objects.filter(
        account_id=OuterRef("account_id"), detected_on__gt=local_date(now) - timedelta(days=rule.cooldown_days)
    )
    open_silence = ActivityAlert.objects.filter(account_id=OuterRef("account_id"), kind=AlertKind.SILENCE).exclude(
        status=AlertStatus.RESOLVED
    )
    rows = DailyRollup.objects.filter(day__gte=earliest).exclude(account__status=AccountStatus.CHURNED)
    if account_ids is not None:
        rows = rows.filter(account_id__in=sorted(set(account_ids)))

    def total(condition: Q) -> Coalesce:
        return Coalesce(Sum("events", filter=condition), Value(0), output_field=IntegerField())

    same_weekdays = {
        f"weekday_{week}": total(Q(day=yesterday - timedelta(weeks=week))) for week in range(1, BASELINE_WINDOWS + 1)
    }
    figures: dict[str, Any] = {
        "last": Max("last_event_at"),
        "current": total(Q(day__gte=window_start, day__lte=yesterday)),
        "baseline_total": total(Q(day__gte=baseline_start, day__lt=window_start)),
        "yesterday_events": total(Q(day=yesterday)),
        **weeks,
        **same_weekdays,
    }
    stopped = Q(last__lt=now - span, **{f"{name}__gte": 1 for name in weeks})
    if rule.floor > 0:  # or: yesterday at most the floor, that weekday above it every week before
        stopped |= Q(yesterday_events__lte=rule.floor, **{f"{name}__gt": rule.floor for name in same_weekdays})
    return (
        rows.filter(~Exists(recent_alert), ~Exists(open_silence))
        .order_by()
        .values("account_id")
        .annotate(**figures)
        .filter(stopped & Q(baseline_total__gte=rule.min_baseline * BASELINE_WINDOWS))
        .order_by("account_id")
    )


def _stopped(row: dict[str, Any], *, now: datetime, rule: SilenceRule) -> bool:
    """Whether the row is silent by the hours rule (else it fell below the floor)."""
    seen = all(row[f"seen_{week}"] >= 1 for week in range(1, BASELINE_WINDOWS + 1))
    return seen and row["last"] is not None and row["last"] < now - timedelta(hours=rule.hours)


def _alert(row: dict[str, Any], *, today: date, token: str, now: datetime, rule: SilenceRule) -> ActivityAlert:
    baseline = Decimal(row["baseline_total"]) / BASELINE_WINDOWS
    drop = max(Decimal(0), 1 - Decimal(row["current"]) / baseline)
    if _stopped(row, now=now, rule=rule):
        episode = f"{STOPPED_EPISODE}{row['last'].isoformat()}"
    else:
        episode = f"{FLOOR_EPISODE}{(today - timedelta(days=1)).isoformat()}"
    return ActivityAlert(
        account_id=row["account_id"],
        kind=AlertKind.SILENCE,
        detected_on=today,
        episode_key=episode,
        last_event_at=row["last"],
        current_events=row["current"],
        baseline_events=baseline.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        drop_share=drop.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        scan_token=token,
        created_at=now,
    )


@transaction.atomic
def silence_scan(
    *, now: datetime | None = None, account_ids: Iterable[int] | None = None, rule: SilenceRule | None = None
) -> ScanResult:
    """Resolve the silence alerts of accounts that sent usage again, then raise one for
    every account silent at ``now`` (module doc) and queue their rescore."""
    now = now or timezone.now()
    rule = rule or SilenceRule.from_settings()
    advisory_xact_lock(*scan_lock())
    silence_resolve(account_ids=account_ids, now=now, floor=rule.floor)
    today = local_date(now)
    candidates = list(silence_candidates(now=now, rule=rule, account_ids=account_ids))
    if not candidates:
        return ScanResult(day=today, candidates=0, raised=[])
    token = uuid.uuid4().hex
    ActivityAlert.objects.bulk_create(
        [_alert(row, today=today, token=token, now=now, rule=rule) for row in candidates], ignore_conflicts=True
    )
    mine = list(
        ActivityAlert.objects.filter(scan_token=token)
        .select_related("account__owner__cs_profile")
        .order_by("account_id")
    )
    announce_alerts(mine)
    score_requests_add(account_ids=[alert.account_id for alert in mine])
    logger.info("silence scan %s: %s candidates, %s alerts raised", now, len(candidates), len(mine))
    return ScanResult(day=today, candidates=len(candidates), raised=[alert.pk for alert in mine])


def silence_resolve(
    *, account_ids: Iterable[int] | None = None, now: datetime | None = None, floor: int | None = None
) -> int:
    """Resolve the open silence alerts of accounts whose usage came back: a day with more
    than the floor (any event by default) and an event after the one the alert names
    (one UPDATE). Returns how many were resolved."""
    floor = max(0, int(settings.HOURGLASS_SILENCE_FLOOR)) if floor is None else floor
    newer = DailyRollup.objects.filter(
        account_id=OuterRef("account_id"), last_event_at__gt=OuterRef("last_event_at"), events__gt=floor
    )
    alerts = ActivityAlert.objects.filter(kind=AlertKind.SILENCE).exclude(status=AlertStatus.RESOLVED)
    if account_ids is not None:
        alerts = alerts.filter(account_id__in=sorted(set(account_ids)))
    return alerts.filter(Exists(newer)).update(status=AlertStatus.RESOLVED, resolved_at=now or timezone.now())
