"""Usage events and their daily rollups (domain.md §4: activity is counted from usage).

Idempotency key
---------------
A client sends its own ``event_id`` with every event so that retries are harmless.
On PostgreSQL the events table is range-partitioned by ``occurred_at`` (see
``health.partitions``), and PostgreSQL only accepts a unique constraint on a
partitioned table when it contains the partition key. The key is therefore
``(account, event_id, occurred_at)``, not ``(account, event_id)``: a retry resends the
same event with the same timestamp and is recognised; the same ``event_id`` with a
*different* ``occurred_at`` is a different event. SQLite gets the same constraint so
both databases give the same results.

For the same reason the primary key of the partitioned table is ``(id, occurred_at)``;
Django keeps treating ``id`` as the primary key (ids come from one identity sequence,
so they stay unique in practice).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account

EVENT_NAME_MAX_LENGTH = 100
EVENT_ID_MAX_LENGTH = 100
CUSTOMER_USER_ID_MAX_LENGTH = 255
QUANTITY_MAX_DIGITS = 20
QUANTITY_DECIMAL_PLACES = 6


class UsageEvent(models.Model):
    """One thing a customer's user did in the product, as reported by the product."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("customer account"),
        related_name="usage_events",
        on_delete=models.CASCADE,
        # The (account, occurred_at) index below serves account lookups; a second
        # index on account alone would only slow down ingest.
        db_index=False,
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    event_name = models.CharField(_("event name"), max_length=EVENT_NAME_MAX_LENGTH)
    customer_user_id = models.CharField(
        _("user id at the customer"),
        max_length=CUSTOMER_USER_ID_MAX_LENGTH,
        blank=True,
        default="",
        help_text=_("The customer's id for the person who did this; counts active users."),
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=QUANTITY_MAX_DIGITS,
        decimal_places=QUANTITY_DECIMAL_PLACES,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    event_id = models.CharField(
        _("client event id"),
        max_length=EVENT_ID_MAX_LENGTH,
        help_text=_("Chosen by the sender; a replay with the same id and time is ignored."),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("usage event")
        verbose_name_plural = _("usage events")
        constraints = [
            # Must contain occurred_at, the partition key (see the module docstring).
            models.UniqueConstraint(fields=["account", "event_id", "occurred_at"], name="usage_event_idempotency"),
        ]
        indexes = [
            models.Index(fields=["account", "occurred_at"], name="usage_event_account_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class DailyRollup(models.Model):
    """An account's usage on one day (a calendar day in the deployment's TIME_ZONE)."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("customer account"),
        related_name="daily_rollups",
        on_delete=models.CASCADE,
        db_index=False,  # the unique (account, day) index covers it
    )
    day = models.DateField(_("day"))
    events = models.PositiveIntegerField(_("events"), default=0)
    active_users = models.PositiveIntegerField(_("active users"), default=0)
    quantity = models.DecimalField(_("quantity"), max_digits=24, decimal_places=QUANTITY_DECIMAL_PLACES, default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("daily usage rollup")
        verbose_name_plural = _("daily usage rollups")
        ordering = ["-day", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="daily_rollup_account_day"),
        ]
        indexes = [models.Index(fields=["day"], name="daily_rollup_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.events}"


class DailyFeatureRollup(models.Model):
    """Use of one feature (event name) by an account on one day."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("customer account"),
        related_name="daily_feature_rollups",
        on_delete=models.CASCADE,
        db_index=False,  # the unique (account, day, event_name) index covers it
    )
    day = models.DateField(_("day"))
    event_name = models.CharField(_("event name"), max_length=EVENT_NAME_MAX_LENGTH)
    events = models.PositiveIntegerField(_("events"), default=0)
    users = models.PositiveIntegerField(_("users"), default=0)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("daily feature rollup")
        verbose_name_plural = _("daily feature rollups")
        ordering = ["-day", "account_id", "event_name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day", "event_name"], name="daily_feature_rollup_unique"),
        ]
        indexes = [models.Index(fields=["day"], name="daily_feature_rollup_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day} {self.event_name}: {self.events}"
