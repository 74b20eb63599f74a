"""The notification-preferences page (digests, channels, the calendar feed) and the
public calendar feed itself."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.notifications import user_language

from .calendar import calendar_feed_for, calendar_feed_issue, calendar_feed_revoke, calendar_feed_url, calendar_ics
from .calendar import calendar_feed_user as feed_owner
from .forms import PreferenceForm
from .models import DigestKind
from .preferences import kinds_for, preference_for, preference_save
from .sending import digest_preview, digest_subject

# Chat delivery belongs to the webhooks app (chat targets); the page links to it.
CHAT_URL_NAMES = ("webhooks:chat",)


def _chat_url() -> str | None:
    for name in CHAT_URL_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _person(request: HttpRequest) -> User:
    """The signed-in person (every view here but the feed is behind login_required)."""
    return cast(User, request.user)


def _page(request: HttpRequest, form: PreferenceForm, *, new_feed_url: str = "", status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "feed": calendar_feed_for(user=_person(request)),
        "new_feed_url": new_feed_url,
        "chat_url": _chat_url(),
    }
    return render(request, "digests/preferences.html", context, status=status)


@login_required
def preferences_view(request: HttpRequest) -> HttpResponse:
    kinds = kinds_for(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST, kinds=kinds)
        if not form.is_valid():
            return _page(request, form, status=400)
        preference_save(user=_person(request), **form.values())
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("digests:preferences")
    preference = preference_for(user=_person(request))
    return _page(request, PreferenceForm(initial=PreferenceForm.initial_from(preference, kinds), kinds=kinds))


@login_required
@require_POST
def calendar_manage_view(request: HttpRequest) -> HttpResponse:
    """Make (or remake) the secret feed URL, shown once on the page; or revoke it."""
    action = request.POST.get("action")
    if action == "revoke":
        calendar_feed_revoke(user=_person(request))
        messages.success(request, _("Your calendar feed is revoked: the old URL no longer works."))
        return redirect("digests:preferences")
    if action != "issue":
        messages.error(request, _("Choose whether to make a new calendar URL or to revoke it."))
        return redirect("digests:preferences")
    person = _person(request)
    token = calendar_feed_issue(user=person)
    kinds = kinds_for(person)
    form = PreferenceForm(initial=PreferenceForm.initial_from(preference_for(user=person), kinds), kinds=kinds)
    return _page(request, form, new_feed_url=calendar_feed_url(token))


@login_required
@require_GET
def digest_preview_view(request: HttpRequest) -> HttpResponse:
    """Today's digest as it would be sent now (``?kind=weekly`` for the weekly one)."""
    kind = request.GET.get("kind", DigestKind.DAILY)
    if kind not in DigestKind.values:
        kind = DigestKind.DAILY
    person = _person(request)
    with translation.override(user_language(person)):
        digest = digest_preview(user=person, kind=kind, now=timezone.now())
        subject = digest_subject(digest)
    context = {"digest": digest, "subject": subject, "base_url": ""}
    return render(request, "digests/preview.html", context)


@require_GET
def calendar_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """Public (calendar apps send no session): the secret token is the credential."""
    user = feed_owner(token=token)
    if user is None:
        raise Http404("No such calendar feed.")
    response = HttpResponse(calendar_ics(user=user), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="hourglass.ics"'
    return response
