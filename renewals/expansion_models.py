"""Expansion opportunities (增购): kinds, stages, the owner rule's branches, the model.

Re-exported from ``renewals.models``; the services are in ``renewals.expansions``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account
from core.models import ChoiceLabels
from core.text_limits import NOTE_MAX_LENGTH, text_limit

ZERO = Decimal("0")


class ExpansionKind(models.TextChoices):
    UPSELL = "upsell", _("Upsell")
    CROSS_SELL = "cross_sell", _("Cross-sell")


class ExpansionStage(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    QUALIFIED = "qualified", _("Qualified")
    PROPOSAL = "proposal", _("Proposal")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class ExpansionOwnerRole(models.TextChoices):
    SALES = "sales", _("Sales rep")
    CSM = "csm", _("CSM")


class ExpansionOwnerRule(models.TextChoices):
    """Which branch of the owner rule chose the opportunity's owner (the reason shown)."""

    SALES_WINDOW = "sales_window", _("Sales owner, within the sales months")
    CSM_AFTER = "csm_after", _("CSM, after the sales months")
    CSM_NO_SALES_OWNER = "csm_no_sales_owner", _("CSM, the account has no sales owner")
    SALES_UNSIGNED = "sales_unsigned", _("Sales owner, no contract signed yet")
    CSM_UNSIGNED = "csm_unsigned", _("CSM, no contract signed yet and no sales owner")


OPEN_EXPANSION_STAGES = (ExpansionStage.IDENTIFIED, ExpansionStage.QUALIFIED, ExpansionStage.PROPOSAL)
# The probability (%) an opportunity has at each stage until someone enters their own;
# won and lost are always 100 and 0.
EXPANSION_STAGE_PROBABILITY: dict[str, int] = {
    ExpansionStage.IDENTIFIED: 10,
    ExpansionStage.QUALIFIED: 30,
    ExpansionStage.PROPOSAL: 60,
    ExpansionStage.WON: 100,
    ExpansionStage.LOST: 0,
}


def expansion_owner_reason(rule: str, months: int | None, signed_on: date | None) -> str:
    """The owner rule's reason in the reader's language (stored as a key and parameters)."""
    params = {"months": months, "date": signed_on.isoformat() if signed_on else ""}
    texts = {
        ExpansionOwnerRule.SALES_WINDOW: gettext("Sales owner: within %(months)s months of signing on %(date)s"),
        ExpansionOwnerRule.CSM_AFTER: gettext("CSM: signed more than %(months)s months ago (on %(date)s)"),
        ExpansionOwnerRule.CSM_NO_SALES_OWNER: gettext(
            "CSM: within %(months)s months of signing on %(date)s, but the account has no sales owner"
        ),
        ExpansionOwnerRule.SALES_UNSIGNED: gettext("Sales owner: no contract signed yet"),
        ExpansionOwnerRule.CSM_UNSIGNED: gettext("CSM: no contract signed yet and the account has no sales owner"),
    }
    text = texts.get(rule)  # type: ignore[call-overload]
    return text % params if text else ""


class ExpansionOpportunity(ChoiceLabels, models.Model):
    """An upsell or cross-sell on an account (增购, domain §3).

    ``owner`` is chosen when the opportunity is raised: the account's sales owner in the
    first ``HOURGLASS_EXPANSION_SALES_MONTHS`` months after its first contract started,
    the CSM (account owner) after, or when there is no sales owner. The branch taken is
    stored (``owner_rule`` and its parameters) so the reason can be shown in the reader's
    language, and so a later change of the setting does not move opportunities already
    being worked. ``owner_role`` is the owner's role in that rule.

    ``probability`` (%) is empty while it follows the stage
    (``EXPANSION_STAGE_PROBABILITY``); won counts 100 and lost 0 whatever it holds.
    """

    account = models.ForeignKey(Account, verbose_name=_("account"), related_name="expansions", on_delete=models.CASCADE)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ExpansionKind.choices)
    amount = models.DecimalField(
        _("amount (ARR)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=ExpansionStage.choices, default=ExpansionStage.IDENTIFIED
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Empty: the stage's usual probability."),
    )
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    owner_role = models.CharField(_("owned by"), max_length=8, choices=ExpansionOwnerRole.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        related_name="owned_expansions",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    owner_rule = models.CharField(_("owner rule"), max_length=24, choices=ExpansionOwnerRule.choices, blank=True)
    owner_rule_months = models.PositiveSmallIntegerField(_("sales months"), null=True, blank=True)
    owner_rule_signed_on = models.DateField(_("signed on"), null=True, blank=True)
    lost_reason = models.TextField(_("why it was lost"), blank=True, **text_limit(NOTE_MAX_LENGTH))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expansion opportunity")
        verbose_name_plural = _("expansion opportunities")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["account", "stage"]),
            models.Index(fields=["stage", "expected_close"]),
            # The pipeline's default order (``ExpansionFilterSet.qs``): its first page reads
            # 50 index entries instead of sorting every opportunity in scope.
            models.Index(fields=["expected_close", "-id"], name="expansion_close_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="expansion_amount_not_negative"),
            models.CheckConstraint(
                condition=models.Q(probability__isnull=True) | models.Q(probability__lte=100),
                name="expansion_probability_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.title}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_EXPANSION_STAGES

    @property
    def effective_probability(self) -> int:
        """Won 100, lost 0, else the entered probability or the stage's usual one."""
        if not self.is_open or self.probability is None:
            return EXPANSION_STAGE_PROBABILITY.get(self.stage, 0)
        return self.probability

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.effective_probability / 100).quantize(Decimal("0.01"))

    @property
    def owner_reason(self) -> str:
        return expansion_owner_reason(self.owner_rule, self.owner_rule_months, self.owner_rule_signed_on)
