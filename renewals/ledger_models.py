"""The ARR ledger's models: contract amendments and the monthly ARR movements.

Imported by ``renewals.models`` (the app's models module), which re-exports them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account
from core.text_limits import NOTE_MAX_LENGTH, text_limit

from .models import Contract, ExpansionOpportunity


class AmendmentKind(models.TextChoices):
    EXPANSION = "expansion", _("Expansion")
    CONTRACTION = "contraction", _("Contraction")


class ContractAmendment(models.Model):
    """A change of a contract's ARR during its term: a won expansion or a downgrade.

    From ``effective_date`` to the contract's end the contract's ARR in force is its
    ``arr`` plus the deltas of its amendments effective by then (docs/renewals.md).
    ``expansion`` is unique: a won expansion opportunity amends a contract once.
    """

    account = models.ForeignKey(Account, verbose_name=_("account"), related_name="amendments", on_delete=models.CASCADE)
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), related_name="amendments", on_delete=models.CASCADE
    )
    effective_date = models.DateField(_("effective from"))
    arr_delta = models.DecimalField(_("ARR change"), max_digits=14, decimal_places=2)
    kind = models.CharField(_("kind"), max_length=16, choices=AmendmentKind.choices)
    reason = models.TextField(_("reason"), blank=True, **text_limit(NOTE_MAX_LENGTH))
    expansion = models.OneToOneField(
        ExpansionOpportunity,
        verbose_name=_("expansion opportunity"),
        related_name="amendment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contract amendment")
        verbose_name_plural = _("contract amendments")
        ordering = ["-effective_date", "-pk"]
        indexes = [models.Index(fields=["contract", "effective_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="expansion", arr_delta__gt=0) | models.Q(kind="contraction", arr_delta__lt=0),
                name="amendment_delta_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.effective_date:%Y-%m-%d} · {self.arr_delta:+}"


class MovementKind(models.TextChoices):
    NEW = "new", _("New")
    EXPANSION = "expansion", _("Expansion")
    CONTRACTION = "contraction", _("Contraction")
    CHURN = "churn", _("Churn")
    REACTIVATION = "reactivation", _("Reactivation")


# The sign a movement's (positive) amount has in the account's ARR.
MOVEMENT_SIGN: dict[str, int] = {
    MovementKind.NEW: 1,
    MovementKind.EXPANSION: 1,
    MovementKind.REACTIVATION: 1,
    MovementKind.CONTRACTION: -1,
    MovementKind.CHURN: -1,
}


class ArrMovement(models.Model):
    """One month's change of an account's ARR in force, month end against month end.

    Written only by ``renewals.ledger`` (rebuilt from contracts and amendments, never
    edited): one row per account and month in which its month-end ARR changed.
    ``arr_after`` is the month-end snapshot; a month without a row kept the ARR of the
    row before it.
    """

    # No database constraint nor index of its own: the rebuild writes hundreds of thousands
    # of rows at once, and a deferred foreign-key check per row would cost more than the
    # rebuild (Django still deletes an account's rows with it; the unique index below
    # serves lookups by account).
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        related_name="arr_movements",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    kind = models.CharField(_("kind"), max_length=16, choices=MovementKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    arr_before = models.DecimalField(_("ARR at the start of the month"), max_digits=16, decimal_places=2)
    arr_after = models.DecimalField(_("ARR at the end of the month"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("ARR movement")
        verbose_name_plural = _("ARR movements")
        ordering = ["month", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="arr_movement_once_a_month"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="arr_movement_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} · {self.month:%Y-%m} · {self.kind} {self.amount}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount * MOVEMENT_SIGN[self.kind]


# Internal tables (never shown: no admin, no page), so their names stay untranslated.
class ArrQuarter(models.Model):
    """One account's ARR in force over one calendar quarter, derived from its movements.

    Written only by ``renewals.ledger`` in the same transaction as the movements
    (``renewals.ledger_quarters``), so the KPI page sums a few rows per account and
    quarter instead of folding every account's whole ledger. A row exists for every
    quarter that starts with ARR in force or has a movement; ``held`` bit k tells
    whether the account had ARR in force at the start of the k-th quarter before this
    one (bit 0: this one), so a period of up to ``HELD_QUARTERS`` quarters can tell its
    cohort's rows apart without looking at the account's other rows.
    """

    HELD_QUARTERS = 8

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        related_name="arr_quarters",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
    )
    quarter = models.DateField(_("quarter"), help_text="The first day of the quarter.")
    number = models.IntegerField("quarter number", help_text="year × 4 + the quarter's index (0–3).")
    held = models.SmallIntegerField("ARR at the quarter starts")
    arr_start = models.DecimalField("ARR at the start of the quarter", max_digits=16, decimal_places=2)
    arr_end = models.DecimalField("ARR at the end of the quarter", max_digits=16, decimal_places=2)
    expansion = models.DecimalField("expansion", max_digits=16, decimal_places=2)
    contraction = models.DecimalField("contraction", max_digits=16, decimal_places=2)
    churn = models.DecimalField("churn", max_digits=16, decimal_places=2)
    reactivation = models.DecimalField("reactivation", max_digits=16, decimal_places=2)
    new = models.DecimalField("new", max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = "ARR quarter"
        verbose_name_plural = "ARR quarters"
        constraints = [models.UniqueConstraint(fields=["account", "number"], name="arr_quarter_once")]
        indexes = [models.Index(fields=["number"], name="arr_quarter_number")]

    def __str__(self) -> str:
        return f"{self.account_id} · {self.quarter:%Y-%m} · {self.arr_start} → {self.arr_end}"


class ArrQuarterTotal(models.Model):
    """``ArrQuarter`` summed per quarter and ``held`` pattern over every account: what the
    company-wide figures of whole quarters read, a few rows per quarter whatever the
    number of accounts. Kept in step with ``ArrQuarter`` in the same transaction."""

    number = models.IntegerField("quarter number")
    held = models.SmallIntegerField("ARR at the quarter starts")
    accounts = models.IntegerField(_("accounts"))
    retained = models.IntegerField("accounts with ARR at the end")
    arr_start = models.DecimalField("ARR at the start of the quarter", max_digits=18, decimal_places=2)
    arr_end = models.DecimalField("ARR at the end of the quarter", max_digits=18, decimal_places=2)
    expansion = models.DecimalField("expansion", max_digits=18, decimal_places=2)
    contraction = models.DecimalField("contraction", max_digits=18, decimal_places=2)
    churn = models.DecimalField("churn", max_digits=18, decimal_places=2)
    reactivation = models.DecimalField("reactivation", max_digits=18, decimal_places=2)
    new = models.DecimalField("new", max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = "ARR quarter total"
        verbose_name_plural = "ARR quarter totals"
        constraints = [models.UniqueConstraint(fields=["number", "held"], name="arr_quarter_total_once")]

    def __str__(self) -> str:
        return f"{self.number} · {self.held:08b} · {self.accounts}"
