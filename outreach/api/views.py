"""``POST /api/v1/outreach/bounces/``: a mail system reports addresses that bounced."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from org.models import Role
from org.roles import role_of

from ..responses import contacts_mark_bounced


class IsAdmin(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        return role_of(request.user) == Role.ADMIN


class BouncesSerializer(serializers.Serializer):
    emails = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        min_length=1,
        max_length=1000,
        help_text=_("Addresses that bounced."),
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class BouncesResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text=_("Addresses newly marked bounced."))


@extend_schema(request=BouncesSerializer, responses={200: BouncesResultSerializer}, tags=["outreach"])
@api_view(["POST"])
@permission_classes([IsAuthenticated, IsAdmin])
def bounces_api(request: Request) -> Response:
    """Mark addresses bounced (an admin's API token): no survey goes to them again."""
    serializer = BouncesSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    marked = contacts_mark_bounced(
        emails=serializer.validated_data["emails"], reason=serializer.validated_data["reason"]
    )
    return Response({"marked": marked}, status=status.HTTP_200_OK)
