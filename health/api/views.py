from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Stakeholder
from accounts.selectors import account_scope
from core.dates import date_in_range, date_range_message
from health.alerts import activity_alert_acknowledge, activity_alert_resolve
from health.models import ActivityAlert, HealthScore, NpsResponse
from health.nps import GROUPINGS, nps_response_record, nps_responses_for_user, nps_summary
from health.selectors import alerts_for_user, get_alert_for_user, scores_for_user
from health.services import IngestValidationError, events_ingest
from health.validation import event_schema

from .parsers import EventsJSONParser, NDJSONParser, PayloadTooLarge
from .serializers import (
    ActivityAlertSerializer,
    AlertNoteInput,
    DetailSerializer,
    HealthScoreSerializer,
    IngestErrorSerializer,
    IngestResultSerializer,
    NpsFigureSerializer,
    NpsResponseSerializer,
)
from .throttling import EventIngestThrottle, IngestRequestThrottle


class EventBulkIngestView(APIView):
    """Store a batch of usage events, all or nothing.

    Send a JSON array (`Content-Type: application/json`) or one event per line
    (`application/x-ndjson`), at most 10,000 events and 10 MB per request (413
    otherwise). Every event is checked first: if any is invalid, nothing is stored and
    the answer is 400 with `{"errors": [{"index", "field", "reason"}, ...]}` naming
    every problem. Otherwise all are stored; events whose `event_id` and `occurred_at`
    are already stored for that account (retries) or repeat within the request are
    ignored and counted as `duplicates`. 201 when something was stored, 200 when
    everything was a duplicate.

    Accounts are named by `account_id` or `account_external_id` and must be in the
    caller's scope. Rate limit: `HOURGLASS_INGEST_EVENTS_PER_MINUTE` events per API
    token and minute (default 6,000,000); over it the answer is 429 with `Retry-After`
    (seconds) and nothing of the batch is stored. If the database cannot be reached
    the answer is 503 with `Retry-After`, nothing stored: send the batch again.
    """

    # Token first: a machine client without credentials is told 401 + WWW-Authenticate.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [EventsJSONParser, NDJSONParser]
    throttle_classes = [IngestRequestThrottle, EventIngestThrottle]

    @extend_schema(
        operation_id="events_bulk_ingest",
        tags=["events"],
        request={
            "application/json": {"type": "array", "items": event_schema()},
            "application/x-ndjson": OpenApiTypes.STR,
        },
        responses={
            201: IngestResultSerializer,
            200: OpenApiResponse(IngestResultSerializer, description="Every event was a duplicate."),
            400: inline_serializer("IngestErrors", fields={"errors": IngestErrorSerializer(many=True)}),
            401: DetailSerializer,
            413: OpenApiResponse(DetailSerializer, description="More than 10,000 events or 10 MB."),
            429: OpenApiResponse(DetailSerializer, description="Rate limit exceeded; see Retry-After."),
            503: OpenApiResponse(DetailSerializer, description="The database is unavailable; see Retry-After."),
        },
    )
    def post(self, request: Request) -> Response:
        # An empty body parses to an empty dict, not a list: that is zero events.
        events: list[object] = request.data if isinstance(request.data, list) else []
        limit = settings.HOURGLASS_INGEST_MAX_EVENTS
        if len(events) > limit:
            raise PayloadTooLarge(
                _("%(n)d events in one request; the limit is %(limit)d.") % {"n": len(events), "limit": limit}
            )
        try:
            result = events_ingest(actor=request.user, events=events)
        except IngestValidationError as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            IngestResultSerializer(result).data,
            status=status.HTTP_201_CREATED if result.stored else status.HTTP_200_OK,
        )


# --- Alerts, NPS, scores ---------------------------------------------------------------


class ActivityAlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Activity-drop alerts of the accounts in the caller's scope (others answer 404).

    Filters: `account`, `status` (open, acknowledged, resolved).
    """

    serializer_class = ActivityAlertSerializer
    filterset_fields = ["account", "status"]

    def get_queryset(self) -> QuerySet[ActivityAlert]:
        return alerts_for_user(user=self.request.user)

    def get_object(self) -> ActivityAlert:
        return get_alert_for_user(self.request.user, self.kwargs["pk"])

    def _note(self, request: Request) -> str:
        data = AlertNoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        return str(data.validated_data["note"])

    @extend_schema(request=AlertNoteInput, responses=ActivityAlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        alert = activity_alert_acknowledge(alert=self.get_object(), actor=request.user, note=self._note(request))
        return Response(ActivityAlertSerializer(get_alert_for_user(request.user, alert.pk)).data)

    @extend_schema(request=AlertNoteInput, responses=ActivityAlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        alert = activity_alert_resolve(alert=self.get_object(), actor=request.user, note=self._note(request))
        return Response(ActivityAlertSerializer(get_alert_for_user(request.user, alert.pk)).data)


class NpsResponseViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """NPS survey responses of the accounts in the caller's scope.

    POST stores one response; resending an `external_id` already stored for the
    account answers 200 with the stored response instead of 201. Errors name the field.
    `GET summary/?group_by=account|owner|segment|company&start=&end=` gives
    NPS = %promoters − %detractors (null when there are no responses).
    """

    serializer_class = NpsResponseSerializer
    filterset_fields = ["account"]

    def get_queryset(self) -> QuerySet[NpsResponse]:
        return nps_responses_for_user(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = NpsResponseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        account = account_scope(user=request.user).filter(pk=data.pop("account_id")).first()
        if account is None:
            raise ValidationError({"account": [_("No such account in your scope.")]})
        stakeholder_id = data.pop("stakeholder_id", None)
        stakeholder = None
        if stakeholder_id is not None:
            stakeholder = Stakeholder.objects.filter(pk=stakeholder_id, account=account).first()
            if stakeholder is None:
                raise ValidationError({"stakeholder": [_("No such stakeholder at this account.")]})
        response, created = nps_response_record(actor=request.user, account=account, stakeholder=stakeholder, **data)
        return Response(
            NpsResponseSerializer(response).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("group_by", str, enum=list(GROUPINGS)),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE),
        ],
        responses=NpsFigureSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def summary(self, request: Request) -> Response:
        group_by = request.query_params.get("group_by", "company")
        if group_by not in GROUPINGS:
            raise ValidationError({"group_by": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(GROUPINGS)}]})
        bounds: dict[str, date | None] = {}
        for name in ("start", "end"):
            raw = request.query_params.get(name) or ""
            try:
                bounds[name] = parse_date(raw) if raw else None
            except ValueError:
                bounds[name] = None
            if raw and bounds[name] is None:
                raise ValidationError({name: [_("Give a date as YYYY-MM-DD.")]})
            day = bounds[name]
            if day is not None and not date_in_range(day):
                raise ValidationError({name: [date_range_message()]})
        figures = nps_summary(
            nps_responses_for_user(user=request.user), group_by=group_by, start=bounds["start"], end=bounds["end"]
        )
        return Response(NpsFigureSerializer(figures, many=True).data)


class HealthScoreViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Daily health scores (history) of the accounts in the caller's scope, newest
    first per account, with each measure's value (null = missing), points and
    contribution, and the explanation of the change since the previous day.

    Filters: `account`, `day`, `day__gte`, `day__lte`.
    """

    serializer_class = HealthScoreSerializer
    filterset_fields = {"account": ["exact"], "day": ["exact", "gte", "lte"]}

    def get_queryset(self) -> QuerySet[HealthScore]:
        return scores_for_user(user=self.request.user)
