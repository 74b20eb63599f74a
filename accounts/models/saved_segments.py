"""Saved segments: a named filter of the book (dynamic) or a hand-picked list of
accounts (static), private to its owner or shared with the owner's team.

The members are materialised (``SegmentMember``): the book's filter is evaluated by
``workspace.segments.refresh`` (only workspace may combine the apps' columns) on save
and by a beat job, so lower apps (outreach audiences, playbook triggers) read members
without knowing the book. Members cover every account that matches; a reader only ever
sees those within their own scope (``accounts.saved_segments``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .account import Account


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", _("Filter (updates itself)")
    STATIC = "static", _("List (accounts added by hand)")


class SavedSegment(models.Model):
    name = models.CharField(_("name"), max_length=120)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        related_name="saved_segments",
        on_delete=models.CASCADE,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC)
    shared = models.BooleanField(
        _("shared with the team"), default=False, help_text=_("The owner's team sees it; otherwise only the owner.")
    )
    # The book's query parameters (name → list of values), validated by the book's filter.
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    # Set when the filter no longer validates (a removed choice): the segment stops
    # refreshing and says why, until its filter is updated.
    disabled_reason = models.CharField(_("disabled because"), max_length=500, blank=True)
    refreshed_at = models.DateTimeField(_("members refreshed"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["refreshed_at", "updated_at"])

    class Meta:
        verbose_name = _("saved segment")
        verbose_name_plural = _("saved segments")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["owner", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_static(self) -> bool:
        return self.kind == SegmentKind.STATIC


class SegmentMember(models.Model):
    segment = models.ForeignKey(SavedSegment, related_name="members", on_delete=models.CASCADE)
    account = models.ForeignKey(Account, related_name="segment_memberships", on_delete=models.CASCADE)
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [models.UniqueConstraint(fields=["segment", "account"], name="segment_member_once")]
        indexes = [models.Index(fields=["account", "segment"])]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.account_id}"
