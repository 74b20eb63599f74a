"""Shapes of the bulk ingest endpoint, for the OpenAPI schema.

The events themselves are checked by ``health.validation`` (shared with the import
command), which reports every error of every event at once; these serializers only
describe the request and the answers.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class UsageEventInSerializer(serializers.Serializer):
    account_id = serializers.IntegerField(
        required=False, help_text=_("Hourglass account id; or give account_external_id.")
    )
    account_external_id = serializers.CharField(
        required=False, help_text=_("The account's id in your CRM / billing system.")
    )
    occurred_at = serializers.DateTimeField(
        help_text=_("ISO 8601 with a time zone (Z or +08:00); at most one day in the future.")
    )
    event_name = serializers.CharField(max_length=100, help_text=_("The feature or action, e.g. opportunity.created."))
    user_id = serializers.CharField(
        required=False, max_length=255, help_text=_("The customer's id of the user; counts active users.")
    )
    quantity = serializers.DecimalField(
        required=False, max_digits=20, decimal_places=6, min_value=0, help_text=_("Defaults to 1.")
    )
    properties = serializers.DictField(required=False, help_text=_("Any JSON object."))
    event_id = serializers.CharField(
        max_length=100,
        help_text=_("Your unique id of the event. Re-sending the same event_id and occurred_at is ignored."),
    )


class IngestResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField(help_text=_("Events stored by this request."))
    duplicates = serializers.IntegerField(help_text=_("Events ignored: already stored, or repeated in the request."))


class IngestErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("Position of the event in the request, from 0."))
    field = serializers.CharField(help_text=_("The offending field; empty when the whole event is wrong."))
    reason = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
