"""The audit record of a personal-data erasure (docs/privacy.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .account import Account


class ErasureRecord(models.Model):
    """Who erased which stakeholder's personal data, when, and how many rows it touched.

    It names the stakeholder by id only (never by name: that is what was erased) and
    outlives the stakeholder: no foreign key to it, so deleting the contact later keeps
    the record.
    """

    stakeholder_id = models.PositiveBigIntegerField(_("stakeholder id"), db_index=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erased by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # The actor's username at the time, kept if the user is deleted later.
    actor_username = models.CharField(_("erased by (username)"), max_length=150, blank=True)
    erased_at = models.DateTimeField(_("erased at"))
    counts = models.JSONField(_("rows redacted"), default=dict, blank=True)

    class Meta:
        verbose_name = _("personal-data erasure")
        verbose_name_plural = _("personal-data erasures")
        ordering = ["-erased_at", "-pk"]

    def __str__(self) -> str:
        return f"stakeholder {self.stakeholder_id} erased {self.erased_at:%Y-%m-%d}"
