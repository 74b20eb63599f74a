from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from config.http import HtmxHttpRequest

from .filters import AccountFilter
from .forms import AccountForm
from .selectors import account_list, book_summary, get_account_for_user
from .services import account_create, account_update

PAGE_SIZE = 50


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
    return render(request, "accounts/account_detail.html", {"account": account, "history": history})


def _apply_service_errors(form: AccountForm, error: ValidationError) -> None:
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
