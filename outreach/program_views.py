"""Pages of tech-touch programs: list, create/edit, a program with its contacts' state,
one contact's history, a step's preview and test send; the public click redirect and
unsubscribe page the program emails link to."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from config.http import HtmxHttpRequest
from core.forms import form_add_service_errors

from .access import can_manage_surveys
from .models import ContactPreference, Enrollment, EnrollmentStatus, Program, ProgramStep, StepRun
from .program_forms import ProgramForm, StepFormSet
from .programs.clicks import scanner_reason
from .programs.emails import enrollment_id_from_unsubscribe_token, run_id_from_click_token, step_email
from .programs.selectors import (
    enrollment_history,
    get_enrollment_for_user,
    get_program_for_user,
    outcome_label,
    program_enrollments,
    program_steps,
    programs_for_user,
)
from .programs.services import program_save, program_set_status, program_step_test_send, sample_enrollment
from .public_views import _over_limit, _problem
from .services import contact_unsubscribe

PAGE_SIZE = 50


@login_required
def program_list_view(request: HtmxHttpRequest) -> HttpResponse:
    page = Paginator(programs_for_user(user=request.user), 25).get_page(request.GET.get("page"))
    context = {"page": page, "can_manage": can_manage_surveys(request.user)}
    return render(request, "outreach/program_list.html", context)


def _initial(program: Program | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if program is None:
        return {"entry": "always"}, [{"position": 1, "kind": "email"}, {"position": 2, "kind": "wait"}]
    audience = program.audience or {}
    initial = {"name": program.name, "entry": program.entry, "entry_colours": program.entry_colours, **audience}
    steps = [model_to_dict(step, exclude=["id", "program"]) | {"pk": step.pk} for step in program_steps(program)]
    return initial, steps


def _form_page(request: HtmxHttpRequest, program: Program | None) -> HttpResponse:
    if not can_manage_surveys(request.user):
        raise PermissionDenied
    initial, steps_initial = _initial(program)
    data = request.POST if request.method == "POST" else None
    form = ProgramForm(data, initial=initial, user=request.user)
    steps = StepFormSet(data, initial=steps_initial, prefix="steps")
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        chosen = [
            step.step()
            for step in steps.forms
            if step.cleaned_data and not step.cleaned_data.get("DELETE") and step.cleaned_data.get("kind")
        ]
        try:
            saved = program_save(
                actor=request.user,
                program=Program.objects.get(pk=program.pk) if program else None,
                name=form.cleaned_data["name"],
                audience=form.audience(),
                entry=form.cleaned_data["entry"],
                entry_colours=form.cleaned_data["entry_colours"],
                steps=chosen,
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Program saved."))
            return redirect("outreach:program_detail", pk=saved.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "steps": steps, "program": program}
    return render(request, "outreach/program_form.html", context, status=status)


@login_required
def program_create_view(request: HtmxHttpRequest) -> HttpResponse:
    return _form_page(request, None)


@login_required
def program_edit_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if not can_manage_surveys(request.user):
        raise PermissionDenied
    return _form_page(request, get_program_for_user(request.user, pk))


@login_required
def program_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk)
    status = request.GET.get("status", "")
    enrollments = program_enrollments(program=program, user=request.user, status=status)
    page = Paginator(enrollments, PAGE_SIZE).get_page(request.GET.get("page"))
    steps = program_steps(program)
    for enrollment in page:
        enrollment.next_step = next((step for step in steps if step.position >= enrollment.position), None)  # type: ignore[attr-defined]
    context = {
        "program": program,
        "steps": steps,
        "page": page,
        "status": status,
        "statuses": EnrollmentStatus.choices,
        "can_manage": can_manage_surveys(request.user),
    }
    return render(request, "outreach/program_detail.html", context)


@login_required
@require_POST
def program_status_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    if not can_manage_surveys(request.user):
        raise PermissionDenied
    program = get_program_for_user(request.user, pk)
    try:
        program_set_status(program=program, actor=request.user, status=request.POST.get("status", ""))
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain; charset=utf-8")
    messages.success(request, _("Program paused.") if request.POST["status"] == "paused" else _("Program running."))
    return redirect("outreach:program_detail", pk=program.pk)


@login_required
def enrollment_detail_view(request: HtmxHttpRequest, pk: int, enrollment_pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk)
    enrollment = get_enrollment_for_user(request.user, program=program, pk=enrollment_pk)
    history = [(run, outcome_label(run.outcome)) for run in enrollment_history(enrollment)]
    steps = program_steps(program)
    context = {
        "program": program,
        "enrollment": enrollment,
        "history": history,
        "steps": steps,
        "next_step": next((step for step in steps if step.position >= enrollment.position), None),
    }
    return render(request, "outreach/program_enrollment.html", context)


def _step_and_contact(request: HtmxHttpRequest, pk: int, step_pk: int) -> tuple[ProgramStep, Enrollment | None]:
    program = get_program_for_user(request.user, pk)
    step = get_object_or_404(ProgramStep, program=program, pk=step_pk)
    raw = request.GET.get("enrollment") or request.POST.get("enrollment")
    enrollment = get_enrollment_for_user(request.user, program=program, pk=raw) if raw else None
    return step, enrollment


@login_required
def step_preview_view(request: HtmxHttpRequest, pk: int, step_pk: int) -> HttpResponse:
    step, enrollment = _step_and_contact(request, pk, step_pk)
    contact = enrollment or sample_enrollment(step.program)
    language = request.GET.get("language") or ""
    if language not in dict(settings.LANGUAGES):
        pref = ContactPreference.objects.filter(email=contact.email).values_list("language", flat=True).first()
        language = pref or settings.LANGUAGE_CODE
    email = step_email(step, contact, language=language)
    enrollments = program_enrollments(program=step.program, user=request.user)[:50]
    context = {
        "program": step.program,
        "step": step,
        "enrollment": enrollment,
        "email": email,
        "language": language,
        "enrollments": enrollments,
        "can_manage": can_manage_surveys(request.user),
    }
    return render(request, "outreach/program_preview.html", context)


@login_required
@require_POST
def step_test_send_view(request: HtmxHttpRequest, pk: int, step_pk: int) -> HttpResponse:
    if not can_manage_surveys(request.user):
        raise PermissionDenied
    step, enrollment = _step_and_contact(request, pk, step_pk)
    try:
        address = program_step_test_send(step=step, actor=request.user, enrollment=enrollment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("A test email is on its way to %(address)s.") % {"address": address})
    target = f"?enrollment={enrollment.pk}" if enrollment else ""
    return redirect(reverse("outreach:program_step_preview", args=[step.program_id, step.pk]) + target)


# --- public: no login; the signed token is the key ------------------------------------


@require_http_methods(["GET", "HEAD"])
def click_view(request: HttpRequest, token: str) -> HttpResponse:
    """Record a program email's link click, then redirect to the step's own URL (read
    from the database, never from the request: no open redirect)."""
    if _over_limit(request):
        return _problem(request, "busy", 429)
    run_id = run_id_from_click_token(token)
    runs = StepRun.objects.select_related("step", "email_message").only(
        "pk", "clicked_at", "step__link_url", "email_message__sent_at"
    )
    run = runs.filter(pk=run_id).first() if run_id is not None else None
    if run is None or not run.step.link_url.startswith(("https://", "http://")):
        return _problem(request, "invalid", 404)
    now = timezone.now()
    sent_at = run.email_message.sent_at if run.email_message is not None else None
    # Mail scanners open every link as the email arrives: their hits are not clicks.
    if settings.HOURGLASS_PROGRAM_CLICK_TRACKING and not scanner_reason(request, sent_at=sent_at, now=now):
        StepRun.objects.filter(pk=run.pk, clicked_at=None).update(clicked_at=now)
    return redirect(run.step.link_url)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def program_unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm, then unsubscribe (RFC 8058's one-click POST needs no CSRF token)."""
    if _over_limit(request):
        return _problem(request, "busy", 429)
    enrollment_id = enrollment_id_from_unsubscribe_token(token)
    enrollment = (
        Enrollment.objects.select_related("account").filter(pk=enrollment_id).first()
        if enrollment_id is not None
        else None
    )
    if enrollment is None:
        return _problem(request, "invalid", 404)
    language = ContactPreference.objects.filter(email=enrollment.email).values_list("language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):
        done = False
        if request.method == "POST":
            contact_unsubscribe(email=enrollment.email)
            done = True
        return render(request, "outreach/public/program_unsubscribe.html", {"enrollment": enrollment, "done": done})
