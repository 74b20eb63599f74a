from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from .messages import message_render, messages_render


class ChoiceLabels(models.Model):
    """Fast ``get_<field>_display()`` for models shown in long lists.

    Django's generated method rebuilds a hashable dict of every choice on every call,
    hashing each lazily translated label (one ``gettext`` per choice, per call): about a
    fifth of the accounts list's rendering. This keeps the ``{value: lazy label}`` dict
    per field (built once per process; the labels stay lazy, so the language is still
    the caller's) and translates only the label asked for.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field: Any) -> Any:
        labels = field.__dict__.get("_hourglass_choice_labels")
        if labels is None:
            labels = dict(field.flatchoices)
            field.__dict__["_hourglass_choice_labels"] = labels
        value = getattr(self, field.attname)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value: Django's generic path
            return super()._get_FIELD_display(field)  # type: ignore[misc]
        return force_str(label, strings_only=True)


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the beat-scheduled heartbeat task.

    A fresh row proves the whole chain works: beat schedules, the broker carries,
    a worker executes and reaches the database.
    """

    hostname = models.CharField(_("worker"), max_length=255, unique=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.hostname


class Notification(models.Model):
    """An in-app notification for one person (the notification centre in the top bar)."""

    recipient = models.ForeignKey(
        "auth.User", verbose_name=_("recipient"), related_name="notifications", on_delete=models.CASCADE
    )
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # The texts as a msgid and its values (core.messages), rendered in the reader's
    # language; ``title``/``body`` (written in the recipient's language) are the fallback.
    message_key = models.CharField(max_length=300, blank=True, editable=False)
    message_params = models.JSONField(default=dict, blank=True, editable=False)
    body_messages = models.JSONField(default=list, blank=True, editable=False)
    # Re-running the job that raised it never notifies twice.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return message_render(self.message_key, self.message_params, fallback=self.title)

    @property
    def display_body(self) -> str:
        return messages_render(self.body_messages, fallback=self.body)


class OutboundEmail(models.Model):
    """The email outbox: every email is a row first, sent by a worker that claims it.

    A row per message with a unique ``dedupe_key`` is what makes "exactly once" hold
    across re-runs, retries and several workers: creating it twice is impossible, and
    only the worker whose atomic claim succeeded sends it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    # Rendered at delivery: the bodies are left empty at enqueue and written by the
    # registered renderer ``render_with(**render_args)`` on the first attempt
    # (``core.outbox.email_renderer_register``), then kept, so every retry sends the same.
    render_with = models.CharField(_("rendered by"), max_length=64, blank=True)
    render_args = models.JSONField(_("renderer arguments"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"


class TaskFailure(models.Model):
    """A Celery task that failed (filled from the ``task_failure`` signal), for the admin."""

    task_name = models.CharField(_("task"), max_length=255, db_index=True)
    task_id = models.CharField(_("task id"), max_length=255, blank=True)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    exception = models.TextField(_("exception"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    request_id = models.CharField(_("request id"), max_length=128, blank=True)
    failed_at = models.DateTimeField(_("failed at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("task failure")
        verbose_name_plural = _("task failures")
        ordering = ["-failed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.task_id})"


# Registered with the core app from their own module (core.monitoring).
from .monitoring.models import IncidentKind, JobOutcome, JobRun, MonitoringIncident  # noqa: E402, F401
