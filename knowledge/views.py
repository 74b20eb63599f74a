"""Pages of the knowledge app: the case library, the feedback board, adoption campaigns."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import get_account_for_user
from config.http import HtmxHttpRequest
from core.charts import Series, bar_chart
from core.forms import form_add_service_errors

from .access import can_manage, can_review_case
from .filters import CaseFilter, FeedbackFilter
from .forms import (
    CampaignForm,
    CaseForm,
    CompanySizeForm,
    FeedbackMergeForm,
    FeedbackRaiseForm,
    FeedbackStatusForm,
    ReviewForm,
    ShareForm,
)
from .models import CaseStatus, CompanySize, SizeBand
from .selectors import (
    account_feedback,
    campaign_funnel,
    campaign_list,
    campaign_rows,
    case_list,
    case_review_queue,
    cases_for_account,
    duplicate_candidates,
    feedback_board,
    get_campaign,
    get_case_for_user,
    get_request_for_user,
    is_stalled,
    request_links,
    row_stage,
)
from .services import (
    campaign_close,
    campaign_create,
    campaign_launch,
    case_create,
    case_review,
    case_share,
    case_submit,
    case_update,
    company_size_set,
    feedback_merge,
    feedback_raise,
    feedback_set_status,
)

PAGE_SIZE = 25


def _errors(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(str(m) for msgs in error.message_dict.values() for m in msgs)
    return "; ".join(error.messages)


def _page(request: HtmxHttpRequest, queryset: Any) -> tuple[Any, str]:
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


# --- Cases ----------------------------------------------------------------------------


@login_required
def case_list_view(request: HtmxHttpRequest) -> HttpResponse:
    data = request.GET.copy()
    if not data.get("status"):
        data["status"] = CaseStatus.APPROVED  # the library; drafts are one filter away
    filterset = CaseFilter(data, queryset=case_list(user=request.user))
    page, query = _page(request, filterset.qs.order_by("-updated_at", "-pk"))
    context = {
        "filter": filterset,
        "page": page,
        "query": query,
        "tab": "cases",
        "target": "#case-table",
        "can_manage": can_manage(request.user),
    }
    partial = request.htmx and not request.htmx.boosted
    return render(request, "knowledge/_case_table.html" if partial else "knowledge/case_list.html", context)


@login_required
def case_create_view(request: HtmxHttpRequest) -> HttpResponse:
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_create(actor=request.user, **form.service_fields())
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Case saved as a draft. Submit it for approval when it is ready."))
            return redirect("knowledge:case_detail", pk=case.pk)
    return render(request, "knowledge/case_form.html", {"form": form, "tab": "cases"})


@login_required
def case_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    context = {
        "case": case,
        "tab": "cases",
        "can_edit": case.author_id == request.user.pk and case.status in (CaseStatus.DRAFT, CaseStatus.REJECTED),
        "can_review": case.status == CaseStatus.SUBMITTED and can_review_case(request.user, case),
        "review_form": ReviewForm(),
        "shares": case.shares.select_related("account", "shared_by")[:20],
    }
    return render(request, "knowledge/case_detail.html", context)


def _own_case(request: HtmxHttpRequest, pk: int) -> Any:
    case = get_case_for_user(request.user, pk)
    if case.author_id != request.user.pk:
        raise Http404("No such case.")
    return case


@login_required
def case_edit_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    case = _own_case(request, pk)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.REJECTED):
        messages.info(request, _("Only drafts and rejected cases can be edited."))
        return redirect("knowledge:case_detail", pk=pk)
    form = CaseForm(request.POST or None, instance=case)
    if request.method == "POST" and form.is_valid():
        try:
            case_update(case=case, actor=request.user, **form.service_fields())
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Case saved."))
            return redirect("knowledge:case_detail", pk=pk)
    return render(request, "knowledge/case_form.html", {"form": form, "case": case, "tab": "cases"})


@login_required
@require_POST
def case_submit_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    case = _own_case(request, pk)
    try:
        case_submit(case=case, actor=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Case submitted for approval."))
    return redirect("knowledge:case_detail", pk=pk)


@login_required
@require_POST
def case_review_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    if not can_review_case(request.user, case):
        raise Http404("No such case.")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        # Name the field: a missing decision, or a comment over the length limit.
        messages.error(request, _errors(ValidationError(form.errors.as_data())))
        return redirect("knowledge:case_detail", pk=pk)
    try:
        case_review(
            case=case,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Review saved; the author was notified."))
    return redirect("knowledge:case_detail", pk=pk)


@login_required
def review_queue_view(request: HtmxHttpRequest) -> HttpResponse:
    if not can_manage(request.user):
        raise Http404("Not a reviewer.")
    return render(
        request, "knowledge/review_queue.html", {"cases": case_review_queue(user=request.user), "tab": "cases"}
    )


# --- The account page panel -----------------------------------------------------------


def _account_panel(request: HtmxHttpRequest, account: Any, **extra: Any) -> HttpResponse:
    size = CompanySize.objects.filter(account=account).first()
    context = {
        "account": account,
        "matches": cases_for_account(account=account),
        "size_form": CompanySizeForm(initial={"size_band": size.size_band if size else SizeBand.SMALL}),
        "size": size,
        "share_form": ShareForm(),
        "feedback": account_feedback(account=account)[:10],
        **extra,
    }
    return render(request, "knowledge/_account_panel_body.html", context)


@login_required
def account_cases_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Cases like this customer, and its product feedback (loaded into the account page)."""
    return _account_panel(request, get_account_for_user(request.user, pk))


@login_required
@require_POST
def account_size_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    form = CompanySizeForm(request.POST)
    if form.is_valid():
        company_size_set(account=account, size_band=form.cleaned_data["size_band"], actor=request.user)
        return _account_panel(request, account)
    return _account_panel(request, account, size_error=_("Choose a company size."))


@login_required
@require_POST
def case_share_view(request: HtmxHttpRequest, pk: int, case_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    case = get_case_for_user(request.user, case_pk)
    form = ShareForm(request.POST)
    if not form.is_valid():
        return _account_panel(request, account, share_error=_("Choose how the case was shared."))
    try:
        case_share(case=case, account=account, actor=request.user, **form.cleaned_data)
    except ValidationError as error:
        return _account_panel(request, account, share_error=_errors(error))
    return _account_panel(request, account, shared=case)


# --- Product feedback -----------------------------------------------------------------


@login_required
def feedback_board_view(request: HtmxHttpRequest) -> HttpResponse:
    filterset = FeedbackFilter(request.GET, queryset=feedback_board(user=request.user))
    page, query = _page(request, filterset.qs)
    context = {
        "filter": filterset,
        "page": page,
        "query": query,
        "tab": "feedback",
        "can_manage": can_manage(request.user),
        "target": "#feedback-table",
    }
    partial = request.htmx and not request.htmx.boosted
    return render(request, "knowledge/_feedback_table.html" if partial else "knowledge/feedback_board.html", context)


@login_required
def feedback_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = get_request_for_user(request.user, pk)
    context = {
        "item": item,
        "links": request_links(request=item, user=request.user),
        "changes": item.status_changes.select_related("actor")[:20],
        "can_manage": can_manage(request.user),
        "status_form": FeedbackStatusForm(initial={"status": item.status}),
        "merge_form": FeedbackMergeForm(),
        "candidates": duplicate_candidates(text=item.title, user=request.user, exclude_pk=item.pk, limit=5),
        "tab": "feedback",
    }
    return render(request, "knowledge/feedback_detail.html", context)


@login_required
def feedback_raise_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    form = FeedbackRaiseForm(request.POST or None, initial={"existing": request.GET.get("existing")})
    if request.method == "POST" and form.is_valid():
        try:
            link = feedback_raise(actor=request.user, account=account, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Feedback recorded."))
            return redirect("knowledge:feedback_detail", pk=link.request_id)
    return render(request, "knowledge/feedback_form.html", {"form": form, "account": account, "tab": "feedback"})


@login_required
def feedback_similar_view(request: HtmxHttpRequest) -> HttpResponse:
    """Existing requests like the title being typed (htmx), to link instead of duplicating."""
    candidates = duplicate_candidates(text=request.GET.get("title", ""), user=request.user)
    return render(request, "knowledge/_similar_requests.html", {"candidates": candidates})


def _manager_request(request: HtmxHttpRequest, pk: int) -> Any:
    if not can_manage(request.user):
        raise PermissionDenied
    return get_request_for_user(request.user, pk)


@login_required
@require_POST
def feedback_status_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = _manager_request(request, pk)
    form = FeedbackStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("knowledge:feedback_detail", pk=pk)
    try:
        feedback_set_status(actor=request.user, request=item, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Status changed; the CSMs of the linked accounts were notified."))
    return redirect("knowledge:feedback_detail", pk=pk)


@login_required
@require_POST
def feedback_merge_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    item = _manager_request(request, pk)
    form = FeedbackMergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the request to merge into."))
        return redirect("knowledge:feedback_detail", pk=pk)
    try:
        into = feedback_merge(actor=request.user, duplicate=item, into=form.cleaned_data["into"])
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("knowledge:feedback_detail", pk=pk)
    messages.success(request, _("Merged; its accounts are now linked here."))
    return redirect("knowledge:feedback_detail", pk=into.pk)


# --- Campaigns ------------------------------------------------------------------------


@login_required
def campaign_list_view(request: HtmxHttpRequest) -> HttpResponse:
    page, query = _page(request, campaign_list(user=request.user))
    context = {"page": page, "query": query, "tab": "campaigns", "can_manage": can_manage(request.user)}
    return render(request, "knowledge/campaign_list.html", context)


@login_required
def campaign_create_view(request: HtmxHttpRequest) -> HttpResponse:
    if not can_manage(request.user):
        raise PermissionDenied
    initial = {"feedback_request": request.GET.get("feedback")}
    form = CampaignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(actor=request.user, **form.service_fields())
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Campaign saved. Launch it to create the rollout tasks."))
            return redirect("knowledge:campaign_detail", pk=campaign.pk)
    return render(request, "knowledge/campaign_form.html", {"form": form, "tab": "campaigns"})


@login_required
def campaign_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign(pk)
    rows = list(campaign_rows(campaign=campaign, user=request.user))
    funnel = campaign_funnel(campaign=campaign, rows=rows)
    table = [{"row": row, "stage": row_stage(row), "stalled": is_stalled(row, campaign)} for row in rows]
    total = funnel.total
    chart = bar_chart(
        _("Adoption funnel"),
        [_("Targeted"), _("Informed"), _("Trained"), _("Using")],
        [Series(_("Accounts"), [total.targeted, total.informed, total.trained, total.using], colour="teal")],
    )
    context = {
        "campaign": campaign,
        "funnel": funnel,
        "chart": chart,
        "table": table,
        "tab": "campaigns",
        "can_manage": can_manage(request.user),
    }
    return render(request, "knowledge/campaign_detail.html", context)


@login_required
@require_POST
def campaign_launch_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if not can_manage(request.user):
        raise PermissionDenied
    campaign = get_campaign(pk)
    try:
        count = campaign_launch(actor=request.user, campaign=campaign)
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Campaign launched: %(count)s accounts targeted.") % {"count": count})
    return redirect("knowledge:campaign_detail", pk=pk)


@login_required
@require_POST
def campaign_close_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if not can_manage(request.user):
        raise PermissionDenied
    try:
        campaign_close(actor=request.user, campaign=get_campaign(pk))
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect("knowledge:campaign_detail", pk=pk)
