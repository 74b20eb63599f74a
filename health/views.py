"""Pages of the health app: the account health panel, acting on activity-drop alerts,
"recalculate now" with its progress, and the NPS page with its CSV import."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import visible_accounts_q
from accounts.models import Account
from accounts.selectors import get_account_for_user
from core.dates import FormDateField

from .alerts import activity_alert_acknowledge, activity_alert_resolve
from .models import RecalculationRun
from .nps import CSV_COLUMNS, NpsImportError, nps_responses_import, read_csv
from .selectors import account_health, get_alert_for_user, nps_report, period_label
from .tasks import health_recalculation_start


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


# --- Recalculate now -------------------------------------------------------------------


def _sees_every_account(user: Any) -> bool:
    """Admins: the access policy puts no limit on their accounts."""
    return bool(user.is_authenticated and visible_accounts_q(user) is None)


@login_required
@require_POST
def account_recalculate_view(request: HttpRequest, account_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, account_pk)
    health_recalculation_start(actor=request.user, account=account)
    return _panel_or_back(request, account)


@login_required
def recalculate_all_view(request: HttpRequest) -> HttpResponse:
    """Admins: score every account now, and watch the progress."""
    if not _sees_every_account(request.user):
        raise PermissionDenied
    if request.method == "POST":
        started = health_recalculation_start(actor=request.user)
        messages.success(request, _("Recalculating %(count)d accounts.") % {"count": started.total})
        return redirect("health:recalculate_all")
    run = RecalculationRun.objects.filter(account=None).select_related("requested_by").first()
    return render(request, "health/recalculate.html", {"run": run})


@login_required
@require_GET
def recalculation_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar of a run (polled by htmx until it is finished); an account's run,
    once finished, answers the polling panel with the whole refreshed panel."""
    run = get_object_or_404(RecalculationRun, pk=pk)
    if run.account_id is None:
        if not _sees_every_account(request.user):
            raise Http404("No such recalculation.")
    else:
        account = get_account_for_user(request.user, run.account_id)
        if run.is_finished and getattr(request, "htmx", False):
            # Done: the account's panel polled for this, so swap the whole panel to show the
            # new score (not only "recalculated"), whatever worker finished the run.
            response = render(request, "health/_account_health_panel.html", {"health": account_health(account=account)})
            response["HX-Retarget"] = "#account-health"
            response["HX-Reswap"] = "outerHTML"
            return response
    return render(request, "health/_recalculation_progress.html", {"run": run})


# --- NPS ---------------------------------------------------------------------------------


class NpsFilterForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"), choices=[("month", _("Month")), ("quarter", _("Quarter"))], required=False
    )
    by = forms.ChoiceField(
        label=_("By"),
        choices=[("segment", _("Segment")), ("owner", _("CSM")), ("account", _("Account")), ("company", _("Company"))],
        required=False,
    )
    at = FormDateField(label=_("Period starting"), required=False, widget=forms.HiddenInput)
    key = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)


class NpsImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("Columns: %(columns)s") % {"columns": ", ".join(CSV_COLUMNS)}
    )


NPS_PAGE_SIZE = 25


def _nps_page(request: HttpRequest, *, import_form: NpsImportForm | None = None, errors: Any = None) -> HttpResponse:
    form = NpsFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    report = nps_report(
        user=request.user,
        period=data.get("period") or "month",
        group_by=data.get("by") or "segment",
        selected=data.get("at"),
        group_key=data.get("key") or None,
    )
    page = Paginator(report.responses, NPS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = {"period": report.period, "by": report.group_by}
    if report.selected_period:
        query["at"] = report.selected_period.isoformat()
    if data.get("key"):
        query["key"] = data["key"]
    context = {
        "form": form,
        "report": report,
        "page": page,
        "query": urlencode(query),
        "base_query": urlencode({k: v for k, v in query.items() if k != "key"}),
        "period_label": period_label(report.selected_period, report.period) if report.selected_period else "",
        "import_form": import_form or NpsImportForm(),
        "import_errors": errors or [],
        "csv_columns": ", ".join(CSV_COLUMNS),
    }
    template = "health/_nps_responses.html" if getattr(request, "htmx", None) and request.GET.get("page") else None
    failed = bool(errors) or (import_form is not None and bool(import_form.errors))
    return render(request, template or "health/nps.html", context, status=400 if failed else 200)


@login_required
@require_GET
def nps_view(request: HttpRequest) -> HttpResponse:
    return _nps_page(request)


@login_required
@require_POST
def nps_import_view(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of NPS responses: all rows or none, every bad row named."""
    form = NpsImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _nps_page(request, import_form=form, errors=[])
    upload = form.cleaned_data["file"]
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.add_error("file", _("The file is not UTF-8 text."))
        return _nps_page(request, import_form=form, errors=[])
    try:
        result = nps_responses_import(actor=request.user, rows=read_csv(text))
    except NpsImportError as exc:
        return _nps_page(request, import_form=form, errors=exc.errors)
    messages.success(
        request,
        _("Imported %(created)d responses (%(duplicates)d already known).")
        % {"created": result.created, "duplicates": result.duplicates},
    )
    return redirect("health:nps")
