"""The book's bulk bar: a new owner for the checked accounts (managers and admins), the
same task on each, adding them to a list segment (``workspace.segments.views``), and
their undo (``workspace.book_actions``, ``playbooks.bulk``, ``accounts.saved_segments``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.saved_segments import segment_add_accounts_undo
from accounts.selectors import assignable_owners
from config.http import HtmxHttpRequest
from core.bulk_answer import bulk_answer, error_text, form_error_text
from core.dates import FormDateField
from core.http import safe_next
from core.types import AnyUser
from playbooks.bulk import tasks_bulk_create, tasks_bulk_create_undo
from playbooks.models import Priority

from .book_actions import book_assign_owner, book_assign_owner_undo, can_assign_owners


class BookOwnerForm(forms.Form):
    owner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("New owner"), queryset=get_user_model().objects.none(), empty_label=_("Choose a person")
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = assignable_owners(user=user)


class BookTaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=300)
    due_date = FormDateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.MEDIUM
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"due_date": timezone.localdate() + timedelta(days=7)})
        kwargs.setdefault("auto_id", "book_task_%s")
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select form-select-sm" if name == "priority" else "form-control form-control-sm"
            field.widget.attrs["class"] = css
        self.fields["title"].widget.attrs["placeholder"] = _("Task title")


def _back(request: HtmxHttpRequest) -> str:
    return safe_next(request, "accounts:list")


@login_required
@require_POST
def book_owner_view(request: HtmxHttpRequest) -> HttpResponse:
    if not can_assign_owners(request.user):
        raise PermissionDenied
    form = BookOwnerForm(request.POST, user=request.user)
    if not form.is_valid():
        return bulk_answer(request, error=form_error_text(form), back=_back(request))
    try:
        outcome = book_assign_owner(
            actor=request.user, account_ids=request.POST.getlist("account"), owner=form.cleaned_data["owner"]
        )
    except ValidationError as error:
        return bulk_answer(request, error=error_text(error), back=_back(request))
    text = ngettext("%(count)s account has a new owner.", "%(count)s accounts have a new owner.", outcome.count)
    return bulk_answer(
        request,
        text=text % {"count": outcome.count},
        undo=outcome.undo,
        undo_url=reverse("accounts:bulk_undo"),
        undo_what="owner",
        back=_back(request),
    )


@login_required
@require_POST
def book_task_view(request: HtmxHttpRequest) -> HttpResponse:
    form = BookTaskForm(request.POST)
    if not form.is_valid():
        return bulk_answer(request, error=form_error_text(form), back=_back(request))
    data = form.cleaned_data
    try:
        outcome = tasks_bulk_create(
            actor=request.user,
            account_ids=request.POST.getlist("account"),
            title=data["title"],
            due_date=data["due_date"],
            priority=data["priority"],
        )
    except ValidationError as error:
        return bulk_answer(request, error=error_text(error), back=_back(request))
    text = ngettext("%(count)s task added.", "%(count)s tasks added.", outcome.count)
    return bulk_answer(
        request,
        text=text % {"count": outcome.count},
        undo=outcome.undo,
        undo_url=reverse("accounts:bulk_undo"),
        undo_what="task",
        back=_back(request),
    )


@login_required
@require_POST
def book_undo_view(request: HtmxHttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    try:
        if request.POST.get("what") == "owner":
            outcome = book_assign_owner_undo(actor=request.user, token=token)
            text = ngettext(
                "Undone: %(count)s account is back with its owner.",
                "Undone: %(count)s accounts are back with their owners.",
                outcome.count,
            )
        elif request.POST.get("what") == "segment":
            outcome = segment_add_accounts_undo(actor=request.user, token=token)
            text = ngettext(
                "Undone: %(count)s account taken out of the list.",
                "Undone: %(count)s accounts taken out of the list.",
                outcome.count,
            )
        else:
            outcome = tasks_bulk_create_undo(actor=request.user, token=token)
            text = ngettext("Undone: %(count)s task removed.", "Undone: %(count)s tasks removed.", outcome.count)
    except ValidationError as error:
        return bulk_answer(request, error=error_text(error), back=_back(request))
    return bulk_answer(request, text=text % {"count": outcome.count}, back=_back(request))
