"""Answers of the health API (ingest results and errors, alerts, NPS, scores).

Incoming events are checked, and described in the schema, by ``health.validation``
(shared with the import command), which reports every error of every event at once.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.dates import BoundedDateField
from health.models import NPS_COMMENT_MAX_LENGTH
from health.scoring import explain_changes


class IngestResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField(help_text=_("Events stored by this request."))
    duplicates = serializers.IntegerField(help_text=_("Events ignored: already stored, or repeated in the request."))


class IngestErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("Position of the event in the request, from 0."))
    field = serializers.CharField(help_text=_("The offending field; empty when the whole event is wrong."))
    reason = serializers.CharField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- Alerts, NPS, scores ---------------------------------------------------------------


class ActivityAlertSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    detected_on = serializers.DateField(read_only=True)
    current_events = serializers.IntegerField(read_only=True, help_text=_("Events in the 7 days to detected_on."))
    baseline_events = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text=_("Average events per 7 days in the 4 weeks before.")
    )
    drop_share = serializers.DecimalField(max_digits=5, decimal_places=4, read_only=True)
    status = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True)
    # None until the alert is acknowledged / resolved (the schema says so).
    acknowledged_at = serializers.DateTimeField(read_only=True, allow_null=True)
    acknowledged_by = serializers.IntegerField(source="acknowledged_by_id", read_only=True, allow_null=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    resolved_by = serializers.IntegerField(source="resolved_by_id", read_only=True, allow_null=True)


class AlertNoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class NpsResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    account = serializers.IntegerField(source="account_id", help_text=_("Hourglass account id."))
    stakeholder = serializers.IntegerField(
        source="stakeholder_id", required=False, allow_null=True, help_text=_("A stakeholder of that account.")
    )
    score = serializers.IntegerField(min_value=0, max_value=10)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=NPS_COMMENT_MAX_LENGTH)
    responded_on = BoundedDateField()
    external_id = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=100,
        help_text=_("The survey tool's id; sending the same one again for the account is ignored."),
    )
    category = serializers.CharField(read_only=True, help_text=_("promoter, passive or detractor."))


class NpsFigureSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text=_("Account id, owner id or segment; null for the company."))
    responses = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    nps = serializers.FloatField(allow_null=True, help_text=_("Null when there are no responses."))


class HealthScoreSerializer(serializers.Serializer):
    account = serializers.IntegerField(source="account_id")
    day = BoundedDateField()
    score = serializers.IntegerField(allow_null=True, help_text=_("0-100; null when every input is missing."))
    colour = serializers.CharField()
    previous_score = serializers.IntegerField(allow_null=True)
    measures = serializers.JSONField(
        help_text=_("Per measure: key, group, weight, value (null = missing), points, colour, contribution.")
    )
    changes = serializers.JSONField(help_text=_("Measures that moved the score since the previous day."))
    explanation = serializers.SerializerMethodField()

    def get_explanation(self, obj: object) -> list[str]:
        return explain_changes(getattr(obj, "changes", []))
