"""How often each stakeholder tier is contacted, with per-segment overrides (domain.md §2)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..segments import Segment
from .stakeholders import Tier


class ContactCadence(models.Model):
    """One rule: stakeholders of ``tier`` (in accounts of ``segment``) every ``days`` days.

    A blank segment is the tier's default; a row with a segment overrides it for the
    accounts of that segment. ``days = 0`` means no regular contact for that tier.
    """

    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices)
    segment = models.CharField(
        _("segment"),
        max_length=16,
        choices=Segment.choices,
        blank=True,
        help_text=_("Leave blank for the tier's default; choose a segment to override it there."),
    )
    days = models.PositiveSmallIntegerField(
        _("contact every (days)"),
        validators=[MaxValueValidator(3650)],
        help_text=_("0 means no regular contact."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact cadence")
        verbose_name_plural = _("contact cadences")
        ordering = ["tier", "segment"]
        constraints = [models.UniqueConstraint(fields=["tier", "segment"], name="contact_cadence_one_per_tier_segment")]

    def __str__(self) -> str:
        where = self.get_segment_display() if self.segment else _("default")
        return f"{self.tier} / {where}: {self.days}"
