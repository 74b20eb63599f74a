from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Account, ImportRun, Stakeholder, TimelineEntry, TouchpointKind
from accounts.segments import Segment
from core.people import display_name


class OwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return display_name(user)


class AccountSerializer(serializers.ModelSerializer):
    segment = serializers.ChoiceField(choices=Segment.choices, read_only=True, source="segment_key")
    owner = OwnerSerializer(read_only=True, allow_null=True)
    owner_id = serializers.PrimaryKeyRelatedField(
        source="owner",
        queryset=get_user_model().objects.all(),
        allow_null=True,
        required=False,
        write_only=True,
        help_text=_("User id of the owner CSM."),
    )
    currency = serializers.SerializerMethodField()
    # Present when the health and renewals apps annotate the list (None otherwise).
    health_score = serializers.SerializerMethodField()
    health_colour = serializers.SerializerMethodField()
    health_trend = serializers.SerializerMethodField()
    next_renewal_date = serializers.SerializerMethodField()
    # Present when the playbooks app annotates the list (None otherwise).
    stage = serializers.SerializerMethodField(help_text=_("Lifecycle stage key, e.g. renewal_window."))
    stage_display = serializers.SerializerMethodField()
    stage_since = serializers.SerializerMethodField()
    days_in_stage = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "external_id",
            "industry",
            "arr",
            "currency",
            "segment",
            "icp_fit",
            "owner",
            "owner_id",
            "go_live_date",
            "status",
            "dossier_score",
            "health_score",
            "health_colour",
            "health_trend",
            "next_renewal_date",
            "stage",
            "stage_display",
            "stage_since",
            "days_in_stage",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["dossier_score", "created_at", "updated_at"]

    def get_health_score(self, account: Account) -> int | None:
        return getattr(account, "health_score", None)

    def get_health_colour(self, account: Account) -> str | None:
        return getattr(account, "health_colour", None) or None

    def get_health_trend(self, account: Account) -> int | None:
        """Score change over the last 7 days."""
        now, before = getattr(account, "health_score", None), getattr(account, "health_score_week_ago", None)
        return None if now is None or before is None else int(now) - int(before)

    def get_next_renewal_date(self, account: Account) -> date | None:
        return getattr(account, "next_renewal_date", None)

    def get_stage(self, account: Account) -> str | None:
        return getattr(account, "lifecycle_stage", None) or None

    def get_stage_display(self, account: Account) -> str | None:
        return getattr(account, "lifecycle_label", None) or None

    def get_stage_since(self, account: Account) -> date | None:
        return getattr(account, "lifecycle_since", None)

    def get_days_in_stage(self, account: Account) -> int | None:
        days = getattr(account, "lifecycle_days", None)
        return None if days is None else max(days.days, 0)

    def get_currency(self, account: Account) -> str:
        return str(settings.HOURGLASS_CURRENCY)


class StakeholderSerializer(serializers.ModelSerializer):
    account: serializers.PrimaryKeyRelatedField[Account] = serializers.PrimaryKeyRelatedField(read_only=True)
    account_id = serializers.IntegerField(write_only=True, required=True)

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
    actor = OwnerSerializer(read_only=True, allow_null=True)
    stakeholders: serializers.ManyRelatedField = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[assignment]

    class Meta:
        model = TimelineEntry
        fields = [
            "id", "account", "is_touchpoint", "kind", "kind_display", "occurred_at", "actor", "title",
            "body", "outcome", "duration_minutes", "stakeholders", "data",
        ]  # fmt: skip
        read_only_fields = fields


class TouchpointCreateSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=TouchpointKind.choices)
    occurred_at = serializers.DateTimeField(required=False)
    title = serializers.CharField(max_length=300)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    outcome = serializers.CharField(required=False, allow_blank=True, default="")
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=24 * 60)
    stakeholders = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class ImportRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRun
        fields = [
            "id", "kind", "filename", "valid_only", "status", "total_rows", "created", "updated",
            "unchanged", "rejected", "errors", "created_at",
        ]  # fmt: skip
        read_only_fields = fields
