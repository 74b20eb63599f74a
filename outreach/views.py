"""Staff pages of the outreach app: surveys, sending, results and their CSV export."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.segments import Segment
from config.http import HtmxHttpRequest
from core.charts import Series, line_chart
from core.csv_export import SafeCsvWriter
from core.forms import form_add_service_errors
from core.people import display_name

from .access import can_clear_bounces, can_manage_surveys, can_send_surveys
from .forms import AudienceForm, SurveyForm
from .models import Survey, SurveyKind
from .selectors import export_rows, get_survey, survey_list, survey_results
from .services import survey_create, survey_send, survey_update

PAGE_SIZE = 25


@login_required
def survey_list_view(request: HtmxHttpRequest) -> HttpResponse:
    page = Paginator(survey_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": "",
        "can_manage": can_manage_surveys(request.user),
        "can_clear_bounces": can_clear_bounces(request.user),
    }
    return render(request, "outreach/survey_list.html", context)


def _form_page(request: HtmxHttpRequest, survey: Survey | None) -> HttpResponse:
    if not can_manage_surveys(request.user):
        raise PermissionDenied
    form = SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if survey is None:
                saved = survey_create(actor=request.user, **fields)
            else:
                saved = survey_update(survey=Survey.objects.get(pk=survey.pk), actor=request.user, **fields)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Survey saved."))
            return redirect("outreach:survey_detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "outreach/survey_form.html", {"form": form, "survey": survey}, status=status)


@login_required
def survey_create_view(request: HtmxHttpRequest) -> HttpResponse:
    return _form_page(request, None)


@login_required
def survey_edit_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, get_survey(pk))


@login_required
def survey_send_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    survey = get_survey(pk)
    if not can_send_surveys(request.user):
        raise PermissionDenied
    initial = {key: value for key, value in (survey.audience or {}).items() if key != "account_ids"}
    form = AudienceForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            result = survey_send(survey=survey, actor=request.user, audience=form.audience())
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "%(chosen)s contacts will get the survey; left out: %(capped)s surveyed recently, "
                    "%(unsubscribed)s unsubscribed, %(bounced)s bounced."
                )
                % {
                    "chosen": result.chosen,
                    "capped": result.capped,
                    "unsubscribed": result.unsubscribed,
                    "bounced": result.bounced,
                },
            )
            return redirect("outreach:survey_detail", pk=survey.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "outreach/survey_send.html", {"form": form, "survey": survey}, status=status)


def _results_context(request: HtmxHttpRequest, *, kind: str, survey: Survey | None) -> dict:
    results = survey_results(user=request.user, kind=kind, survey=survey)
    title = _("NPS over time") if kind == SurveyKind.NPS else _("CSAT over time: percent satisfied")
    chart = line_chart(
        title,
        [figure.label for figure in results.by_quarter],
        [Series(title, [figure.score for figure in results.by_quarter], colour="teal")],
    )
    groups = [(_("By segment"), results.by_segment), (_("By CSM"), results.by_csm)]
    if survey is None:
        groups.insert(0, (_("By survey"), results.by_survey))
    return {"results": results, "chart": chart, "kind": kind, "survey": survey, "groups": groups}


@login_required
def survey_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    survey = get_survey(pk)
    context = _results_context(request, kind=survey.kind, survey=survey)
    context |= {"can_manage": can_manage_surveys(request.user), "can_send": can_send_surveys(request.user)}
    return render(request, "outreach/survey_detail.html", context)


def _kind(request: HtmxHttpRequest) -> str:
    kind = request.GET.get("kind") or SurveyKind.NPS
    return kind if kind in SurveyKind.values else SurveyKind.NPS


@login_required
def results_view(request: HtmxHttpRequest) -> HttpResponse:
    context = _results_context(request, kind=_kind(request), survey=None)
    context["kinds"] = SurveyKind.choices
    return render(request, "outreach/results.html", context)


@login_required
def results_export_view(request: HtmxHttpRequest) -> HttpResponse:
    survey = get_survey(request.GET["survey"]) if request.GET.get("survey") else None
    kind = survey.kind if survey is not None else _kind(request)
    stream = io.StringIO()
    writer = SafeCsvWriter(stream)
    writer.writerow(
        ["responded_at", "survey", "kind", "account_id", "account", "segment", "csm", "contact", "score", "comment"]
    )
    segments = dict(Segment.choices)
    for response in export_rows(user=request.user, kind=kind, survey=survey).iterator(chunk_size=2000):
        writer.writerow(
            [
                response.responded_at.isoformat(),
                response.survey.name,
                response.survey.kind,
                response.account_id,
                response.account.name,
                str(segments.get(response.segment_key, response.segment_key)),  # type: ignore[attr-defined]
                display_name(response.account.owner),
                response.stakeholder.name if response.stakeholder else "",
                response.score,
                response.comment,
            ]
        )
    answer = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="survey-responses-{kind}.csv"'
    return answer
