from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.confirm import ConfirmReasonForm
from config.http import HtmxHttpRequest
from core.csv_export import SafeCsvWriter
from core.filter_errors import filter_errors_response
from core.forms import form_add_service_errors
from core.people import display_name
from core.pg_tuning import aggregate_report

from .adoption_kpis import adoption_charts, adoption_report
from .charts import kpi_trend_charts, ledger_trend_charts, pipeline_charts
from .filters import RenewalFilter
from .forms import AtRiskForm, CloseForm, ExpansionForm, KpiForm, OverrideForm, StageForm
from .kpi_facts.read import cube_rows
from .kpi_owners import kpi_owner_cache
from .kpis import FIGURES, retention_report
from .ledger_kpis import LEDGER_FIGURES, ledger_report
from .models import RenewalOpportunity
from .selectors import (
    account_expansions,
    get_renewal_for_user,
    renewal_list,
    renewal_pipeline,
    renewal_self_check,
)
from .services import (
    expansion_create,
    renewal_close,
    renewal_mark_at_risk,
    renewal_override_forecast,
    renewal_set_stage,
)

PAGE_SIZE = 50


def _query_without(request: HtmxHttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
def renewal_list_view(request: HtmxHttpRequest) -> HttpResponse:
    filterset = RenewalFilter(request.GET or None, queryset=renewal_list(user=request.user), request=request)
    renewals = filterset.qs
    paginator = Paginator(renewals, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    by = "quarter" if request.GET.get("pipeline") == "quarter" else "month"
    # An unbound filter (no query string) is the whole scope, not an error.
    valid = filterset.is_valid() or not filterset.is_bound
    pipeline = renewal_pipeline(renewals=renewals, by=by) if valid else []
    context = {
        "filter": filterset,
        "page": page,
        "pipeline": pipeline,
        "pipeline_charts": pipeline_charts(pipeline, by=by, base_query=request.GET),
        "pipeline_by": by,
        "query": _query_without(request, "page"),
        "pipeline_query": _query_without(request, "page", "pipeline"),
        "today": timezone.localdate(),
    }
    template = "renewals/_renewal_table.html" if request.htmx else "renewals/renewal_list.html"
    return render(request, template, context)


@login_required
def renewal_export_view(request: HtmxHttpRequest) -> HttpResponse:
    """The filtered list as CSV (same filters and scope as the page, every row)."""
    filterset = RenewalFilter(request.GET or None, queryset=renewal_list(user=request.user), request=request)
    if refused := filter_errors_response(filterset):
        return refused
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="renewals.csv"'
    response.write("\ufeff")  # so spreadsheet apps read the Chinese names as UTF-8
    writer = SafeCsvWriter(response)
    writer.writerow(
        [
            _("Account"),
            _("Renewal date"),
            _("Days left"),
            _("ARR"),
            _("Currency"),
            _("Status"),
            _("Signal probability"),
            _("CSM probability"),
            _("Forecast ARR"),
            _("Weighted forecast"),
            _("Owner"),
        ]
    )
    today = timezone.localdate()
    for renewal in filterset.qs.iterator(chunk_size=1000):
        owner = renewal.account.owner
        writer.writerow(
            [
                renewal.account.name,
                renewal.due_date.isoformat(),
                renewal.days_left(today),
                renewal.contract.arr,
                renewal.contract.currency,
                renewal.get_status_display(),
                renewal.signal_probability,
                "" if renewal.override_probability is None else renewal.override_probability,
                renewal.forecast_arr,
                round(renewal.forecast_weighted, 2),  # type: ignore[attr-defined]
                display_name(owner) if owner else "",
            ]
        )
    return response


@login_required
def renewal_kpis_view(request: HtmxHttpRequest) -> HttpResponse:
    """Retention KPIs of the renewals due in a period, in the user's scope, by a grouping."""
    form = KpiForm.from_query(request.GET, timezone.localdate())
    table = ledger = adoption = None
    charts = ledger_charts = activity_charts = []
    if form.is_valid():
        start, end, group_by = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["group_by"]
        with aggregate_report(), kpi_owner_cache():  # one planner setting, one owners' look-up
            # The renewal-based and adoption reports from the precomputed cells when they answer.
            cube = cube_rows(user=request.user, last=end, group_by=group_by)
            table, trend = retention_report(user=request.user, start=start, end=end, group_by=group_by, cube=cube)
            ledger, ledger_trend = ledger_report(
                user=request.user, start=start, end=end, group_by=group_by, cells=cube is not None
            )
            adoption = adoption_report(user=request.user, start=start, end=end, group_by=group_by, cube=cube)
        charts = kpi_trend_charts(trend)
        ledger_charts = ledger_trend_charts(ledger_trend, start=start, end=end, group_by=group_by)
        activity_charts = adoption_charts(adoption)
    context = {
        "form": form,
        "table": table,
        "figures": FIGURES,
        "charts": charts,
        "ledger": ledger,
        "ledger_figures": LEDGER_FIGURES,
        "adoption": adoption,
        "ledger_charts": ledger_charts,
        "adoption_charts": activity_charts,
        "activation_days": settings.HOURGLASS_ACTIVATION_DAYS,
    }
    return render(request, "renewals/renewal_kpis.html", context, status=200 if table else 400)


def _detail(request: HtmxHttpRequest, renewal: RenewalOpportunity, status: int = 200, **forms: Form) -> HttpResponse:
    contract = renewal.contract
    context: dict[str, Any] = {
        "renewal": renewal,
        "contract": contract,
        "today": timezone.localdate(),
        "self_check": renewal_self_check(renewal),
        "expansions": account_expansions(account=renewal.account),
        "expansion_form": forms.get("expansion_form") or ExpansionForm(),
        "reminders": renewal.reminders.select_related("email", "recipient").order_by("threshold_days", "audience"),
        "history": renewal.history.select_related("history_user").order_by("-history_date")[:15],
        "at_risk_form": forms.get("at_risk_form") or AtRiskForm(initial={"reason": renewal.risk_reason}),
        "stage_form": forms.get("stage_form") or StageForm(initial={"status": renewal.status}),
        "override_form": forms.get("override_form")
        or OverrideForm(
            initial={
                "probability": None
                if renewal.override_probability is None
                else int(renewal.override_probability * 100),
                "reason": renewal.override_reason,
                "forecast_arr": renewal.forecast_arr,
            }
        ),
        "close_form": forms.get("close_form") or CloseForm(initial={"outcome_arr": contract.arr}),
        "close_confirm": forms.get("close_confirm"),
    }
    return render(request, "renewals/renewal_detail.html", context, status=status)


@login_required
def renewal_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_renewal_for_user(request.user, pk))


def _renewal_action(
    request: HtmxHttpRequest,
    pk: int,
    form_class: type[Form],
    form_name: str,
    action: Callable[[RenewalOpportunity, Any], object],
    done: str,
) -> HttpResponse:
    """One form on the renewal page: a valid form goes to one service (``action``), else
    the page comes back with the form's errors (the service's named field errors too)."""
    renewal = get_renewal_for_user(request.user, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(renewal, form)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("renewals:detail", pk=pk)
    return _detail(request, renewal, status=400, **{form_name: form})


@login_required
@require_POST
def renewal_at_risk_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    def mark(renewal: RenewalOpportunity, form: Any) -> object:
        return renewal_mark_at_risk(renewal=renewal, reason=form.cleaned_data["reason"], actor=request.user)

    return _renewal_action(request, pk, AtRiskForm, "at_risk_form", mark, _("Renewal marked at risk."))


@login_required
@require_POST
def renewal_stage_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    def set_stage(renewal: RenewalOpportunity, form: Any) -> object:
        return renewal_set_stage(renewal=renewal, status=form.cleaned_data["status"], actor=request.user)

    return _renewal_action(request, pk, StageForm, "stage_form", set_stage, _("Stage saved."))


@login_required
@require_POST
def renewal_override_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    def override(renewal: RenewalOpportunity, form: Any) -> object:
        return renewal_override_forecast(
            renewal=renewal,
            probability=form.probability_ratio(),
            reason=form.cleaned_data["reason"],
            forecast_arr=form.cleaned_data["forecast_arr"],
            actor=request.user,
        )

    return _renewal_action(request, pk, OverrideForm, "override_form", override, _("Forecast saved."))


def _close_confirm(
    request: HtmxHttpRequest, renewal: RenewalOpportunity, close_form: CloseForm, confirm: ConfirmReasonForm
) -> HttpResponse:
    """The confirmation step of closing: what will be recorded, and the reason to give."""
    if not request.htmx:
        status = 400 if confirm.is_bound else 200
        return _detail(request, renewal, status=status, close_form=close_form, close_confirm=confirm)
    # htmx swaps only a 2xx answer into the page.
    context = {"renewal": renewal, "close_form": close_form, "close_confirm": confirm}
    return render(request, "renewals/_close_confirm.html", context)


@login_required
@require_POST
def renewal_close_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Closing asks first: the outcome comes back for confirmation with a reason (in the
    page with htmx), and that confirmation closes the renewal."""
    renewal = get_renewal_for_user(request.user, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        if request.htmx:  # the step's place below the form lists what to fix
            return render(request, "renewals/_close_confirm.html", {"renewal": renewal, "close_form": form})
        return _detail(request, renewal, status=400, close_form=form)

    def close(reason: str) -> None:
        renewal_close(
            renewal=renewal,
            outcome=form.cleaned_data["outcome"],
            outcome_arr=form.cleaned_data["outcome_arr"],
            churn_reason=form.cleaned_data["churn_reason"],
            next_end_date=form.cleaned_data["next_end_date"],
            reason=reason,
            actor=request.user,
        )

    confirming = ConfirmReasonForm.is_confirmation(request.POST)
    confirm = ConfirmReasonForm(request.POST if confirming else None, auto_id="close-%s")
    try:
        if not confirming:
            _dry_run(lambda: close(""))  # the service's own checks, before asking to confirm
            return _close_confirm(request, renewal, form, confirm)
        if not confirm.is_valid():
            return _close_confirm(request, renewal, form, confirm)
        close(confirm.cleaned_data["reason"])
    except ValidationError as error:
        form_add_service_errors(form, error)
        if request.htmx:
            return render(request, "renewals/_close_confirm.html", {"renewal": renewal, "close_form": form})
        return _detail(request, renewal, status=400, close_form=form)
    messages.success(request, _("Renewal closed."))
    return redirect("renewals:detail", pk=pk)


class _DryRun(Exception):
    pass


def _dry_run(write: Callable[[], object]) -> None:
    """Run a write and roll it back: its ValidationError (if any) is what the real run
    would raise; nothing stays written and nothing runs after commit."""
    try:
        with transaction.atomic():
            write()
            raise _DryRun
    except _DryRun:
        pass


@login_required
@require_POST
def renewal_expansion_create_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Raise an expansion on the renewal's account; the owner role follows the rule."""

    def create(renewal: RenewalOpportunity, form: Any) -> object:
        return expansion_create(account=renewal.account, actor=request.user, **form.cleaned_data)

    return _renewal_action(request, pk, ExpansionForm, "expansion_form", create, _("Expansion opportunity added."))
