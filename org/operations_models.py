"""The operations settings row and the settings change log (the in-app settings area).

``OperationsSettings`` is one row (pk 1) of values an admin sets in ``/settings/``. A
field left empty (``NULL``) means "not set in the app yet": the reader falls back to the
environment variable that seeds it, so a fresh deployment behaves as configured by its
environment until someone saves the section.

``SettingsChange`` is the per-section change history: who changed which value when,
old → new. It also records changes to values that live in other apps' tables (contact
cadence, capacity preset, ratios and costs), so every section's history reads one table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class SettingsSection(models.TextChoices):
    SEGMENTS = "segments", _("Segment bands")
    CADENCE = "cadence", _("Contact cadence")
    CAPACITY = "capacity", _("Capacity and CSM costs")
    CURRENCY = "currency", _("Currency")
    REMINDERS = "reminders", _("Renewal reminders")
    ACTIVITY_DROP = "activity_drop", _("Activity-drop alerts")


class OperationsSettings(models.Model):
    """The one row of operations settings (pk 1); empty fields read the environment."""

    currency = models.CharField(_("currency"), max_length=3, blank=True, default="")
    # {"enterprise": "350000", ...}: the lower ARR bound (inclusive) of each segment.
    segment_bands = models.JSONField(_("segment bands"), null=True, blank=True)
    # [90, 60, 30, 7]: days before the renewal date at which the owner is reminded.
    renewal_reminder_days = models.JSONField(_("renewal reminder days"), null=True, blank=True)
    renewal_reminder_overdue_days = models.PositiveSmallIntegerField(
        _("late reminders for (days)"), null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    activity_drop_share = models.DecimalField(
        _("activity drop share"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("0.95"))],
    )
    activity_drop_min_baseline = models.PositiveIntegerField(
        _("minimum baseline (events a week)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    activity_drop_cooldown_days = models.PositiveSmallIntegerField(
        _("days between alerts"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("operations settings")
        verbose_name_plural = _("operations settings")

    def __str__(self) -> str:
        return str(_("Operations settings"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1  # a singleton: there is only ever the one row
        super().save(*args, **kwargs)


class SettingsChange(models.Model):
    """One changed value of a settings section: who, when, old → new (JSON values)."""

    section = models.CharField(_("section"), max_length=20, choices=SettingsSection.choices)
    # A stable key naming the value, e.g. "segment_bands.smb" or "cadence.S.enterprise";
    # the page turns it into a label in the reader's language.
    key = models.CharField(_("setting"), max_length=80)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        verbose_name = _("settings change")
        verbose_name_plural = _("settings changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["section", "-changed_at"], name="org_settings_change_section")]

    def __str__(self) -> str:
        return f"{self.section}.{self.key}"
