"""Inbound email: what the SMTP listener received, and where it went (docs/inbox.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundStatus(models.TextChoices):
    # Stored by the listener; matching has not run yet (it runs right after, or when
    # ``runinbox`` starts again after a crash).
    PENDING = "pending", _("Waiting to be matched")
    MATCHED = "matched", _("On an account's timeline")
    UNMATCHED = "unmatched", _("Unmatched")
    ASSIGNED = "assigned", _("Assigned to an account")
    # Parked, then judged not worth a timeline entry by its sender, manager or an admin.
    DISMISSED = "dismissed", _("Dismissed")


class MatchedBy(models.TextChoices):
    STAKEHOLDER = "stakeholder", _("A stakeholder's address")
    DOMAIN = "domain", _("The customer's email domain")
    MANUAL = "manual", _("Picked by hand")


class InboundEmail(models.Model):
    """One email a Hourglass user BCC'd or forwarded to the inbox, once per Message-ID."""

    # The Message-ID header; for a message without one, a hash of its bytes.
    message_id = models.CharField(_("Message-ID"), max_length=500, unique=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sender"), related_name="+", on_delete=models.CASCADE
    )
    envelope_from = models.CharField(_("envelope sender"), max_length=320, blank=True)
    from_header = models.CharField(_("From header"), max_length=500, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    # Addresses of the message (To/Cc) and of a forwarded message's header block, lower case.
    to_addresses = models.JSONField(default=list, blank=True)
    forwarded_addresses = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    body = models.TextField(_("text"), blank=True)
    # [{"name", "content_type", "size"}]: attachments are listed, never stored.
    attachments = models.JSONField(default=list, blank=True)
    # What could not be decoded (Python's email defects, a bad charset …).
    defects = models.JSONField(default=list, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=InboundStatus.choices, default=InboundStatus.PENDING)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    matched_by = models.CharField(_("matched by"), max_length=16, choices=MatchedBy.choices, blank=True)
    timeline_entry = models.OneToOneField(
        "accounts.TimelineEntry", related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    # Who assigned (or dismissed) a parked email.
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["status", "sender", "-received_at"])]

    def __str__(self) -> str:
        return self.subject or self.message_id
