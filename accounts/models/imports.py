"""A record of every CSV import: who, what, the outcome and the rows it rejected."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", _("Accounts")
    STAKEHOLDERS = "stakeholders", _("Stakeholders")


class ImportRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        VALIDATING = "validating", _("Checking rows")
        WRITING = "writing", _("Writing rows")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Rejected: nothing written")
        PARTIAL = "partial", _("Valid rows imported, others rejected")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    filename = models.CharField(_("file"), max_length=255, blank=True)
    valid_only = models.BooleanField(_("valid rows only"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    total_rows = models.PositiveIntegerField(default=0)
    # Rows checked so far: the progress bar of a large import running in the background.
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row": n, "column": c, "reason": r}]
    rejected_csv = models.TextField(blank=True)
    # The uploaded file, kept only until a background import has read it.
    source = models.BinaryField(blank=True, default=b"", editable=False)
    # The language of the person who started it: a worker reports errors in it too.
    language = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.processed / self.total_rows) if self.total_rows else 0


FINISHED_STATUSES = (ImportRun.Status.DONE, ImportRun.Status.REJECTED, ImportRun.Status.PARTIAL)
