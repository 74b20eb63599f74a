"""Reads for the pages: who may see which endpoint, and the delivery log."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from org.models import Role
from org.roles import role_of

from .models import Delivery, Endpoint

LOG_ROWS = 100


def is_admin(user: Any) -> bool:
    return role_of(user) == Role.ADMIN


def admin_endpoints() -> QuerySet[Endpoint]:
    """Webhook endpoints and team chat targets (admins' list), with failure counts."""
    failed = Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED))
    waiting = Count("deliveries", filter=Q(deliveries__status=Delivery.Status.QUEUED))
    return (
        Endpoint.objects.filter(owner=None)
        .select_related("team")
        .annotate(failed_count=failed, waiting_count=waiting)
        .order_by("kind", "name", "pk")
    )


def own_chat_targets(user: Any) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(owner=user).order_by("name", "pk")


def endpoint_for_admin(user: Any, pk: int) -> Endpoint:
    """An admin-managed endpoint (webhook or team chat): 403 for non-admins, 404 if none."""
    if not is_admin(user):
        raise PermissionDenied
    try:
        return Endpoint.objects.select_related("team").get(pk=pk, owner=None)
    except Endpoint.DoesNotExist as exc:
        raise Http404 from exc


def chat_target_for_owner(user: Any, pk: int) -> Endpoint:
    """A person's own chat target: nobody else learns it exists (404)."""
    try:
        return Endpoint.objects.get(pk=pk, owner=user)
    except Endpoint.DoesNotExist as exc:
        raise Http404 from exc


def delivery_log(endpoint: Endpoint, *, limit: int = LOG_ROWS) -> list[Delivery]:
    """The endpoint's latest deliveries, newest first: one query, no payloads or secrets."""
    return list(endpoint.deliveries.defer("payload").order_by("-created_at", "-pk")[:limit])


def delivery_for_endpoint(endpoint: Endpoint, pk: int) -> Delivery:
    try:
        return endpoint.deliveries.get(pk=pk)
    except Delivery.DoesNotExist as exc:
        raise Http404 from exc
