"""A person's choices about how pages look, kept server-side so they follow them from
one browser to the next: the columns each wide table shows (``org.columns``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ColumnPreference(models.Model):
    """The optional columns one person hid on one table (the book, renewals, team)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), related_name="column_preferences", on_delete=models.CASCADE
    )
    table = models.CharField(_("table"), max_length=40)
    hidden = models.JSONField(_("hidden columns"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("column choice")
        verbose_name_plural = _("column choices")
        constraints = [models.UniqueConstraint(fields=["user", "table"], name="column_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.table}"
