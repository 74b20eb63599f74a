from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import check_broker, check_database, last_worker_heartbeat


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
