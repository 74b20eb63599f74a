"""/metrics for Prometheus and the admins' system status page (``/system/``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from kombu.exceptions import KombuError

from core.monitoring.actions import email_retry, task_failure_retry
from core.monitoring.collectors import CoreCollector
from core.monitoring.metrics import metrics_denial, metrics_response
from org.models import Role
from org.roles import role_of

from .collectors import ProductCollector
from .status import system_status


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition: a bearer token or an allowed address (no session login)."""
    denial = metrics_denial(request)
    if denial is not None:
        return denial
    return metrics_response([CoreCollector(), ProductCollector()])


def _require_admin(request: HttpRequest) -> None:
    if role_of(request.user) != Role.ADMIN:
        raise PermissionDenied


@never_cache
@login_required
@require_GET
def status_view(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "workspace/system/status.html", {"status": system_status()})


@login_required
@require_POST
def email_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    if email_retry(message_id=pk):
        messages.success(request, _("The email is queued again."))
    else:
        messages.info(request, _("That email is no longer failed."))
    return redirect("system:status")


@login_required
@require_POST
def task_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    try:
        retried = task_failure_retry(failure_id=pk)
    except KombuError:
        messages.error(request, _("The task queue is unreachable: nothing was retried."))
        return redirect("system:status")
    if retried:
        messages.success(request, _("The task was sent again."))
    else:
        messages.info(request, _("That failure was already retried."))
    return redirect("system:status")
