"""The account timeline: touchpoints people log and entries the system writes."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.messages import message_render, messages_render
from core.models import ChoiceLabels

from .account import Account


class TouchpointKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    TRAINING = "training", _("Training")
    VALUE_REPORT = "value_report", _("Value report / QBR")
    NOTE = "note", _("Note")


class TimelineEntry(ChoiceLabels, models.Model):
    """One dated thing that happened to an account.

    Touchpoints carry ``kind`` from ``TouchpointKind``; system entries use a dotted-free
    kind of their app's choosing (``renewal_at_risk``, ``stakeholder_left`` …) and are
    written only through ``accounts.timeline.timeline_record``.
    """

    account = models.ForeignKey(Account, related_name="timeline", on_delete=models.CASCADE)
    is_touchpoint = models.BooleanField(_("touchpoint"), default=False)
    kind = models.CharField(_("kind"), max_length=50)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("summary"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    stakeholders = models.ManyToManyField(
        "accounts.Stakeholder", verbose_name=_("stakeholders"), related_name="touchpoints", blank=True
    )
    data = models.JSONField(default=dict, blank=True)
    # Generated entries keep their sentence as a msgid and its values (core.messages), so
    # each reader sees it in their language; ``title``/``body`` are the fallback.
    message_key = models.CharField(max_length=300, blank=True, editable=False)
    message_params = models.JSONField(default=dict, blank=True, editable=False)
    body_messages = models.JSONField(default=list, blank=True, editable=False)
    # Jobs that write entries pass a key, so re-running them never duplicates an entry.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "-occurred_at"]),
            models.Index(fields=["account", "is_touchpoint", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        """The title in the active language (the stored one for touchpoints)."""
        return message_render(self.message_key, self.message_params, fallback=self.title)

    @property
    def display_body(self) -> str:
        return messages_render(self.body_messages, fallback=self.body)

    @property
    def kind_badge_class(self) -> str:
        from ..timeline import kind_badge_class

        return kind_badge_class(self.kind, is_touchpoint=self.is_touchpoint)

    def get_kind_display(self) -> str:
        if self.is_touchpoint and self.kind in TouchpointKind.values:
            return str(TouchpointKind(self.kind).label)
        from ..timeline import system_kind_label

        return system_kind_label(self.kind)
