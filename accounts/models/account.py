"""Customer accounts: the core record every other part of Hourglass hangs off."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import ChoiceLabels
from org.industries import Industry

from ..querysets import AccountQuerySet
from ..segments import Segment, segment_for_arr


class IcpFit(models.TextChoices):
    """Target customers fit the ideal customer profile; exploratory ones do not (§5)."""

    TARGET = "target", _("Target customer")
    EXPLORATORY = "exploratory", _("Exploratory customer")


class AccountStatus(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    ACTIVE = "active", _("Active")
    CHURNED = "churned", _("Churned")


class Account(ChoiceLabels, models.Model):
    name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The customer's id in your CRM or billing system; used by imports."),
    )
    industry = models.CharField(_("industry"), max_length=32, choices=Industry.choices, default=Industry.OTHER)
    arr = models.DecimalField(
        _("ARR"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Annual recurring revenue in the deployment's currency."),
    )
    icp_fit = models.CharField(_("ICP fit"), max_length=16, choices=IcpFit.choices, default=IcpFit.TARGET)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner CSM"),
        related_name="owned_accounts",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # Onboarding by ARR hands small accounts to the sales rep and large ones to an
    # implementation team before the CSM takes over; expansions in the first months after
    # signing belong to the sales owner.
    sales_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sales owner"),
        related_name="sales_accounts",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    implementation_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("implementation owner"),
        related_name="implementation_accounts",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # Set when the owner is deactivated: the account waits in that team's unassigned
    # queue, which the team's manager sees (accounts.access); cleared once it has an owner.
    queue_team = models.ForeignKey(
        "org.Team",
        verbose_name=_("unassigned queue of"),
        related_name="queued_accounts",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
    )
    go_live_date = models.DateField(_("go-live date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.ONBOARDING
    )
    # Dossier completeness 0-100, kept by accounts.dossier (sortable in lists).
    dossier_score = models.PositiveSmallIntegerField(_("dossier completeness"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["dossier_score"])

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer account")
        verbose_name_plural = _("customer accounts")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["owner", "name"]),
            models.Index(fields=["arr"]),
            models.Index(fields=["industry"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(arr__gte=0), name="account_arr_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An account given an owner leaves the team's unassigned queue.
        if self.owner_id is not None and self.queue_team_id is not None:
            self.queue_team = None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "queue_team"}
        super().save(*args, **kwargs)

    @property
    def segment(self) -> str:
        return segment_for_arr(self.arr)

    def get_segment_display(self) -> str:
        return str(Segment(self.segment).label)
