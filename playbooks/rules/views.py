"""The builder's pages: list, detail (preview, dry run, history), create, edit, copy, enable.

Everyone signed in reads; managers and admins write (403 otherwise, before any form).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.http import HtmxHttpRequest
from core.clock import local_date
from core.forms import form_add_service_errors

from ..models import Playbook
from .conditions import condition_text, conditions_summary
from .evaluate import dry_run_sentence, rule_dry_run, rule_preview
from .forms import WEEKDAYS, ConditionFormSet, PlaybookForm, StepFormSet, condition_initial, step_initial
from .services import can_edit_playbooks, playbook_copy, playbook_save, playbook_set_active


def _editor(request: HtmxHttpRequest) -> None:
    if not can_edit_playbooks(request.user):
        raise PermissionDenied


@login_required
def rule_list_view(request: HtmxHttpRequest) -> HttpResponse:
    playbooks = list(Playbook.objects.annotate(step_count=Count("steps")).order_by("-active", "trigger", "name", "pk"))
    for playbook in playbooks:
        playbook.conditions_text = conditions_summary(playbook.conditions)  # type: ignore[attr-defined]
    return render(
        request, "playbooks/rule_list.html", {"playbooks": playbooks, "can_edit": can_edit_playbooks(request.user)}
    )


@login_required
def rule_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook.objects.prefetch_related("steps__named_user"), pk=pk)
    history = playbook.history.select_related("history_user").order_by("-history_date")[:10]
    context = {
        "playbook": playbook,
        "conditions": [condition_text(c) for c in playbook.conditions or []],
        "history": history,
        "can_edit": can_edit_playbooks(request.user),
        "schedule_text": dict(WEEKDAYS).get(
            "" if playbook.schedule_weekday is None else str(playbook.schedule_weekday)
        ),
    }
    return render(request, "playbooks/rule_detail.html", context)


@login_required
def rule_preview_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=pk)
    preview = rule_preview(playbook, user=request.user, today=local_date())
    return render(request, "playbooks/_rule_preview.html", {"playbook": playbook, "preview": preview})


@login_required
def rule_dry_run_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    playbook = get_object_or_404(Playbook, pk=pk)
    run = rule_dry_run(playbook, user=request.user, today=local_date())
    return render(request, "playbooks/_rule_dry_run.html", {"run": run, "sentence": dry_run_sentence(run)})


def _forms(request: HtmxHttpRequest, playbook: Playbook | None) -> tuple[Any, Any, Any]:
    data = request.POST if request.method == "POST" else None
    initial = PlaybookForm.initial_for(playbook) if playbook else {"trigger": "schedule"}
    form = PlaybookForm(data, initial=initial)
    conditions = ConditionFormSet(
        data, prefix="conditions", initial=condition_initial(playbook.conditions) if playbook else None
    )
    steps = StepFormSet(data, prefix="steps", initial=step_initial(playbook) if playbook else None)
    if playbook is None:
        steps.extra = 3
    return form, conditions, steps


def _save(request: HtmxHttpRequest, playbook: Playbook | None) -> HttpResponse:
    _editor(request)
    form, conditions, steps = _forms(request, playbook)
    if request.method == "POST" and all([form.is_valid(), conditions.is_valid(), steps.is_valid()]):
        try:
            saved = playbook_save(
                actor=request.user,
                playbook=playbook,
                fields=form.cleaned_data,
                conditions=conditions.conditions(),
                steps=steps.steps(),
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
            extra = error.message_dict if hasattr(error, "error_dict") else {}
            conditions_error = extra.get("conditions", [])
            steps_error = extra.get("steps", [])
        else:
            messages.success(request, _("Playbook saved."))
            return redirect("rules:detail", pk=saved.pk)
    else:
        conditions_error = steps_error = []
    context = {
        "form": form,
        "conditions": conditions,
        "steps": steps,
        "playbook": playbook,
        "conditions_error": conditions_error,
        "steps_error": steps_error,
    }
    return render(request, "playbooks/rule_form.html", context, status=400 if request.method == "POST" else 200)


@login_required
def rule_create_view(request: HtmxHttpRequest) -> HttpResponse:
    return _save(request, None)


@login_required
def rule_edit_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    return _save(request, get_object_or_404(Playbook, pk=pk))


@login_required
@require_POST
def rule_copy_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    copy = playbook_copy(actor=request.user, playbook=get_object_or_404(Playbook, pk=pk))
    messages.success(request, _("Copied: the copy is off until you enable it."))
    return redirect("rules:detail", pk=copy.pk)


@login_required
@require_POST
def rule_active_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _editor(request)
    playbook = get_object_or_404(Playbook, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        playbook_set_active(actor=request.user, playbook=playbook, active=active)
    except ValidationError as error:
        messages.error(request, "; ".join(m for ms in error.message_dict.values() for m in ms))
    else:
        messages.success(request, _("Playbook enabled.") if active else _("Playbook disabled."))
    return redirect("rules:detail", pk=playbook.pk)
