"""Bounced addresses (admins): the list, and clearing a bounce once the mailbox works."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.http import HtmxHttpRequest

from .access import can_clear_bounces
from .models import ContactPreference
from .services import contact_bounce_clear


@login_required
def bounce_list_view(request: HtmxHttpRequest) -> HttpResponse:
    if not can_clear_bounces(request.user):
        raise PermissionDenied
    query = (request.GET.get("q") or "").strip().lower()[:254]
    bounced = ContactPreference.objects.filter(bounced_at__isnull=False).order_by("-bounced_at", "pk")
    if query:
        bounced = bounced.filter(email__contains=query)
    page = Paginator(bounced.only("email", "bounced_at", "bounce_reason"), 50).get_page(request.GET.get("page"))
    return render(request, "outreach/bounce_list.html", {"page": page, "query": query})


@login_required
@require_POST
def bounce_clear_view(request: HtmxHttpRequest) -> HttpResponse:
    if not can_clear_bounces(request.user):
        raise PermissionDenied
    try:
        cleared = contact_bounce_clear(email=request.POST.get("email", ""), actor=request.user)
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain; charset=utf-8")
    if cleared:
        messages.success(request, _("The bounce of %(email)s is cleared.") % {"email": request.POST["email"]})
    else:
        messages.info(request, _("%(email)s was not marked bounced.") % {"email": request.POST["email"]})
    return redirect("outreach:bounce_list")
