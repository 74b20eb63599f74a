from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from accounts.forms import MAX_UPLOAD_BYTES
from accounts.imports import csv_import
from accounts.models import Account, ImportKind, Stakeholder, TimelineEntry
from accounts.selectors import account_scope, get_account_for_user
from accounts.stakeholders import stakeholder_create, stakeholder_mark_left, stakeholder_undo_left, stakeholder_update
from accounts.timeline import touchpoint_log

from .serializers import (
    ImportRunSerializer,
    StakeholderLeftInput,
    StakeholderSerializer,
    TimelineEntrySerializer,
    TouchpointCreateSerializer,
)


def _account_in_scope(request: Request, account_id: Any) -> Account:
    """The account named in a request body, or a 400 naming the field (never a leak)."""
    try:
        return get_account_for_user(request.user, account_id)
    except Http404 as exc:
        raise ValidationError({"account_id": [_("No such account, or not one of yours.")]}) from exc


class StakeholderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Stakeholders of the accounts in the caller's scope. Filter with ``?account=<id>``."""

    serializer_class = StakeholderSerializer
    filterset_fields = ["account", "tier", "key_level", "is_active"]

    def get_queryset(self) -> QuerySet[Stakeholder]:
        return Stakeholder.objects.filter(account__in=account_scope(user=self.request.user)).order_by("pk")

    def perform_create(self, serializer: BaseSerializer[Stakeholder]) -> None:
        data = dict(serializer.validated_data)
        account = _account_in_scope(self.request, data.pop("account_id"))
        serializer.instance = stakeholder_create(actor=self.request.user, account=account, **data)

    def perform_update(self, serializer: BaseSerializer[Stakeholder]) -> None:
        data = dict(serializer.validated_data)
        data.pop("account_id", None)
        serializer.instance = stakeholder_update(actor=self.request.user, stakeholder=serializer.instance, **data)  # type: ignore[arg-type]

    @extend_schema(request=StakeholderLeftInput, responses=StakeholderSerializer)
    @action(detail=True, methods=["post"])
    def left(self, request: Request, pk: str | None = None) -> Response:
        """Mark the stakeholder as having left the customer, with the ``reason`` (required);
        raises a risk flag for key people."""
        stakeholder = self.get_object()
        incoming = StakeholderLeftInput(data=request.data)
        incoming.is_valid(raise_exception=True)
        reason = incoming.validated_data["reason"]
        stakeholder = stakeholder_mark_left(actor=request.user, stakeholder=stakeholder, reason=reason)
        return Response(StakeholderSerializer(stakeholder).data)

    @extend_schema(request=None, responses=StakeholderSerializer)
    @action(detail=True, methods=["post"], url_path="undo-left")
    def undo_left(self, request: Request, pk: str | None = None) -> Response:
        """Take "left" back: active again, and the risk flag the departure raised resolved."""
        stakeholder = self.get_object()
        stakeholder = stakeholder_undo_left(actor=request.user, stakeholder=stakeholder)
        return Response(StakeholderSerializer(stakeholder).data)


class TimelineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Timeline entries of the accounts in the caller's scope; POST logs a touchpoint."""

    serializer_class = TimelineEntrySerializer
    filterset_fields = ["account", "kind", "is_touchpoint"]

    def get_queryset(self) -> QuerySet[TimelineEntry]:
        return (
            TimelineEntry.objects.filter(account__in=account_scope(user=self.request.user))
            .select_related("actor")
            .prefetch_related("stakeholders")
            .order_by("-occurred_at", "-pk")
        )

    @extend_schema(request=TouchpointCreateSerializer, responses={201: TimelineEntrySerializer})
    def create(self, request: Request) -> Response:
        incoming = TouchpointCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        account = _account_in_scope(request, data.pop("account_id"))
        wanted = data.pop("stakeholders")
        people = list(Stakeholder.objects.filter(account=account, pk__in=wanted))
        if len(people) != len(set(wanted)):
            raise ValidationError({"stakeholders": [_("Stakeholders must belong to this account.")]})
        entry = touchpoint_log(actor=request.user, account=account, stakeholders=people, **data)
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class CsvImportView(APIView):
    """Import accounts or stakeholders from a CSV file (multipart field ``file``).

    All-or-nothing: 400 with every problem (row, column, reason) and nothing written,
    unless ``valid_only=true``: then the valid rows are written, the others reported.
    """

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": ImportKind.values},
                    "file": {"type": "string", "format": "binary"},
                    "valid_only": {"type": "boolean"},
                },
                "required": ["kind", "file"],
            }
        },
        responses={200: ImportRunSerializer, 201: ImportRunSerializer, 400: ImportRunSerializer},
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        kind = request.data.get("kind", "")
        if upload is None:
            raise ValidationError({"file": [_("Upload a CSV file.")]})
        if kind not in ImportKind.values:
            raise ValidationError({"kind": [_("Choose accounts or stakeholders.")]})
        if upload.size and upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError({"file": [_("The file is larger than 20 MB; split it.")]})
        valid_only = str(request.data.get("valid_only", "")).lower() in ("1", "true", "yes", "on")
        result, run = csv_import(
            actor=request.user, kind=kind, data=upload.read(), filename=upload.name or "", valid_only=valid_only
        )
        data = ImportRunSerializer(run).data
        if result.errors and not result.written:
            return Response(data, status=status.HTTP_400_BAD_REQUEST)
        return Response(data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
