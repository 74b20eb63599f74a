"""Stakeholders at the customer, ranked S/A/B (domain.md §2)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import ChoiceLabels
from core.text_limits import TEXT_MAX_LENGTH, text_limit

from .account import Account


class Tier(models.TextChoices):
    S = "S", _("S — executive (CEO, VP)")
    A = "A", _("A — director, department head")
    B = "B", _("B — key staff")


class KeyPersonLevel(models.IntegerChoices):
    NONE = 0, _("Not a key person")
    DECISION_MAKER = 1, _("Level 1 — contract decision maker")
    DAY_TO_DAY = 2, _("Level 2 — day-to-day contact")


class RelationshipStage(models.IntegerChoices):
    """Knows you → understands you → recognises you → willing to help you (seed 003)."""

    KNOWS = 1, _("Knows you")
    UNDERSTANDS = 2, _("Understands you")
    RECOGNISES = 3, _("Recognises you")
    WILLING_TO_HELP = 4, _("Willing to help you")


class Stakeholder(ChoiceLabels, models.Model):
    account = models.ForeignKey(Account, related_name="stakeholders", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    department = models.CharField(_("department"), max_length=120, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, default=Tier.B)
    key_level = models.PositiveSmallIntegerField(
        _("key person"), choices=KeyPersonLevel.choices, default=KeyPersonLevel.NONE
    )
    relationship = models.PositiveSmallIntegerField(
        _("relationship"), choices=RelationshipStage.choices, default=RelationshipStage.KNOWS
    )
    demands = models.TextField(_("demands"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    personality = models.TextField(_("personality notes"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    work_goals = models.TextField(_("work goals"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        related_name="reports",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    is_active = models.BooleanField(_("active"), default=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    # Set when an admin erased this contact's personal data (accounts.privacy).
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        ordering = ["tier", "key_level", "name", "pk"]
        indexes = [models.Index(fields=["account", "is_active", "tier"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_active=True, left_on__isnull=True) | models.Q(is_active=False),
                name="stakeholder_left_on_only_when_left",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tier})"

    @property
    def is_key_decision_maker(self) -> bool:
        return self.key_level == KeyPersonLevel.DECISION_MAKER or self.tier == Tier.S
