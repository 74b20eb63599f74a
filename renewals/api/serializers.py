from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from accounts.api.serializers import OwnerSerializer
from accounts.selectors import account_scope

from ..models import CLOSED_STATUSES, ChurnReason, Contract, RenewalOpportunity, RenewalStatus


class ScopedAccountField(serializers.PrimaryKeyRelatedField):
    """An account id the caller may see; any other id reads as "does not exist"."""

    def get_queryset(self) -> Any:
        return account_scope(user=self.context["request"].user)


class ContractSerializer(serializers.ModelSerializer):
    account_id = ScopedAccountField(source="account")
    products = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    renewal_id = serializers.IntegerField(source="renewal.pk", read_only=True, default=None)

    class Meta:
        model = Contract
        fields = [
            "id",
            "account_id",
            "products",
            "start_date",
            "end_date",
            "arr",
            "currency",
            "auto_renew",
            "status",
            "previous",
            "renewal_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["previous", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": "The end date must not be before the start date."})
        if self.instance is not None and "account" in attrs and attrs["account"] != self.instance.account:
            raise serializers.ValidationError({"account_id": "A contract cannot move to another account."})
        return attrs


class AccountBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    owner = OwnerSerializer(read_only=True)


class RenewalSerializer(serializers.ModelSerializer):
    account = AccountBriefSerializer(read_only=True)
    contract_id = serializers.IntegerField(read_only=True)
    arr = serializers.DecimalField(source="contract.arr", max_digits=14, decimal_places=2, read_only=True)
    currency = serializers.CharField(source="contract.currency", read_only=True)
    signal_probability = serializers.DecimalField(max_digits=3, decimal_places=2, read_only=True)
    probability = serializers.DecimalField(max_digits=3, decimal_places=2, read_only=True)
    signal_forecast = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    csm_forecast = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, allow_null=True)
    disagrees = serializers.BooleanField(read_only=True)
    churn_reason: serializers.SlugRelatedField[ChurnReason] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = RenewalOpportunity
        fields = [
            "id",
            "account",
            "contract_id",
            "due_date",
            "status",
            "risk_reason",
            "arr",
            "currency",
            "forecast_arr",
            "signal_probability",
            "override_probability",
            "override_reason",
            "probability",
            "signal_forecast",
            "csm_forecast",
            "disagrees",
            "outcome_arr",
            "churn_reason",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AtRiskInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class StageInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[RenewalStatus.OPEN, RenewalStatus.COMMITTED])


class OverrideInput(serializers.Serializer):
    probability = serializers.DecimalField(
        max_digits=3, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("1"), allow_null=True
    )
    reason = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    forecast_arr = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True, default=None
    )


class CloseInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[status.value for status in CLOSED_STATUSES])
    outcome_arr = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True, default=None
    )
    churn_reason = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ChurnReason.objects.filter(active=True),
        required=False,
        allow_null=True,
        default=None,
    )
    next_end_date = serializers.DateField(required=False, allow_null=True, default=None)
