"""Pages: admins' webhook endpoints and team chat robots; everyone's own chat robots.

Each view: check access (selectors) → form → one service → render/redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors

from .forms import ChatTargetForm, TeamChatTargetForm, WebhookForm
from .models import Endpoint, Kind
from .selectors import (
    admin_endpoints,
    chat_target_for_owner,
    delivery_for_endpoint,
    delivery_log,
    endpoint_for_admin,
    is_admin,
    own_chat_targets,
)
from .services import delivery_redeliver, endpoint_create, endpoint_delete, endpoint_rotate_secret, endpoint_update


def _require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied


def _secret_page(request: HttpRequest, endpoint: Endpoint, secret: str) -> HttpResponse:
    """The secret is shown on this answer only: it is stored encrypted and never shown again."""
    response = render(request, "webhooks/secret_once.html", {"endpoint": endpoint, "secret": secret})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def endpoint_list_view(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "webhooks/endpoint_list.html", {"endpoints": list(admin_endpoints())})


def _create(request: HttpRequest, form: Any, **extra: Any) -> HttpResponse | None:
    if request.method != "POST" or not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        endpoint, secret = endpoint_create(
            name=data["name"],
            url=data["url"],
            actor=request.user,
            kind=data.get("kind", Kind.WEBHOOK),
            event_types=data.get("event_types", ()),
            notification_kinds=data.get("notification_kinds", ()),
            secret=data.get("secret") or None,
            **extra,
            **({"team": data["team"]} if "team" in data else {}),
        )
    except ValidationError as error:
        form_add_service_errors(form, ValidationError({"url": error.messages}))
        return None
    if endpoint.kind == Kind.WEBHOOK:
        return _secret_page(request, endpoint, secret)
    messages.success(request, _("Chat robot added."))
    if endpoint.owner_id:
        return redirect("webhooks:chat")
    return redirect("webhooks:detail", pk=endpoint.pk)


@login_required
def endpoint_create_view(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = WebhookForm(request.POST or None)
    done = _create(request, form)
    if done is not None:
        return done
    context = {"form": form, "title": _("New webhook endpoint")}
    return render(request, "webhooks/endpoint_form.html", context, status=400 if form.errors else 200)


@login_required
def team_chat_create_view(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = TeamChatTargetForm(request.POST or None)
    done = _create(request, form)
    if done is not None:
        return done
    context = {"form": form, "title": _("New team chat robot")}
    return render(request, "webhooks/endpoint_form.html", context, status=400 if form.errors else 200)


def _edit_form(request: HttpRequest, endpoint: Endpoint) -> Any:
    initial = {"name": endpoint.name, "url": endpoint.url, "active": endpoint.active,
               "event_types": endpoint.event_types, "notification_kinds": endpoint.notification_kinds}  # fmt: skip
    data = request.POST if request.method == "POST" else None
    if endpoint.kind == Kind.WEBHOOK:
        return WebhookForm(data, initial=initial)
    return ChatTargetForm(data, initial=initial, editing=True)


def _detail(request: HttpRequest, endpoint: Endpoint, back: str) -> HttpResponse:
    form = _edit_form(request, endpoint)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint_update(
                endpoint=endpoint,
                name=data["name"],
                url=data["url"],
                active=data["active"],
                event_types=data.get("event_types", ()),
                notification_kinds=data.get("notification_kinds", ()),
            )
        except ValidationError as error:
            form_add_service_errors(form, ValidationError({"url": error.messages}))
        else:
            messages.success(request, _("Saved."))
            return redirect(request.path)
    context = {"endpoint": endpoint, "form": form, "deliveries": delivery_log(endpoint), "back": back}
    return render(request, "webhooks/endpoint_detail.html", context, status=400 if form.errors else 200)


@login_required
def endpoint_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, endpoint_for_admin(request.user, pk), back="webhooks:list")


@login_required
@require_POST
def endpoint_rotate_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = endpoint_for_admin(request.user, pk)
    if endpoint.kind != Kind.WEBHOOK:
        messages.error(request, _("Chat robots keep the secret their platform issued."))
        return redirect("webhooks:detail", pk=endpoint.pk)
    return _secret_page(request, endpoint, endpoint_rotate_secret(endpoint=endpoint))


def _redeliver(request: HttpRequest, endpoint: Endpoint, delivery_pk: int) -> None:
    if delivery_redeliver(delivery=delivery_for_endpoint(endpoint, delivery_pk)):
        messages.success(request, _("Queued for delivery again, with the same delivery id."))
    else:
        messages.info(request, _("That delivery is being sent right now."))


@login_required
@require_POST
def endpoint_redeliver_view(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = endpoint_for_admin(request.user, pk)
    _redeliver(request, endpoint, delivery_pk)
    return redirect("webhooks:detail", pk=endpoint.pk)


@login_required
@require_POST
def endpoint_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint_delete(endpoint=endpoint_for_admin(request.user, pk))
    messages.success(request, _("Deleted."))
    return redirect("webhooks:list")


@login_required
def chat_view(request: HttpRequest) -> HttpResponse:
    """A person's own chat robots, and the form to add one."""
    form = ChatTargetForm(request.POST or None)
    done = _create(request, form, owner=request.user)
    if done is not None:
        return done
    context = {"form": form, "targets": list(own_chat_targets(request.user))}
    return render(request, "webhooks/chat.html", context, status=400 if form.errors else 200)


@login_required
def chat_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, chat_target_for_owner(request.user, pk), back="webhooks:chat")


@login_required
@require_POST
def chat_redeliver_view(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    target = chat_target_for_owner(request.user, pk)
    _redeliver(request, target, delivery_pk)
    return redirect("webhooks:chat_detail", pk=target.pk)


@login_required
@require_POST
def chat_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint_delete(endpoint=chat_target_for_owner(request.user, pk))
    messages.success(request, _("Deleted."))
    return redirect("webhooks:chat")
