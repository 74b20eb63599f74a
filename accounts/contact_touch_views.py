"""The overdue-contacts list's bulk bar: one touch logged for the checked contacts, and
its undo (``accounts.contact_touches``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from config.http import HtmxHttpRequest
from core.bulk_answer import bulk_answer, error_text
from core.http import safe_next

from .contact_touches import contacts_touch_log, contacts_touch_undo


@login_required
@require_POST
def contacts_touch_bulk_view(request: HtmxHttpRequest) -> HttpResponse:
    back = safe_next(request, "accounts:overdue_contacts")
    try:
        outcome = contacts_touch_log(
            actor=request.user,
            stakeholder_ids=request.POST.getlist("contact"),
            kind=request.POST.get("kind", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        return bulk_answer(request, error=error_text(error), back=back)
    text = ngettext("Touch logged with %(count)s contact.", "Touch logged with %(count)s contacts.", outcome.count)
    return bulk_answer(
        request,
        text=text % {"count": outcome.count},
        undo=outcome.undo,
        undo_url=reverse("accounts:contact_touch_bulk_undo"),
        back=back,
    )


@login_required
@require_POST
def contacts_touch_undo_view(request: HtmxHttpRequest) -> HttpResponse:
    back = safe_next(request, "accounts:overdue_contacts")
    try:
        outcome = contacts_touch_undo(actor=request.user, token=request.POST.get("token", ""))
    except ValidationError as error:
        return bulk_answer(request, error=error_text(error), back=back)
    text = ngettext(
        "Undone: %(count)s contact is overdue again.", "Undone: %(count)s contacts are overdue again.", outcome.count
    )
    return bulk_answer(request, text=text % {"count": outcome.count}, back=back)
