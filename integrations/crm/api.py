"""``POST /api/v1/sync/accounts``, ``/sync/stakeholders`` and ``/sync/contracts``: the CRM upsert API.

Thin: the body's shape is checked here (a list of flat objects, at most
``HOURGLASS_CRM_SYNC_MAX_ROWS``), the rows by ``integrations.crm.services.crm_sync``.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.imports.parsing import ACCOUNT_COLUMNS, STAKEHOLDER_COLUMNS
from core.api.parsers import JSONParser
from core.text_limits import LIST_MAX_LENGTH

from .contracts import CONTRACT_COLUMNS, CONTRACT_REQUIRED
from .services import SyncError, SyncRejected, can_sync, crm_sync

COLUMNS = {"accounts": ACCOUNT_COLUMNS, "stakeholders": STAKEHOLDER_COLUMNS, "contracts": CONTRACT_COLUMNS}
REQUIRED = {
    "accounts": ["external_id", "name"],
    "stakeholders": ["account_external_id", "name"],
    "contracts": list(CONTRACT_REQUIRED),
}


class TooManyRows(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("Too many rows in one request.")
    default_code = "too_many_rows"


# A body is read only up to this many bytes a row of the limit (10 MB for 5,000 rows):
# far more than a row of these fields needs, and never a whole oversized upload in memory.
BYTES_PER_ROW = 2048


def _too_many_bytes() -> TooManyRows:
    limit = settings.HOURGLASS_CRM_SYNC_MAX_ROWS * BYTES_PER_ROW
    return TooManyRows(
        _("The request body is larger than %(mb)s MB; split the rows into several calls.")
        % {"mb": round(limit / (1024 * 1024), 1)}
    )


class CappedJSONParser(JSONParser):
    """The project's JSON parser, reading at most the byte limit (413 beyond it)."""

    def parse(self, stream: IO[Any] | None, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.HOURGLASS_CRM_SYNC_MAX_ROWS * BYTES_PER_ROW
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise _too_many_bytes()
        return super().parse(io.BytesIO(body), media_type, parser_context)


class MaySync(BasePermission):
    message = gettext_lazy("Only managers and admins may sync from a CRM.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return can_sync(request.user)


class RowField(serializers.Field):
    """One row: an object of known field names whose values are text, numbers or null."""

    def __init__(self, *, columns: tuple[str, ...], **kwargs: Any) -> None:
        self.columns = frozenset(columns)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"row": [_("Expected an object of fields.")]})
        row: dict[str, str] = {}
        errors: dict[str, list[str]] = {}
        for key, value in data.items():
            if key not in self.columns:
                errors[str(key)] = [_("Unknown field.")]
            elif value is None:
                row[key] = ""
            elif isinstance(value, str) and len(value) > LIST_MAX_LENGTH:
                errors[key] = [_("Keep it under %(limit)s characters.") % {"limit": LIST_MAX_LENGTH}]
            elif isinstance(value, str):
                row[key] = value.strip()
            elif isinstance(value, int | float) and not isinstance(value, bool):
                row[key] = str(Decimal(str(value)))
            else:
                errors[key] = [_("Expected text or a number.")]
        if errors:
            raise serializers.ValidationError(errors)
        return row

    def to_representation(self, value: Any) -> Any:
        return value


def _flatten(detail: Any) -> list[SyncError]:
    """DRF's nested errors ({"rows": {3: {"arr": [...]}}}) as index + field + message."""
    errors: list[SyncError] = []
    for top, value in detail.items():
        if top != "rows" or isinstance(value, list):
            errors += [SyncError(None, str(top), str(message)) for message in value]
            continue
        for index, fields in value.items():
            for field, messages in fields.items():
                errors += [SyncError(int(index), str(field), str(message)) for message in messages]
    return sorted(errors, key=lambda e: (-1 if e.index is None else e.index, e.field))


def _row_schema(entity: str) -> dict[str, Any]:
    number_or_text = {"oneOf": [{"type": "number"}, {"type": "string", "maxLength": LIST_MAX_LENGTH}], "nullable": True}
    properties = {name: {"type": "string", "nullable": True, "maxLength": LIST_MAX_LENGTH} for name in COLUMNS[entity]}
    numbers = {"accounts": ("arr",), "stakeholders": ("tier", "key_level", "relationship"), "contracts": ("arr",)}
    for name in numbers[entity]:
        properties[name] = number_or_text
    return {"type": "object", "properties": properties, "required": REQUIRED[entity], "additionalProperties": False}


_ERRORS = inline_serializer(
    "CrmSyncErrors",
    fields={
        "errors": inline_serializer(
            "CrmSyncError",
            fields={
                "index": serializers.IntegerField(allow_null=True),
                "field": serializers.CharField(),
                "message": serializers.CharField(),
            },
            many=True,
        )
    },
)
_RESULT = inline_serializer(
    "CrmSyncResult",
    fields={
        "entity": serializers.CharField(),
        "received": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
    },
)


class AccountsSyncRequest(serializers.Serializer):
    rows = serializers.ListField(child=RowField(columns=ACCOUNT_COLUMNS), allow_empty=False)


class StakeholdersSyncRequest(serializers.Serializer):
    rows = serializers.ListField(child=RowField(columns=STAKEHOLDER_COLUMNS), allow_empty=False)


class ContractsSyncRequest(serializers.Serializer):
    rows = serializers.ListField(child=RowField(columns=CONTRACT_COLUMNS), allow_empty=False)


class _SyncView(APIView):
    entity = ""
    request_serializer: type[serializers.Serializer] = AccountsSyncRequest
    permission_classes = [IsAuthenticated, MaySync]
    parser_classes = [CappedJSONParser]

    def post(self, request: Request) -> Response:
        rows = request.data.get("rows") if isinstance(request.data, dict) else None
        limit = settings.HOURGLASS_CRM_SYNC_MAX_ROWS
        if isinstance(rows, list) and len(rows) > limit:
            raise TooManyRows(
                _("%(n)d rows in one request; the limit is %(limit)d: split them into several calls.")
                % {"n": len(rows), "limit": limit}
            )
        body = self.request_serializer(data=request.data)
        try:
            if not body.is_valid():
                raise SyncRejected(_flatten(body.errors))
            result = crm_sync(actor=request.user, entity=self.entity, rows=body.validated_data["rows"], system="api")
        except SyncRejected as exc:
            return Response({"errors": [e.as_dict() for e in exc.errors]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result.__dict__)


def _schema(entity: str) -> Any:
    key = "account_external_id" if entity == "stakeholders" else "external_id"
    operation = extend_schema(
        operation_id=f"sync_{entity}",
        tags=["sync"],
        description=(
            f'Upsert up to {settings.HOURGLASS_CRM_SYNC_MAX_ROWS:,} {entity} (`{{"rows": [...]}}`), matched by '
            f"`{key}`, all or nothing: any invalid row, or a row for an account outside the caller's scope, "
            "answers 400 with every problem by `index` and `field`, and nothing is written. Re-sending the "
            "same rows reports them `unchanged`. Managers and admins only (403 otherwise)."
        ),
        request={
            "application/json": {
                "type": "object",
                "properties": {"rows": {"type": "array", "items": _row_schema(entity)}},
                "required": ["rows"],
            }
        },
        responses={
            200: _RESULT,
            400: _ERRORS,
            413: OpenApiResponse(
                description="More rows than HOURGLASS_CRM_SYNC_MAX_ROWS, or a body above 2 KB a row of it."
            ),
        },
    )
    return extend_schema_view(post=operation)


@_schema("accounts")
class AccountsSyncView(_SyncView):
    """Upsert customer accounts by external id."""

    entity = "accounts"


@_schema("stakeholders")
class StakeholdersSyncView(_SyncView):
    """Upsert stakeholders by account external id + email (or name, without an email)."""

    entity = "stakeholders"
    request_serializer = StakeholdersSyncRequest


@_schema("contracts")
class ContractsSyncView(_SyncView):
    """Upsert contracts by external id; new active ones get their renewal opportunity."""

    entity = "contracts"
    request_serializer = ContractsSyncRequest
