from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, Serializer

from ..filters import RenewalFilter
from ..forms import KpiForm
from ..kpis import GROUP_BY_KEYS, retention_kpis
from ..models import Contract, RenewalOpportunity
from ..selectors import (
    account_expansions,
    contract_list,
    get_account_expansion,
    get_contract_for_user,
    get_renewal_for_user,
    renewal_list,
)
from ..services import (
    contract_create,
    contract_update,
    expansion_create,
    expansion_update,
    renewal_close,
    renewal_mark_at_risk,
    renewal_override_forecast,
    renewal_set_stage,
)
from .serializers import (
    AtRiskInput,
    CloseInput,
    ContractSerializer,
    ExpansionSerializer,
    ExpansionUpdateInput,
    KpiTableSerializer,
    OverrideInput,
    RenewalDetailSerializer,
    RenewalSerializer,
    StageInput,
)


class ContractViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Contracts of the accounts in the caller's scope. Creating one opens its renewal."""

    serializer_class = ContractSerializer
    filterset_fields = ["account", "status"]

    def get_queryset(self) -> QuerySet[Contract]:
        return contract_list(user=self.request.user)

    def get_object(self) -> Contract:
        return get_contract_for_user(self.request.user, self.kwargs["pk"])

    def perform_create(self, serializer: BaseSerializer[Contract]) -> None:
        serializer.instance = contract_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Contract]) -> None:
        data: dict[str, Any] = dict(serializer.validated_data)
        data.pop("account", None)
        contract = contract_update(actor=self.request.user, contract=serializer.instance, **data)  # type: ignore[arg-type]
        serializer.instance = get_contract_for_user(self.request.user, contract.pk)


class RenewalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Renewal opportunities in the caller's scope, with the same filters as the page."""

    serializer_class = RenewalSerializer
    filterset_class = RenewalFilter

    def get_queryset(self) -> QuerySet[RenewalOpportunity]:
        if getattr(self, "swagger_fake_view", False):  # the schema: no request, no settings row
            return RenewalOpportunity.objects.none()
        return renewal_list(user=self.request.user)

    def get_object(self) -> RenewalOpportunity:
        return get_renewal_for_user(self.request.user, self.kwargs["pk"])

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return RenewalDetailSerializer if self.action == "retrieve" else RenewalSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="First due date (YYYY-MM-DD); default: four quarters back"),
            OpenApiParameter("end", str, description="Last due date (YYYY-MM-DD); default: end of last quarter"),
            OpenApiParameter("group_by", str, enum=GROUP_BY_KEYS),
        ],
        responses=KpiTableSerializer,
        filters=False,
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def kpis(self, request: Request) -> Response:
        """Retention KPIs of the renewals due in the period, in the caller's scope."""
        form = KpiForm.from_query(request.query_params, timezone.localdate())
        if not form.is_valid():
            return Response(form.errors.get_json_data(), status=400)
        table = retention_kpis(
            user=request.user,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            group_by=form.cleaned_data["group_by"],
        )
        return Response(KpiTableSerializer(table).data)

    def _respond(self, renewal: RenewalOpportunity) -> Response:
        return Response(RenewalSerializer(get_renewal_for_user(self.request.user, renewal.pk)).data)

    def _input(self, serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(request=AtRiskInput, responses=RenewalSerializer)
    @action(detail=True, methods=["post"], url_path="mark-at-risk")
    def mark_at_risk(self, request: Request, pk: str) -> Response:
        renewal = self.get_object()
        data = self._input(AtRiskInput, request)
        return self._respond(renewal_mark_at_risk(renewal=renewal, reason=data["reason"], actor=request.user))

    @extend_schema(request=StageInput, responses=RenewalSerializer)
    @action(detail=True, methods=["post"])
    def stage(self, request: Request, pk: str) -> Response:
        renewal = self.get_object()
        data = self._input(StageInput, request)
        return self._respond(renewal_set_stage(renewal=renewal, status=data["status"], actor=request.user))

    @extend_schema(request=OverrideInput, responses=RenewalSerializer)
    @action(detail=True, methods=["post"], url_path="override-forecast")
    def override_forecast(self, request: Request, pk: str) -> Response:
        renewal = self.get_object()
        data = self._input(OverrideInput, request)
        return self._respond(renewal_override_forecast(renewal=renewal, actor=request.user, **data))

    @extend_schema(request=CloseInput, responses=RenewalSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        renewal = self.get_object()
        data = self._input(CloseInput, request)
        return self._respond(renewal_close(renewal=renewal, actor=request.user, **data))

    @extend_schema(methods=["GET"], responses=ExpansionSerializer(many=True), filters=False)
    @extend_schema(methods=["POST"], request=ExpansionSerializer, responses={201: ExpansionSerializer})
    @extend_schema(methods=["PATCH"], request=ExpansionUpdateInput, responses=ExpansionSerializer)
    @action(detail=True, methods=["get", "post", "patch"], filter_backends=[], pagination_class=None)
    def expansions(self, request: Request, pk: str) -> Response:
        """The expansion opportunities of the renewal's account: list, raise one, or edit one by id."""
        account = self.get_object().account
        if request.method == "GET":
            return Response(ExpansionSerializer(account_expansions(account=account), many=True).data)
        if request.method == "POST":
            serializer = ExpansionSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            try:
                expansion = expansion_create(account=account, actor=request.user, **serializer.validated_data)
            except DjangoValidationError as error:
                raise ValidationError(error.message_dict) from error
            return Response(ExpansionSerializer(expansion).data, status=201)
        data = self._input(ExpansionUpdateInput, request)
        expansion = get_account_expansion(account=account, pk=data.pop("id"))
        try:
            expansion = expansion_update(expansion=expansion, actor=request.user, **data)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response(ExpansionSerializer(expansion).data)
