"""``GET /api/v1/webhooks/event-types``: the event catalog, with an example payload each.

The payloads are documented in the OpenAPI schema as components (one envelope per event
type, ``Webhook…Event``, chosen by ``type``), so receivers can generate their parsers.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from health.models import Colour
from playbooks.models import TriggerKind

from .events import EVENT_TYPES, PAYLOAD_VERSION, RESERVED_EVENT_TYPES
from .selectors import is_admin

COLOURS = Colour.choices
# The serializers below describe what Hourglass sends, never what it reads: their dated
# fields are read-only (nothing parses them, so the input date bounds do not apply).


class _Account(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    external_id = serializers.CharField()
    arr = serializers.CharField(help_text="Decimal as a string")
    owner_id = serializers.IntegerField(allow_null=True)
    url = serializers.URLField(help_text="The account in Hourglass")


class _Person(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()


class _Task(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    due_date = serializers.DateField(read_only=True)
    priority = serializers.IntegerField()
    assignee_id = serializers.IntegerField(allow_null=True)
    playbook_id = serializers.IntegerField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True, read_only=True)


class _Renewal(serializers.Serializer):
    id = serializers.IntegerField()
    due_date = serializers.DateField(read_only=True)
    status = serializers.CharField()
    forecast_arr = serializers.CharField(allow_null=True)
    outcome_arr = serializers.CharField(required=False, help_text="renewal.closed only")


class _Alert(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    detected_on = serializers.DateField(read_only=True)
    current_events = serializers.IntegerField()
    baseline_events = serializers.CharField()
    drop_share = serializers.CharField()


class _Stakeholder(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    tier = serializers.CharField()
    key_level = serializers.IntegerField()


class _NpsResponse(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.IntegerField(min_value=0, max_value=10)
    comment = serializers.CharField()
    responded_on = serializers.DateField(read_only=True)
    stakeholder_id = serializers.IntegerField(allow_null=True)


class _Rule(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField(allow_null=True, help_text="Built-in playbooks' key; null for your own")
    name = serializers.CharField()
    trigger = serializers.ChoiceField(TriggerKind.choices)


def _data(name: str, **fields: serializers.Field) -> type[serializers.Serializer]:
    return type(name, (serializers.Serializer,), {"account": _Account(), **fields})


DATA: dict[str, type[serializers.Serializer]] = {
    "account.created": _data("WebhookAccountCreatedData"),
    "account.updated": _data("WebhookAccountUpdatedData", fields=serializers.ListField(child=serializers.CharField())),
    "account.owner_changed": _data(
        "WebhookAccountOwnerChangedData", previous_owner=_Person(allow_null=True), owner=_Person(allow_null=True)
    ),
    "health.colour_changed": _data(
        "WebhookHealthColourChangedData",
        day=serializers.DateField(read_only=True),
        previous_colour=serializers.ChoiceField(COLOURS),
        colour=serializers.ChoiceField(COLOURS),
        score=serializers.IntegerField(),
    ),
    "alert.activity_drop_raised": _data("WebhookAlertRaisedData", alert=_Alert()),
    "alert.activity_drop_resolved": _data("WebhookAlertResolvedData", alert=_Alert()),
    "stakeholder.key_left": _data("WebhookStakeholderLeftData", stakeholder=_Stakeholder()),
    "task.created": _data("WebhookTaskCreatedData", task=_Task()),
    "task.completed": _data("WebhookTaskCompletedData", task=_Task()),
    "renewal.at_risk": _data("WebhookRenewalAtRiskData", renewal=_Renewal(), reason=serializers.CharField()),
    "renewal.closed": _data(
        "WebhookRenewalClosedData",
        renewal=_Renewal(),
        outcome=serializers.ChoiceField(["won", "churned"]),
        status=serializers.ChoiceField(["renewed", "downgraded", "churned"]),
    ),
    "nps.response_received": _data("WebhookNpsResponseData", response=_NpsResponse()),
    "rule.fired": _data(
        "WebhookRuleFiredData",
        rule=_Rule(),
        episode_key=serializers.CharField(help_text="What fired it: once per playbook, account and episode"),
        tasks=_Task(many=True),
        fired_at=serializers.DateTimeField(read_only=True),
    ),
}


def _envelope(event_type: str, data: type[serializers.Serializer]) -> type[serializers.Serializer]:
    name = "Webhook" + "".join(part.title() for part in event_type.replace(".", "_").split("_")) + "Event"
    fields = {
        "id": serializers.CharField(help_text="The event's id: the same event is queued once per endpoint"),
        "type": serializers.ChoiceField([event_type]),
        "version": serializers.IntegerField(help_text=f"Payload version (now {PAYLOAD_VERSION})"),
        "occurred_at": serializers.DateTimeField(read_only=True),
        "delivery_id": serializers.UUIDField(help_text="Same across retries: drop duplicates by it"),
        "data": data(),
    }
    return type(name, (serializers.Serializer,), fields)


# By event type: the schema's discriminator maps each ``type`` value to its envelope.
ENVELOPES: dict[str, serializers.Serializer | type[serializers.Serializer]] = {
    event_type: _envelope(event_type, data) for event_type, data in DATA.items()
}
PAYLOAD = PolymorphicProxySerializer(
    component_name="WebhookPayload", serializers=ENVELOPES, resource_type_field_name="type", many=False
)


@extend_schema_field(PAYLOAD)
class _PayloadField(serializers.JSONField):
    pass


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    reserved = serializers.BooleanField(help_text="Documented, not sent yet")
    data_fields = serializers.DictField(child=serializers.CharField())
    payload = _PayloadField(required=False, help_text="The delivery's JSON body (schema only)")


class IsAdminRole(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return is_admin(request.user)


class EventTypesView(APIView):
    """The webhook event types an endpoint can subscribe to (admins)."""

    permission_classes = [IsAuthenticated, IsAdminRole]

    @extend_schema(responses={200: EventTypeSerializer(many=True)})
    def get(self, request: Request) -> Response:
        rows = [
            {"type": key, "title": str(label), "version": PAYLOAD_VERSION, "reserved": key in RESERVED_EVENT_TYPES,
             "data_fields": fields}
            for key, (label, fields) in EVENT_TYPES.items()
        ]  # fmt: skip
        return Response(EventTypeSerializer(rows, many=True).data)
