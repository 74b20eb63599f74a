from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Account
from accounts.segments import Segment


class OwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return str(user.get_full_name() or user.username)


class AccountSerializer(serializers.ModelSerializer):
    segment = serializers.ChoiceField(choices=Segment.choices, read_only=True, source="segment_key")
    owner = OwnerSerializer(read_only=True)
    owner_id = serializers.PrimaryKeyRelatedField(
        source="owner",
        queryset=get_user_model().objects.all(),
        allow_null=True,
        required=False,
        write_only=True,
        help_text=_("User id of the owner CSM."),
    )
    currency = serializers.SerializerMethodField()

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
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_currency(self, account: Account) -> str:
        return str(settings.HOURGLASS_CURRENCY)
