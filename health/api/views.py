from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from health.services import IngestValidationError, events_ingest

from .parsers import EventsJSONParser, NDJSONParser, PayloadTooLarge
from .serializers import DetailSerializer, IngestErrorSerializer, IngestResultSerializer, UsageEventInSerializer
from .throttling import EventIngestThrottle


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
    caller's scope. Rate limit: `HOURGLASS_INGEST_RATE` requests per API token
    (default 120 per minute); over it the answer is 429 with `Retry-After` (seconds).
    """

    # Token first: a machine client without credentials is told 401 + WWW-Authenticate.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [EventsJSONParser, NDJSONParser]
    throttle_classes = [EventIngestThrottle]

    @extend_schema(
        operation_id="events_bulk_ingest",
        tags=["events"],
        request={
            "application/json": UsageEventInSerializer(many=True),
            "application/x-ndjson": OpenApiTypes.STR,
        },
        responses={
            201: IngestResultSerializer,
            200: OpenApiResponse(IngestResultSerializer, description="Every event was a duplicate."),
            400: inline_serializer("IngestErrors", fields={"errors": IngestErrorSerializer(many=True)}),
            401: DetailSerializer,
            413: OpenApiResponse(DetailSerializer, description="More than 10,000 events or 10 MB."),
            429: OpenApiResponse(DetailSerializer, description="Rate limit exceeded; see Retry-After."),
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
