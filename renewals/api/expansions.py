"""``/api/v1/expansions/``: the expansion pipeline, with the page's filters and scope.

List, retrieve, create (on an account the caller may see), partial update (figures and
stage moves), ``win`` and ``lose``; ``summary`` gives the filtered set's totals and the
pipeline by quarter. Services raise Django's ValidationError, which the API's exception
handler turns into a 400 naming the field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import OwnerSerializer
from core.dates import BoundedDateField

from ..expansion_selectors import expansion_list, expansion_pipeline, expansion_totals, get_expansion_for_user
from ..expansions import expansion_create, expansion_lose, expansion_update, expansion_win
from ..filters import ExpansionFilter
from ..models import ExpansionKind, ExpansionOpportunity, ExpansionStage
from .serializers import AccountBriefSerializer, ScopedAccountField


class ExpansionPipelineSerializer(serializers.ModelSerializer):
    account = AccountBriefSerializer(read_only=True)
    owner = OwnerSerializer(read_only=True, allow_null=True)
    probability = serializers.IntegerField(source="probability_pct", read_only=True)
    probability_entered = serializers.IntegerField(
        source="probability", read_only=True, allow_null=True, help_text="null: the stage's usual probability"
    )
    weighted_amount = serializers.DecimalField(source="weighted", max_digits=18, decimal_places=2, read_only=True)
    owner_reason = serializers.CharField(read_only=True)

    class Meta:
        model = ExpansionOpportunity
        fields = [
            "id",
            "account",
            "title",
            "kind",
            "amount",
            "stage",
            "probability",
            "probability_entered",
            "weighted_amount",
            "expected_close",
            "owner",
            "owner_role",
            "owner_rule",
            "owner_reason",
            "lost_reason",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class ScopedAccountIdField(ScopedAccountField):
    """An account id the caller may see (any other id: "does not exist", a 400)."""


class ExpansionCreateInput(serializers.Serializer):
    account_id = ScopedAccountIdField(source="account")
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ExpansionKind.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"))
    stage = serializers.ChoiceField(
        choices=[stage for stage in ExpansionStage.values if stage != ExpansionStage.LOST],
        required=False,
        default=ExpansionStage.IDENTIFIED,
    )
    expected_close = BoundedDateField(required=False, allow_null=True, default=None)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True, default=None)


class ExpansionPatchInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=ExpansionKind.choices, required=False)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False)
    stage = serializers.ChoiceField(choices=ExpansionStage.choices, required=False)
    expected_close = BoundedDateField(required=False, allow_null=True)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)


class ExpansionWinInput(serializers.Serializer):
    closed_on = BoundedDateField(
        required=False, allow_null=True, default=None, help_text="The signing day (default today)."
    )


class ExpansionLoseInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class PipelineQuarterSerializer(serializers.Serializer):
    quarter = serializers.DateField(read_only=True)
    by_stage = serializers.DictField(child=serializers.DecimalField(max_digits=18, decimal_places=2))
    weighted_total = serializers.DecimalField(max_digits=18, decimal_places=2)


class ExpansionSummarySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=18, decimal_places=2)
    open_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    open_weighted = serializers.DecimalField(max_digits=18, decimal_places=2)
    won_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    pipeline = serializers.SerializerMethodField()

    @extend_schema_field(PipelineQuarterSerializer(many=True))
    def get_pipeline(self, totals: Any) -> list[dict[str, Any]]:
        return PipelineQuarterSerializer(self.context["pipeline"], many=True).data  # type: ignore[return-value]


class ExpansionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Expansion opportunities in the caller's scope (an account outside it: 404 / 400)."""

    serializer_class = ExpansionPipelineSerializer
    filterset_class = ExpansionFilter
    queryset = ExpansionOpportunity.objects.none()  # for the schema; requests use get_queryset
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        return expansion_list(user=self.request.user)

    def get_object(self) -> ExpansionOpportunity:
        return get_expansion_for_user(self.request.user, self.kwargs["pk"])

    def _respond(self, expansion: ExpansionOpportunity, status: int = 200) -> Response:
        fresh = get_expansion_for_user(self.request.user, expansion.pk)
        return Response(ExpansionPipelineSerializer(fresh).data, status=status)

    def _input(self, serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(request=ExpansionCreateInput, responses={201: ExpansionPipelineSerializer})
    def create(self, request: Request) -> Response:
        data = self._input(ExpansionCreateInput, request)
        return self._respond(expansion_create(actor=request.user, **data), status=201)

    @extend_schema(request=ExpansionPatchInput, responses=ExpansionPipelineSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        expansion = self.get_object()
        data = self._input(ExpansionPatchInput, request)
        return self._respond(expansion_update(expansion=expansion, actor=request.user, **data))

    @extend_schema(request=ExpansionWinInput, responses=ExpansionPipelineSerializer)
    @action(detail=True, methods=["post"])
    def win(self, request: Request, pk: str) -> Response:
        """Close as won: the contract in force on the signing day is amended by the amount."""
        expansion = self.get_object()
        data = self._input(ExpansionWinInput, request)
        return self._respond(expansion_win(expansion=expansion, actor=request.user, closed_on=data["closed_on"]))

    @extend_schema(request=ExpansionLoseInput, responses=ExpansionPipelineSerializer)
    @action(detail=True, methods=["post"])
    def lose(self, request: Request, pk: str) -> Response:
        expansion = self.get_object()
        data = self._input(ExpansionLoseInput, request)
        return self._respond(expansion_lose(expansion=expansion, actor=request.user, reason=data["reason"]))

    @extend_schema(responses=ExpansionSummarySerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request: Request) -> Response:
        """Totals (unweighted and weighted) and the pipeline by quarter of the filtered set."""
        expansions = self.filter_queryset(self.get_queryset())
        context = {"pipeline": expansion_pipeline(expansions)}
        return Response(ExpansionSummarySerializer(expansion_totals(expansions), context=context).data)
