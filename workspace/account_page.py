"""The account page (account 360): the account's own file, with the panels of the apps
that know about it (health, renewal, tasks and stage, similar cases)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.dossier import dossier_overview
from accounts.forms import TouchpointForm
from accounts.models import Account, TouchpointKind
from accounts.reviews import can_review, latest_review
from accounts.selectors import (
    get_account_for_user,
    open_risk_flags,
    stakeholder_rows,
    stakeholders_for_account,
    timeline_for_account,
)
from accounts.timeline import touchpoint_log
from config.http import HtmxHttpRequest
from core.forms import form_add_service_errors

TIMELINE_PAGE = 100


def _account_context(request: HtmxHttpRequest, account: Account, **extra: Any) -> dict[str, Any]:
    kind = request.GET.get("kind", "")
    timeline = timeline_for_account(
        account=account, kinds=[kind] if kind else None, touchpoints_only=request.GET.get("only") == "touchpoints"
    )
    return {
        "account": account,
        "dossier": dossier_overview(account=account),
        "review": latest_review(account=account),
        "can_review": can_review(request.user),
        "stakeholders_by_tier": stakeholder_rows(account=account),
        "former_stakeholders": stakeholders_for_account(account=account).filter(is_active=False),
        "risk_flags": open_risk_flags(account=account),
        "timeline": timeline[:TIMELINE_PAGE],
        "timeline_kind": kind,
        "touchpoint_kinds": TouchpointKind.choices,
        "touchpoint_form": extra.pop("touchpoint_form", None)
        or TouchpointForm(account=account, initial={"occurred_at": timezone.localtime().replace(second=0)}),
        **extra,
    }


@login_required
def account_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    history = account.history.select_related("history_user").order_by("-history_date")[:20]
    return render(request, "workspace/account_detail.html", _account_context(request, account, history=history))


@login_required
def account_timeline_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the (filtered) timeline partial. POST: log a touchpoint, then the partial."""
    account = get_account_for_user(request.user, pk)
    form = None
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
                form = None
    context = _account_context(request, account, touchpoint_form=form)
    if request.htmx:
        return render(request, "accounts/_timeline.html", context)
    return render(request, "workspace/account_detail.html", context)
