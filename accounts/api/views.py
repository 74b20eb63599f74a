from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, viewsets
from rest_framework.serializers import BaseSerializer

from accounts.filters import AccountFilter
from accounts.models import Account
from accounts.selectors import account_list, get_account_for_user
from accounts.services import account_create, account_update

from .serializers import AccountSerializer


class AccountViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customer accounts in the caller's scope (a CSM: their own; a manager: their team's)."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter

    def get_queryset(self) -> QuerySet[Account]:
        return account_list(user=self.request.user)

    def get_object(self) -> Account:
        return get_account_for_user(self.request.user, self.kwargs["pk"])

    def perform_create(self, serializer: BaseSerializer[Account]) -> None:
        account = account_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = get_account_for_user(self.request.user, account.pk)

    def perform_update(self, serializer: BaseSerializer[Account]) -> None:
        data: dict[str, Any] = dict(serializer.validated_data)
        account = account_update(actor=self.request.user, account=serializer.instance, **data)  # type: ignore[arg-type]
        serializer.instance = get_account_for_user(self.request.user, account.pk)
