from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.confirm import REASON_MAX_LENGTH
from accounts.forms import TOUCHPOINT_TEXT_MAX
from accounts.models import Account, ImportRun, Stakeholder, TimelineEntry, TouchpointKind
from core.api.fields import IdField, IdListField
from core.dates import BoundedDateTimeField, validate_not_in_future
from core.people import display_name


class OwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return display_name(user)


class StakeholderSerializer(serializers.ModelSerializer):
    account: serializers.PrimaryKeyRelatedField[Account] = serializers.PrimaryKeyRelatedField(read_only=True)
    account_id = IdField(write_only=True, required=True)

    class Meta:
        model = Stakeholder
        fields = [
            "id", "account", "account_id", "name", "title", "department", "email", "phone", "tier",
            "key_level", "relationship", "reports_to", "demands", "personality", "work_goals",
            "is_active", "left_on", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["is_active", "left_on", "created_at", "updated_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None:  # the account of an existing stakeholder never changes
            fields["account_id"].required = False
            fields["account_id"].read_only = True
        return fields


class TimelineEntrySerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    # Generated titles and bodies in the request's language (Accept-Language); ``title``
    # and ``body`` are the stored text (a person's own words, or the writer's fallback).
    display_title = serializers.CharField(read_only=True)
    display_body = serializers.CharField(read_only=True)
    actor = OwnerSerializer(read_only=True, allow_null=True)
    stakeholders: serializers.ManyRelatedField = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[assignment]

    class Meta:
        model = TimelineEntry
        fields = [
            "id", "account", "is_touchpoint", "kind", "kind_display", "occurred_at", "actor", "title",
            "display_title", "body", "display_body", "outcome", "duration_minutes", "stakeholders", "data",
        ]  # fmt: skip
        read_only_fields = fields


class TouchpointCreateSerializer(serializers.Serializer):
    account_id = IdField()
    kind = serializers.ChoiceField(choices=TouchpointKind.choices)
    occurred_at = BoundedDateTimeField(required=False, validators=[validate_not_in_future])
    title = serializers.CharField(max_length=300)
    body = serializers.CharField(required=False, allow_blank=True, default="", max_length=TOUCHPOINT_TEXT_MAX)
    outcome = serializers.CharField(required=False, allow_blank=True, default="", max_length=TOUCHPOINT_TEXT_MAX)
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=24 * 60)
    stakeholders = IdListField(required=False, default=list)


class ImportRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRun
        fields = [
            "id", "kind", "filename", "valid_only", "status", "total_rows", "created", "updated",
            "unchanged", "rejected", "errors", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class StakeholderLeftInput(serializers.Serializer):
    """Why the person left (required; shown on the account's timeline)."""

    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)
