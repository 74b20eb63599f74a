from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import get_account_for_user
from config.http import HtmxHttpRequest
from core.forms import form_add_service_errors
from core.http import safe_next

from .bulk_views import TaskBulkForm
from .filters import TaskFilter
from .forms import CommentForm, ReassignForm, TaskCreateForm, TouchLogForm
from .models import Task
from .selectors import account_stage, account_tasks, get_task_for_user, task_list
from .services import (
    task_checklist_toggle,
    task_comment_add,
    task_complete,
    task_create,
    task_reassign,
    task_set_status,
    task_snooze,
)

PAGE_SIZE = 50
SNOOZE_DAYS = {"1": 1, "7": 7}


def _errors(error: ValidationError) -> str:
    return "; ".join(str(m) for messages_ in error.message_dict.values() for m in messages_)


@login_required
def task_list_view(request: HtmxHttpRequest) -> HttpResponse:
    data = request.GET.copy()
    if not data:
        data["status"] = "open_any"  # the page opens on the work still to do
    filterset = TaskFilter(data, queryset=task_list(user=request.user), request=request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = data.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "bulk_form": TaskBulkForm(user=request.user, auto_id="bulk_%s"),
        "today": timezone.localdate(),
    }
    template = "playbooks/_task_table.html" if request.htmx and not request.htmx.boosted else "playbooks/task_list.html"
    return render(request, template, context)


@login_required
def task_create_view(request: HtmxHttpRequest) -> HttpResponse:
    """A new task by hand; ``?account=<id>`` (the account's tasks tab) picks the account."""
    account = None
    wanted = request.GET.get("account", "")
    if wanted.isdigit():
        account = get_account_for_user(request.user, wanted)  # 404 outside the scope
    form = TaskCreateForm(
        request.POST or None,
        user=request.user,
        initial={"account": account, "due_date": timezone.localdate() + timedelta(days=7)},
    )
    if account is not None:
        # Preselected: no need to list every account of the book in a select.
        form.fields["account"].widget = forms.HiddenInput()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = task_create(
                actor=request.user,
                account=data["account"],
                title=data["title"],
                due_date=data["due_date"],
                assignee=data["assignee"],
                description=data["description"],
                priority=data["priority"],
                task_type=data["task_type"],
                checklist=form.checklist_lines(),
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Task created."))
            return redirect("playbooks:task_detail", pk=task.pk)
    return render(request, "playbooks/task_create.html", {"form": form, "account": account})


def _detail_context(request: HtmxHttpRequest, task: Task, **extra: Any) -> dict[str, Any]:
    return {
        "task": task,
        "comments": task.comments.select_related("author"),
        "comment_form": CommentForm(),
        "touch_form": TouchLogForm(initial={"title": task.display_title}),
        "reassign_form": ReassignForm(user=request.user, initial={"assignee": task.assignee_id}),
        "today": timezone.localdate(),
        **extra,
    }


@login_required
def task_detail_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    return render(request, "playbooks/task_detail.html", _detail_context(request, task))


def _row(request: HtmxHttpRequest, task: Task, **extra: Any) -> HttpResponse:
    task = get_task_for_user(request.user, task.pk)
    context = {"task": task, "compact": request.POST.get("compact") or request.GET.get("compact"), **extra}
    return render(request, "playbooks/_task_row.html", context)


@login_required
def task_row_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One row again (htmx: "cancel" on the inline log-a-touch form)."""
    return _row(request, get_task_for_user(request.user, pk))


@login_required
def task_complete_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the inline "log a touch" form. POST: complete, logging the touch when asked."""
    task = get_task_for_user(request.user, pk)
    compact = request.POST.get("compact") or request.GET.get("compact")
    if request.method != "POST":
        blank = TouchLogForm(initial={"title": task.display_title})
        return render(request, "playbooks/_task_complete_form.html", {"task": task, "form": blank, "compact": compact})
    form: TouchLogForm | None = TouchLogForm(request.POST) if request.POST.get("log_touch") else None
    if form is not None and not form.is_valid():
        # 200, not 422: htmx swaps only successful responses, and the form must show its errors.
        return render(request, "playbooks/_task_complete_form.html", {"task": task, "form": form, "compact": compact})
    try:
        task = task_complete(task=task, actor=request.user, log_touchpoint=form.touchpoint() if form else None)
    except ValidationError as error:
        if request.htmx:
            return _row(request, task, error=_errors(error))
        messages.error(request, _errors(error))
        return redirect("playbooks:task_detail", pk=pk)
    if request.htmx:
        return _row(request, task)
    messages.success(request, _("Task completed."))
    return redirect("playbooks:task_detail", pk=pk)


@login_required
@require_POST
def task_snooze_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    days = SNOOZE_DAYS.get(request.POST.get("days", ""), 1)
    try:
        task = task_snooze(task=task, until=timezone.localdate() + timedelta(days=days), actor=request.user)
    except ValidationError as error:
        if request.htmx:
            return _row(request, task, error=_errors(error))
        messages.error(request, _errors(error))
        return redirect("playbooks:task_detail", pk=pk)
    if request.htmx:
        return _row(request, task)
    messages.success(request, _("Task snoozed until %(date)s.") % {"date": task.snoozed_until})
    return redirect("playbooks:task_detail", pk=pk)


@login_required
@require_POST
def task_status_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    try:
        task_set_status(task=task, status=request.POST.get("status", ""), actor=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect("playbooks:task_detail", pk=pk)


@login_required
@require_POST
def task_checklist_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    try:
        index = int(request.POST.get("index", "-1"))
        task = task_checklist_toggle(task=task, index=index, done=request.POST.get("done") == "1")
    except (ValueError, ValidationError):
        return HttpResponse(_("No such checklist item."), status=400)
    if request.htmx:
        return render(request, "playbooks/_checklist.html", {"task": task})
    return redirect("playbooks:task_detail", pk=pk)


@login_required
@require_POST
def task_comment_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            task_comment_add(task=task, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error("body", _errors(error))
        else:
            form = CommentForm()
    context = {"task": task, "comments": task.comments.select_related("author"), "comment_form": form}
    if request.htmx:
        return render(request, "playbooks/_comments.html", context)
    return redirect("playbooks:task_detail", pk=pk)


@login_required
@require_POST
def task_reassign_view(request: HtmxHttpRequest) -> HttpResponse:
    """Reassign one task (from its page) or many (checked on the tasks page)."""
    form = ReassignForm(request.POST, user=request.user)
    ids = [value for value in request.POST.getlist("task") if value.isdigit()]
    tasks = list(task_list(user=request.user).filter(pk__in=ids))
    if not form.is_valid() or not tasks:
        messages.error(request, _("Choose tasks and someone you may assign them to."))
    else:
        try:
            moved = task_reassign(tasks=tasks, assignee=form.cleaned_data["assignee"], actor=request.user)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("%(count)s task(s) reassigned.") % {"count": moved})
    return redirect(safe_next(request, "playbooks:task_list"))


@login_required
def account_tasks_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The account page's tasks tab (loaded by htmx from ``_account_tasks.html``)."""
    account = get_account_for_user(request.user, pk)
    tasks = list(account_tasks(account=account)[:100])
    return render(
        request,
        "playbooks/_account_tasks_body.html",
        {"account": account, "tasks": tasks, "today": timezone.localdate(), "compact": True},
    )


@login_required
def account_stage_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The account page's stage banner (loaded by htmx from ``_stage_banner.html``)."""
    account = get_account_for_user(request.user, pk)
    return render(
        request, "playbooks/_stage_banner_body.html", {"account": account, "lifecycle": account_stage(account=account)}
    )
