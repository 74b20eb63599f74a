from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language
from django_htmx.http import HttpResponseClientRedirect

from accounts.confirm import ConfirmReasonForm
from config.http import HtmxHttpRequest
from core.dates import date_in_range
from core.forms import form_add_service_errors
from org.models import CsProfile, Role
from org.roles import is_manager_or_admin, role_of

from .forms import PlannerForm, PresetForm, TimeEntryForm
from .models import SegmentRatio
from .rebalancing import MoveRequest, rebalance_apply, rebalance_proposal
from .selectors import (
    get_own_time_entry,
    plan,
    timesheet,
)
from .services import preset_activate, time_entry_create, time_entry_delete


@require_POST
def language_set_view(request: HttpRequest) -> HttpResponse:
    """Django's set_language, plus: remember the choice on the person's profile
    (emails are sent in it, and it follows them to other browsers)."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(language):
        CsProfile.objects.filter(user=request.user).update(language=language)
    return response


# --- Capacity pages ------------------------------------------------------------------


def _require_manager(request: HttpRequest) -> None:
    if not is_manager_or_admin(request.user):
        raise PermissionDenied


@login_required
@require_POST
def preset_select_view(request: HtmxHttpRequest) -> HttpResponse:
    if role_of(request.user) != Role.ADMIN:
        raise PermissionDenied
    form = PresetForm(request.POST)
    if form.is_valid():
        preset = preset_activate(preset=form.cleaned_data["preset"], actor=request.user)
        messages.success(request, _("The team is now measured against “%(preset)s”.") % {"preset": preset})
    else:
        messages.error(request, _("Choose one of the presets."))
    return redirect("capacity:team")


@login_required
def planner_view(request: HtmxHttpRequest) -> HttpResponse:
    """How many CSMs a segment needs, by ratio, by ARR preset and by measured time."""
    _require_manager(request)
    form = PlannerForm(request.GET or None)
    result = None
    if form.is_valid():
        data = form.cleaned_data
        result = plan(segment=data["segment"], accounts=data["accounts"], arr=data["arr"], ratio=data["ratio"])
    context = {"form": form, "plan": result, "ratios": list(SegmentRatio.objects.all())}
    template = "capacity/_planner_result.html" if request.htmx else "capacity/planner.html"
    return render(request, template, context)


def _week_of(request: HttpRequest) -> date:
    raw = request.GET.get("week") or request.POST.get("week") or ""
    try:
        week = date.fromisoformat(raw)
    except ValueError:
        return timezone.localdate()
    return week if date_in_range(week) else timezone.localdate()


@login_required
def timesheet_view(request: HtmxHttpRequest) -> HttpResponse:
    """The person's week: entries by activity and touchpoint time, with quick entry."""
    week = _week_of(request)
    form = TimeEntryForm(user=request.user, initial={"date": timezone.localdate() if request.method == "GET" else None})
    if request.method == "POST":
        form = TimeEntryForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                entry = time_entry_create(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_add_service_errors(form, error)
            else:
                if not request.htmx:
                    messages.success(request, _("Time logged."))
                    return redirect(f"{reverse('capacity:timesheet')}?week={entry.date.isoformat()}")
                week = entry.date
                form = TimeEntryForm(user=request.user, initial={"date": entry.date})
    context = {"sheet": timesheet(user=request.user, week_of=week), "form": form}
    template = "capacity/_timesheet.html" if request.htmx else "capacity/timesheet.html"
    return render(request, template, context)


@login_required
@require_POST
def time_entry_delete_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    entry = get_own_time_entry(request.user, pk)
    week = entry.date
    time_entry_delete(entry=entry, user=request.user)
    if request.htmx:
        form = TimeEntryForm(user=request.user, initial={"date": week})
        return render(
            request, "capacity/_timesheet.html", {"sheet": timesheet(user=request.user, week_of=week), "form": form}
        )
    return redirect(f"{reverse('capacity:timesheet')}?week={week.isoformat()}")


# --- Rebalancing -------------------------------------------------------------------


@login_required
def rebalance_view(request: HttpRequest) -> HttpResponse:
    """The proposal: every move with its reasons, ticked by default, applied in one click."""
    _require_manager(request)
    return render(request, "capacity/rebalance.html", {"proposal": rebalance_proposal(user=request.user)})


def _rebalance_confirm(request: HtmxHttpRequest, tokens: list[str], form: ConfirmReasonForm) -> HttpResponse:
    """The confirmation step: the ticked moves as they stand now, and the reason to give."""
    proposal = rebalance_proposal(user=request.user)
    ticked = set(tokens)
    context = {
        "proposal": proposal,
        "confirm_moves": [move for move in proposal.moves if move.token in ticked],
        "confirm_tokens": tokens,
        "confirm_stale": len(ticked - {move.token for move in proposal.moves}),
        "confirm_form": form,
    }
    if request.htmx:  # htmx swaps only a 2xx answer into the page
        return render(request, "capacity/_rebalance_confirm.html", context)
    return render(request, "capacity/rebalance.html", context, status=400 if form.is_bound else 200)


@login_required
@require_POST
def rebalance_apply_view(request: HtmxHttpRequest) -> HttpResponse:
    """Two steps: the ticked moves first come back for confirmation with a reason (in the
    page with htmx), then that confirmation applies them."""
    _require_manager(request)
    tokens = request.POST.getlist("move")
    try:
        moves = [MoveRequest.parse(token) for token in tokens]
        if not moves:
            raise ValidationError({"move": _("Tick at least one move.")})
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        # From the htmx step, the whole page reloads to show the message.
        return (
            HttpResponseClientRedirect(reverse("capacity:rebalance"))
            if request.htmx
            else redirect("capacity:rebalance")
        )
    if not ConfirmReasonForm.is_confirmation(request.POST):
        return _rebalance_confirm(request, tokens, ConfirmReasonForm(auto_id="rebalance-%s"))
    form = ConfirmReasonForm(request.POST, auto_id="rebalance-%s")
    if not form.is_valid():
        return _rebalance_confirm(request, tokens, form)
    try:
        result = rebalance_apply(actor=request.user, moves=moves, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("capacity:rebalance")
    if result.moved:
        messages.success(
            request,
            _("Moved %(count)s account(s): %(names)s. Their former owners have been notified.")
            % {"count": len(result.moved), "names": ", ".join(result.moved)},
        )
    for name, reason in result.skipped:
        messages.warning(request, _("Skipped %(name)s: %(reason)s.") % {"name": name, "reason": reason})
    return redirect("capacity:rebalance")
