"""People pages (managers and admins), the invitation link, and one's own sessions.

Thin: scope (``org.people.get_person_for_user``: another team's person is a 404, a CSM
gets 403) → form → one service → message and redirect.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.people import display_name
from core.tokens import api_token_for

from .forms import InviteForm, PersonForm
from .invitations import TokenState, invitation_tokens, user_from_uidb64
from .models import Invitation
from .people import (
    get_person_for_user,
    invitation_resend,
    is_invited,
    people_list,
    person_deactivate,
    person_invite,
    person_reactivate,
    person_update,
    require_people_manager,
    two_factor_by_user,
)
from .roles import role_of
from .sessions import get_session_for_user, is_current, session_end, sessions_end_all, sessions_end_others, sessions_for


def _apply_errors(form: Any, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def _person_errors(request: HttpRequest, error: ValidationError) -> None:
    for messages_ in error.message_dict.values():
        for message in messages_:
            messages.error(request, message)


@login_required
def people_view(request: HttpRequest) -> HttpResponse:
    require_people_manager(request.user)
    people = list(people_list(user=request.user))
    two_factor = two_factor_by_user([person.pk for person in people])
    for person in people:
        person.invited = not person.has_usable_password() and hasattr(person, "invitation")
        person.two_factor = None if two_factor is None else two_factor.get(person.pk, False)
    return render(request, "org/people.html", {"people": people, "two_factor_known": two_factor is not None})


@login_required
def person_invite_view(request: HttpRequest) -> HttpResponse:
    require_people_manager(request.user)
    form = InviteForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = person_invite(actor=request.user, **data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": person.email})
            return redirect("people:detail", pk=person.pk)
    context = {"form": form, "invite_days": settings.HOURGLASS_INVITE_DAYS}
    return render(request, "org/person_invite.html", context, status=400 if form.errors else 200)


@login_required
def person_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_people_manager(request.user)
    person = get_person_for_user(request.user, pk)
    profile = getattr(person, "cs_profile", None)
    initial = {"role": getattr(profile, "role", None), "team": getattr(profile, "team", None)}
    form = PersonForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person_update(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("people:detail", pk=person.pk)
    context = {
        "person": person,
        "form": form,
        "invited": is_invited(person),
        "invitation": Invitation.objects.filter(user=person).first(),
        "is_admin": role_of(request.user) == "admin",
    }
    return render(request, "org/person_detail.html", context, status=400 if form.errors else 200)


def _person_action(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    require_people_manager(request.user)
    person = get_person_for_user(request.user, pk)
    try:
        action(actor=request.user, person=person)
    except ValidationError as error:
        _person_errors(request, error)
    else:
        messages.success(request, done % {"name": display_name(person)})
    return redirect("people:detail", pk=person.pk)


@login_required
@require_POST
def person_deactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    done = _(
        "%(name)s is deactivated: their accounts are unassigned, their manager has a task to reassign them, "
        "their API token is revoked and their sessions are ended."
    )
    return _person_action(request, pk, person_deactivate, done)


@login_required
@require_POST
def person_reactivate_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_action(request, pk, person_reactivate, _("%(name)s can sign in again."))


@login_required
@require_POST
def invitation_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_action(request, pk, invitation_resend, _("A new invitation was sent to %(name)s."))


@login_required
@require_POST
def person_sessions_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin signs another person out everywhere."""
    if role_of(request.user) != "admin":
        raise PermissionDenied
    person = get_person_for_user(request.user, pk)
    if person.pk == request.user.pk:  # never this very session: it would vanish under the request
        count = sessions_end_others(user=person, request=request)
    else:
        count = sessions_end_all(user=person)
    messages.success(request, _("%(count)s sessions ended.") % {"count": count})
    return redirect("people:detail", pk=person.pk)


@never_cache
def invite_accept_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invitation link: set a first password, once, before it expires."""
    person = user_from_uidb64(uidb64)
    state = invitation_tokens.state(person, token)
    if state is not TokenState.VALID:
        return render(request, "org/invite_invalid.html", {"expired": state is TokenState.EXPIRED}, status=410)
    form = SetPasswordForm(person, request.POST or None)
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "form-control")
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()  # the new password hash: this link stops working
            Invitation.objects.filter(user=person).update(accepted_at=timezone.now())
            sessions_end_all(user=person)
        messages.success(request, _("Your password is set. Sign in with %(username)s.") % {"username": person.username})
        return redirect("login")
    return render(request, "org/invite_accept.html", {"form": form, "person": person})


@login_required
def sessions_view(request: HttpRequest) -> HttpResponse:
    rows = sessions_for(user=request.user)
    for row in rows:
        row.current = is_current(row, request)  # type: ignore[attr-defined]
    context = {"sessions": rows, "token": api_token_for(user=request.user)}
    return render(request, "org/sessions.html", context)


@login_required
@require_POST
def session_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    if is_current(get_session_for_user(user=request.user, pk=pk), request):
        logout(request)  # this very session: a plain log out
        return redirect("login")
    session_end(user=request.user, pk=pk)
    messages.success(request, _("The session is ended."))
    return redirect("sessions:list")


@login_required
@require_POST
def sessions_end_others_view(request: HttpRequest) -> HttpResponse:
    count = sessions_end_others(user=request.user, request=request)
    messages.success(request, _("%(count)s other sessions ended.") % {"count": count})
    return redirect("sessions:list")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, which keeps this session signed in; the others are ended."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        sessions_end_others(user=self.request.user, request=self.request)
        return response
