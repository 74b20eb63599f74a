from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Account
from accounts.segments import Segment
from accounts.selectors import account_scope
from core.api.fields import CodeRelatedField
from core.dates import validate_date_range
from core.people import display_name

from ..models import ActivityType, TimeEntry


class SliceSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field is named "label" in the API
    accounts = serializers.IntegerField()
    arr = serializers.DecimalField(max_digits=16, decimal_places=2)


class BookSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(source="user.pk")
    username = serializers.CharField(source="user.username")
    name = serializers.SerializerMethodField()
    role = serializers.CharField()
    team = serializers.CharField()
    accounts = serializers.IntegerField()
    arr = serializers.DecimalField(max_digits=16, decimal_places=2)
    by_segment = SliceSerializer(source="segments", many=True)
    by_industry = SliceSerializer(many=True)
    health = serializers.DictField(child=serializers.IntegerField())
    renewals_due_90d = serializers.IntegerField(source="renewals_due")
    renewals_due_90d_arr = serializers.DecimalField(source="renewals_due_arr", max_digits=16, decimal_places=2)
    # None when the person has no accounts with a dossier to measure.
    dossier_completeness = serializers.FloatField(source="quality.average_completeness", default=None, allow_null=True)
    dossier_rating = serializers.FloatField(source="quality.average_rating", default=None, allow_null=True)
    overdue_reviews = serializers.IntegerField(source="quality.overdue_reviews", default=None, allow_null=True)
    time_load = serializers.DecimalField(source="time_share", max_digits=8, decimal_places=3, allow_null=True)
    status = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())

    def get_name(self, row: Any) -> str:
        return display_name(row.user)


class SegmentHoursSerializer(serializers.Serializer):
    segment = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field is named "label" in the API
    accounts = serializers.IntegerField()
    logged_minutes = serializers.IntegerField()
    touchpoint_minutes = serializers.IntegerField()
    hours_per_account_month = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    ceiling = serializers.IntegerField(allow_null=True)


class RecommendationSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    evidence = serializers.ListField(child=serializers.CharField())


class PlannerInput(serializers.Serializer):
    segment = serializers.ChoiceField(choices=Segment.choices)
    accounts = serializers.IntegerField(min_value=0, max_value=10_000_000)
    arr = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True)
    ratio = serializers.IntegerField(min_value=1, max_value=100_000, required=False, allow_null=True)


class PlanSerializer(serializers.Serializer):
    segment = serializers.CharField()
    accounts = serializers.IntegerField()
    arr = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    ratio = serializers.IntegerField(allow_null=True)
    ratio_min = serializers.IntegerField(allow_null=True)
    ratio_max = serializers.IntegerField(allow_null=True)
    csms_at_ratio = serializers.IntegerField(allow_null=True)
    csms_most = serializers.IntegerField(allow_null=True)
    csms_fewest = serializers.IntegerField(allow_null=True)
    steps = serializers.SerializerMethodField()
    preset = serializers.CharField(source="preset.name", default=None)
    band_min = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    band_max = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    hard_cap = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    csms_by_arr_fewest = serializers.IntegerField(allow_null=True)
    csms_by_arr_most = serializers.IntegerField(allow_null=True)
    csms_under_cap = serializers.IntegerField(allow_null=True)
    hours_per_account_month = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    ceiling = serializers.IntegerField(allow_null=True)
    csms_by_time = serializers.IntegerField(allow_null=True)

    def get_steps(self, plan: Any) -> list[dict[str, int]]:
        return [{"accounts_per_csm": ratio, "csms": csms} for ratio, csms in plan.steps]


@extend_schema_field({"type": "string", "maxLength": ActivityType._meta.get_field("code").max_length})
class ActivityTypeCodeField(serializers.SlugRelatedField):
    """An activity type by its code (the lookup bounds it; the schema says how long it can be)."""


class TimeEntrySerializer(serializers.ModelSerializer):
    """Time entries. ``user`` is always the caller on create; others' entries are read-only."""

    activity_type = CodeRelatedField(slug_field="code", queryset=ActivityType.objects.all())
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), allow_null=True, required=False)
    user: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = TimeEntry
        fields = ["id", "user", "account", "activity_type", "date", "minutes", "note", "created_at"]
        read_only_fields = ["id", "user", "created_at"]
        extra_kwargs = {"date": {"validators": [validate_date_range]}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only accounts in the caller's scope: others answer "does not exist", no leak.
            self.fields["account"].queryset = account_scope(user=request.user)  # type: ignore[attr-defined]
