from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.http import HtmxHttpRequest
from core.forms import form_add_service_errors
from core.people import display_name

from .cadence import ContactStatus, contact_status, with_contact_status
from .confirm import ConfirmReasonForm
from .dossier import (
    ROW_FIELDS,
    ROW_MODELS,
    DossierConflict,
    dossier_overview,
    dossier_section_save,
    dossier_sections_for,
    section_history,
)
from .forms import (
    AccountForm,
    CsvImportForm,
    DossierReviewForm,
    DossierSectionForm,
    LogTouchForm,
    OverdueContactsFilterForm,
    StakeholderForm,
    dossier_rows_formset,
    formset_rows,
)
from .imports import import_start
from .models import Account, ImportRun, RiskFlag, SectionKey, Stakeholder, TouchpointKind
from .privacy import can_manage_personal_data
from .reviews import can_review, dossier_quality_by_owner, dossier_review_create, review_queue
from .selectors import (
    account_scope,
    assignable_owners,
    get_account_for_user,
    overdue_contacts_for_user,
)
from .services import account_create, account_update
from .stakeholders import (
    risk_flag_resolve,
    stakeholder_create,
    stakeholder_mark_left,
    stakeholder_undo_left,
    stakeholder_update,
)
from .timeline import touchpoint_log

PAGE_SIZE = 50


def _query_without_page(request: HtmxHttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def account_create_view(request: HtmxHttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account = account_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
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
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Account saved."))
            return redirect("accounts:detail", pk=pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


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
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Stakeholder saved."))
            return redirect("accounts:detail", pk=pk)
    context = {"form": form, "account": account, "stakeholder": stakeholder}
    context["can_manage_personal_data"] = can_manage_personal_data(request.user)
    return render(request, "accounts/stakeholder_form.html", context)


@login_required
def stakeholder_left_view(request: HtmxHttpRequest, pk: int, stakeholder_pk: int) -> HttpResponse:
    """ "Mark as left" asks first: GET is the confirmation step (a partial for htmx, a page
    otherwise) with the reason to give; POST records it with that reason."""
    account = get_account_for_user(request.user, pk)
    stakeholder = get_object_or_404(Stakeholder, pk=stakeholder_pk, account=account, is_active=True)
    form = ConfirmReasonForm(request.POST if request.method == "POST" else None, auto_id=f"left-{stakeholder.pk}-%s")
    if request.method == "POST" and form.is_valid():
        try:
            stakeholder_mark_left(actor=request.user, stakeholder=stakeholder, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.info(request, _("%(name)s marked as left.") % {"name": stakeholder.name})
            return redirect("accounts:detail", pk=pk)
    context = {"account": account, "person": stakeholder, "form": form}
    template = "accounts/_stakeholder_left_confirm.html" if request.htmx else "accounts/stakeholder_left_confirm.html"
    return render(request, template, context, status=400 if form.is_bound else 200)


@login_required
@require_POST
def stakeholder_undo_left_view(request: HtmxHttpRequest, pk: int, stakeholder_pk: int) -> HttpResponse:
    """Take "mark as left" back: anyone who may mark a person as left on this account."""
    account = get_account_for_user(request.user, pk)
    stakeholder = get_object_or_404(Stakeholder, pk=stakeholder_pk, account=account)
    try:
        stakeholder_undo_left(actor=request.user, stakeholder=stakeholder)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("%(name)s is active again.") % {"name": stakeholder.name})
    return redirect("accounts:detail", pk=pk)


@login_required
@require_POST
def risk_flag_resolve_view(request: HtmxHttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    flag = get_object_or_404(RiskFlag, pk=flag_pk, account=account)
    risk_flag_resolve(flag=flag, actor=request.user, resolution=request.POST.get("resolution", "")[:2000])
    return redirect("accounts:detail", pk=pk)


def _section_key(key: str) -> str:
    if key not in SectionKey.values:
        raise Http404("No such dossier section.")
    return key


def _render_panel(request: HtmxHttpRequest, account: Account, key: str) -> HttpResponse:
    overview = dossier_overview(account=account)
    return render(
        request,
        "accounts/_dossier_section.html",
        {"account": account, "panel": overview.panel(key), "completeness": overview.completeness, "oob_score": True},
    )


@login_required
def dossier_section_view(request: HtmxHttpRequest, pk: int, key: str) -> HttpResponse:
    """One dossier section, read-only (htmx swaps it back in after an edit is cancelled)."""
    account = get_account_for_user(request.user, pk)
    return _render_panel(request, account, _section_key(key))


@login_required
def dossier_section_edit_view(request: HtmxHttpRequest, pk: int, key: str) -> HttpResponse:
    """Edit one section in place. A save based on an outdated version is refused with
    the other person's version shown next to the draft, so nothing is overwritten."""
    account = get_account_for_user(request.user, pk)
    key = _section_key(key)
    sections = dossier_sections_for(account=account)
    section = sections[key]
    conflict = None
    if request.method == "POST":
        form = DossierSectionForm(request.POST)
        rows_formset = dossier_rows_formset(key, account, request.POST)
        if form.is_valid() and (rows_formset is None or rows_formset.is_valid()):
            rows = formset_rows(rows_formset, ROW_FIELDS[key]) if rows_formset is not None else None
            try:
                dossier_section_save(
                    actor=request.user,
                    account=account,
                    key=key,
                    base_version=form.cleaned_data["base_version"],
                    content=form.cleaned_data["content"],
                    rows=rows,
                )
            except DossierConflict as exc:
                conflict = exc.section
                # Keep the draft, but base the next save on the version now stored.
                draft = request.POST.copy()
                draft["base_version"] = str(conflict.version)
                form = DossierSectionForm(draft)
                form.is_valid()
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                if not request.htmx:
                    return redirect(reverse("accounts:detail", args=[pk]) + f"#dossier-{key}")
                return _render_panel(request, account, key)
    else:
        form = DossierSectionForm(initial={"content": section.content, "base_version": section.version})
        rows_formset = dossier_rows_formset(key, account)
    context = {
        "account": account,
        "key": key,
        "label": SectionKey(key).label,
        "form": form,
        "rows_formset": rows_formset,
        "conflict": conflict,
        "conflict_rows": _current_rows(account, key) if conflict else [],
    }
    template = "accounts/_dossier_section_form.html" if request.htmx else "accounts/dossier_section_page.html"
    return render(request, template, context, status=409 if conflict and not request.htmx else 200)


def _current_rows(account: Account, key: str) -> list[Any]:
    model = ROW_MODELS.get(key)
    return list(model.objects.filter(account=account)) if model else []  # type: ignore[attr-defined]


@login_required
def review_queue_view(request: HtmxHttpRequest) -> HttpResponse:
    if not can_review(request.user):
        raise Http404
    rows = review_queue(user=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    quality = dossier_quality_by_owner(user=request.user)
    owners = {row.account.owner_id: row.account.owner for row in rows if row.account.owner_id}
    summary = [(owners.get(owner_id), q) for owner_id, q in quality.items() if owners.get(owner_id)]
    summary.sort(key=lambda item: (item[1].average_completeness, item[1].owner_id))
    return render(request, "accounts/review_queue.html", {"page": page, "summary": summary})


@login_required
def dossier_review_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    if not can_review(request.user):
        raise Http404
    form = DossierReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dossier_review_create(
                reviewer=request.user,
                account=account,
                verdict=form.cleaned_data["verdict"],
                comment=form.cleaned_data["comment"],
                ratings=form.ratings(),
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(
                request, _("Review saved; %(owner)s has been notified.") % {"owner": display_name(account.owner) or "—"}
            )
            return redirect("accounts:review_queue")
    overview = dossier_overview(account=account)
    return render(
        request, "accounts/dossier_review_form.html", {"account": account, "form": form, "overview": overview}
    )


@login_required
def import_view(request: HtmxHttpRequest) -> HttpResponse:
    form = CsvImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = import_start(
            actor=request.user,
            kind=form.cleaned_data["kind"],
            data=upload.read(),
            filename=upload.name,
            valid_only=form.cleaned_data["valid_only"],
        )
        return redirect("accounts:import_result", run_pk=run.pk)
    recent = ImportRun.objects.filter(actor_id=request.user.pk).defer("source", "errors", "rejected_csv")[:10]
    context = {"form": form, "recent": recent, "async_rows": settings.HOURGLASS_IMPORT_ASYNC_ROWS}
    return render(request, "accounts/import.html", context)


def _own_run(request: HtmxHttpRequest, run_pk: int) -> ImportRun:
    # Import reports hold row data: only the person who ran the import sees them.
    return get_object_or_404(ImportRun.objects.defer("source"), pk=run_pk, actor_id=request.user.pk)


@login_required
def import_result_view(request: HtmxHttpRequest, run_pk: int) -> HttpResponse:
    """The outcome of an import; while a large one runs, a progress bar htmx polls."""
    run = _own_run(request, run_pk)
    template = "accounts/_import_run.html" if request.htmx else "accounts/import_result.html"
    return render(request, template, {"run": run, "errors": run.errors[:500] if run.is_finished else []})


@login_required
def import_rejected_csv_view(request: HtmxHttpRequest, run_pk: int) -> HttpResponse:
    run = _own_run(request, run_pk)
    response = HttpResponse("\ufeff" + run.rejected_csv, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{run.pk}.csv"'
    return response


@login_required
def dossier_section_history_view(request: HtmxHttpRequest, pk: int, key: str) -> HttpResponse:
    """Who changed a section, when, and what: a line diff per saved version."""
    account = get_account_for_user(request.user, pk)
    key = _section_key(key)
    dossier_sections_for(account=account)
    context = {
        "account": account,
        "key": key,
        "label": SectionKey(key).label,
        "revisions": section_history(account=account, key=key),
    }
    return render(request, "accounts/dossier_section_history.html", context)


@dataclass(frozen=True)
class OverdueRow:
    person: Stakeholder
    status: ContactStatus


@login_required
def overdue_contacts_view(request: HtmxHttpRequest) -> HttpResponse:
    """Stakeholders past their contact cadence: a CSM's own; a manager's team, by CSM."""
    is_manager = can_review(request.user)
    form = OverdueContactsFilterForm(request.GET or None, owners=assignable_owners(user=request.user))
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    if form.is_bound and form.errors:
        rows = Stakeholder.objects.none()
    else:
        owner = filters.get("owner")
        rows = overdue_contacts_for_user(
            user=request.user,
            tier=filters.get("tier") or "",
            owner_id=owner.pk if owner else None,
            segment=filters.get("segment") or "",
            order=filters.get("order") or "most",
            group_by_owner=is_manager,
        )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    context = {
        "form": form,
        "page": page,
        "rows": [OverdueRow(person, contact_status(person, today)) for person in page],
        "is_manager": is_manager,
        "query": _query_without_page(request),
        "touch_kinds": TouchpointKind.choices,
    }
    template = "accounts/_overdue_contacts_table.html" if request.htmx else "accounts/overdue_contacts.html"
    return render(request, template, context)


@login_required
@require_POST
def contact_touch_view(request: HtmxHttpRequest, stakeholder_pk: int) -> HttpResponse:
    """Log a touch with one overdue stakeholder; the row then leaves the list (htmx)."""
    person = get_object_or_404(
        Stakeholder.objects.select_related("account"),
        pk=stakeholder_pk,
        is_active=True,
        account__in=account_scope(user=request.user).values("pk"),
    )
    form = LogTouchForm(request.POST)
    if form.is_valid():
        note = form.cleaned_data["note"]
        try:
            touchpoint_log(
                actor=request.user,
                account=person.account,
                kind=form.cleaned_data["kind"],
                title=note or _("Contact with %(name)s") % {"name": person.name},
                stakeholders=[person],
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            if request.htmx:
                return HttpResponse("")  # the row is swapped out: no longer overdue
            messages.success(request, _("Touch with %(name)s logged.") % {"name": person.name})
            return redirect("accounts:overdue_contacts")
    problems = "; ".join(f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items())
    if request.htmx:
        # Keep the row in place and say what was wrong next to it.
        return render(
            request,
            "accounts/_overdue_contact_row.html",
            {"row": _overdue_row(person), "touch_kinds": TouchpointKind.choices, "error": problems},
        )
    return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")


def _overdue_row(person: Stakeholder) -> OverdueRow:
    fresh = with_contact_status(Stakeholder.objects.filter(pk=person.pk).select_related("account", "account__owner"))
    annotated = fresh.get()
    return OverdueRow(annotated, contact_status(annotated, timezone.localdate()))
