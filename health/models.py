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

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.models import Account
from accounts.segments import Segment
from core.models import ChoiceLabels
from core.text_limits import NOTE_MAX_LENGTH, text_limit

# An NPS answer's "why?": what the survey page and the import accept.
NPS_COMMENT_MAX_LENGTH = 4_000

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
    # When the day's first and last events occurred: whether an account was silent for
    # some hours is then read from rollups alone (health.silence). Null on rows written
    # before these fields existed (``manage.py repair rollups`` fills them).
    first_event_at = models.DateTimeField(_("first event"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)

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
    users = models.PositiveIntegerField(pgettext_lazy("measure: how many people used the product", "users"), default=0)
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


# --- Activity-drop alerts --------------------------------------------------------------


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class AlertKind(models.TextChoices):
    DROP = "drop", _("Activity drop")
    SILENCE = "silence", _("Usage stopped")


class ActivityAlert(ChoiceLabels, models.Model):
    """A sudden drop of an account's activity (domain.md §4), one per episode.

    ``episode_key`` names the episode (see ``health.alerts``); the unique constraint on
    ``(account, episode_key)`` is what makes a re-run or a concurrent run of the scan
    harmless. Figures are events per 7 days.
    """

    account = models.ForeignKey(
        Account, verbose_name=_("customer account"), related_name="activity_alerts", on_delete=models.CASCADE
    )
    detected_on = models.DateField(_("detected on"), help_text=_("Last day of the 7-day window that showed the drop."))
    episode_key = models.CharField(_("episode"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=AlertKind.choices, default=AlertKind.DROP)
    # Silence alerts: the account's last usage event before the silence.
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    current_events = models.PositiveIntegerField(_("events in the last 7 days"))
    baseline_events = models.DecimalField(_("baseline events per 7 days"), max_digits=14, decimal_places=2)
    drop_share = models.DecimalField(_("drop"), max_digits=5, decimal_places=4)
    status = models.CharField(_("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    note = models.TextField(_("note"), blank=True, **text_limit(NOTE_MAX_LENGTH))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    # Which scan inserted the row: only that scan sends the side effects.
    scan_token = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("activity-drop alert")
        verbose_name_plural = _("activity-drop alerts")
        ordering = ["-detected_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "episode_key"], name="activity_alert_once_per_episode"),
        ]
        indexes = [
            models.Index(fields=["account", "-detected_on"], name="activity_alert_account_day"),
            models.Index(fields=["status"], name="activity_alert_status"),
            models.Index(fields=["scan_token"], name="activity_alert_scan_token"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.detected_on}: -{self.drop_share:.0%}"

    @property
    def is_open(self) -> bool:
        return self.status != AlertStatus.RESOLVED


# --- NPS -------------------------------------------------------------------------------

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


class NpsResponse(models.Model):
    """One answer to "how likely are you to recommend us?" (0-10), domain.md §4."""

    account = models.ForeignKey(
        Account, verbose_name=_("customer account"), related_name="nps_responses", on_delete=models.CASCADE
    )
    stakeholder = models.ForeignKey(
        "accounts.Stakeholder",
        verbose_name=_("stakeholder"),
        related_name="nps_responses",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(10)])
    comment = models.TextField(_("comment"), blank=True, **text_limit(NPS_COMMENT_MAX_LENGTH))
    responded_on = models.DateField(_("responded on"))
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        null=True,
        blank=True,
        help_text=_("The survey tool's id of the response; re-sending it is ignored."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("NPS response")
        verbose_name_plural = _("NPS responses")
        ordering = ["-responded_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__lte=10), name="nps_score_0_10"),
            models.UniqueConstraint(
                fields=["account", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="nps_response_external_id_once",
            ),
        ]
        indexes = [models.Index(fields=["account", "-responded_on"], name="nps_account_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.responded_on}: {self.score}"

    @property
    def category(self) -> str:
        if self.score >= PROMOTER_MIN:
            return "promoter"
        return "detractor" if self.score <= DETRACTOR_MAX else "passive"


# --- Health models and scores ----------------------------------------------------------


class MeasureKey(models.TextChoices):
    ACTIVITY_RATE_7D = "activity_rate_7d", _("Activity rate (7 days)")
    ACTIVITY_RATE_30D = "activity_rate_30d", _("Activity rate (30 days)")
    DEPTH = "depth", _("Depth (key features used)")
    EXECUTIVE_USAGE = "executive_usage", _("Executive engagement")
    PROCESS_EMBEDDING = "process_embedding", _("Process embedding (core workflows run)")
    CONTACT_RECENCY = "contact_recency", _("Days since last contact")
    NPS = "nps", _("NPS")
    OPEN_RISKS = "open_risks", _("Open risks and promises")


class MeasureGroup(models.TextChoices):
    OUTCOME = "CO", _("Customer outcome (CO)")
    EXPERIENCE = "CX", _("Customer experience (CX)")
    ENGAGEMENT = "CS", _("Engagement (CS)")


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher", _("Higher is better")
    LOWER_IS_BETTER = "lower", _("Lower is better")


class Colour(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class HealthModel(models.Model):
    """A weighted set of measures. One per segment; the one without a segment is the
    default for every segment that has none of its own."""

    name = models.CharField(_("name"), max_length=100)
    segment = models.CharField(
        _("segment"),
        max_length=16,
        choices=Segment.choices,
        blank=True,
        unique=True,  # "" is the default model: so there is exactly one
        help_text=_("Empty: the default model, used for segments without their own."),
    )
    key_features = models.JSONField(
        _("key (north-star) features"),
        default=list,
        blank=True,
        help_text=_("Event names whose use counts towards depth, e.g. opportunity.created."),
    )
    core_workflows = models.JSONField(
        _("core workflows"),
        default=list,
        blank=True,
        help_text=_(
            "Event names that show a core business process runs in the product, e.g. "
            "approval.completed; their presence counts towards process embedding."
        ),
    )
    green_at = models.PositiveSmallIntegerField(_("score green from"), default=70, validators=[MaxValueValidator(100)])
    red_below = models.PositiveSmallIntegerField(_("score red below"), default=40, validators=[MaxValueValidator(100)])
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("health model")
        verbose_name_plural = _("health models")
        ordering = ["segment", "pk"]

    def __str__(self) -> str:
        return self.name


class HealthMeasure(models.Model):
    """One measure of a model: its weight and where it turns green and red.

    Points run linearly from 0 at ``red_at`` to 100 at ``green_at`` (either direction).
    """

    model = models.ForeignKey(HealthModel, related_name="measures", on_delete=models.CASCADE)
    key = models.CharField(_("measure"), max_length=32, choices=MeasureKey.choices)
    group = models.CharField(_("group"), max_length=2, choices=MeasureGroup.choices)
    weight = models.PositiveSmallIntegerField(_("weight"), default=10)
    green_at = models.FloatField(_("green at"))
    red_at = models.FloatField(_("red at"))
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER_IS_BETTER
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("health measure")
        verbose_name_plural = _("health measures")
        ordering = ["model", "-weight", "key"]
        constraints = [models.UniqueConstraint(fields=["model", "key"], name="health_measure_once_per_model")]

    def __str__(self) -> str:
        return f"{self.get_key_display()} ({self.weight})"


class HealthScore(models.Model):
    """An account's health on one day; one row per day is the history."""

    account = models.ForeignKey(
        Account, verbose_name=_("customer account"), related_name="health_scores", on_delete=models.CASCADE
    )
    day = models.DateField(_("day"))
    model = models.ForeignKey(HealthModel, related_name="+", on_delete=models.SET_NULL, null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices, blank=True)
    # [{"key", "group", "weight", "value" (number or null = missing), "points", "colour",
    #   "contribution"}, ...] — everything the page needs to explain the score.
    measures = models.JSONField(_("measures"), default=list)
    # The measures that moved the score since the previous stored day.
    changes = models.JSONField(_("changes"), default=list, blank=True)
    previous_score = models.PositiveSmallIntegerField(_("previous score"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("health score")
        verbose_name_plural = _("health scores")
        ordering = ["-day", "account_id"]
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="health_score_account_day")]
        indexes = [models.Index(fields=["day"], name="health_score_day")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day}: {self.score}"


class RecalculationRun(models.Model):
    """A "recalculate now" request and its progress (accounts scored so far of total).

    Kept in the database, not the cache: the chunks are scored by Celery workers in
    other processes, and each adds its count with one atomic ``UPDATE``.
    """

    account = models.ForeignKey(
        Account,
        verbose_name=_("customer account"),
        related_name="+",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: every account."),
    )
    day = models.DateField(_("day"))
    total = models.PositiveIntegerField(_("accounts"), default=0)
    done = models.PositiveIntegerField(_("accounts scored"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("score recalculation")
        verbose_name_plural = _("score recalculations")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.day}: {self.done}/{self.total}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None or self.done >= self.total

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


class ScoreRequest(models.Model):
    """An account whose score must be recomputed soon (its usage rollups just changed).

    One row per account at most: while a request waits, further batches for the account
    add nothing, so a stream of batches coalesces into one rescore (health.rescore).
    ``token`` names the task that will take it.
    """

    account = models.OneToOneField(Account, primary_key=True, related_name="+", on_delete=models.CASCADE)
    token = models.CharField(max_length=32)
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["token"], name="score_request_token")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.requested_at:%H:%M:%S}"
