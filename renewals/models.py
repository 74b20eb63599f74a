"""Contracts, the renewal opportunity each one creates, churn reasons and reminder claims."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account
from core.formatting import deployment_currency
from core.models import ChoiceLabels
from core.text_limits import NOTE_MAX_LENGTH, text_limit

ZERO = Decimal("0")
ONE = Decimal("1")


def default_currency() -> str:
    # A callable, so a deployment's currency never leaks into a migration; the settings
    # area's currency (HOURGLASS_CURRENCY until one is saved there).
    return deployment_currency()


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")


class Contract(models.Model):
    """One subscription period of an account: what it bought, for how long, at what ARR."""

    account = models.ForeignKey(Account, verbose_name=_("account"), related_name="contracts", on_delete=models.CASCADE)
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The contract's id in your CRM or billing system; used by the CRM sync."),
    )
    products = models.JSONField(_("products"), default=list, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    arr = models.DecimalField(
        _("ARR"), max_digits=14, decimal_places=2, validators=[MinValueValidator(ZERO)], default=ZERO
    )
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    auto_renew = models.BooleanField(_("auto-renew"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=ContractStatus.choices, default=ContractStatus.ACTIVE)
    # The customer's own renewal reminders (to the level-1 contact), when the deployment
    # turns them on (HOURGLASS_RENEWAL_CUSTOMER_REMINDERS) and this customer agreed.
    customer_reminders = models.BooleanField(
        _("customer reminders"),
        default=False,
        help_text=_("Email the contract decision maker before the renewal date."),
    )
    customer_language = models.CharField(
        _("customer language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Language of the customer's reminders; empty: the deployment's default."),
    )
    # The period this one renews, so a customer's contract history reads as a chain.
    previous = models.OneToOneField(
        "self",
        verbose_name=_("previous period"),
        related_name="next_period",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-end_date", "pk"]
        indexes = [models.Index(fields=["account", "status", "end_date"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(arr__gte=0), name="contract_arr_not_negative"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="contract_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.start_date:%Y-%m-%d}-{self.end_date:%Y-%m-%d}"


class RenewalStatus(models.TextChoices):
    OPEN = "open", _("Open")
    AT_RISK = "at_risk", _("At risk")
    COMMITTED = "committed", _("Committed")
    RENEWED = "renewed", _("Renewed")
    DOWNGRADED = "downgraded", _("Downgraded")
    CHURNED = "churned", _("Churned")
    # The renewal date passed and nobody closed it: not open pipeline, not an outcome.
    LAPSED = "lapsed", _("Lapsed")


OPEN_STATUSES = (RenewalStatus.OPEN, RenewalStatus.AT_RISK, RenewalStatus.COMMITTED)
CLOSED_STATUSES = (RenewalStatus.RENEWED, RenewalStatus.DOWNGRADED, RenewalStatus.CHURNED)

# The signal forecast: the probability a renewal closes kept, from its stage and the
# account's health score (green / yellow / red bands, domain §4; no score yet: the
# stage alone), read from ``health.selectors.latest_score``. Committed and closed
# renewals follow the stage only.
SIGNAL_PROBABILITY: dict[str, Decimal] = {
    RenewalStatus.OPEN: Decimal("0.80"),
    RenewalStatus.AT_RISK: Decimal("0.40"),
    RenewalStatus.COMMITTED: Decimal("0.95"),
    RenewalStatus.RENEWED: ONE,
    RenewalStatus.DOWNGRADED: ONE,
    RenewalStatus.CHURNED: ZERO,
}
# Health bands: a score from ``green`` up is green, below ``red`` red, yellow between.
HEALTH_GREEN_FROM = 70
HEALTH_RED_BELOW = 40
# (status) -> (green, yellow, red) probability; statuses not listed ignore health.
SIGNAL_BY_HEALTH: dict[str, tuple[Decimal, Decimal, Decimal]] = {
    RenewalStatus.OPEN: (Decimal("0.90"), Decimal("0.70"), Decimal("0.45")),
    RenewalStatus.AT_RISK: (Decimal("0.55"), Decimal("0.40"), Decimal("0.25")),
}


def signal_probability_for(status: str, health_score: int | float | Decimal | None) -> Decimal:
    """The signal probability of a renewal in ``status`` whose account scores ``health_score``.

    Python twin of ``selectors.signal_probability_expression`` (tests keep them equal).
    """
    bands = SIGNAL_BY_HEALTH.get(status)
    if bands is None or health_score is None:
        return SIGNAL_PROBABILITY.get(status, ZERO)
    green, yellow, red = bands
    if health_score >= HEALTH_GREEN_FROM:
        return green
    if health_score >= HEALTH_RED_BELOW:
        return yellow
    return red


# A CSM's call this far from the signal is flagged for the manager's attention.
DISAGREEMENT_THRESHOLD = Decimal("0.25")

# Seeded by migration 0002; marked here so ``makemessages`` picks the labels up and
# ``ChurnReason.__str__`` can show them in the reader's language.
DEFAULT_CHURN_REASONS: list[tuple[str, str]] = [
    ("low_usage", gettext_noop("Low usage / never adopted")),
    ("price", gettext_noop("Price or budget")),
    ("competitor", gettext_noop("Moved to a competitor")),
    ("missing_features", gettext_noop("Missing features")),
    ("champion_left", gettext_noop("Champion or decision maker left")),
    ("business_closed", gettext_noop("Company closed, acquired or restructured")),
    ("poor_fit", gettext_noop("Not a fit for the product (exploratory customer)")),
    ("service", gettext_noop("Unhappy with support or service")),
    ("other", gettext_noop("Other")),
]


class ChurnReason(models.Model):
    """The configurable list a churned (or downgraded) renewal picks its reason from."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label = models.CharField(
        _("label"),
        max_length=200,
        help_text=_("Shown translated when the label is one of the built-in ones."),
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        verbose_name = _("churn reason")
        verbose_name_plural = _("churn reasons")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return gettext(self.label)


class RenewalOpportunity(ChoiceLabels, models.Model):
    """The renewal of one contract: created with it, closed once with an outcome."""

    contract = models.OneToOneField(
        Contract, verbose_name=_("contract"), related_name="renewal", on_delete=models.CASCADE
    )
    # Denormalised from the contract: scoping and the pipeline filter by account.
    account = models.ForeignKey(Account, verbose_name=_("account"), related_name="renewals", on_delete=models.CASCADE)
    due_date = models.DateField(_("renewal date"), help_text=_("The contract's end date."))
    status = models.CharField(_("status"), max_length=16, choices=RenewalStatus.choices, default=RenewalStatus.OPEN)
    risk_reason = models.TextField(_("risk reason"), blank=True, **text_limit(NOTE_MAX_LENGTH))
    forecast_arr = models.DecimalField(
        _("forecast ARR"), max_digits=14, decimal_places=2, validators=[MinValueValidator(ZERO)], default=ZERO
    )
    override_probability = models.DecimalField(
        _("CSM probability"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO), MaxValueValidator(ONE)],
    )
    override_reason = models.TextField(_("CSM reason"), blank=True, **text_limit(NOTE_MAX_LENGTH))
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    override_at = models.DateTimeField(_("overridden at"), null=True, blank=True)
    outcome_arr = models.DecimalField(
        _("outcome ARR"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
    )
    churn_reason = models.ForeignKey(
        ChurnReason,
        verbose_name=_("churn reason"),
        related_name="renewals",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("renewal opportunity")
        verbose_name_plural = _("renewal opportunities")
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["account", "due_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(override_probability__isnull=True)
                | models.Q(override_probability__gte=0, override_probability__lte=1),
                name="renewal_override_probability_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.due_date:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def signal_probability(self) -> Decimal:
        """From the stage and, when the query annotated it, the account's health score."""
        return signal_probability_for(self.status, getattr(self, "health_score", None))

    @property
    def probability(self) -> Decimal:
        """The CSM's call when they made one, else the signal."""
        return self.signal_probability if self.override_probability is None else self.override_probability

    @property
    def signal_forecast(self) -> Decimal:
        return (self.forecast_arr * self.signal_probability).quantize(Decimal("0.01"))

    @property
    def csm_forecast(self) -> Decimal | None:
        if self.override_probability is None:
            return None
        return (self.forecast_arr * self.override_probability).quantize(Decimal("0.01"))

    @property
    def disagrees(self) -> bool:
        if self.override_probability is None or not self.is_open:
            return False
        return abs(self.override_probability - self.signal_probability) >= DISAGREEMENT_THRESHOLD

    def days_left(self, today: date | None = None) -> int:
        return (self.due_date - (today or timezone.localdate())).days

    @property
    def days_left_today(self) -> int:
        return self.days_left()


class ReminderAudience(models.TextChoices):
    CSM = "csm", _("CSM")
    CUSTOMER = "customer", _("Customer")


class RenewalReminder(models.Model):
    """The exactly-once claim for one reminder: one row per (renewal, threshold).

    The unique constraint is the lock: whoever inserts the row sends the reminder;
    every other run, thread or worker hits the conflict and does nothing.
    """

    renewal = models.ForeignKey(
        RenewalOpportunity, verbose_name=_("renewal"), related_name="reminders", on_delete=models.CASCADE
    )
    threshold_days = models.PositiveSmallIntegerField(_("threshold (days)"))
    audience = models.CharField(
        _("audience"), max_length=8, choices=ReminderAudience.choices, default=ReminderAudience.CSM
    )
    # What the reminder said: the due date and days left when it was claimed (a
    # reminder sent late after downtime shows fewer days than its threshold).
    due_date = models.DateField(_("renewal date"))
    days_left = models.IntegerField(_("days left"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # Customer reminders: the address written to, or why nothing was sent.
    recipient_email = models.EmailField(_("recipient email"), blank=True)
    skipped_reason = models.CharField(_("not sent because"), max_length=200, blank=True)
    # Tells the sweep which of the rows its bulk insert (ignoring conflicts) created.
    claim_token = models.CharField(max_length=32, db_index=True)
    claimed_at = models.DateTimeField(_("claimed"))
    queued_at = models.DateTimeField(
        _("queued for sending"),
        null=True,
        blank=True,
        help_text=_("When the email was put in the outbox; its delivery is tracked there."),
    )
    email = models.ForeignKey(
        "core.OutboundEmail",
        verbose_name=_("email"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("renewal reminder")
        verbose_name_plural = _("renewal reminders")
        ordering = ["-claimed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["renewal", "threshold_days", "audience"], name="renewal_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.renewal} · {self.threshold_days}d · {self.audience}"


# Expansion opportunities live beside the contracts, in their own module.
from .expansion_models import (  # noqa: E402, F401
    EXPANSION_STAGE_PROBABILITY,
    OPEN_EXPANSION_STAGES,
    ExpansionKind,
    ExpansionOpportunity,
    ExpansionOwnerRole,
    ExpansionOwnerRule,
    ExpansionStage,
    expansion_owner_reason,
)

# The KPI page's precomputed facts and cells live beside the reports.
from .kpi_facts.models import (  # noqa: E402, F401
    KpiCell,
    KpiDirtyAccount,
    KpiFact,
    KpiFactState,
    KpiLedgerCell,
    KpiLedgerFact,
)

# The ARR ledger's models (contract amendments, monthly movements) live beside it.
from .ledger_models import (  # noqa: E402, F401
    MOVEMENT_SIGN,
    AmendmentKind,
    ArrMovement,
    ArrQuarter,
    ArrQuarterTotal,
    ContractAmendment,
    MovementKind,
)
