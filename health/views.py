"""Pages of the health app: the account health panel and acting on activity-drop alerts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Account
from accounts.selectors import get_account_for_user

from .alerts import activity_alert_acknowledge, activity_alert_resolve
from .selectors import account_health, get_alert_for_user


def _panel_or_back(request: HttpRequest, account: Account) -> HttpResponse:
    if getattr(request, "htmx", False):
        return render(request, "health/_account_health_panel.html", {"health": account_health(account=account)})
    return redirect("accounts:detail", pk=account.pk)


@login_required
@require_GET
def account_health_panel_view(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, account_pk)
    return render(request, "health/_account_health_panel.html", {"health": account_health(account=account)})


@login_required
@require_POST
def alert_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_alert_for_user(request.user, pk)
    try:
        activity_alert_acknowledge(alert=alert, actor=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _panel_or_back(request, alert.account)


@login_required
@require_POST
def alert_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_alert_for_user(request.user, pk)
    try:
        activity_alert_resolve(alert=alert, actor=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _panel_or_back(request, alert.account)
