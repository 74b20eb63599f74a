"""The book's saved segments: the sidebar (each with its count in the reader's scope),
the bar of the segment opened, save / rename / new filter / share / delete, and the
bulk bar's "add to a list"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import SavedSegment, SegmentKind
from accounts.saved_segments import (
    can_edit_segment,
    get_segment_for_user,
    segment_add_accounts,
    segment_counts,
    segment_create,
    segment_delete,
    segment_remove_accounts,
    segments_for_user,
)
from config.http import HtmxHttpRequest
from core.bulk_answer import bulk_answer, error_text, form_error_text
from core.types import AnyUser

from .filters import disabled_labels, filter_params
from .services import segment_change, segment_save


@dataclass(frozen=True)
class SegmentItem:
    segment: SavedSegment
    count: int
    url: str
    editable: bool
    disabled: list[str]


def segment_url(segment: SavedSegment) -> str:
    """The book opened on ``segment``: its filter applied (a list: its members)."""
    params: dict[str, Any] = {"in_segment": segment.pk} if segment.is_static else dict(segment.filters)
    return f"{reverse('accounts:list')}?{urlencode({**params, 'view': segment.pk}, doseq=True)}"


def book_segments(request: HtmxHttpRequest) -> dict[str, Any]:
    """The sidebar's segments and the one opened (``?view=``): two queries."""
    user = request.user
    segments = list(segments_for_user(user=user))
    counts = segment_counts(user=user, segments=segments)
    items = [
        SegmentItem(s, counts.get(s.pk, 0), segment_url(s), can_edit_segment(user, s), disabled_labels(s))
        for s in segments
    ]
    opened = next((item for item in items if str(item.segment.pk) == request.GET.get("view")), None)
    return {
        "segments": items,
        "segment_open": opened,
        "segment_lists": [item.segment for item in items if item.segment.is_static and item.editable],
        "segment_form": SegmentForm(),
    }


class SegmentForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Segment name"), max_length=120)
    shared = forms.BooleanField(label=gettext_lazy("Share with my team"), required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=SegmentKind.choices, initial=SegmentKind.DYNAMIC, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "segment_%s")
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"class": "form-control form-control-sm", "placeholder": _("Name")})
        self.fields["kind"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["shared"].widget.attrs["class"] = "form-check-input"


def _done(request: HtmxHttpRequest, url: str, text: str) -> HttpResponse:
    messages.success(request, text)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _refused(request: HtmxHttpRequest, error: str) -> HttpResponse:
    return bulk_answer(request, error=error, back=reverse("accounts:list"))


@login_required
@require_POST
def segment_create_view(request: HtmxHttpRequest) -> HttpResponse:
    """Save the book's current filter (the filter form's fields, included by htmx) as a segment."""
    form = SegmentForm(request.POST)
    if not form.is_valid():
        return _refused(request, form_error_text(form))
    data = form.cleaned_data
    try:
        segment = segment_save(
            actor=request.user,
            name=data["name"],
            kind=data["kind"] or SegmentKind.DYNAMIC,
            shared=data["shared"],
            filters=filter_params(request.POST),
        )
    except ValidationError as error:
        return _refused(request, error_text(error))
    return _done(request, segment_url(segment), _("Segment “%(name)s” saved.") % {"name": segment.name})


def _editable(user: AnyUser, pk: int | str) -> SavedSegment:
    segment = get_segment_for_user(user, pk)
    if not can_edit_segment(user, segment):
        raise PermissionDenied(_("Only the segment's owner or an admin changes it."))
    return segment


@login_required
@require_POST
def segment_change_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One change to a segment: ``action`` = rename, filter (the book's current filter),
    share, unshare or delete."""
    segment = _editable(request.user, pk)
    action = request.POST.get("action", "")
    try:
        if action == "delete":
            segment_delete(actor=request.user, segment=segment)
            return _done(request, reverse("accounts:list"), _("Segment “%(name)s” deleted.") % {"name": segment.name})
        if action == "rename":
            segment_change(actor=request.user, segment=segment, name=request.POST.get("name", "")[:500])
        elif action in ("share", "unshare"):
            segment_change(actor=request.user, segment=segment, shared=action == "share")
        elif action == "filter":
            segment_change(actor=request.user, segment=segment, filters=filter_params(request.POST))
        else:
            return _refused(request, _("Choose what to change."))
    except ValidationError as error:
        return _refused(request, error_text(error))
    return _done(request, segment_url(segment), _("Segment “%(name)s” saved.") % {"name": segment.name})


@login_required
@require_POST
def book_segment_add_view(request: HtmxHttpRequest) -> HttpResponse:
    """The bulk bar: add the checked accounts to a list segment (or a new list by name)."""
    back = reverse("accounts:list")
    new_name = request.POST.get("new_segment", "").strip()[:500]
    try:
        with transaction.atomic():  # a new list is kept only if the accounts went in
            if new_name:
                segment = segment_create(actor=request.user, name=new_name, kind=SegmentKind.STATIC)
            else:
                chosen = request.POST.get("segment", "")
                if not chosen:
                    raise ValidationError({"segment": _("Choose a list, or name a new one.")})
                segment = _editable(request.user, chosen)
            accounts = request.POST.getlist("account")
            outcome = segment_add_accounts(actor=request.user, segment=segment, account_ids=accounts)
    except ValidationError as error:
        return bulk_answer(request, error=error_text(error), back=back)
    text = ngettext(
        "%(count)s account added to “%(name)s”.", "%(count)s accounts added to “%(name)s”.", outcome.count
    ) % {"count": outcome.count, "name": segment.name}
    return bulk_answer(
        request, text=text, undo=outcome.undo, undo_url=reverse("accounts:bulk_undo"), undo_what="segment", back=back
    )


@login_required
@require_POST
def book_segment_remove_view(request: HtmxHttpRequest) -> HttpResponse:
    """The bulk bar on an open list segment: take the checked accounts out of it."""
    back = reverse("accounts:list")
    try:
        if not (chosen := request.POST.get("remove_from", "")):
            raise ValidationError({"segment": _("Choose a list, or name a new one.")})
        segment = _editable(request.user, chosen)
        count = segment_remove_accounts(
            actor=request.user, segment=segment, account_ids=request.POST.getlist("account")
        )
    except ValidationError as error:
        return bulk_answer(request, error=error_text(error), back=back)
    text = ngettext(
        "%(count)s account taken out of “%(name)s”.", "%(count)s accounts taken out of “%(name)s”.", count
    ) % {"count": count, "name": segment.name}
    return bulk_answer(request, text=text, back=back)
