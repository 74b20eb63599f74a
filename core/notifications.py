"""In-app notifications (optionally mirrored by email through the outbox)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Notification
from .outbox import email_enqueue


def user_language(user: Any) -> str:
    """The language a person reads their emails in (their profile's, else the default)."""
    language = getattr(getattr(user, "cs_profile", None), "language", "") or ""
    return language or settings.LANGUAGE_CODE


def notification_send(
    *,
    recipient: Any,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str | None = None,
    email: bool = False,
) -> Notification | None:
    """Notify one person once per ``dedupe_key``; returns None when it already existed.

    ``title`` and ``body`` must already be in the recipient's language (render them
    inside ``translation.override(user_language(recipient))``).
    """
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, kind=kind, title=title[:300], body=body, url=url, dedupe_key=dedupe_key
            )
    except IntegrityError:
        return None
    if email and recipient.email:
        with translation.override(user_language(recipient)):
            context = {"recipient": recipient, "title": title, "body": body, "url": url}
            email_enqueue(
                dedupe_key=f"notification:{notification.pk}",
                to=[recipient.email],
                subject=title,
                body_text=render_to_string("core/email/notification.txt", context),
                body_html=render_to_string("core/email/notification.html", context),
            )
    return notification


def notifications_for(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user)
    return notifications.filter(read_at=None) if unread_only else notifications


def unread_count(*, user: Any) -> int:
    return notifications_for(user=user, unread_only=True).count()


def notifications_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's own notifications read (all when ``ids`` is None)."""
    unread = notifications_for(user=user, unread_only=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
