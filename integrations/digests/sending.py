"""Who is due a digest now, and sending each once: a claim row per (person, kind, local
date), then one outbox email per claim this run won (an empty digest is not sent)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.notifications import user_language
from core.outbox import EmailDraft, emails_enqueue

from .content import DigestContent, digest_content
from .models import DigestClaim, DigestKind, NotificationPreference
from .preferences import default_send_at, preference_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueDigest:
    user_id: int
    kind: str
    local_date: date


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("digest time zone %r is unknown: its people get no digest", name)
        return None


def _due_in_zone(zone_name: str, local: datetime, kind: str) -> Q:
    """Q over users whose ``kind`` digest time has come in ``zone_name`` today."""
    pref = "digest_preference__"
    chosen = Q(**{f"{pref}time_zone": zone_name, f"{pref}send_at__lte": local.time()})
    if kind == DigestKind.DAILY:
        chosen &= Q(**{f"{pref}daily": True})
    else:
        chosen &= Q(**{f"{pref}weekly": True, f"{pref}weekly_day": local.weekday()})
    site_default = (
        kind == DigestKind.DAILY
        and zone_name == settings.TIME_ZONE
        and settings.HOURGLASS_DIGEST_DAILY_DEFAULT
        and default_send_at() <= local.time()
    )
    return chosen | Q(digest_preference__isnull=True) if site_default else chosen


def digests_due(*, now: datetime) -> list[DueDigest]:
    """Every digest owed at ``now``: set-based, one query per time zone in use and kind.

    A person is due when their local digest time has passed today (their own time zone)
    and no claim exists for their local date; people without an email address, without
    a CS profile or deactivated get none.
    """
    zones = set(NotificationPreference.objects.values_list("time_zone", flat=True).distinct())
    zones.add(settings.TIME_ZONE)
    people = get_user_model().objects.filter(is_active=True, cs_profile__isnull=False).exclude(email="")
    due: list[DueDigest] = []
    for zone_name in sorted(zones):
        zone = _zone(zone_name)
        if zone is None:
            continue
        local = now.astimezone(zone)
        for kind in DigestKind.values:
            claimed = DigestClaim.objects.filter(user=OuterRef("pk"), kind=kind, local_date=local.date())
            ids = people.filter(_due_in_zone(zone_name, local, kind)).filter(~Exists(claimed)).order_by("pk")
            due += [DueDigest(user_id, kind, local.date()) for user_id in ids.values_list("pk", flat=True)]
    return due


def digest_batches(due: list[DueDigest], size: int) -> Iterator[list[DueDigest]]:
    for start in range(0, len(due), size):
        yield due[start : start + size]


def digest_dedupe_key(digest: DueDigest) -> str:
    return f"digest:{digest.kind}:{digest.user_id}:{digest.local_date.isoformat()}"


def _link(name: str, *args: object) -> str:
    return settings.HOURGLASS_BASE_URL.rstrip("/") + reverse(name, args=args)


def digest_subject(content: DigestContent) -> str:
    daily = content.kind == DigestKind.DAILY
    subject = _("Your daily digest for %(date)s") if daily else _("Your weekly digest, %(date)s")
    return subject % {"date": content.today.isoformat()}


def digest_render(*, user: object, content: DigestContent) -> tuple[str, str, str]:
    """(subject, text, HTML) in the active language."""
    subject = digest_subject(content)
    context = {
        "recipient": user,
        "digest": content,
        "subject": subject,
        "base_url": settings.HOURGLASS_BASE_URL.rstrip("/"),
        "my_day_url": _link("my_day"),
        "preferences_url": _link("digests:preferences"),
    }
    return (
        subject,
        render_to_string("digests/email/digest.txt", context),
        render_to_string("digests/email/digest.html", context),
    )


def digests_claim_and_queue(*, due: list[DueDigest], now: datetime) -> dict[str, int]:
    """Claim these digests and queue the email of each claim this call won: one
    transaction, so a batch that fails leaves its digests owed for the next sweep.

    Returns how many were queued, found empty (claimed, not sent) and already claimed.
    """
    token = secrets.token_hex(16)
    with transaction.atomic():
        DigestClaim.objects.bulk_create(
            [DigestClaim(user_id=d.user_id, kind=d.kind, local_date=d.local_date, run_token=token) for d in due],
            ignore_conflicts=True,
        )
        won = list(DigestClaim.objects.filter(run_token=token).select_related("user__cs_profile").order_by("pk"))
        drafts: list[EmailDraft] = []
        empty: list[int] = []
        for claim in won:
            user = claim.user
            with translation.override(user_language(user)):
                content = digest_content(user=user, kind=claim.kind, today=claim.local_date, now=now)
                if content.is_empty:
                    empty.append(claim.pk)
                    continue
                subject, text, html = digest_render(user=user, content=content)
            key = digest_dedupe_key(DueDigest(user.pk, claim.kind, claim.local_date))
            drafts.append(EmailDraft(dedupe_key=key, to=[user.email], subject=subject, body_text=text, body_html=html))
        if drafts:
            emails_enqueue(drafts)
        DigestClaim.objects.filter(pk__in=empty).update(outcome=DigestClaim.Outcome.EMPTY)
        DigestClaim.objects.filter(run_token=token).exclude(pk__in=empty).update(outcome=DigestClaim.Outcome.QUEUED)
    return {"queued": len(drafts), "empty": len(empty), "skipped": len(due) - len(won)}


def digest_sweep(*, now: datetime) -> dict[str, int]:
    """Every digest due now, in this process (tests; ``manage.py`` shells)."""
    totals = {"queued": 0, "empty": 0, "skipped": 0}
    for batch in digest_batches(digests_due(now=now), settings.HOURGLASS_DIGEST_BATCH):
        for key, value in digests_claim_and_queue(due=batch, now=now).items():
            totals[key] += value
    return totals


def digest_claims_prune(*, before: date) -> int:
    """Delete the claims of local dates before ``before`` (a claim only matters on its
    day: the sweep asks about today's); returns how many went."""
    deleted, _by_model = DigestClaim.objects.filter(local_date__lt=before).delete()
    return deleted


def digest_preview(*, user: Any, kind: str, now: datetime) -> DigestContent:
    """What ``user``'s digest of ``kind`` would say at ``now``, on their local date."""
    preference = preference_for(user=user)
    zone = _zone(preference.time_zone) or ZoneInfo(settings.TIME_ZONE)
    return digest_content(user=user, kind=kind, today=now.astimezone(zone).date(), now=now)
