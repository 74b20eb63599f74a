"""Capacity: presets, ratios, time logging and the settings row (domain.md §6)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.segments import Segment
from core.text_limits import NOTE_MAX_LENGTH, text_limit

from .defaults import BUILTIN_ACTIVITY_NAMES, BUILTIN_TEXTS

# --- Capacity: presets, ratios, time logging, settings (domain.md §6) -------------


class PresetKind(models.TextChoices):
    BUILTIN = "builtin", _("Built-in (from the articles)")
    CUSTOM = "custom", _("Custom")


class CapacityPreset(models.Model):
    """An ARR-per-CSM band with its source, e.g. "US: 1 CSM per $2M ARR" (Gainsight).

    Amounts are in the preset's own currency; they are compared with the deployment's
    ARR only when the currencies match, or for a US$ preset in a CNY deployment through
    ``HOURGLASS_USD_TO_LOCAL`` (see ``capacity.arithmetic.to_local``). At most one preset
    is active (a partial unique constraint); ``preset_activate`` switches atomically.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    citation = models.TextField(
        _("source"),
        blank=True,
        **text_limit(NOTE_MAX_LENGTH),
        help_text=_("Where the numbers come from; shown on screen."),
    )
    arr_per_csm_min = models.DecimalField(_("ARR per CSM from"), max_digits=14, decimal_places=2)
    arr_per_csm_max = models.DecimalField(_("ARR per CSM to"), max_digits=14, decimal_places=2)
    hard_cap = models.DecimalField(
        _("hard cap"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("ARR above which a CSM is over capacity whatever the band says."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    is_active = models.BooleanField(_("active"), default=False)
    kind = models.CharField(_("kind"), max_length=10, choices=PresetKind.choices, default=PresetKind.CUSTOM)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        verbose_name = _("capacity preset")
        verbose_name_plural = _("capacity presets")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="capacity_one_active_preset"
            ),
            models.CheckConstraint(
                condition=models.Q(arr_per_csm_min__gt=0) & models.Q(arr_per_csm_max__gte=models.F("arr_per_csm_min")),
                name="capacity_preset_band_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name_label

    @property
    def name_label(self) -> str:
        """A built-in preset's name in the reader's language; an admin's own as written."""
        return gettext(self.name) if self.name in BUILTIN_TEXTS else self.name

    @property
    def citation_label(self) -> str:
        """A built-in source text in the reader's language; an admin's own as written."""
        return gettext(self.citation) if self.citation in BUILTIN_TEXTS else self.citation

    def clean(self) -> None:
        if self.arr_per_csm_min is not None and self.arr_per_csm_min <= 0:
            raise ValidationError({"arr_per_csm_min": _("Must be more than zero.")})
        if (
            self.arr_per_csm_min is not None
            and self.arr_per_csm_max is not None
            and self.arr_per_csm_max < self.arr_per_csm_min
        ):
            raise ValidationError({"arr_per_csm_max": _("Must not be below the lower end.")})
        if self.hard_cap is not None and self.arr_per_csm_max is not None and self.hard_cap < self.arr_per_csm_max:
            raise ValidationError({"hard_cap": _("Must not be below the band.")})


class SegmentRatio(models.Model):
    """Accounts per CSM in one segment (seed 001); empty where people do not own accounts."""

    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices, unique=True)
    accounts_per_csm_min = models.PositiveIntegerField(_("accounts per CSM from"), null=True, blank=True)
    accounts_per_csm_max = models.PositiveIntegerField(_("accounts per CSM to"), null=True, blank=True)
    contacts_per_day_min = models.PositiveSmallIntegerField(_("proactive contacts a day from"), null=True, blank=True)
    contacts_per_day_max = models.PositiveSmallIntegerField(_("proactive contacts a day to"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, **text_limit(NOTE_MAX_LENGTH))

    class Meta:
        verbose_name = _("segment ratio")
        verbose_name_plural = _("segment ratios")
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.get_segment_display())

    @property
    def notes_label(self) -> str:
        """Built-in notes in the reader's language; an admin's own as written."""
        return gettext(self.notes) if self.notes in BUILTIN_TEXTS else self.notes

    def clean(self) -> None:
        low, high = self.accounts_per_csm_min, self.accounts_per_csm_max
        if low is not None and low <= 0:
            raise ValidationError({"accounts_per_csm_min": _("Must be more than zero.")})
        if low is not None and high is not None and high < low:
            raise ValidationError({"accounts_per_csm_max": _("Must not be below the lower end.")})


class ActivityType(models.Model):
    """What time is logged against (seed 000's list, plus training, reporting, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Built-in types in the reader's language; custom ones as the admin named them."""
        if BUILTIN_ACTIVITY_NAMES.get(self.code) == self.name:
            return gettext(self.name)
        return self.name


class TimeEntry(models.Model):
    """Time a person logged by hand (touchpoint durations come from the timeline)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), related_name="time_entries", on_delete=models.CASCADE
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        related_name="time_entries",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    activity_type = models.ForeignKey(
        ActivityType, verbose_name=_("activity"), related_name="entries", on_delete=models.PROTECT
    )
    date = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("minutes"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)])
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["user", "date"]), models.Index(fields=["date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1) & models.Q(minutes__lte=24 * 60), name="time_entry_minutes_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.date} {self.minutes} min"


class CapacitySettings(models.Model):
    """The one row of capacity settings (pk 1), edited in the admin.

    Threshold amounts are in ``threshold_currency`` (seed 001 speaks US$) and converted
    like the presets.
    """

    working_days_per_year = models.PositiveSmallIntegerField(
        _("working days a year"), default=200, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    hours_per_day = models.DecimalField(
        _("hours a day"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("8"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("24"))],
    )
    proactive_share = models.DecimalField(
        _("share of time for account work"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.60"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("1"))],
        help_text=_("The rest goes to internal work, training, meetings."),
    )
    measure_days = models.PositiveSmallIntegerField(
        _("measure hours over (days)"), default=90, validators=[MinValueValidator(7), MaxValueValidator(730)]
    )
    csm_annual_cost = models.DecimalField(
        _("CSM fully-loaded annual cost"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Salary, bonus, benefits and overhead a year, in the deployment's currency."),
    )
    service_cost_share = models.DecimalField(
        _("service cost share of revenue"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("1"))],
        help_text=_("What the financial targets let service cost, as a share of ARR (0.15 = 15%)."),
    )
    budget_per_account = models.DecimalField(
        _("service budget per account a year"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Alternatively: what one account may cost in service a year."),
    )
    threshold_currency = models.CharField(_("currency of the thresholds"), max_length=3, default="USD")
    large_account_arr = models.DecimalField(
        _("large account from (ARR)"), max_digits=14, decimal_places=2, default=Decimal("50000")
    )
    large_accounts_to_hire = models.PositiveSmallIntegerField(
        _("large accounts without a CSM that trigger a hire"), default=2, validators=[MinValueValidator(1)]
    )
    segment_hire_min = models.DecimalField(
        _("segment revenue that pays for a CSM, from"), max_digits=14, decimal_places=2, default=Decimal("300000")
    )
    segment_hire_max = models.DecimalField(
        _("segment revenue that pays for a CSM, to"), max_digits=14, decimal_places=2, default=Decimal("500000")
    )

    class Meta:
        verbose_name = _("capacity settings")
        verbose_name_plural = _("capacity settings")

    def __str__(self) -> str:
        return str(_("Capacity settings"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1  # a singleton: there is only ever the one row
        super().save(*args, **kwargs)

    def clean(self) -> None:
        low, high = self.segment_hire_min, self.segment_hire_max
        if low is not None and high is not None and high < low:
            raise ValidationError({"segment_hire_max": _("Must not be below the lower end.")})
