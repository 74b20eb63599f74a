"""API: the overdue-contacts list (the same selector and filters as the page)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError

from accounts.cadence import contact_status
from accounts.forms import OverdueContactsFilterForm
from accounts.models import Stakeholder
from accounts.reviews import can_review
from accounts.selectors import assignable_owners, overdue_contacts_for_user
from core.people import display_name


class OverdueContactSerializer(serializers.ModelSerializer):
    account_id = serializers.IntegerField(read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    segment = serializers.CharField(source="account.segment", read_only=True)
    owner_id = serializers.IntegerField(source="account.owner_id", read_only=True, allow_null=True)
    owner_name = serializers.SerializerMethodField()
    last_contact = serializers.SerializerMethodField()
    next_due = serializers.SerializerMethodField()
    cadence_days = serializers.SerializerMethodField()
    days_overdue = serializers.SerializerMethodField(help_text="Null when never contacted.")

    class Meta:
        model = Stakeholder
        fields = [
            "id", "name", "title", "tier", "key_level", "account_id", "account_name", "segment",
            "owner_id", "owner_name", "last_contact", "next_due", "cadence_days", "days_overdue",
        ]  # fmt: skip

    def _status(self, person: Stakeholder) -> Any:
        return contact_status(person, self.context.get("today") or timezone.localdate())

    def get_owner_name(self, person: Stakeholder) -> str | None:
        owner = person.account.owner
        return display_name(owner) if owner else None

    def get_last_contact(self, person: Stakeholder) -> str | None:
        value = self._status(person).last_contact
        return value.isoformat() if value else None

    def get_next_due(self, person: Stakeholder) -> str | None:
        value = self._status(person).next_due
        return value.isoformat() if value else None

    def get_cadence_days(self, person: Stakeholder) -> int:
        return int(self._status(person).cadence_days)

    def get_days_overdue(self, person: Stakeholder) -> int | None:
        return self._status(person).days_overdue


class OverdueContactListView(generics.ListAPIView):
    """Stakeholders past their contact cadence in the caller's scope, most overdue first.

    Filters: ``tier`` (S/A/B), ``owner`` (user id), ``segment``, ``order`` (most/least).
    """

    serializer_class = OverdueContactSerializer

    def get_queryset(self) -> QuerySet[Stakeholder]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Stakeholder.objects.none()
        user = self.request.user
        form = OverdueContactsFilterForm(self.request.query_params or None, owners=assignable_owners(user=user))
        if form.is_bound and not form.is_valid():
            raise ValidationError({field: [str(e) for e in errors] for field, errors in form.errors.items()})
        filters = form.cleaned_data if form.is_bound else {}
        owner = filters.get("owner")
        return overdue_contacts_for_user(
            user=user,
            tier=filters.get("tier") or "",
            owner_id=owner.pk if owner else None,
            segment=filters.get("segment") or "",
            order=filters.get("order") or "most",
            group_by_owner=can_review(user),
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}
