"""The unmatched inbox: emails the listener could not put on a timeline, and their assignment.

A CSM sees the emails they sent; a manager also their teams'; an admin all. Anything
outside that is a 404 (its existence is not revealed).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import AssignForm
from .selectors import get_inbound_for_user, unmatched_for_user
from .services import inbound_email_assign, inbound_email_dismiss

PAGE_SIZE = 100


@login_required
def unmatched_view(request: HttpRequest) -> HttpResponse:
    emails = list(unmatched_for_user(user=request.user)[: PAGE_SIZE + 1])
    context = {"emails": emails[:PAGE_SIZE], "more": len(emails) > PAGE_SIZE}
    return render(request, "inbox/unmatched.html", context)


@login_required
def email_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_inbound_for_user(request.user, pk)
    return render(request, "inbox/email_detail.html", {"email": email, "form": AssignForm(user=request.user)})


@require_POST
@login_required
def email_assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_inbound_for_user(request.user, pk)
    form = AssignForm(request.POST, user=request.user)
    if form.is_valid():
        account = form.cleaned_data["account"]
        try:
            inbound_email_assign(email=email, account=account, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The email is on %(account)s's timeline.") % {"account": account.name})
            return redirect(reverse("accounts:detail", kwargs={"pk": account.pk}))
    return render(request, "inbox/email_detail.html", {"email": email, "form": form}, status=400)


@require_POST
@login_required
def email_dismiss_view(request: HttpRequest, pk: int) -> HttpResponse:
    email = get_inbound_for_user(request.user, pk)
    try:
        inbound_email_dismiss(email=email, actor=request.user)
    except ValidationError as exc:
        context = {"email": email, "form": AssignForm(user=request.user), "errors": exc.messages}
        return render(request, "inbox/email_detail.html", context, status=400)
    messages.success(request, _("The email was dismissed."))
    return redirect(reverse("inbox:unmatched"))
