"""Risk flags raised on an account (decision chain changed, unfulfilled promises …)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.messages import message_render
from core.text_limits import NOTE_MAX_LENGTH, text_limit

from .account import Account


class RiskKind(models.TextChoices):
    DECISION_CHAIN_CHANGED = "decision_chain_changed", _("Decision chain changed")
    PROMISE_UNFULFILLED = "promise_unfulfilled", _("Sales promise unfulfilled")
    OTHER = "other", _("Other")


class RiskFlag(models.Model):
    account = models.ForeignKey(Account, related_name="risk_flags", on_delete=models.CASCADE)
    kind = models.CharField(_("risk"), max_length=40, choices=RiskKind.choices)
    reason = models.TextField(_("reason"), blank=True, **text_limit(NOTE_MAX_LENGTH))
    # A reason the system wrote is a msgid and its values (core.messages); ``reason`` is
    # the fallback, and what a person typed.
    reason_key = models.CharField(max_length=300, blank=True, editable=False)
    reason_params = models.JSONField(default=dict, blank=True, editable=False)
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    resolution = models.TextField(_("resolution"), blank=True, **text_limit(NOTE_MAX_LENGTH))
    # e.g. "stakeholder-left:42": one flag per cause, however often it is reported.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("risk flag")
        verbose_name_plural = _("risk flags")
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["account", "resolved_at"])]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def display_reason(self) -> str:
        return message_render(self.reason_key, self.reason_params, fallback=self.reason)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
