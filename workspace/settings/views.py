"""The settings area (``/settings/``): managers read, admins edit, every save logged.

A CSM gets 403 on every page; a manager sees the forms disabled and gets 403 on a POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.cadence import cadence_rules, tier_cadence
from accounts.models import Tier
from accounts.segments import Segment, segment_case
from accounts.selectors import account_scope
from capacity.models import CapacityPreset, CapacitySettings
from org.models import Role
from org.operations_settings import can_view_settings, operations_settings, settings_changes
from org.roles import role_of

from .forms import SEGMENT_ORDER
from .sections import SECTIONS, SECTIONS_BY_SLUG, Section, change_label, change_value


def _require_viewer(request: HttpRequest) -> bool:
    """Managers and admins see the settings; returns whether this user may edit."""
    if not can_view_settings(request.user):
        raise PermissionDenied
    return role_of(request.user) == Role.ADMIN


def _section(slug: str) -> Section:
    section = SECTIONS_BY_SLUG.get(slug)
    if section is None:
        raise Http404
    return section


def _segment_counts(request: HttpRequest) -> list[dict[str, Any]]:
    """Accounts per segment in the viewer's book, under the bands in force (one query)."""
    counts = dict(
        account_scope(user=request.user)
        .annotate(segment_now=segment_case())
        .values_list("segment_now")
        .annotate(n=Count("pk"))
        .values_list("segment_now", "n")
    )
    return [{"label": Segment(key).label, "count": counts.get(key, 0)} for key in SEGMENT_ORDER]


@login_required
def settings_overview_view(request: HttpRequest) -> HttpResponse:
    can_edit = _require_viewer(request)
    values = operations_settings()
    rules = cadence_rules()
    capacity = CapacitySettings.objects.filter(pk=1).first() or CapacitySettings(pk=1)
    context = {
        "can_edit": can_edit,
        "sections": SECTIONS,
        "values": values,
        "bands": [
            (Segment(key).label, values.segment_bands[key]) for key in SEGMENT_ORDER if key in values.segment_bands
        ],
        "cadence": [(Tier(tier).label, days) for tier, days in tier_cadence(rules=rules).items()],
        "preset": CapacityPreset.objects.filter(is_active=True).first(),
        "capacity": capacity,
    }
    return render(request, "workspace/settings/overview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def settings_section_view(request: HttpRequest, section: str) -> HttpResponse:
    found = _section(section)
    can_edit = _require_viewer(request)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = found.form_class(request.POST)
        if form.is_valid():
            try:
                logged = found.save(request.user, form)
            except ValidationError as error:
                form.add_service_errors(
                    error.message_dict, form.error_fields() if hasattr(form, "error_fields") else {}
                )
            else:
                if logged:
                    done = ngettext(
                        "Saved: %(count)d change recorded in the history.",
                        "Saved: %(count)d changes recorded in the history.",
                        len(logged),
                    )
                    messages.success(request, done % {"count": len(logged)})
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("settings:section", section=found.slug)
    else:
        form = found.form_class(initial=found.initial(), read_only=not can_edit)
    context = {
        "section": found,
        "sections": SECTIONS,
        "form": form,
        "can_edit": can_edit,
        "recent": [_entry(change) for change in settings_changes(section=found.key, limit=5)],
        "segment_counts": _segment_counts(request) if found.slug == "segments" else None,
    }
    return render(request, "workspace/settings/section.html", context)


def _entry(change: Any) -> dict[str, Any]:
    return {
        "when": change.changed_at,
        "who": change.changed_by,
        "label": change_label(change.key),
        "old": change_value(change.old_value),
        "new": change_value(change.new_value),
    }


@login_required
def settings_history_view(request: HttpRequest, section: str) -> HttpResponse:
    found = _section(section)
    can_edit = _require_viewer(request)
    entries = [_entry(change) for change in settings_changes(section=found.key)]
    context = {"section": found, "sections": SECTIONS, "entries": entries, "can_edit": can_edit}
    return render(request, "workspace/settings/history.html", context)
