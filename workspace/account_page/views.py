"""The account page (account 360): a summary header over a work area in tabs.

Thin views: ``get_account_for_user`` (404 outside the user's scope), then the header,
the tab or the touchpoint service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.forms import TouchpointForm
from accounts.models import Account
from accounts.selectors import get_account_for_user
from accounts.timeline import touchpoint_log
from config.http import HtmxHttpRequest
from core.forms import form_add_service_errors

from .header import account_header
from .tabs import TAB_SLUGS, TABS, activity_context, tab_context, timeline_context


def _page(request: HtmxHttpRequest, account: Account, **extra: Any) -> HttpResponse:
    activity = activity_context(request, account, **extra)
    context = {
        "account": account,
        "header": account_header(account=account, tasks=activity["tasks"]),
        "tabs": TABS,
        **activity,
    }
    return render(request, "workspace/account_detail.html", context)


@login_required
def account_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _page(request, get_account_for_user(request.user, pk))


@login_required
def account_tab_view(request: HtmxHttpRequest, pk: int, tab: str) -> HttpResponse:
    """One tab's body (htmx); opened directly, the page with that tab selected."""
    account = get_account_for_user(request.user, pk)
    if tab not in TAB_SLUGS:
        raise Http404("No such tab.")
    if not request.htmx:
        return redirect(reverse("accounts:detail", args=[account.pk]) + f"#{tab}")
    return render(request, f"workspace/account/_tab_{tab}.html", tab_context(request, account, tab))


@login_required
def account_timeline_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the (filtered) timeline. POST: log a touchpoint, then the timeline with a
    fresh form (or the form with its errors on the fields)."""
    account = get_account_for_user(request.user, pk)
    form = None
    logged = False
    if request.method == "POST":
        form = TouchpointForm(request.POST, account=account)
        if form.is_valid():
            try:
                touchpoint_log(actor=request.user, account=account, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                if not request.htmx:
                    messages.success(request, _("Touchpoint logged."))
                    return redirect("accounts:detail", pk=pk)
                form, logged = None, True
    if not request.htmx:
        return _page(request, account, touchpoint_form=form)
    context = {"account": account, "touch_logged": logged, **timeline_context(request, account, touchpoint_form=form)}
    return render(request, "workspace/account/_timeline.html", context)
