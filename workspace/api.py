"""The accounts API (``/api/v1/accounts/``): the book's rows and filters, for machines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.routers import SimpleRouter
from rest_framework.serializers import BaseSerializer

from accounts.api.serializers import OwnerSerializer
from accounts.models import Account
from accounts.segments import Segment
from accounts.services import account_create, account_update
from core.dates import validate_date_range
from core.formatting import deployment_currency

from .book import BookFilter, book_accounts
from .search.api import SearchAPIView

API_FIELDS = {"owner": "owner_id"}


@contextmanager
def _named_by_api_fields() -> Iterator[None]:
    """A service's error as a 400 named by the API's field (``owner`` → ``owner_id``)."""
    try:
        yield
    except DjangoValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {API_FIELDS.get(name, name): msgs for name, msgs in error.message_dict.items()}
        ) from error


class AccountSerializer(serializers.ModelSerializer):
    segment = serializers.ChoiceField(choices=Segment.choices, read_only=True, source="segment_key")
    owner = OwnerSerializer(read_only=True, allow_null=True)
    owner_id = serializers.PrimaryKeyRelatedField(
        source="owner",
        queryset=get_user_model().objects.all(),
        allow_null=True,
        required=False,
        write_only=True,
        help_text=_("User id of the owner CSM."),
        # The service's words for someone outside the caller's team: an unknown id
        # must read the same, or the error would tell which ids exist.
        error_messages={"does_not_exist": _("Not a person you can assign.")},
    )
    currency = serializers.SerializerMethodField()
    # The other apps' columns: annotations of ``book_accounts`` (None where there is no figure).
    health_score = serializers.SerializerMethodField()
    health_colour = serializers.SerializerMethodField()
    health_trend = serializers.SerializerMethodField()
    next_renewal_date = serializers.SerializerMethodField()
    stage = serializers.SerializerMethodField(help_text=_("Lifecycle stage key, e.g. renewal_window."))
    stage_display = serializers.SerializerMethodField()
    stage_since = serializers.SerializerMethodField()
    days_in_stage = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "external_id",
            "industry",
            "arr",
            "currency",
            "segment",
            "icp_fit",
            "owner",
            "owner_id",
            "go_live_date",
            "status",
            "dossier_score",
            "health_score",
            "health_colour",
            "health_trend",
            "next_renewal_date",
            "stage",
            "stage_display",
            "stage_since",
            "days_in_stage",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["dossier_score", "created_at", "updated_at"]
        extra_kwargs = {"go_live_date": {"validators": [validate_date_range]}}

    def get_health_score(self, account: Account) -> int | None:
        return getattr(account, "health_score", None)

    def get_health_colour(self, account: Account) -> str | None:
        return getattr(account, "health_colour", None) or None

    def get_health_trend(self, account: Account) -> int | None:
        """Score change over the last 7 days."""
        now, before = getattr(account, "health_score", None), getattr(account, "health_score_week_ago", None)
        return None if now is None or before is None else int(now) - int(before)

    def get_next_renewal_date(self, account: Account) -> date | None:
        return getattr(account, "next_renewal_date", None)

    def get_stage(self, account: Account) -> str | None:
        return getattr(account, "lifecycle_stage", None) or None

    def get_stage_display(self, account: Account) -> str | None:
        return getattr(account, "lifecycle_label", None) or None

    def get_stage_since(self, account: Account) -> date | None:
        return getattr(account, "lifecycle_since", None)

    def get_days_in_stage(self, account: Account) -> int | None:
        days = getattr(account, "lifecycle_days", None)
        return None if days is None else max(days.days, 0)

    def get_currency(self, account: Account) -> str:
        return deployment_currency()


class AccountViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customer accounts in the caller's scope (a CSM: their own; a manager: their team's)."""

    serializer_class = AccountSerializer
    filterset_class = BookFilter

    def get_queryset(self) -> QuerySet[Account]:
        if getattr(self, "swagger_fake_view", False):  # the schema: no request, no settings row
            return Account.objects.none()
        return book_accounts(user=self.request.user)

    def get_object(self) -> Account:
        return self._book_row(self.kwargs["pk"])

    def _book_row(self, pk: Any) -> Account:
        try:
            return book_accounts(user=self.request.user).get(pk=pk)
        except (Account.DoesNotExist, ValueError, TypeError) as exc:
            raise Http404("No such account.") from exc

    def perform_create(self, serializer: BaseSerializer[Account]) -> None:
        with _named_by_api_fields():
            account = account_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self._book_row(account.pk)

    def perform_update(self, serializer: BaseSerializer[Account]) -> None:
        data: dict[str, Any] = dict(serializer.validated_data)
        with _named_by_api_fields():
            account = account_update(actor=self.request.user, account=serializer.instance, **data)  # type: ignore[arg-type]
        serializer.instance = self._book_row(account.pk)


router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
urlpatterns = [*router.urls, path("search/", SearchAPIView.as_view(), name="search")]
