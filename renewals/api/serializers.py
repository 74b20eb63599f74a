from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import OwnerSerializer
from accounts.confirm import REASON_MAX_LENGTH
from accounts.selectors import account_scope
from core.api.fields import CodeRelatedField
from core.dates import BoundedDateField, validate_date_range

from ..models import (
    CLOSED_STATUSES,
    ChurnReason,
    Contract,
    ExpansionKind,
    ExpansionOpportunity,
    ExpansionStage,
    RenewalOpportunity,
    RenewalStatus,
)
from ..selectors import renewal_self_check


class ScopedAccountField(serializers.PrimaryKeyRelatedField):
    """An account id the caller may see; any other id reads as "does not exist"."""

    def get_queryset(self) -> Any:
        return account_scope(user=self.context["request"].user)


class ContractSerializer(serializers.ModelSerializer):
    account_id = ScopedAccountField(source="account")
    products = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    # None for a contract without a renewal opportunity (yet).
    renewal_id = serializers.IntegerField(source="renewal.pk", read_only=True, default=None, allow_null=True)

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
            "customer_reminders",
            "customer_language",
            "status",
            "previous",
            "renewal_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["previous", "created_at", "updated_at"]
        # The model defaults ARR to 0 for other writers; through the API it must be said.
        extra_kwargs = {
            "arr": {"required": True},
            "start_date": {"validators": [validate_date_range]},
            "end_date": {"validators": [validate_date_range]},
        }

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
    owner = OwnerSerializer(read_only=True, allow_null=True)


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
        slug_field="code", read_only=True, allow_null=True
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
    churn_reason = CodeRelatedField(
        slug_field="code",
        queryset=ChurnReason.objects.filter(active=True),
        required=False,
        allow_null=True,
        default=None,
    )
    next_end_date = BoundedDateField(required=False, allow_null=True, default=None)
    # Why it closes so: required, shown on the account's timeline.
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class SelfCheckItemSerializer(serializers.Serializer):
    key = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # the stubs type Field.label
    ok = serializers.BooleanField(read_only=True)
    evidence = serializers.ListField(child=serializers.CharField(), read_only=True)


class RenewalDetailSerializer(RenewalSerializer):
    """One renewal with its self-check (seed 004); the list leaves the check out."""

    self_check = serializers.SerializerMethodField()

    class Meta(RenewalSerializer.Meta):
        fields = [*RenewalSerializer.Meta.fields, "self_check"]
        read_only_fields = fields

    @extend_schema_field(SelfCheckItemSerializer(many=True))
    def get_self_check(self, renewal: RenewalOpportunity) -> list[dict[str, Any]]:
        return SelfCheckItemSerializer(renewal_self_check(renewal), many=True).data  # type: ignore[return-value]


class KpiRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the stubs type Field.label
    due = serializers.IntegerField()
    closed = serializers.IntegerField()
    open = serializers.IntegerField()
    renewed_count = serializers.IntegerField()
    churned_count = serializers.IntegerField()
    beginning_arr = serializers.DecimalField(max_digits=16, decimal_places=2)
    upgrade_arr = serializers.DecimalField(max_digits=16, decimal_places=2)
    downgrade_arr = serializers.DecimalField(max_digits=16, decimal_places=2)
    churned_arr = serializers.DecimalField(max_digits=16, decimal_places=2)
    grr = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    ndr = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    logo_renewal_rate = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    revenue_renewal_rate_pure = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    revenue_renewal_rate_expansion = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    filters = serializers.DictField(child=serializers.CharField())


class KpiTableSerializer(serializers.Serializer):
    start = BoundedDateField()
    end = BoundedDateField()
    group_by = serializers.CharField()
    rows = KpiRowSerializer(many=True)


class ExpansionSerializer(serializers.ModelSerializer):
    """Read and write; ``owner_role`` is computed by the rule, never sent."""

    account_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = ExpansionOpportunity
        fields = [
            "id",
            "account_id",
            "title",
            "kind",
            "amount",
            "stage",
            "expected_close",
            "owner_role",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "account_id", "owner_role", "created_at", "updated_at"]
        extra_kwargs = {"expected_close": {"validators": [validate_date_range]}}


class ExpansionUpdateInput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=ExpansionKind.choices, required=False)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False)
    stage = serializers.ChoiceField(choices=ExpansionStage.choices, required=False)
    expected_close = BoundedDateField(required=False, allow_null=True)
