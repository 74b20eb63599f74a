"""In-app notifications (optionally mirrored by email through the outbox)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .messages import Message, lines_render, message_fields, message_lines
from .models import Notification
from .outbox import EmailDraft, email_enqueue, emails_enqueue
from .signals import notifications_announce


def user_language(user: Any) -> str:
    """The language a person reads their emails in (their profile's, else the default)."""
    language = getattr(getattr(user, "cs_profile", None), "language", "") or ""
    return language or settings.LANGUAGE_CODE


def notification_send(
    *,
    recipient: Any,
    kind: str,
    title: str = "",
    message: Message | None = None,
    body: str = "",
    body_messages: Sequence[Message] = (),
    url: str = "",
    dedupe_key: str | None = None,
    email: bool = False,
) -> Notification | None:
    """Notify one person once per ``dedupe_key``; returns None when it already existed.

    Generated text goes in as ``message`` (and ``body_messages``): the notification
    centre shows it in the reader's language, the email in the recipient's. ``title`` and
    ``body`` are the stored fallback; left empty, they are the message rendered in the
    active language (render inside ``translation.override(user_language(recipient))``).
    """
    draft = NotificationDraft(
        recipient=recipient,
        kind=kind,
        title=title,
        message=message,
        body=body,
        body_messages=tuple(body_messages),
        url=url,
        dedupe_key=dedupe_key,
        email=email,
    )
    (routed,) = _routed([draft])
    try:
        with transaction.atomic():
            notification = _row(routed)
            notification.save(force_insert=True)
    except IntegrityError:
        return None
    notifications_announce(ids=[notification.pk])
    if routed.email and recipient.email:
        email_enqueue(**_email_fields(routed, notification.pk))
    return notification


@dataclass(frozen=True)
class NotificationDraft:
    """One notification for ``notifications_send``: what ``notification_send`` takes."""

    recipient: Any
    kind: str
    title: str = ""
    message: Message | None = None
    body: str = ""
    body_messages: tuple[Message, ...] = ()
    url: str = ""
    dedupe_key: str | None = None
    email: bool = False
    filed_read: bool = False  # set by the email router: the person reads it in their digest


# The recipients' preferences decide whether a notification its sender emails goes by
# email ("email"), stays in the app ("in_app") or is filed read for the digest ("digest").
# integrations.digests registers the router (core imports no app); only drafts with
# email=True ask it, in one call per batch, so the path without email stays one insert.
EmailRouter = Callable[[list[tuple[int, str]]], list[str]]
_email_router: EmailRouter | None = None


def notification_email_router_register(router: EmailRouter | None) -> None:
    global _email_router
    _email_router = router


def _routed(drafts: list[NotificationDraft]) -> list[NotificationDraft]:
    asking = [index for index, draft in enumerate(drafts) if draft.email]
    if _email_router is None or not asking:
        return drafts
    channels = _email_router([(drafts[index].recipient.pk, drafts[index].kind) for index in asking])
    routed = list(drafts)
    for index, channel in zip(asking, channels, strict=True):
        if channel != "email":
            routed[index] = replace(drafts[index], email=False, filed_read=channel == "digest")
    return routed


def _row(draft: NotificationDraft) -> Notification:
    """The (unsaved) row of a draft; empty texts are its messages in the active language."""
    key, params = message_fields(draft.message)
    title = draft.title or (draft.message.render() if draft.message is not None else "")
    return Notification(
        recipient=draft.recipient,
        kind=draft.kind,
        title=title[:300],
        message_key=key,
        message_params=params,
        body=draft.body or lines_render(draft.body_messages),
        body_messages=message_lines(draft.body_messages),
        url=draft.url,
        dedupe_key=draft.dedupe_key,
        read_at=timezone.now() if draft.filed_read else None,
    )


def _email_fields(draft: NotificationDraft, notification_id: int) -> dict[str, Any]:
    """The notification's email mirror, rendered in the recipient's language."""
    recipient = draft.recipient
    with translation.override(user_language(recipient)):
        title = draft.message.render(fallback=draft.title) if draft.message is not None else draft.title
        body = lines_render(draft.body_messages) if draft.body_messages else draft.body
        context = {"recipient": recipient, "title": title, "body": body, "url": draft.url}
        return {
            "dedupe_key": f"notification:{notification_id}",
            "to": [recipient.email],
            "subject": title,
            "body_text": render_to_string("core/email/notification.txt", context),
            "body_html": render_to_string("core/email/notification.html", context),
        }


def notifications_send(drafts: Iterable[NotificationDraft]) -> None:
    """``notification_send`` for a batch, in a constant number of queries.

    Each ``dedupe_key`` notifies once, however often this runs (the first draft wins
    when a key repeats in the batch); as with ``notification_send``, only a notification
    this call created sends its email (``email=True``). One insert without email; with
    email, a read of the existing keys before and of the new rows after, and the outbox's
    two queries.
    """
    keyed: dict[str, NotificationDraft] = {}
    unkeyed: list[NotificationDraft] = []
    for draft in _routed(list(drafts)):
        if draft.dedupe_key is None:
            unkeyed.append(draft)
        else:
            keyed.setdefault(draft.dedupe_key, draft)
    wants_email = any(draft.email for draft in [*keyed.values(), *unkeyed])
    # Only the mailing path needs to know which keyed rows are new: read what exists.
    existing: set[str] = set()
    if wants_email and keyed:
        found = Notification.objects.filter(dedupe_key__in=list(keyed)).values_list("dedupe_key", flat=True)
        existing = {key for key in found if key is not None}

    created: list[tuple[NotificationDraft, Notification]] = []
    if unkeyed:
        # No unique key can conflict: a plain insert, which also returns the ids.
        rows = Notification.objects.bulk_create([_row(draft) for draft in unkeyed])
        created += zip(unkeyed, rows, strict=True)
    if keyed:
        Notification.objects.bulk_create([_row(draft) for draft in keyed.values()], ignore_conflicts=True)
        new = [key for key in keyed if key not in existing]
        if wants_email:
            # A concurrent caller may have inserted one of ``new`` between the read and
            # the insert; both then enqueue "notification:<pk>", which the outbox keeps once.
            by_key = Notification.objects.in_bulk(new, field_name="dedupe_key")
            created += [(keyed[key], by_key[key]) for key in new if key in by_key]
    mails = [
        EmailDraft(**_email_fields(draft, notification.pk))
        for draft, notification in created
        if draft.email and draft.recipient.email
    ]
    if mails:
        emails_enqueue(mails)
    notifications_announce(ids=[n.pk for _draft, n in created if n.pk is not None], dedupe_keys=list(keyed))


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
