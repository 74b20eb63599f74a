"""``/api/v1/segments/``: saved segments in the caller's sight (list, create, update,
delete; owner or admin change them) and ``/segments/{id}/members/``: the members the
caller may see, as the accounts API's rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.serializers import BaseSerializer

from accounts.api.serializers import OwnerSerializer
from accounts.models import SavedSegment, SegmentKind
from accounts.saved_segments import (
    can_edit_segment,
    get_segment_for_user,
    segment_counts,
    segment_delete,
    segment_members_for_user,
    segments_for_user,
)

from ..api import AccountSerializer
from ..book_filter import book_columns
from .filters import SegmentFilterInvalid
from .services import segment_change, segment_save


@contextmanager
def _field_errors() -> Iterator[None]:
    """A service's refusal as the API's 400 (filter problems named per parameter) or 403."""
    try:
        yield
    except SegmentFilterInvalid as error:
        raise ValidationError({"filters": error.errors}) from error
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from error
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error)) from error


class SavedSegmentSerializer(serializers.ModelSerializer):
    owner = OwnerSerializer(read_only=True)
    kind = serializers.ChoiceField(choices=SegmentKind.choices, default=SegmentKind.DYNAMIC)
    filters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=200), max_length=200),
        required=False,
        help_text=_('The book\'s query parameters, each a list of values, e.g. {"health": ["red"]}.'),
    )
    member_count = serializers.SerializerMethodField(help_text=_("Members you can see."))
    disabled_filters = serializers.SerializerMethodField(
        help_text=_("The filters that no longer work (the segment is not refreshed until its filter is updated).")
    )
    editable = serializers.SerializerMethodField()

    class Meta:
        model = SavedSegment
        fields = [
            "id", "name", "kind", "shared", "filters", "owner", "member_count",
            "disabled_filters", "editable", "refreshed_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["refreshed_at", "created_at", "updated_at"]
        extra_kwargs = {"name": {"max_length": 120}}

    def get_member_count(self, segment: SavedSegment) -> int:
        return int(self.context.get("counts", {}).get(segment.pk, 0))

    def get_disabled_filters(self, segment: SavedSegment) -> list[str]:
        return [name for name in segment.disabled_reason.split(",") if name]

    def get_editable(self, segment: SavedSegment) -> bool:
        return can_edit_segment(self.context["request"].user, segment)


class SavedSegmentViewSet(viewsets.ModelViewSet):
    """Saved segments you can see: your own, your team's shared ones (a manager: their
    teams'), every one for an admin. Members are counted within your scope."""

    serializer_class = SavedSegmentSerializer
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[SavedSegment]:
        if getattr(self, "swagger_fake_view", False):
            return SavedSegment.objects.none()
        return segments_for_user(user=self.request.user)

    def get_object(self) -> SavedSegment:
        return get_segment_for_user(self.request.user, self.kwargs["pk"])

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context.setdefault("counts", {})
        return context

    def _with_counts(self, segments: list[SavedSegment]) -> dict[str, Any]:
        return {**self.get_serializer_context(), "counts": segment_counts(user=self.request.user, segments=segments)}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        segments = list(page if page is not None else self.get_queryset())
        data = SavedSegmentSerializer(segments, many=True, context=self._with_counts(segments)).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        segment = self.get_object()
        return Response(SavedSegmentSerializer(segment, context=self._with_counts([segment])).data)

    def perform_create(self, serializer: BaseSerializer[SavedSegment]) -> None:
        data = serializer.validated_data
        with _field_errors():
            serializer.instance = segment_save(
                actor=self.request.user,
                name=data["name"],
                kind=data.get("kind", SegmentKind.DYNAMIC),
                shared=data.get("shared", False),
                filters=data.get("filters", {}),
            )

    def perform_update(self, serializer: BaseSerializer[SavedSegment]) -> None:
        data = serializer.validated_data
        segment = serializer.instance
        assert segment is not None
        if "kind" in data and data["kind"] != segment.kind:
            raise ValidationError({"kind": [_("A segment's kind cannot change; save a new one.")]})
        with _field_errors():
            serializer.instance = segment_change(
                actor=self.request.user,
                segment=segment,
                name=data.get("name"),
                shared=data.get("shared"),
                filters=data.get("filters"),
            )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().update(request, *args, **kwargs)
        segment = get_segment_for_user(request.user, self.kwargs["pk"])
        response.data = SavedSegmentSerializer(segment, context=self._with_counts([segment])).data
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().create(request, *args, **kwargs)
        segment = SavedSegment.objects.select_related("owner").get(pk=response.data["id"])
        response.data = SavedSegmentSerializer(segment, context=self._with_counts([segment])).data
        return response

    def perform_destroy(self, instance: SavedSegment) -> None:
        with _field_errors():
            segment_delete(actor=self.request.user, segment=instance)

    @extend_schema(responses=AccountSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=AccountSerializer)
    def members(self, request: Request, pk: Any = None) -> Response:
        """The segment's member accounts you can see (paginated, by name)."""
        segment = self.get_object()
        accounts = book_columns(segment_members_for_user(user=request.user, segment=segment)).order_by("name", "pk")
        page = self.paginate_queryset(accounts)
        rows = page if page is not None else list(accounts)
        data = AccountSerializer(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data) if page is not None else Response(data)


router = SimpleRouter()
router.register("segments", SavedSegmentViewSet, basename="segment")
urlpatterns = router.urls

__all__ = ["SavedSegmentSerializer", "SavedSegmentViewSet", "urlpatterns"]
