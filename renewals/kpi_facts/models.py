"""The KPI page's precomputed facts (docs/renewals.md, "How the KPI page is fast").

Imported by ``renewals.models`` (the app's models module), which re-exports them.

``KpiFact``: one row per account and calendar quarter with the additive figures of the
renewal-based report (renewals due in the quarter) and of the adoption report (went
live in the quarter, activated, active in the quarter's last 30 days), and the
account's group keys as the reports read them today (current owner, the queue team of
an unowned account, segment of the current ARR, industry, ICP fit). ``KpiCell``: their
sums per quarter and group keys, the few thousand rows a request reads.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0")

# The group keys of a cell, in the order of its unique constraint.
CELL_KEYS = ("quarter", "owner_key", "queue_key", "segment", "industry", "icp_fit")
COUNT_FIGURES = (
    "n_due",
    "n_closed",
    "n_open",
    "n_kept",
    "n_churned",
    "launched",
    "activated",
    "active",
)
MONEY_FIGURES = ("kept_previous", "upgrades", "downgrades", "churn")
FIGURES = (*COUNT_FIGURES, *MONEY_FIGURES)


class _Figures(models.Model):
    quarter = models.DateField(_("quarter"))
    # 0 when the account has no owner (a cell's key is never NULL: NULLs never conflict).
    owner_key = models.BigIntegerField(_("owner"), default=0)
    # The queue team of an unowned account (managers see their queue), else 0.
    queue_key = models.BigIntegerField(_("queue team"), default=0)
    segment = models.CharField(_("segment"), max_length=16)
    industry = models.CharField(_("industry"), max_length=32)
    icp_fit = models.CharField(_("ICP fit"), max_length=16)
    n_due = models.IntegerField(default=0)
    n_closed = models.IntegerField(default=0)
    n_open = models.IntegerField(default=0)
    n_kept = models.IntegerField(default=0)
    n_churned = models.IntegerField(default=0)
    kept_previous = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    upgrades = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    downgrades = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    churn = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    launched = models.IntegerField(default=0)
    activated = models.IntegerField(default=0)
    active = models.IntegerField(default=0)

    class Meta:
        abstract = True


class KpiFact(_Figures):
    # Not a foreign key: a deleted account's facts are taken out of the cells by the
    # refresh (a cascade would drop them and leave the cells counting them).
    account_id = models.BigIntegerField(_("account"))

    class Meta:
        verbose_name = _("KPI fact")
        constraints = [models.UniqueConstraint(fields=["account_id", "quarter"], name="kpi_fact_account_quarter")]

    def __str__(self) -> str:
        return f"account {self.account_id} · {self.quarter}"


class KpiCell(_Figures):
    accounts = models.IntegerField(default=0)  # fact rows summed: a cell at 0 is empty

    class Meta:
        verbose_name = _("KPI cell")
        constraints = [models.UniqueConstraint(fields=list(CELL_KEYS), name="kpi_cell_keys")]
        indexes = [models.Index(fields=["owner_key", "quarter"], name="kpi_cell_owner_quarter")]

    def __str__(self) -> str:
        return f"{self.quarter} · owner {self.owner_key} · {self.segment} · {self.industry} · {self.icp_fit}"


class KpiFactState(models.Model):
    """One row once the facts are built: what they were built with. A request uses the
    cells only when the settings they depend on still match (else it computes directly)."""

    key = models.CharField(max_length=16, primary_key=True, default="facts")
    fingerprint = models.CharField(max_length=200)
    built_at = models.DateTimeField()

    class Meta:
        verbose_name = _("KPI facts state")

    def __str__(self) -> str:
        return f"{self.key} built {self.built_at:%Y-%m-%d %H:%M}"


class KpiDirtyAccount(models.Model):
    """An account whose facts are to be refreshed (its inputs changed)."""

    account_id = models.BigIntegerField(primary_key=True)
    marked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("KPI account to refresh")

    def __str__(self) -> str:
        return f"account {self.account_id}"


HELD = 8  # ArrQuarter.HELD_QUARTERS: a period of whole quarters spans at most this many
LEDGER_SUMS = (
    "accounts",
    "retained",
    "arr_start",
    "arr_end",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
    "new",
)
LEDGER_KEYS = (
    "number",
    "held",
    "owner_key",
    "queue_key",
    "industry",
    "icp_fit",
    *(f"o{k}" for k in range(HELD)),
    *(f"s{k}" for k in range(HELD)),
    *(f"e{k}" for k in range(HELD)),
)


class _LedgerSums(models.Model):
    accounts = models.IntegerField(default=0)
    retained = models.IntegerField(default=0)
    arr_start = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    arr_end = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    expansion = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    contraction = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    churn = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    reactivation = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    new = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)

    class Meta:
        abstract = True


def _ledger_key_fields() -> dict[str, models.Field]:
    fields: dict[str, models.Field] = {}
    for k in range(HELD):
        # The owner at the start of the quarter k before (0: none), as the ledger rates
        # group by the owner at the period's start.
        fields[f"o{k}"] = models.BigIntegerField(default=0)
    for k in range(HELD):
        # The segment of the ARR at the start of the quarter k before ("" when not held then).
        fields[f"s{k}"] = models.CharField(max_length=16, default="")
    for k in range(HELD):
        # The segment of the ARR at the end of the quarter k after ("" when never read).
        fields[f"e{k}"] = models.CharField(max_length=16, default="")
    return fields


class KpiLedgerCell(_LedgerSums):
    """The ledger's quarter rows (``ArrQuarter``) summed per quarter, ``held`` pattern and
    every key a ledger grouping or a user's scope reads (``combo``: their digest)."""

    combo = models.CharField(max_length=32, unique=True)
    number = models.IntegerField()
    held = models.SmallIntegerField()
    owner_key = models.BigIntegerField(default=0)
    queue_key = models.BigIntegerField(default=0)
    industry = models.CharField(max_length=32)
    icp_fit = models.CharField(max_length=16)
    locals().update(_ledger_key_fields())

    class Meta:
        verbose_name = _("KPI ledger cell")
        indexes = [models.Index(fields=["number", "owner_key"], name="kpi_ledger_cell_number")]

    def __str__(self) -> str:
        return f"{self.number} · {self.combo}"


class KpiLedgerFact(models.Model):
    """One account's quarter rows as they went into the cells (taken out again on a
    refresh): ``rows`` a JSON list of ``[combo, *LEDGER_SUMS]`` (amounts as text)."""

    account_id = models.BigIntegerField(primary_key=True)
    rows = models.TextField()

    class Meta:
        verbose_name = _("KPI ledger fact")

    def __str__(self) -> str:
        return f"account {self.account_id}"
