"""The unmatched inbox over HTTP (docs/inbox.md): the same scope and services as the pages.

``GET inbox/unmatched/`` lists the caller's parked emails (a manager's also their teams',
an admin's all); ``GET inbox/unmatched/{id}/`` reads one; ``POST …/{id}/assign`` puts it
on an account's timeline as an email touchpoint; ``POST …/{id}/dismiss`` drops it. An
email outside the caller's scope is a 404 whatever the body.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import account_scope

from .models import InboundEmail, InboundStatus
from .selectors import get_inbound_for_user, unmatched_for_user
from .services import inbound_email_assign, inbound_email_dismiss

EXCERPT_CHARS = 300


class _Sender(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)


class _Attachment(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True, required=False)
    size = serializers.IntegerField(read_only=True, required=False)


class InboundEmailListSerializer(serializers.ModelSerializer):
    sender = _Sender(read_only=True)
    excerpt = serializers.CharField(read_only=True, help_text=f"The first {EXCERPT_CHARS} characters of the text")
    attachments = _Attachment(many=True, read_only=True, help_text="Listed, never stored")
    to_addresses = serializers.ListField(child=serializers.CharField(), read_only=True)
    forwarded_addresses = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = InboundEmail
        # No status: every row is unmatched (and one component owns the status enum's name).
        fields = ["id", "subject", "sender", "from_header", "to_addresses", "forwarded_addresses",
                  "sent_at", "received_at", "excerpt", "attachments"]  # fmt: skip
        read_only_fields = fields


class InboundEmailSerializer(InboundEmailListSerializer):
    defects = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(InboundEmailListSerializer.Meta):
        fields = [*InboundEmailListSerializer.Meta.fields, "status", "body", "defects", "account", "timeline_entry",
                  "matched_by", "matched_at", "assigned_by"]  # fmt: skip
        read_only_fields = fields


class AssignSerializer(serializers.Serializer):
    account_id = serializers.IntegerField(help_text="One of your accounts")


def _with_excerpt(emails: QuerySet[InboundEmail]) -> QuerySet[InboundEmail]:
    return emails.annotate(excerpt=Substr("body", 1, EXCERPT_CHARS))


class UnmatchedEmailListView(generics.ListAPIView):
    """Parked emails in the caller's scope, newest first (the body cut to an excerpt)."""

    serializer_class = InboundEmailListSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[InboundEmail]:
        return _with_excerpt(unmatched_for_user(user=self.request.user).defer("body"))


def _email(request: Request, pk: int) -> InboundEmail:
    """The email with its excerpt, or 404 outside the caller's scope."""
    email = get_inbound_for_user(request.user, pk)
    email.excerpt = email.body[:EXCERPT_CHARS]  # type: ignore[attr-defined]
    return email


def _as_drf(error: DjangoValidationError, email: InboundEmail) -> ValidationError:
    """The service's error, named by what is wrong: the email's state, or the account."""
    messages = error.messages
    if not InboundEmail.objects.filter(pk=email.pk, status=InboundStatus.UNMATCHED).exists():
        return ValidationError({"status": messages})
    return ValidationError({"account_id": messages})


class UnmatchedEmailDetailView(APIView):
    """One email in the caller's scope, with its text and where it went."""

    @extend_schema(responses=InboundEmailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(InboundEmailSerializer(_email(request, pk)).data)


class UnmatchedEmailAssignView(APIView):
    """Put a parked email on one of the caller's accounts (an email touchpoint, the sender's)."""

    @extend_schema(request=AssignSerializer, responses=InboundEmailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        email = get_inbound_for_user(request.user, pk)  # scope first: outside it, a 404 whatever the body
        incoming = AssignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        account = account_scope(user=request.user).filter(pk=incoming.validated_data["account_id"]).first()
        if account is None:  # missing or not theirs: the same words, nothing leaks
            raise ValidationError({"account_id": [_("Pick one of your accounts.")]})
        try:
            inbound_email_assign(email=email, account=account, actor=request.user)
        except DjangoValidationError as error:
            raise _as_drf(error, email) from error
        return Response(InboundEmailSerializer(_email(request, pk)).data)


class UnmatchedEmailDismissView(APIView):
    """Drop a parked email without a timeline entry."""

    @extend_schema(request=None, responses=InboundEmailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        email = get_inbound_for_user(request.user, pk)
        try:
            inbound_email_dismiss(email=email, actor=request.user)
        except DjangoValidationError as error:
            raise _as_drf(error, email) from error
        return Response(InboundEmailSerializer(_email(request, pk)).data)
