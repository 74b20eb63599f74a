"""The tasks page's bulk bar: done, snooze, new due date, reassign the checked tasks,
and their undo. An htmx request gets the bar's result line (count and "Undo") and the
``hg-list-changed`` event that reloads the list; a plain form post is redirected back
with a message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.filters import person_name
from accounts.selectors import assignable_owners
from config.http import HtmxHttpRequest
from core.bulk_answer import bulk_answer, error_text, form_error_text
from core.dates import FormDateField
from core.http import safe_next
from core.types import AnyUser
from core.undo import BulkOutcome

from .bulk import tasks_bulk_complete, tasks_bulk_reassign, tasks_bulk_reschedule, tasks_bulk_snooze, tasks_bulk_undo

SNOOZE_DAYS = {"1": 1, "7": 7}


class TaskBulkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("done", _("Done")), ("snooze", _("Snooze")), ("due", _("Due")), ("reassign", _("Reassign"))]
    )
    days = forms.ChoiceField(
        label=_("Snooze for"), choices=[("1", _("1 day")), ("7", _("1 week"))], required=False, initial="1"
    )
    due_date = FormDateField(label=_("New due date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Assign to"), queryset=get_user_model().objects.none(), required=False, empty_label=_("Choose a person")
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = assignable_owners(user=user)
        field.label_from_instance = person_name  # type: ignore[method-assign,assignment]
        for name, each in self.fields.items():
            css = "form-control form-control-sm" if name == "due_date" else "form-select form-select-sm"
            each.widget.attrs["class"] = css

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "due" and not data.get("due_date"):
            self.add_error("due_date", _("Choose the new due date."))
        if data.get("action") == "reassign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose the person to give the tasks to."))
        return data


def _done_text(action: str, count: int) -> str:
    texts: dict[str, Callable[[int], str]] = {
        "done": lambda n: ngettext("%(count)s task done.", "%(count)s tasks done.", n),
        "snooze": lambda n: ngettext("%(count)s task snoozed.", "%(count)s tasks snoozed.", n),
        "due": lambda n: ngettext("%(count)s task has a new due date.", "%(count)s tasks have a new due date.", n),
        "reassign": lambda n: ngettext("%(count)s task reassigned.", "%(count)s tasks reassigned.", n),
    }
    return texts[action](count) % {"count": count}


def _run(form: TaskBulkForm, actor: AnyUser, ids: list[str]) -> BulkOutcome:
    data = form.cleaned_data
    action = data["action"]
    if action == "done":
        return tasks_bulk_complete(actor=actor, task_ids=ids)
    if action == "snooze":
        until = timezone.localdate() + timedelta(days=SNOOZE_DAYS.get(data.get("days") or "1", 1))
        return tasks_bulk_snooze(actor=actor, task_ids=ids, until=until)
    if action == "due":
        return tasks_bulk_reschedule(actor=actor, task_ids=ids, due_date=data["due_date"])
    return tasks_bulk_reassign(actor=actor, task_ids=ids, assignee=data["assignee"])


@login_required
@require_POST
def task_bulk_view(request: HtmxHttpRequest) -> HttpResponse:
    back = safe_next(request, "playbooks:task_list")
    form = TaskBulkForm(request.POST, user=request.user)
    if not form.is_valid():
        return bulk_answer(request, error=form_error_text(form), back=back)
    try:
        outcome = _run(form, request.user, request.POST.getlist("task"))
    except ValidationError as error:
        return bulk_answer(request, error=error_text(error), back=back)
    return bulk_answer(
        request,
        text=_done_text(form.cleaned_data["action"], outcome.count),
        undo=outcome.undo,
        undo_url=reverse("playbooks:task_bulk_undo"),
        back=back,
    )


@login_required
@require_POST
def task_bulk_undo_view(request: HtmxHttpRequest) -> HttpResponse:
    back = safe_next(request, "playbooks:task_list")
    try:
        outcome = tasks_bulk_undo(actor=request.user, token=request.POST.get("token", ""))
    except ValidationError as error:
        return bulk_answer(request, error=error_text(error), back=back)
    text = ngettext("Undone: %(count)s task as it was.", "Undone: %(count)s tasks as they were.", outcome.count)
    return bulk_answer(request, text=text % {"count": outcome.count}, back=back)
