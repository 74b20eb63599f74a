"""Destinations of outbound HTTP (webhook endpoints and chat robots) and their deliveries.

One outbox table (``Delivery``) serves both: same claim, retries, breaker and log.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    FEISHU = "feishu", _("Feishu / Lark robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    WECOM = "wecom", _("WeCom group robot")
    SLACK = "slack", _("Slack incoming webhook")


CHAT_KINDS = (Kind.FEISHU, Kind.DINGTALK, Kind.WECOM, Kind.SLACK)


class Endpoint(models.Model):
    """Where deliveries go. A webhook endpoint (admins) subscribes to event types; a chat
    target belongs to one person or one team and forwards chosen notification kinds."""

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WEBHOOK)
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=1000)
    # Fernet token of the signing secret (key derived from SECRET_KEY): HMAC needs it back.
    secret_encrypted = models.TextField(blank=True, editable=False)
    event_types = models.JSONField(_("event types"), default=list, blank=True)
    notification_kinds = models.JSONField(_("notification kinds"), default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        related_name="chat_targets",
        on_delete=models.CASCADE,
    )
    team = models.ForeignKey(
        "org.Team", verbose_name=_("team"), null=True, blank=True, related_name="chat_targets", on_delete=models.CASCADE
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Circuit breaker: consecutive failed attempts; while open, deliveries wait.
    consecutive_failures = models.PositiveIntegerField(default=0)
    breaker_open_until = models.DateTimeField(null=True, blank=True)
    # Start of the current run of failures (cleared by a success): 24 h of it disables.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("endpoint")
        verbose_name_plural = _("endpoints")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner__isnull=True) | models.Q(team__isnull=True), name="webhooks_one_scope"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_chat(self) -> bool:
        return self.kind != Kind.WEBHOOK

    @property
    def breaker_open(self) -> bool:
        return bool(self.breaker_open_until and self.breaker_open_until > timezone.now())


class Delivery(models.Model):
    """One message to one endpoint: the outbox row, its state and its last answer."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(Endpoint, related_name="deliveries", on_delete=models.CASCADE)
    # Event key + endpoint: recording the same event twice queues it once.
    dedupe_key = models.CharField(max_length=200, unique=True)
    event_type = models.CharField(_("event"), max_length=60)
    payload = models.JSONField()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Which claim (one batch of one worker) holds the row while it is "sending".
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=512, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id}"
