"""The expansion pipeline pages: the list (filters, totals, chart, CSV), raise, edit, move
stage, win and lose. Thin views: scope → form → one service or selector → render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import account_scope
from config.http import HtmxHttpRequest
from core.csv_export import SafeCsvWriter
from core.filter_errors import filter_errors_response
from core.forms import form_add_service_errors
from core.people import display_name

from .expansion_charts import expansion_pipeline_chart
from .expansion_selectors import expansion_list, expansion_pipeline, expansion_totals, get_expansion_for_user
from .expansions import expansion_create, expansion_lose, expansion_update, expansion_win
from .filters import ExpansionFilter
from .forms import ExpansionCreateForm, ExpansionEditForm, ExpansionLoseForm, ExpansionStageForm, ExpansionWinForm
from .models import ContractAmendment, ExpansionOpportunity

PAGE_SIZE = 50


@login_required
def expansion_list_view(request: HtmxHttpRequest) -> HttpResponse:
    filterset = ExpansionFilter(request.GET or None, queryset=expansion_list(user=request.user), request=request)
    # An unbound filter (no query string) is the whole scope; a bad value shows its error
    # and no rows (never the rows of a filter it ignored).
    valid = filterset.is_valid() or not filterset.is_bound
    expansions = filterset.qs if valid else filterset.qs.none()
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": Paginator(expansions, PAGE_SIZE).get_page(request.GET.get("page")),
        "totals": expansion_totals(expansions) if valid else None,
        "chart": expansion_pipeline_chart(expansion_pipeline(expansions), base_query=request.GET) if valid else None,
        "query": query.urlencode(),
    }
    template = "renewals/_expansion_table.html" if request.htmx else "renewals/expansion_list.html"
    return render(request, template, context, status=200 if valid else 400)


@login_required
def expansion_export_view(request: HtmxHttpRequest) -> HttpResponse:
    """The filtered pipeline as CSV: same filters and scope as the page, every row."""
    filterset = ExpansionFilter(request.GET or None, queryset=expansion_list(user=request.user), request=request)
    if refused := filter_errors_response(filterset):
        return refused
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="expansions.csv"'
    response.write("\ufeff")  # so spreadsheet apps read the Chinese names as UTF-8
    writer = SafeCsvWriter(response)
    writer.writerow(
        [
            _("Account"),
            _("Title"),
            _("Kind"),
            _("Amount (ARR)"),
            _("Stage"),
            _("Probability (%)"),
            _("Weighted amount"),
            _("Expected close"),
            _("Owner"),
            _("Why this owner"),
        ]
    )
    for expansion in filterset.qs.iterator(chunk_size=1000):
        writer.writerow(
            [
                expansion.account.name,
                expansion.title,
                expansion.get_kind_display(),
                expansion.amount,
                expansion.get_stage_display(),
                expansion.probability_pct,  # type: ignore[attr-defined]
                round(expansion.weighted, 2),  # type: ignore[attr-defined]
                expansion.expected_close.isoformat() if expansion.expected_close else "",
                display_name(expansion.owner) if expansion.owner else "",
                expansion.owner_reason,
            ]
        )
    return response


@login_required
def expansion_new_view(request: HtmxHttpRequest) -> HttpResponse:
    """Raise an expansion on one of the user's accounts (``?account=<id>`` preselects it)."""
    accounts = account_scope(user=request.user)
    if request.method == "POST":
        form = ExpansionCreateForm(request.POST, accounts=accounts)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                expansion = expansion_create(actor=request.user, **data)
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                messages.success(request, _("Expansion opportunity added."))
                return redirect("renewals:expansion_detail", pk=expansion.pk)
        return render(request, "renewals/expansion_new.html", {"form": form}, status=400)
    initial = {"account": request.GET.get("account")} if (request.GET.get("account") or "").isdigit() else {}
    form = ExpansionCreateForm(initial=initial, accounts=accounts)
    return render(request, "renewals/expansion_new.html", {"form": form})


def _detail(
    request: HtmxHttpRequest, expansion: ExpansionOpportunity, status: int = 200, **forms: Form
) -> HttpResponse:
    context: dict[str, Any] = {
        "expansion": expansion,
        "edit_form": forms.get("edit_form")
        or ExpansionEditForm(
            initial={
                "title": expansion.title,
                "kind": expansion.kind,
                "amount": expansion.amount,
                "expected_close": expansion.expected_close,
                "probability": expansion.probability,
            }
        ),
        "stage_form": forms.get("stage_form") or ExpansionStageForm(initial={"stage": expansion.stage}),
        "win_form": forms.get("win_form") or ExpansionWinForm(initial={"closed_on": timezone.localdate()}),
        "lose_form": forms.get("lose_form") or ExpansionLoseForm(),
        "amendment": ContractAmendment.objects.filter(expansion=expansion).select_related("contract").first(),
        "history": expansion.history.select_related("history_user").order_by("-history_date")[:15],
    }
    return render(request, "renewals/expansion_detail.html", context, status=status)


def _action(
    request: HtmxHttpRequest,
    pk: int,
    form_class: type[Form],
    form_name: str,
    action: Callable[[ExpansionOpportunity, Any], object],
    done: str,
) -> HttpResponse:
    """One form on the expansion page: valid → one service, else the page with the errors."""
    expansion = get_expansion_for_user(request.user, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(expansion, form)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("renewals:expansion_detail", pk=pk)
    return _detail(request, get_expansion_for_user(request.user, pk), status=400, **{form_name: form})


@login_required
def expansion_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The opportunity with its forms; POST saves the edit form."""
    if request.method != "POST":
        return _detail(request, get_expansion_for_user(request.user, pk))

    def edit(expansion: ExpansionOpportunity, form: Any) -> object:
        return expansion_update(expansion=expansion, actor=request.user, **form.cleaned_data)

    return _action(request, pk, ExpansionEditForm, "edit_form", edit, _("Expansion saved."))


@login_required
@require_POST
def expansion_stage_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    def move(expansion: ExpansionOpportunity, form: Any) -> object:
        return expansion_update(expansion=expansion, actor=request.user, stage=form.cleaned_data["stage"])

    return _action(request, pk, ExpansionStageForm, "stage_form", move, _("Stage saved."))


@login_required
@require_POST
def expansion_win_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    def win(expansion: ExpansionOpportunity, form: Any) -> object:
        return expansion_win(expansion=expansion, actor=request.user, closed_on=form.cleaned_data["closed_on"])

    return _action(request, pk, ExpansionWinForm, "win_form", win, _("Expansion won: the contract's ARR is raised."))


@login_required
@require_POST
def expansion_lose_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    def lose(expansion: ExpansionOpportunity, form: Any) -> object:
        return expansion_lose(expansion=expansion, actor=request.user, reason=form.cleaned_data["reason"])

    return _action(request, pk, ExpansionLoseForm, "lose_form", lose, _("Expansion closed as lost."))
