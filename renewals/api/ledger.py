"""API of the ARR ledger: a contract's amendments (list, record one) and the retention
over the ARR in force. Scoped like the pages: the contract's account must be in the
caller's scope (404 otherwise), the figures count only the accounts they may see."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.dates import BoundedDateField

from ..amendments import contract_amend, contract_amendments
from ..forms import KpiForm
from ..kpis import GROUP_BY_KEYS
from ..ledger_kpis import ledger_retention
from ..models import ContractAmendment
from ..selectors import get_contract_for_user


class AmendmentSerializer(serializers.ModelSerializer):
    """``arr_delta``: positive for an expansion, negative for a contraction (which needs
    a ``reason``); ``kind`` follows from its sign."""

    contract_id = serializers.IntegerField(read_only=True)
    expansion_id = serializers.IntegerField(read_only=True, allow_null=True)
    effective_date = BoundedDateField()

    class Meta:
        model = ContractAmendment
        fields = ["id", "contract_id", "effective_date", "arr_delta", "kind", "reason", "expansion_id", "created_at"]
        read_only_fields = ["id", "contract_id", "kind", "expansion_id", "created_at"]


class ContractAmendmentsView(APIView):
    @extend_schema(responses=AmendmentSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """The contract's amendments, oldest first."""
        contract = get_contract_for_user(request.user, pk)
        return Response(AmendmentSerializer(contract_amendments(contract=contract), many=True).data)

    @extend_schema(request=AmendmentSerializer, responses={201: AmendmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """Record an expansion or a contraction of the contract's ARR from a date."""
        contract = get_contract_for_user(request.user, pk)
        serializer = AmendmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            amendment = contract_amend(contract=contract, actor=request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response(AmendmentSerializer(amendment).data, status=201)


def _ratio() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2)


class LedgerRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the stubs type Field.label
    n_start = serializers.IntegerField()
    n_retained = serializers.IntegerField()
    start_arr = _money()
    end_arr = _money()
    expansion = _money()
    contraction = _money()
    churn = _money()
    reactivation = _money()
    new = _money()
    ndr = _ratio()
    grr = _ratio()
    logo_retention = _ratio()


class LedgerTableSerializer(serializers.Serializer):
    start = BoundedDateField()
    end = BoundedDateField()
    group_by = serializers.CharField()
    rows = LedgerRowSerializer(many=True)


class ArrRetentionView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="First day (YYYY-MM-DD); whole months are counted"),
            OpenApiParameter("end", str, description="Last day (YYYY-MM-DD)"),
            OpenApiParameter("group_by", str, enum=GROUP_BY_KEYS),
        ],
        responses=LedgerTableSerializer,
    )
    def get(self, request: Request) -> Response:
        """NDR, GRR and logo retention over the ARR in force, in the caller's scope."""
        form = KpiForm.from_query(request.query_params, timezone.localdate())
        if not form.is_valid():
            return Response(form.errors.get_json_data(), status=400)
        table = ledger_retention(
            user=request.user,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            group_by=form.cleaned_data["group_by"],
        )
        return Response(LedgerTableSerializer(table).data)
