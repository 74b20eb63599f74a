"""Notification preferences, digest claims and calendar feeds of one person each."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """Where a notification the app would email goes instead, per the person's choice."""

    EMAIL = "email", _("In the app and by email")
    IN_APP = "in_app", _("In the app only")
    DIGEST = "digest", _("Digest only")


class DigestKind(models.TextChoices):
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class NotificationPreference(models.Model):
    """One person's digest schedule and per-kind channels; no row means the defaults
    (``HOURGLASS_DIGEST_DAILY_DEFAULT`` at ``HOURGLASS_DIGEST_DEFAULT_TIME``, site time
    zone, every kind as its sender decides)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="digest_preference", on_delete=models.CASCADE
    )
    daily = models.BooleanField(_("daily digest"), default=True)
    weekly = models.BooleanField(_("weekly digest"), default=False)
    weekly_day = models.PositiveSmallIntegerField(_("weekly digest on"), choices=Weekday.choices, default=0)
    send_at = models.TimeField(_("digest time"), default=time(8, 0))
    time_zone = models.CharField(_("time zone"), max_length=64)
    # {notification kind: Channel}; a kind missing here goes as its sender decides.
    channels = models.JSONField(_("channels"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        indexes = [models.Index(fields=["time_zone"], name="digest_pref_time_zone")]

    def __str__(self) -> str:
        return str(self.user)


class DigestClaim(models.Model):
    """The claim of one person's digest of one kind for one local date: the unique
    constraint is what sends it once, whatever the retries, re-runs or parallel workers."""

    class Outcome(models.TextChoices):
        QUEUED = "queued", _("Queued")
        EMPTY = "empty", _("Nothing to report")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=10, choices=DigestKind.choices)
    local_date = models.DateField(_("date"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    # Which run inserted the row: only that run builds and queues the digest.
    run_token = models.CharField(max_length=32, editable=False)
    claimed_at = models.DateTimeField(_("claimed"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "local_date"], name="digest_once_per_user_kind_day"),
        ]
        indexes = [models.Index(fields=["run_token"], name="digest_claim_run_token")]

    def __str__(self) -> str:
        return f"{self.kind} {self.local_date} {self.user_id}"


class CalendarFeed(models.Model):
    """A person's secret calendar URL: only the SHA-256 of its token is stored."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="calendar_feed", on_delete=models.CASCADE
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
