"""``GET /api/v1/search/?q=``: global search for machines, the same selector as the pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import KINDS, MAX_LIMIT_PER_TYPE, MAX_QUERY_LENGTH, SearchQueryError, search_for_user


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    subtitle = serializers.CharField()
    url = serializers.CharField(help_text=_("The page of the hit, relative to the site."))


class SearchGroupSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not the serializer's own label
    hits = SearchHitSerializer(many=True)


class SearchResultsSerializer(serializers.Serializer):
    query = serializers.CharField(help_text=_("The terms searched (short terms and extra spaces left out)."))
    groups = SearchGroupSerializer(many=True)


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(allow_blank=True, required=False, default="", trim_whitespace=False)
    limit = serializers.IntegerField(required=False, default=5, min_value=1, max_value=MAX_LIMIT_PER_TYPE)
    kind = serializers.MultipleChoiceField(choices=KINDS, required=False)


class SearchAPIView(APIView):
    """Accounts, stakeholders, dossiers, timeline subjects, tasks and cases matching ``q``,
    in the caller's scope, best first, grouped by type."""

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description=f"2 to {MAX_QUERY_LENGTH} characters."),
            OpenApiParameter("limit", int, description=f"Hits per type, 1 to {MAX_LIMIT_PER_TYPE} (default 5)."),
            OpenApiParameter("kind", str, many=True, enum=list(KINDS), description="Only these types (repeatable)."),
        ],
        responses=SearchResultsSerializer,
    )
    def get(self, request: Request) -> Response:
        params = SearchParamsSerializer(
            data={"q": request.query_params.get("q", ""), "kind": request.query_params.getlist("kind")}
            | ({"limit": request.query_params["limit"]} if "limit" in request.query_params else {})
        )
        params.is_valid(raise_exception=True)
        kinds = tuple(kind for kind in KINDS if kind in params.validated_data.get("kind", ())) or KINDS
        try:
            results = search_for_user(
                request.user, params.validated_data["q"], limit_per_type=params.validated_data["limit"], kinds=kinds
            )
        except SearchQueryError as error:
            raise ValidationError({"q": [str(error)]}) from error
        return Response(SearchResultsSerializer(results).data)
