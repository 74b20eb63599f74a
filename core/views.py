from __future__ import annotations

import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import check_broker, check_database, last_worker_heartbeat
from .http import safe_next
from .notifications import notifications_for, notifications_mark_read
from .observability import current_request_id
from .tokens import api_token_for, api_token_issue, api_token_revoke


def home(request: HttpRequest) -> HttpResponse:
    return redirect("my_day" if request.user.is_authenticated else "login")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and reachability for load balancers and monitors (no login needed)."""
    database_error = check_database()
    broker_error = check_broker()
    body: dict[str, object] = {
        "status": "ok" if not (database_error or broker_error) else "error",
        "database": database_error or "ok",
        "broker": broker_error or "ok",
    }
    if not database_error:
        body["worker_last_seen"] = last_worker_heartbeat()
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


@login_required
def notifications_view(request: HttpRequest) -> HttpResponse:
    """The notification centre: newest first; POST marks read (all, or the given ids)."""
    if request.method == "POST":
        ids = [int(pk) for pk in request.POST.getlist("id") if pk.isdigit()] or None
        notifications_mark_read(user=request.user, ids=ids)
        return redirect(safe_next(request, "notifications"))
    items = notifications_for(user=request.user)[:100]
    return render(request, "core/notifications.html", {"items": items})


@login_required
def api_token_view(request: HttpRequest) -> HttpResponse:
    """The person's own API token: create (shown once), regenerate, revoke."""
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("create", "regenerate"):
            new_key = api_token_issue(user=request.user)
        elif action == "revoke":
            api_token_revoke(user=request.user)
        if new_key is None:
            return redirect("api_token")
    token = api_token_for(user=request.user)
    return render(request, "core/api_token.html", {"token": token, "new_key": new_key})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for a URL that matches no route: JSON under /api/ (as the API documents), else the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 Django raises before any view (over 1,000 form fields, a suspicious request): JSON under /api/."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request."}, status=400)
    from django.views.defaults import bad_request as bad_request_page

    return bad_request_page(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500 in production: JSON under /api/ (a client parses every API answer), else the page.

    The body carries the request id (also in the ``X-Request-ID`` header and on the log
    line of the exception), so a caller can quote it; no detail of the failure leaves
    the server.
    """
    if request.path.startswith("/api/"):
        if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
            # The database went away outside a DRF view (a middleware's query): the same
            # 503 + Retry-After as core.api.exceptions gives, the client retries.
            return JsonResponse(
                {"detail": _("The database is unavailable right now; retry later.")},
                status=503,
                headers={"Retry-After": str(settings.HOURGLASS_DB_RETRY_AFTER)},
            )
        return JsonResponse({"detail": "Server error.", "request_id": current_request_id()}, status=500)
    from django.views.defaults import server_error as server_error_page

    return server_error_page(request)
