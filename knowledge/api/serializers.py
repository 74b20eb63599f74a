from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from core.text_limits import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH

from ..models import CASE_CONTENT_FIELDS, Campaign, Case, FeedbackLink, FeedbackRequest, FeedbackStatus, Urgency


class CaseSerializer(serializers.ModelSerializer):
    # Plain strings: these choice sets are shared with other apps' fields, and named
    # enums of the same values would collide in the OpenAPI schema.
    industry = serializers.CharField(read_only=True)
    size_band = serializers.CharField(read_only=True, help_text="1_50, 51_200, 201_1000, 1001_5000, 5000_plus")
    arr_band = serializers.CharField(
        read_only=True, help_text="The ARR segment: tech_touch, smb, mid_market, enterprise"
    )
    status = serializers.CharField(read_only=True, help_text="draft, submitted, approved, rejected")

    class Meta:
        model = Case
        fields = ["id", *CASE_CONTENT_FIELDS, "status", "author", "updated_at"]
        read_only_fields = fields


class CaseMatchSerializer(serializers.Serializer):
    case = CaseSerializer()
    score = serializers.IntegerField()
    far_larger = serializers.BooleanField()
    same_industry = serializers.BooleanField()
    shared_products = serializers.ListField(child=serializers.CharField())


class FeedbackLinkSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    account_arr = serializers.DecimalField(source="account.arr", max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = FeedbackLink
        fields = [
            "account",
            "account_name",
            "account_arr",
            "business_scenario",
            "urgency",
            "roi_estimate",
            "alternatives",
        ]
        read_only_fields = fields


class FeedbackRequestSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text=", ".join(FeedbackStatus.values))
    account_count = serializers.IntegerField(read_only=True)
    demand_arr = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    roi_total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    top_urgency = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = FeedbackRequest
        fields = ["id", "title", "problem", "status", "account_count", "demand_arr", "roi_total", "top_urgency"]
        read_only_fields = fields


class FeedbackRaiseSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    existing = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    problem = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)
    business_scenario = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    roi_estimate = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"))
    alternatives = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)


class FeedbackStatusSerializer(serializers.Serializer):
    # Checked by the service (an unknown status is a 400 naming the field).
    status = serializers.CharField(max_length=32, help_text=", ".join(FeedbackStatus.values))
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH)


class CampaignSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="draft, active, closed")

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "feature",
            "event_names",
            "feedback_request",
            "segments",
            "industries",
            "products",
            "stall_days",
            "status",
            "launched_at",
        ]
        read_only_fields = fields
