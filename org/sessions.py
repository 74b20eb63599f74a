"""Signed-in sessions a person can see and end (``/security/sessions/``).

A ``UserSession`` row is written when someone signs in (``user_logged_in``) and deleted
when they log out or a session is ended. Ending a session deletes it from Django's
session store, so its browser is signed out on its next request. The row's id is kept
in the session itself, so a session whose key changes (a password change cycles it)
keeps its row; ``SessionActivityMiddleware`` refreshes ``last_seen`` at most once a
minute (an ordinary page costs no extra write).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.dispatch import receiver
from django.http import Http404, HttpRequest
from django.utils import timezone

from .models import UserSession

ROW_KEY = "_hg_session_row"
SEEN_KEY = "_hg_session_seen"
SEEN_EVERY_SECONDS = 60


def _store(session_key: str | None = None) -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is the client's to forge unless a proxy rewrites it.
    address = request.META.get("REMOTE_ADDR") or None
    return address if address and len(address) <= 45 else None


def session_track(*, request: HttpRequest, user: Any) -> UserSession | None:
    """Record the session ``request`` signed in with (its key is set by ``login()``)."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    if session.session_key is None:
        session.save()
    now = timezone.now()
    row, _created = UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "ip": _client_ip(request),
            "last_seen": now,
        },
    )
    session[ROW_KEY] = row.pk
    session[SEEN_KEY] = int(now.timestamp())
    return row


@receiver(user_logged_in, dispatch_uid="org.sessions.track")
def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None:
        session_track(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="org.sessions.forget")
def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    rows = UserSession.objects.filter(session_key=session.session_key or "")
    if session.get(ROW_KEY):
        rows = UserSession.objects.filter(pk=session[ROW_KEY]) | rows
    rows.delete()


def session_seen(request: HttpRequest) -> None:
    """Refresh the row of this request's session when it was last seen a minute ago or more."""
    session = getattr(request, "session", None)
    if session is None or (not session.get(ROW_KEY) and "_auth_user_id" not in session):
        return
    now = int(timezone.now().timestamp())
    if now - int(session.get(SEEN_KEY, 0)) < SEEN_EVERY_SECONDS:
        return
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    updated = 0
    if session.get(ROW_KEY):
        updated = UserSession.objects.filter(pk=session[ROW_KEY], user_id=user.pk).update(
            last_seen=timezone.now(), session_key=session.session_key
        )
    if not updated:  # signed in before sessions were tracked, or the row went missing
        session_track(request=request, user=user)
    else:
        session[SEEN_KEY] = now


def sessions_for(*, user: Any) -> list[UserSession]:
    """The person's live sessions, newest activity first; rows of expired sessions go."""
    rows = list(UserSession.objects.filter(user=user))
    gone = [row.pk for row in rows if not _store().exists(row.session_key)]
    if gone:
        UserSession.objects.filter(pk__in=gone).delete()
    return [row for row in rows if row.pk not in gone]


def _end(rows: list[UserSession]) -> int:
    for row in rows:
        _store(row.session_key).delete()
    UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return len(rows)


def get_session_for_user(*, user: Any, pk: Any) -> UserSession:
    try:
        return UserSession.objects.get(pk=int(pk), user_id=user.pk)
    except (UserSession.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404("No such session.") from exc


@transaction.atomic
def session_end(*, user: Any, pk: Any) -> int:
    """End one of ``user``'s sessions (404 for another person's)."""
    return _end([get_session_for_user(user=user, pk=pk)])


@transaction.atomic
def sessions_end_others(*, user: Any, request: HttpRequest) -> int:
    """End every session of ``user`` but the one of ``request`` (whose row follows its key)."""
    session = request.session
    keep = session.get(ROW_KEY)
    if keep:
        UserSession.objects.filter(pk=keep, user_id=user.pk).update(session_key=session.session_key)
    others = UserSession.objects.filter(user_id=user.pk).exclude(session_key=session.session_key or "")
    return _end(list(others))


@transaction.atomic
def sessions_end_all(*, user: Any) -> int:
    """End every tracked session of ``user`` (a deactivation, a password set by invitation)."""
    return _end(list(UserSession.objects.filter(user_id=user.pk)))


def is_current(row: UserSession, request: HttpRequest) -> bool:
    return row.pk == request.session.get(ROW_KEY) or row.session_key == request.session.session_key
