"""The forecast accuracy page and its CSV: whose renewal forecasts to trust."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.http import HtmxHttpRequest
from core.csv_export import SafeCsvWriter

from .accuracy import Accuracy, AccuracyReport, forecast_accuracy
from .forms import KpiForm
from .kpis import default_period

GROUP_CHOICES = [
    ("csm", gettext_lazy("CSM")),
    ("team", gettext_lazy("Team")),
    ("company", gettext_lazy("Company")),
]


class AccuracyForm(KpiForm):
    """The period (default: the last four full quarters) and the grouping (default: CSM)."""

    group_by = forms.ChoiceField(label=gettext_lazy("Group by"), choices=GROUP_CHOICES)

    @classmethod
    def from_query(cls, query: Mapping[str, Any], today: date) -> AccuracyForm:
        start, end = default_period(today)
        data = {"start": start.isoformat(), "end": end.isoformat(), "group_by": "csm"}
        data.update({key: query[key] for key in data if query.get(key)})
        return cls(data)


def _report(request: HtmxHttpRequest) -> tuple[AccuracyForm, AccuracyReport | None]:
    form = AccuracyForm.from_query(request.GET, timezone.localdate())
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, forecast_accuracy(user=request.user, start=data["start"], end=data["end"], group_by=data["group_by"])


@login_required
def forecast_accuracy_view(request: HtmxHttpRequest) -> HttpResponse:
    form, report = _report(request)
    context = {"form": form, "report": report, "query": request.GET.urlencode()}
    return render(request, "renewals/forecast_accuracy.html", context, status=200 if report else 400)


def _percent(value: Decimal | None) -> str:
    return "" if value is None else str((value * 100).quantize(Decimal("0.1")))


def _figures(accuracy: Accuracy) -> list[Any]:
    return [
        accuracy.renewals,
        accuracy.own_calls,
        accuracy.kept,
        "" if accuracy.csm_brier is None else accuracy.csm_brier,
        "" if accuracy.signal_brier is None else accuracy.signal_brier,
        _percent(accuracy.csm_called_right),
        _percent(accuracy.signal_called_right),
        accuracy.csm_forecast_arr.quantize(Decimal("0.01")),
        accuracy.signal_forecast_arr.quantize(Decimal("0.01")),
        accuracy.outcome_arr,
    ]


@login_required
def forecast_accuracy_export_view(request: HtmxHttpRequest) -> HttpResponse:
    """Each group's figures per quarter and for the whole period, as CSV."""
    form, report = _report(request)
    if report is None:
        errors = "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="forecast-accuracy.csv"'
    response.write("\ufeff")  # so spreadsheet apps read the Chinese names as UTF-8
    writer = SafeCsvWriter(response)
    writer.writerow(
        [
            _("Quarter"),
            _("Group"),
            _("Closed renewals"),
            _("Own calls"),
            _("Kept"),
            _("CSM Brier score"),
            _("Signal Brier score"),
            _("CSM called right (%)"),
            _("Signal called right (%)"),
            _("CSM forecast ARR"),
            _("Signal forecast ARR"),
            _("Outcome ARR"),
        ]
    )
    labels = {row.key: row.label for row in report.quarters}
    for row in report.rows:
        for first in sorted(row.quarters):
            label = labels.get(first.isoformat(), first.isoformat())
            writer.writerow([label, row.label, *_figures(row.quarters[first])])
        writer.writerow([_("All quarters"), row.label, *_figures(row.total)])
    return response
