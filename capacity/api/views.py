from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from org.roles import is_manager_or_admin

from ..models import TimeEntry
from ..selectors import (
    book_of_business,
    get_own_time_entry,
    hiring_recommendations,
    plan,
    time_entry_scope,
)
from ..services import time_entry_create, time_entry_delete, time_entry_update
from .serializers import (
    BookSerializer,
    PlannerInput,
    PlanSerializer,
    RecommendationSerializer,
    SegmentHoursSerializer,
    TimeEntrySerializer,
)


def _as_drf(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class BooksView(APIView):
    """Books of business with load and status: own (CSM), team (manager), all (admin)."""

    @extend_schema(responses=BookSerializer(many=True))
    def get(self, request: Request) -> Response:
        books = book_of_business(user=request.user)
        return Response(BookSerializer(books.rows, many=True).data)


class FiguresView(APIView):
    """The capacity figures: preset (in the deployment's currency), settings, floor,
    hours per account per month and ceiling per segment, hiring triggers (managers)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        books = book_of_business(user=request.user)
        config = books.config
        recommendations = (
            hiring_recommendations(user=request.user, books=books) if is_manager_or_admin(request.user) else []
        )
        preset = config.preset
        return Response(
            {
                "preset": None
                if preset is None
                else {
                    "name": preset.name,
                    "citation": preset.citation,
                    "currency": preset.currency,
                    "arr_per_csm_min": str(preset.arr_per_csm_min),
                    "arr_per_csm_max": str(preset.arr_per_csm_max),
                    "hard_cap": None if preset.hard_cap is None else str(preset.hard_cap),
                    "local_band_min": None if config.band_min is None else str(config.band_min),
                    "local_band_max": None if config.band_max is None else str(config.band_max),
                    "local_hard_cap": None if config.hard_cap is None else str(config.hard_cap),
                },
                "available_hours_a_year": str(config.available_hours),
                "floor_arr": None if config.floor_arr is None else str(config.floor_arr),
                "floor_accounts": config.floor_accounts,
                "ratios": [
                    {
                        "segment": ratio.segment,
                        "accounts_per_csm_min": ratio.accounts_per_csm_min,
                        "accounts_per_csm_max": ratio.accounts_per_csm_max,
                        "notes": ratio.notes,
                    }
                    for ratio in config.ratios.values()
                ],
                "hours_by_segment": SegmentHoursSerializer(list(books.hours.values()), many=True).data,
                "recommendations": RecommendationSerializer(recommendations, many=True).data,
            }
        )


class PlannerView(APIView):
    """CSMs needed for a segment: ``?segment=enterprise&accounts=100&ratio=5&arr=10000000``."""

    @extend_schema(parameters=[PlannerInput], responses=PlanSerializer)
    def get(self, request: Request) -> Response:
        if not is_manager_or_admin(request.user):
            raise PermissionDenied
        params = PlannerInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        result = plan(segment=data["segment"], accounts=data["accounts"], arr=data.get("arr"), ratio=data.get("ratio"))
        return Response(PlanSerializer(result).data)


class TimeEntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Time entries: read own (CSM), team (manager), all (admin); write only one's own."""

    serializer_class = TimeEntrySerializer
    filterset_fields = ["user", "account", "date"]

    def get_queryset(self) -> QuerySet[TimeEntry]:
        return time_entry_scope(user=self.request.user)

    def get_object(self) -> TimeEntry:
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return super().get_object()
        return get_own_time_entry(self.request.user, self.kwargs["pk"])

    def perform_create(self, serializer: BaseSerializer[TimeEntry]) -> None:
        try:
            serializer.instance = time_entry_create(user=self.request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise _as_drf(error) from error

    def perform_update(self, serializer: BaseSerializer[TimeEntry]) -> None:
        data: dict[str, Any] = dict(serializer.validated_data)
        try:
            serializer.instance = time_entry_update(entry=serializer.instance, user=self.request.user, **data)  # type: ignore[arg-type]
        except DjangoValidationError as error:
            raise _as_drf(error) from error

    def perform_destroy(self, instance: TimeEntry) -> None:
        time_entry_delete(entry=instance, user=self.request.user)
