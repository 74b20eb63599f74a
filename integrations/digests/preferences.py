"""Notification preferences: the digest schedule and, per notification kind, whether
what the app would email goes by email, stays in the app, or waits for the digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from core.types import AnyUser
from org.models import Role
from org.roles import role_of

from .models import Channel, NotificationPreference


@dataclass(frozen=True)
class EmailedKind:
    """A kind of notification that its sender also emails (``email=True``): the kinds a
    person can route. Kinds are matched on the part before the first dot
    (``monitoring.job_late`` is ``monitoring``)."""

    key: str
    label: StrOrPromise
    admin_only: bool = False


EMAILED_KINDS = (
    EmailedKind("activity_drop", _("Activity-drop alerts on your accounts")),
    EmailedKind("dossier_review", _("Reviews of your accounts' dossiers")),
    EmailedKind("accounts_moved", _("Accounts moved from your book by a rebalancing")),
    EmailedKind("webhook_disabled", _("Your webhooks or chat robots disabled after failing")),
    EmailedKind("monitoring", _("Monitoring incidents (late jobs, email backlog)"), admin_only=True),
)
KIND_KEYS = frozenset(kind.key for kind in EMAILED_KINDS)


def kind_key(kind: str) -> str:
    return kind.split(".", 1)[0]


def kinds_for(user: AnyUser) -> list[EmailedKind]:
    """The kinds this person receives, so their page offers only those."""
    is_admin = role_of(user) == Role.ADMIN
    return [kind for kind in EMAILED_KINDS if is_admin or not kind.admin_only]


def time_zone_names() -> list[str]:
    return sorted(available_timezones())


def default_send_at() -> time:
    try:
        hours, minutes = settings.HOURGLASS_DIGEST_DEFAULT_TIME.split(":")
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"HOURGLASS_DIGEST_DEFAULT_TIME must be HH:MM, not {settings.HOURGLASS_DIGEST_DEFAULT_TIME!r}"
        ) from exc


def preference_for(*, user: User) -> NotificationPreference:
    """The saved preference, or the defaults (unsaved) for someone who never chose."""
    found = NotificationPreference.objects.filter(user_id=user.pk).first()
    if found is not None:
        return found
    return NotificationPreference(
        user_id=user.pk,
        daily=settings.HOURGLASS_DIGEST_DAILY_DEFAULT,
        send_at=default_send_at(),
        time_zone=settings.TIME_ZONE,
    )


@transaction.atomic
def preference_save(
    *,
    user: User,
    daily: bool,
    weekly: bool,
    weekly_day: int,
    send_at: time,
    time_zone: str,
    channels: dict[str, str],
) -> NotificationPreference:
    """Save a person's choices (the form has validated them; this checks again, so an
    API or shell caller cannot store a kind or channel the router does not know)."""
    unknown = set(channels) - KIND_KEYS
    if unknown or not set(channels.values()) <= set(Channel.values):
        raise ValueError(f"unknown notification kinds or channels: {sorted(unknown) or channels}")
    if time_zone not in available_timezones():
        raise ValueError(f"unknown time zone {time_zone!r}")
    preference, _created = NotificationPreference.objects.update_or_create(
        user_id=user.pk,
        defaults={
            "daily": daily,
            "weekly": weekly,
            "weekly_day": weekly_day,
            "send_at": send_at,
            "time_zone": time_zone,
            "channels": channels,
        },
    )
    return preference


def email_router(pairs: list[tuple[int, str]]) -> list[str]:
    """The channel of each (recipient id, kind) that its sender would email: one query
    for the whole batch (registered with ``core.notifications`` in ``DigestsConfig.ready``)."""
    channels: dict[int, dict[str, Any]] = dict(
        NotificationPreference.objects.filter(user_id__in={user_id for user_id, _kind in pairs}).values_list(
            "user_id", "channels"
        )
    )
    return [str(channels.get(user_id, {}).get(kind_key(kind), Channel.EMAIL)) for user_id, kind in pairs]
