"""The knowledge app over HTTP: the same scope and services as the pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import get_account_for_user

from ..access import can_manage
from ..filters import CaseFilter, FeedbackFilter
from ..models import Campaign, Case, FeedbackRequest
from ..selectors import (
    campaign_funnel,
    campaign_list,
    campaign_rows,
    case_list,
    cases_for_account,
    feedback_board,
    get_campaign,
    get_case_for_user,
    get_request_for_user,
    request_links,
)
from ..services import feedback_raise, feedback_set_status
from .serializers import (
    CampaignSerializer,
    CaseMatchSerializer,
    CaseSerializer,
    FeedbackLinkSerializer,
    FeedbackRaiseSerializer,
    FeedbackRequestSerializer,
    FeedbackStatusSerializer,
)


def _as_drf(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Best-practice cases the caller may read (approved ones, plus their own and their team's)."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilter

    def get_queryset(self) -> QuerySet[Case]:
        return case_list(user=self.request.user).order_by("-updated_at", "-pk")

    def get_object(self) -> Case:
        return get_case_for_user(self.request.user, self.kwargs["pk"])


@extend_schema(responses=CaseMatchSerializer(many=True))
@api_view(["GET"])
def account_cases_api(request: Request, pk: int) -> Response:
    """Approved cases like this customer, best first (comparable companies before far larger ones)."""
    account = get_account_for_user(request.user, pk)
    return Response(CaseMatchSerializer(cases_for_account(account=account), many=True).data)


class FeedbackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The feedback board: all requests for managers and admins, a CSM's linked ones for a CSM."""

    serializer_class = FeedbackRequestSerializer
    filterset_class = FeedbackFilter

    def get_queryset(self) -> QuerySet[FeedbackRequest]:
        return feedback_board(user=self.request.user)

    def get_object(self) -> FeedbackRequest:
        return get_request_for_user(self.request.user, self.kwargs["pk"])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        data = dict(FeedbackRequestSerializer(item).data)
        data["links"] = FeedbackLinkSerializer(request_links(request=item, user=request.user), many=True).data
        return Response(data)

    @extend_schema(request=FeedbackRaiseSerializer, responses=FeedbackRequestSerializer)
    def create(self, request: Request) -> Response:
        """Raise feedback from an account, or link the account to an ``existing`` request."""
        incoming = FeedbackRaiseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        account = get_account_for_user(request.user, data.pop("account"))
        existing_pk = data.pop("existing", None)
        existing = FeedbackRequest.objects.filter(pk=existing_pk).first() if existing_pk else None
        if existing_pk and existing is None:
            raise ValidationError({"existing": ["No such request."]})
        try:
            link = feedback_raise(actor=request.user, account=account, existing=existing, **data)
        except DjangoValidationError as error:
            raise _as_drf(error) from error
        item = get_request_for_user(request.user, link.request_id)
        return Response(FeedbackRequestSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FeedbackStatusSerializer, responses=FeedbackRequestSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        if not can_manage(request.user):
            raise PermissionDenied
        item = self.get_object()
        incoming = FeedbackStatusSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            feedback_set_status(actor=request.user, request=item, **incoming.validated_data)
        except DjangoValidationError as error:
            raise _as_drf(error) from error
        return Response(FeedbackRequestSerializer(self.get_object()).data)


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Adoption campaigns; the funnel counts only the caller's accounts."""

    serializer_class = CampaignSerializer

    def get_queryset(self) -> QuerySet[Campaign]:
        return campaign_list(user=self.request.user)

    def get_object(self) -> Campaign:
        return get_campaign(self.kwargs["pk"])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign = self.get_object()
        rows = list(campaign_rows(campaign=campaign, user=request.user))
        funnel = campaign_funnel(campaign=campaign, rows=rows)
        data = dict(CampaignSerializer(campaign).data)
        data["funnel"] = {
            "total": asdict(funnel.total),
            "by_csm": [asdict(row) for row in funnel.by_csm],
        }
        return Response(data)
