"""Sending surveys: decide the recipients (set-based), then dispatch them exactly once.

Decide
------
``recipients_decide`` turns candidate stakeholders into ``SurveyRecipient`` rows, in
batches, after the rules: never an unsubscribed or bounced address, at most one survey
per address in ``HOURGLASS_SURVEY_MIN_DAYS`` across all surveys (``last_surveyed_at`` is
set as the rows are written), one row per (survey, wave, stakeholder) by a unique
constraint, so a second run of the same send adds nothing. A manual send's wave is the
day (``manual:<date>``), an automatic NPS round's ``auto:<date>``, a CSAT after a
touchpoint ``tp:<id>``.

Dispatch
--------
``recipients_dispatch_batch`` runs in one transaction per batch: due pending rows whose
contact is in quiet hours (their time zone, else ``TIME_ZONE``) are moved to the end of
the quiet hours (deferred, not dropped); rows whose address unsubscribed or bounced since
are skipped; the rest are claimed (``UPDATE … WHERE status = 'pending'``, so a second
worker claims nothing it lost) and their emails queued in the outbox with the dedupe key
``survey:<survey id>:<recipient id>``. A worker killed mid-batch rolls the batch back, so
the rows stay pending and the next run sends them; the outbox delivers each message once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Account, AccountStatus, Stakeholder, TimelineEntry

from . import survey_sql
from .audience import audience_stakeholders
from .models import ContactPreference, RecipientStatus, Survey, SurveyKind, SurveyRecipient, SurveyStatus
from .survey_sql import DecideResult

logger = logging.getLogger(__name__)


def dedupe_key(survey_id: int, recipient_id: int) -> str:
    return f"survey:{survey_id}:{recipient_id}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def next_allowed(now: datetime, time_zone: str = "") -> datetime:
    """``now``, or the end of the quiet hours when ``now`` falls in them in ``time_zone``."""
    start, end = settings.HOURGLASS_SURVEY_QUIET_START, settings.HOURGLASS_SURVEY_QUIET_END
    if start == end:
        return now
    local = now.astimezone(_zone(time_zone))
    hour = local.hour
    quiet = start <= hour < end if start < end else (hour >= start or hour < end)
    if not quiet:
        return now
    target = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return target


# A candidate: (stakeholder id, account id, email, wave, touchpoint id or None)
Candidate = tuple[int, int, str, str, int | None]


def _chunks(rows: Sequence[Candidate], size: int) -> Iterable[Sequence[Candidate]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def recipients_decide(
    *, survey: Survey, candidates: Sequence[Candidate], emails: QuerySet, now: datetime | None = None
) -> DecideResult:
    """Write the recipient rows of ``candidates`` that the rules let through.

    ``emails`` is a query of the candidates' lower-cased addresses (a subquery, so 50,000
    candidates cost one read of their preferences, not 50,000 parameters).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.HOURGLASS_SURVEY_MIN_DAYS)
    prefs: dict[str, dict[str, Any]] = {
        pref["email"]: dict(pref)
        for pref in ContactPreference.objects.filter(email__in=emails).values(
            "email", "unsubscribed_at", "bounced_at", "last_surveyed_at", "language"
        )
    }
    result = DecideResult()
    seen: set[str] = set()
    rows: list[SurveyRecipient] = []
    for stakeholder_id, account_id, address, wave, touchpoint_id in candidates:
        email = address.strip().lower()
        if email in seen:
            continue  # the same person at two accounts: asked once
        seen.add(email)
        pref: dict[str, Any] = prefs.get(email) or {}
        if pref.get("unsubscribed_at"):
            result.unsubscribed += 1
        elif pref.get("bounced_at"):
            result.bounced += 1
        elif (last := pref.get("last_surveyed_at")) is not None and last > cutoff:
            result.capped += 1
        else:
            rows.append(
                SurveyRecipient(
                    survey=survey,
                    wave=wave,
                    account_id=account_id,
                    stakeholder_id=stakeholder_id,
                    email=email,
                    language=pref.get("language") or settings.LANGUAGE_CODE,
                    touchpoint_id=touchpoint_id,
                    send_after=now,
                    created_at=now,
                )
            )
    size = settings.HOURGLASS_SURVEY_BATCH_SIZE
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        with transaction.atomic():
            SurveyRecipient.objects.bulk_create(batch, ignore_conflicts=True)
            ContactPreference.objects.bulk_create(
                [ContactPreference(email=row.email, last_surveyed_at=now) for row in batch],
                update_conflicts=True,
                unique_fields=["email"],
                update_fields=["last_surveyed_at"],
            )
    result.chosen = len(rows)
    if rows:
        Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.SENDING, last_sent_at=now)
        _dispatch_after_commit()
    return result


def _dispatch_after_commit() -> None:
    from .tasks import survey_dispatch_task  # tasks import this module

    transaction.on_commit(lambda: survey_dispatch_task.delay())


def survey_send_to(
    *, survey: Survey, accounts: QuerySet[Account], audience: dict, now: datetime | None = None
) -> DecideResult:
    """A manual send to the audience within ``accounts`` (the sender's scope)."""
    now = now or timezone.now()
    people = audience_stakeholders(accounts=accounts, audience=audience)
    return recipients_decide_people(
        survey=survey, people=people, wave=f"manual:{timezone.localdate(now).isoformat()}", now=now
    )


def recipients_decide_people(
    *, survey: Survey, people: QuerySet[Stakeholder], wave: str, now: datetime | None = None
) -> DecideResult:
    """The decision of ``recipients_decide`` for a query of stakeholders, as set-based
    statements (``outreach.survey_sql.decide``): a send to 50,000 contacts is two
    statements, not 50,000 rows built in Python."""
    now = now or timezone.now()
    with transaction.atomic():
        result = survey_sql.decide(survey=survey, people=people, wave=wave, now=now)
        if result.chosen:
            Survey.objects.filter(pk=survey.pk).update(status=SurveyStatus.SENDING, last_sent_at=now)
            _dispatch_after_commit()
    return result


def _months(months: int) -> timedelta:
    return timedelta(days=round(30.44 * months))


def nps_auto_sweep(*, now: datetime | None = None) -> int:
    """Automatic NPS: each audience contact not asked by the survey in its N months."""
    now = now or timezone.now()
    chosen = 0
    surveys = Survey.objects.filter(auto_enabled=True, kind=SurveyKind.NPS, auto_every_months__isnull=False)
    for survey in surveys:
        accounts = Account.objects.exclude(status=AccountStatus.CHURNED)
        people = audience_stakeholders(accounts=accounts, audience=survey.audience)
        recent = SurveyRecipient.objects.filter(
            survey=survey, stakeholder=OuterRef("pk"), created_at__gt=now - _months(survey.auto_every_months or 1)
        )
        people = people.exclude(Exists(recent))
        wave = f"auto:{timezone.localdate(now).isoformat()}"
        chosen += recipients_decide_people(survey=survey, people=people, wave=wave, now=now).chosen
    return chosen


def csat_touchpoint_sweep(*, now: datetime | None = None) -> int:
    """Automatic CSAT: the contacts of touchpoints of the chosen kinds logged since the
    last sweep (a high-water mark per survey; a new survey starts from the past day)."""
    now = now or timezone.now()
    chosen = 0
    surveys = Survey.objects.filter(auto_enabled=True, kind=SurveyKind.CSAT).exclude(auto_touchpoint_kinds=[])
    for survey in surveys:
        since = survey.touchpoints_seen_until or now - timedelta(days=1)
        accounts = Account.objects.exclude(status=AccountStatus.CHURNED)
        people = audience_stakeholders(accounts=accounts, audience=survey.audience)
        touchpoints = TimelineEntry.objects.filter(
            is_touchpoint=True, kind__in=survey.auto_touchpoint_kinds, created_at__gt=since, created_at__lte=now
        )
        links = TimelineEntry.stakeholders.through.objects.filter(
            timelineentry__in=touchpoints.values("pk"), stakeholder__in=people.values("pk")
        ).order_by("timelineentry_id", "stakeholder_id")
        rows = list(
            links.values_list("stakeholder_id", "stakeholder__account_id", "stakeholder__email", "timelineentry_id")
        )
        candidates: list[Candidate] = [(sid, aid, email, f"tp:{tp}", tp) for sid, aid, email, tp in rows]
        emails = people.filter(pk__in=[row[0] for row in rows]).annotate(address=Lower("email")).values("address")
        chosen += recipients_decide(survey=survey, candidates=candidates, emails=emails, now=now).chosen
        Survey.objects.filter(pk=survey.pk).update(touchpoints_seen_until=now)
    return chosen


@dataclass(frozen=True)
class DispatchBatch:
    due: int  # rows looked at: 0 when nothing is due
    queued: int
    deferred: int
    skipped: int


@transaction.atomic
def recipients_dispatch_batch(*, now: datetime | None = None, limit: int | None = None) -> DispatchBatch:
    """Claim and queue one batch of due recipients (see the module docstring); deferred
    and skipped rows are written in the same transaction, a statement per kind of row
    (per time zone in quiet hours), never per row."""
    now = now or timezone.now()
    limit = limit or settings.HOURGLASS_SURVEY_BATCH_SIZE
    token = uuid.uuid4().hex
    # The batch is marked with its token by one UPDATE (no list of ids travels): every
    # statement after it finds the batch by the token's index. The filter on the row's own
    # status makes a second worker, blocked on the same rows, skip those this one queued.
    due = SurveyRecipient.objects.filter(status=RecipientStatus.PENDING, send_after__lte=now)
    chosen = due.order_by("send_after", "pk").values("pk")[:limit]
    marked = due.filter(pk__in=chosen).update(claim_token=token)
    if not marked:
        return DispatchBatch(0, 0, 0, 0)
    batch = SurveyRecipient.objects.filter(claim_token=token, status=RecipientStatus.PENDING)
    gone = ContactPreference.objects.filter(email=OuterRef("email")).filter(
        Q(unsubscribed_at__isnull=False) | Q(bounced_at__isnull=False)
    )
    skipped = batch.filter(Exists(gone)).update(status=RecipientStatus.SKIPPED)
    deferred = _defer_quiet(batch, now)
    won = batch.filter(send_after__lte=now).update(status=RecipientStatus.QUEUED, claimed_at=now, sent_at=now)
    queued = len(survey_sql.queue(token=token, now=now)) if won else 0
    _mark_sent_surveys(now)
    return DispatchBatch(marked, queued, deferred, skipped)


def _defer_quiet(batch: QuerySet[SurveyRecipient], now: datetime) -> int:
    """Move the rows whose contact is in quiet hours to the end of them: one UPDATE per
    time zone in quiet hours (the company's own for a contact without one)."""
    own = ContactPreference.objects.filter(email=OuterRef("email")).exclude(time_zone="")
    zones = set(
        ContactPreference.objects.filter(email__in=batch.values("email"))
        .exclude(time_zone="")
        .values_list("time_zone", flat=True)
        .distinct()
    )
    deferred = 0
    default_until = next_allowed(now)
    if default_until > now:
        deferred += batch.exclude(Exists(own)).update(send_after=default_until)
    by_time: dict[datetime, list[str]] = {}
    for zone in zones:
        until = next_allowed(now, zone)
        if until > now:
            by_time.setdefault(until, []).append(zone)
    for until, names in by_time.items():
        zoned = ContactPreference.objects.filter(time_zone__in=names).values("email")
        deferred += batch.filter(email__in=zoned).update(send_after=until)
    return deferred


def _mark_sent_surveys(now: datetime) -> None:
    """Surveys being sent with nothing pending left are sent."""
    pending = SurveyRecipient.objects.filter(survey=OuterRef("pk"), status=RecipientStatus.PENDING)
    Survey.objects.filter(Q(status=SurveyStatus.SENDING), ~Exists(pending)).update(status=SurveyStatus.SENT)


def recipients_dispatch(*, now: datetime | None = None, max_batches: int = 50) -> int:
    """Dispatch due recipients batch after batch, in this process; returns how many were queued."""
    queued = 0
    for _batch in range(max_batches):
        batch = recipients_dispatch_batch(now=now)
        if batch.due == 0:
            break
        queued += batch.queued
    if queued:
        logger.info("surveys: %s emails queued", queued)
    return queued


def csat_task_sweep(*, now: datetime | None = None) -> int:
    """Automatic CSAT after a closed task: for each task done since the last sweep, the
    contacts of the touchpoint it logged, else its account's day-to-day contacts — within
    the survey's audience. One wave per task (``task:<id>``), so a re-run asks no one twice."""
    from accounts.models import KeyPersonLevel
    from playbooks.models import Task, TaskStatus

    now = now or timezone.now()
    chosen = 0
    for survey in Survey.objects.filter(auto_enabled=True, kind=SurveyKind.CSAT, auto_after_tasks=True):
        since = survey.tasks_seen_until or now - timedelta(days=1)
        accounts = Account.objects.exclude(status=AccountStatus.CHURNED)
        people = audience_stakeholders(accounts=accounts, audience=survey.audience)
        tasks = list(
            Task.objects.filter(status=TaskStatus.DONE, completed_at__gt=since, completed_at__lte=now)
            .order_by("completed_at", "pk")
            .values_list("pk", "account_id", "touchpoint_id")
        )
        touched = TimelineEntry.stakeholders.through.objects.filter(
            timelineentry__in=[tp for _pk, _account, tp in tasks if tp], stakeholder__in=people.values("pk")
        )
        by_touchpoint: dict[int, list[int]] = {}
        for entry_id, stakeholder_id in touched.values_list("timelineentry_id", "stakeholder_id"):
            by_touchpoint.setdefault(entry_id, []).append(stakeholder_id)
        day_to_day: dict[int, list[int]] = {}
        for pk, account_id in people.filter(
            account_id__in={account for _pk, account, _tp in tasks}, key_level=KeyPersonLevel.DAY_TO_DAY
        ).values_list("pk", "account_id"):
            day_to_day.setdefault(account_id, []).append(pk)
        wanted = {
            task_pk: (by_touchpoint.get(tp) if tp else None) or day_to_day.get(account_id, [])
            for task_pk, account_id, tp in tasks
        }
        ids = {pk for group in wanted.values() for pk in group}
        found = people.filter(pk__in=ids).values_list("pk", "account_id", "email")
        rows = {pk: (account_id, email) for pk, account_id, email in found}
        touchpoints = {task_pk: tp for task_pk, _account, tp in tasks}
        candidates: list[Candidate] = [
            (pk, rows[pk][0], rows[pk][1], f"task:{task_pk}", touchpoints[task_pk])
            for task_pk, group in wanted.items()
            for pk in sorted(group)
            if pk in rows
        ]
        emails = people.filter(pk__in=ids).annotate(address=Lower("email")).values("address")
        chosen += recipients_decide(survey=survey, candidates=candidates, emails=emails, now=now).chosen
        Survey.objects.filter(pk=survey.pk).update(tasks_seen_until=now)
    return chosen
