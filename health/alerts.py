"""Activity-drop detection and the life of its alerts (domain.md §4).

The rule
--------
For a day ``D`` (by default yesterday, the last complete local day) an account's
*window* is the 7 days ending on ``D`` and its *baseline* the average of the four
7-day windows before it (the 28 days ending on ``D - 7``). Every 7-day window holds
each weekday once, so the comparison is weekday-aligned: an account that is quiet
every weekend is not "dropping" on Mondays.

The account is flagged on ``D`` when, for the window ending on ``D`` *and* for the one
ending on ``D - 1`` (sustained for two days, so a single bad day does not alert):

- the baseline holds at least the minimum baseline (``HOURGLASS_ACTIVITY_DROP_MIN_BASELINE``
  seeds it; admins change it in ``/settings/activity-drop/``) events, and
- the window holds more than ``HOURGLASS_ACTIVITY_DROP_SHARE`` fewer events than
  the baseline;

and it had no alert in the ``HOURGLASS_ACTIVITY_DROP_COOLDOWN_DAYS`` before ``D``
(one alert per episode). Churned accounts are not scanned.

Exactly once
------------
Candidates come from one aggregate query over ``DailyRollup`` (no per-account loop).
Scans are serialised (an advisory lock on PostgreSQL; SQLite serialises writers), so
a second scan sees the first one's alerts and its cooldown excludes them; the unique
``(account, episode_key)`` constraint is the last guard. The alert rows inserted by
*this* scan (found by its token) get their timeline entry, the owner's notification
and email, and the signal — each of which is also keyed, so a retry adds nothing.

Accounts whose usage stopped altogether get a *silence* alert (``health.silence``)
sooner than this rule could; both kinds share the cooldown, the texts and the
side effects (``announce_alerts``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Account, AccountStatus
from accounts.timeline import TimelineDraft, timeline_record, timeline_record_many
from core.clock import local_zone
from core.locks import advisory_xact_lock
from core.messages import Message, lines_render, message
from core.notifications import NotificationDraft, notifications_send, user_language
from core.people import person_or_none
from org.operations_settings import operations_settings

from .models import ActivityAlert, AlertKind, AlertStatus, DailyRollup
from .signals import activity_drop_detected, activity_drop_resolved, activity_drops_detected

logger = logging.getLogger(__name__)

WINDOW_DAYS = 7
BASELINE_WINDOWS = 4
# Integer arithmetic for the drop test: no float rounding decides an alert.
_SCALE = 10_000
_SCAN_LOCK_NAMESPACE, _SCAN_LOCK_KEY = 0x48454C54, 0x44524F50  # "HELT", "DROP"


@dataclass(frozen=True)
class DropRule:
    share: Decimal
    min_baseline: int
    cooldown_days: int

    @classmethod
    def from_settings(cls) -> DropRule:
        # The operations settings (/settings/activity-drop/), seeded by the env variables.
        values = operations_settings()
        return cls(
            share=values.activity_drop_share,
            min_baseline=values.activity_drop_min_baseline,
            cooldown_days=values.activity_drop_cooldown_days,
        )


@dataclass(frozen=True)
class ScanResult:
    day: date
    candidates: int
    raised: list[int]  # ids of the alerts this scan raised


def scan_lock() -> tuple[int, int]:
    """The advisory lock that serialises the alert scans (drop and silence)."""
    return _SCAN_LOCK_NAMESPACE, _SCAN_LOCK_KEY


def default_scan_day() -> date:
    return timezone.localdate() - timedelta(days=1)


def _window_filters(day: date) -> dict[str, Q]:
    """Row filters of the 7-day window ending ``day`` (``window``) and of the four weeks
    before it (``baseline``), for the scan's filtered sums."""
    window_start = day - timedelta(days=WINDOW_DAYS - 1)
    baseline_start = window_start - timedelta(days=WINDOW_DAYS * BASELINE_WINDOWS)
    return {
        "window": Q(day__gte=window_start, day__lte=day),
        "baseline": Q(day__gte=baseline_start, day__lt=window_start),
    }


def drop_candidates(
    *, day: date, rule: DropRule | None = None, account_ids: Iterable[int] | None = None
) -> QuerySet[DailyRollup, dict[str, Any]]:
    """Accounts whose activity dropped on ``day`` by the rule, not in cooldown: one query.

    Rows: ``account_id``, ``current`` / ``baseline_total`` (events in the window ending
    ``day`` / in the 28 days before it).
    """
    rule = rule or DropRule.from_settings()
    keep = int((1 - rule.share) * _SCALE)
    today, yesterday = _window_filters(day), _window_filters(day - timedelta(days=1))
    earliest = day - timedelta(days=WINDOW_DAYS * (BASELINE_WINDOWS + 1))

    def total(condition: Q) -> Coalesce:
        return Coalesce(Sum("events", filter=condition), Value(0), output_field=IntegerField())

    recent_alert = ActivityAlert.objects.filter(
        account_id=OuterRef("account_id"), detected_on__gt=day - timedelta(days=rule.cooldown_days)
    )
    rows = DailyRollup.objects.filter(day__gte=earliest, day__lte=day).exclude(account__status=AccountStatus.CHURNED)
    if account_ids is not None:
        rows = rows.filter(account_id__in=sorted(set(account_ids)))
    min_total = rule.min_baseline * BASELINE_WINDOWS
    return (
        rows.filter(~Exists(recent_alert))
        .order_by()
        .values("account_id")
        .annotate(
            current=total(today["window"]),
            baseline_total=total(today["baseline"]),
            previous=total(yesterday["window"]),
            previous_baseline_total=total(yesterday["baseline"]),
        )
        # drop > share  <=>  current / (baseline_total / 4) < 1 - share
        .filter(
            baseline_total__gte=min_total,
            previous_baseline_total__gte=min_total,
        )
        .alias(
            current_scaled=F("current") * BASELINE_WINDOWS * _SCALE,
            previous_scaled=F("previous") * BASELINE_WINDOWS * _SCALE,
            baseline_kept=F("baseline_total") * keep,
            previous_baseline_kept=F("previous_baseline_total") * keep,
        )
        .filter(current_scaled__lt=F("baseline_kept"), previous_scaled__lt=F("previous_baseline_kept"))
        .values("account_id", "current", "baseline_total")
        .order_by("account_id")
    )


def episode_key(day: date) -> str:
    # The episode is named by the first of the two days the drop held.
    return f"drop-from:{(day - timedelta(days=1)).isoformat()}"


@transaction.atomic
def activity_drop_scan(
    *, day: date | None = None, account_ids: Iterable[int] | None = None, rule: DropRule | None = None
) -> ScanResult:
    """Raise an alert for every account whose activity dropped on ``day`` (see module doc)."""
    day = day or default_scan_day()
    rule = rule or DropRule.from_settings()
    advisory_xact_lock(*scan_lock())
    candidates = list(drop_candidates(day=day, rule=rule, account_ids=account_ids))
    if not candidates:
        return ScanResult(day=day, candidates=0, raised=[])
    token = uuid.uuid4().hex
    now = timezone.now()
    alerts = []
    for row in candidates:
        baseline = Decimal(row["baseline_total"]) / BASELINE_WINDOWS
        drop = 1 - Decimal(row["current"]) / baseline
        alerts.append(
            ActivityAlert(
                account_id=row["account_id"],
                detected_on=day,
                episode_key=episode_key(day),
                current_events=row["current"],
                baseline_events=baseline.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                drop_share=drop.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
                scan_token=token,
                created_at=now,
            )
        )
    ActivityAlert.objects.bulk_create(alerts, ignore_conflicts=True)
    mine = list(
        ActivityAlert.objects.filter(scan_token=token)
        .select_related("account__owner__cs_profile")
        .order_by("account_id")
    )
    announce_alerts(mine)
    logger.info("activity drop scan %s: %s candidates, %s alerts raised", day, len(candidates), len(mine))
    return ScanResult(day=day, candidates=len(candidates), raised=[alert.pk for alert in mine])


def account_url(account: Account) -> str:
    return settings.HOURGLASS_BASE_URL.rstrip("/") + reverse("accounts:detail", args=[account.pk])


def alert_messages(alert: ActivityAlert) -> tuple[Message, tuple[Message, ...]]:
    """Title and body lines of an alert, explaining its rule (rendered when read)."""
    if alert.kind == AlertKind.SILENCE:
        return _silence_messages(alert)
    figures = {
        "account": alert.account.name,
        "drop": f"{alert.drop_share * 100:.0f}",
        "current": alert.current_events,
        "baseline": f"{alert.baseline_events:.0f}",
        "day": alert.detected_on.isoformat(),
    }
    title = message(gettext_noop("Activity drop: %(account)s is down %(drop)s%%"), **figures)
    explained = message(
        gettext_noop(
            "%(account)s had %(current)s usage events in the 7 days to %(day)s, against %(baseline)s "
            "in an average week of the 4 weeks before: %(drop)s%% less."
        ),
        **figures,
    )
    return title, (explained, message(gettext_noop("The drop held for two days in a row. Check in with the customer.")))


def _silence_messages(alert: ActivityAlert) -> tuple[Message, tuple[Message, ...]]:
    figures = {
        "account": alert.account.name,
        "hours": settings.HOURGLASS_SILENCE_HOURS,
        "floor": settings.HOURGLASS_SILENCE_FLOOR,
        "day": (alert.detected_on - timedelta(days=1)).isoformat(),
        "last": alert.last_event_at.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M") if alert.last_event_at else "-",
        "baseline": f"{alert.baseline_events:.0f}",
    }
    if alert.episode_key.startswith("below-floor:"):  # health.silence.FLOOR_EPISODE
        title = gettext_noop("Usage stopped: %(account)s fell to %(floor)s usage events a day or fewer")
        explained = gettext_noop(
            "%(account)s sent at most %(floor)s usage events on %(day)s, although it sent more on that weekday "
            "in each of the 4 weeks before and averaged %(baseline)s events a week."
        )
    else:
        title = gettext_noop("Usage stopped: %(account)s sent no usage for %(hours)s hours")
        explained = gettext_noop(
            "%(account)s sent no usage events since %(last)s, although it did in the same hours of each "
            "of the 4 weeks before and averaged %(baseline)s events a week."
        )
    next_step = gettext_noop("Usage stopped rather than dropped: check the integration and check in with the customer.")
    return message(title, **figures), (message(explained, **figures), message(next_step))


def alert_texts(alert: ActivityAlert) -> tuple[str, str]:
    """Title and body of an alert in the active language."""
    title, lines = alert_messages(alert)
    return title.render(), lines_render(lines)


def announce_alerts(alerts: list[ActivityAlert]) -> None:
    """Timeline entry, owner notification (and its email) for each new alert, written per
    batch — one insert each whatever the number of alerts — then, after commit, the
    ``activity_drop_detected`` signal per alert and ``activity_drops_detected`` once for
    all of them (playbooks listens to that one: one task per chunk, not per alert)."""
    entries: list[TimelineDraft] = []
    notices: list[NotificationDraft] = []
    for alert in alerts:
        account = alert.account
        title_message, body_messages = alert_messages(alert)
        entries.append(
            TimelineDraft(
                account=account,
                kind="activity_drop",
                message=title_message,
                body_messages=body_messages,
                data={
                    "alert_id": alert.pk,
                    "current_events": alert.current_events,
                    "baseline_events": str(alert.baseline_events),
                    "drop_share": str(alert.drop_share),
                    "alert_kind": alert.kind,
                },
                dedupe_key=f"activity-drop:{alert.pk}",
            )
        )
        owner = account.owner
        if owner is not None and owner.is_active:
            with translation.override(user_language(owner)):
                title, body = alert_texts(alert)
            notices.append(
                NotificationDraft(
                    recipient=owner,
                    kind="activity_drop",
                    title=title,
                    message=title_message,
                    body=body,
                    body_messages=body_messages,
                    url=account_url(account),
                    dedupe_key=f"activity-drop:{alert.pk}:owner",
                    email=True,
                )
            )
    if entries:
        timeline_record_many(entries)
    if notices:
        notifications_send(notices)

    def detected() -> None:
        for alert in alerts:
            activity_drop_detected.send(sender=ActivityAlert, alert=alert, account=alert.account)
        activity_drops_detected.send(sender=ActivityAlert, alerts=alerts)

    transaction.on_commit(detected)


# --- Acknowledge / resolve ---------------------------------------------------------------


def _locked(alert: ActivityAlert) -> ActivityAlert:
    return ActivityAlert.objects.select_for_update().select_related("account").get(pk=alert.pk)


@transaction.atomic
def activity_alert_acknowledge(*, alert: ActivityAlert, actor: Any, note: str = "") -> ActivityAlert:
    """The CSM has seen the alert and is on it. The caller checked the actor's scope."""
    alert = _locked(alert)
    if alert.status != AlertStatus.OPEN:
        raise ValidationError({"status": _("Only an open alert can be acknowledged.")})
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = person_or_none(actor)
    if note.strip():
        alert.note = note.strip()
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "note"])
    timeline_record(
        account=alert.account,
        kind="activity_drop_acknowledged",
        message=message(gettext_noop("Activity drop alert acknowledged")),
        body=alert.note,
        actor=actor,
        data={"alert_id": alert.pk},
        dedupe_key=f"activity-drop:{alert.pk}:acknowledged",
    )
    return alert


@transaction.atomic
def activity_alert_resolve(*, alert: ActivityAlert, actor: Any, note: str = "") -> ActivityAlert:
    """Close the alert (open or acknowledged), with what was done about it."""
    alert = _locked(alert)
    if alert.status == AlertStatus.RESOLVED:
        raise ValidationError({"status": _("This alert is already resolved.")})
    now = timezone.now()
    who = person_or_none(actor)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, who
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at, alert.resolved_by = now, who
    if note.strip():
        alert.note = note.strip()
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "note"])
    timeline_record(
        account=alert.account,
        kind="activity_drop_resolved",
        message=message(gettext_noop("Activity drop alert resolved")),
        body=alert.note,
        actor=actor,
        data={"alert_id": alert.pk},
        dedupe_key=f"activity-drop:{alert.pk}:resolved",
    )
    transaction.on_commit(lambda: activity_drop_resolved.send(sender=ActivityAlert, alert=alert, account=alert.account))
    return alert
