"""``GET /api/v1/stakeholders/{id}/personal-data/``: a contact's personal-data export (admins)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Stakeholder
from accounts.privacy import can_manage_personal_data, stakeholder_personal_data_export
from accounts.selectors import account_scope


class IsAdminRole(BasePermission):
    message = gettext_lazy("Only an admin may read a contact's personal data.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return can_manage_personal_data(request.user)


class StakeholderPersonalDataView(APIView):
    """Everything held about one stakeholder (the same JSON as the page's download).

    Sections: ``stakeholder``, ``history``, ``touchpoints``, ``timeline_entries``,
    ``mentions``, ``emails``, ``erasures``, ``nps_responses``, ``nps_mentions``,
    ``renewal_reminders``, ``task_mentions``, ``task_comment_mentions``.
    """

    permission_classes = [IsAuthenticated, IsAdminRole]

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The personal-data export.")})
    def get(self, request: Request, pk: int) -> Response:
        stakeholder = get_object_or_404(
            Stakeholder.objects.select_related("account").filter(account__in=account_scope(user=request.user)), pk=pk
        )
        response = Response(stakeholder_personal_data_export(stakeholder=stakeholder, actor=request.user))
        response["Cache-Control"] = "no-store"
        return response
