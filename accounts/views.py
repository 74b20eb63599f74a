from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.http import HtmxHttpRequest

from .filters import AccountFilter
from .forms import AccountForm, StakeholderForm, TouchpointForm
from .models import Account, RiskFlag, Stakeholder, TouchpointKind
from .selectors import (
    account_list,
    book_summary,
    get_account_for_user,
    open_risk_flags,
    stakeholder_rows,
    stakeholders_for_account,
    timeline_for_account,
)
from .services import account_create, account_update
from .stakeholders import risk_flag_resolve, stakeholder_create, stakeholder_mark_left, stakeholder_update
from .timeline import touchpoint_log

PAGE_SIZE = 50
TIMELINE_PAGE = 100


@login_required
def my_day_view(request: HtmxHttpRequest) -> HttpResponse:
    """The CSM's home page: their book at a glance (playbooks adds tasks and alerts)."""
    return render(request, "accounts/my_day.html", {"book": book_summary(user=request.user)})


@login_required
def account_list_view(request: HtmxHttpRequest) -> HttpResponse:
    filterset = AccountFilter(request.GET or None, queryset=account_list(user=request.user), request=request)
    paginator = Paginator(filterset.qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {"filter": filterset, "page": page, "query": _query_without_page(request)}
    template = "accounts/_account_table.html" if request.htmx else "accounts/account_list.html"
    return render(request, template, context)


def _query_without_page(request: HtmxHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def account_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    history = account.history.select_related("history_user").order_by("-history_date")[:20]
    return render(request, "accounts/account_detail.html", _account_context(request, account, history=history))


def _apply_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, list(map(str, messages_)))


@login_required
def account_create_view(request: HtmxHttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account = account_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": account.name})
            return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": None})


@login_required
def account_edit_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    if request.method == "POST" and form.is_valid():
        # ModelForm validation wrote the values onto ``account``; re-fetch a clean copy
        # so the service sees the stored state and applies the changes itself.
        stored = get_account_for_user(request.user, pk)
        try:
            account_update(actor=request.user, account=stored, **form.cleaned_data)
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            messages.success(request, _("Account saved."))
            return redirect("accounts:detail", pk=pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


def _account_context(request: HtmxHttpRequest, account: Account, **extra: Any) -> dict[str, Any]:
    kind = request.GET.get("kind", "")
    timeline = timeline_for_account(
        account=account, kinds=[kind] if kind else None, touchpoints_only=request.GET.get("only") == "touchpoints"
    )
    return {
        "account": account,
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
                _apply_service_errors(form, error)
            else:
                if not request.htmx:
                    messages.success(request, _("Touchpoint logged."))
                    return redirect("accounts:detail", pk=pk)
                form = None
    context = _account_context(request, account, touchpoint_form=form)
    if request.htmx:
        return render(request, "accounts/_timeline.html", context)
    return render(request, "accounts/account_detail.html", context)


@login_required
def stakeholder_edit_view(request: HtmxHttpRequest, pk: int, stakeholder_pk: int | None = None) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    stakeholder = get_object_or_404(Stakeholder, pk=stakeholder_pk, account=account) if stakeholder_pk else None
    form = StakeholderForm(request.POST or None, instance=stakeholder, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            if stakeholder is None:
                stakeholder_create(actor=request.user, account=account, **form.cleaned_data)
            else:
                fresh = Stakeholder.objects.get(pk=stakeholder.pk)
                stakeholder_update(actor=request.user, stakeholder=fresh, **form.cleaned_data)
        except ValidationError as error:
            _apply_service_errors(form, error)
        else:
            messages.success(request, _("Stakeholder saved."))
            return redirect("accounts:detail", pk=pk)
    return render(
        request, "accounts/stakeholder_form.html", {"form": form, "account": account, "stakeholder": stakeholder}
    )


@login_required
@require_POST
def stakeholder_left_view(request: HtmxHttpRequest, pk: int, stakeholder_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    stakeholder = get_object_or_404(Stakeholder, pk=stakeholder_pk, account=account)
    stakeholder_mark_left(actor=request.user, stakeholder=stakeholder)
    messages.info(request, _("%(name)s marked as left.") % {"name": stakeholder.name})
    return redirect("accounts:detail", pk=pk)


@login_required
@require_POST
def risk_flag_resolve_view(request: HtmxHttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    flag = get_object_or_404(RiskFlag, pk=flag_pk, account=account)
    risk_flag_resolve(flag=flag, actor=request.user, resolution=request.POST.get("resolution", "")[:2000])
    return redirect("accounts:detail", pk=pk)
