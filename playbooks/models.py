"""Lifecycle stages, playbook templates and the tasks (CTAs) they create.

Texts of the default playbooks are stored in English and shown through ``gettext`` at
display time (``Task.display_title`` …): an admin's own wording is shown as typed, the
built-in wording in the reader's language (the same approach as renewals' churn reasons).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account, TimelineEntry
from core.models import ChoiceLabels
from core.text_limits import TEXT_MAX_LENGTH, text_limit


class Stage(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding (before go-live)")
    PROMOTION = "promotion", _("Promotion month")
    STABILISATION = "stabilisation", _("Stabilisation")
    STEADY = "steady", _("Steady")
    RENEWAL_WINDOW = "renewal_window", _("Renewal window")
    RENEWED = "renewed", _("Renewed")
    CHURNED = "churned", _("Churned")


class AccountStage(ChoiceLabels, models.Model):
    """The account's current lifecycle stage, kept by the stage sweep.

    ``entered_on`` is the date the stage began (computed from the dates where it can be:
    go-live, renewal date − window …), so time in stage is ``today − entered_on``; the
    full history is on the account timeline (``stage_changed`` entries).
    """

    account = models.OneToOneField(Account, related_name="lifecycle", on_delete=models.CASCADE)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    entered_on = models.DateField(_("in stage since"))
    previous_stage = models.CharField(_("previous stage"), max_length=20, choices=Stage.choices, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("lifecycle stage")
        verbose_name_plural = _("lifecycle stages")
        indexes = [models.Index(fields=["stage", "entered_on"])]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.stage}"

    def days_in_stage(self, today: date | None = None) -> int:
        return max(((today or timezone.localdate()) - self.entered_on).days, 0)

    @property
    def days_in_stage_today(self) -> int:
        return self.days_in_stage()


class TriggerKind(models.TextChoices):
    STAGE_ONBOARDING = "stage_onboarding", _("Stage entered: onboarding")
    STAGE_PROMOTION = "stage_promotion", _("Stage entered: promotion month")
    STAGE_STABILISATION = "stage_stabilisation", _("Stage entered: stabilisation")
    STAGE_STEADY = "stage_steady", _("Stage entered: steady")
    STAGE_RENEWAL_WINDOW = "stage_renewal_window", _("Stage entered: renewal window")
    STAGE_RENEWED = "stage_renewed", _("Stage entered: renewed")
    STAGE_CHURNED = "stage_churned", _("Stage entered: churned")
    EXEC_REPORT_MONTHLY = "exec_report_monthly", _("Every month (live accounts)")
    EXEC_REPORT_QUARTERLY = "exec_report_quarterly", _("Every quarter (live accounts)")
    KEY_STAKEHOLDER_LEFT = "key_stakeholder_left", _("Key stakeholder left")
    ACTIVITY_DROP = "activity_drop", _("Activity drop")
    NPS_DETRACTOR = "nps_detractor", _("NPS detractor")
    DOSSIER_NEEDS_WORK = "dossier_needs_work", _("Dossier review: needs work")
    RENEWAL_AT_RISK = "renewal_at_risk", _("Renewal marked at risk")
    RENEWAL_LAPSED = "renewal_lapsed", _("Renewal lapsed (date passed, not closed)")
    # A rule evaluated by the clock (daily, or weekly on a weekday) over every account:
    # its conditions choose the accounts; episode = the schedule period.
    SCHEDULE = "schedule", _("On a schedule (daily or weekly)")
    MANUAL = "manual", _("Manual")


STAGE_TRIGGERS: dict[str, str] = {stage: f"stage_{stage}" for stage in Stage.values}


class OwnerRole(models.TextChoices):
    CSM = "csm", _("CSM")
    SALES_REP = "sales_rep", _("Sales rep")
    IMPLEMENTATION = "implementation", _("Implementation")
    MANAGER = "manager", _("Manager")
    NAMED_USER = "named_user", _("A named person")


class Priority(models.IntegerChoices):
    # Integers so that lists sort by urgency.
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class TaskType(models.TextChoices):
    RISK = "risk", _("Risk")
    LIFECYCLE = "lifecycle", _("Lifecycle")
    OPPORTUNITY = "opportunity", _("Opportunity")
    ACTIVITY = "activity", _("Activity")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    SNOOZED = "snoozed", _("Snoozed")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# Tasks someone still has to do (a snoozed task counts: it comes back by itself).
OPEN_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS, TaskStatus.SNOOZED)
ACTIVE_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


def accounts_q(account_ids: Any, field: str = "pk") -> models.Q:
    """Filter on some accounts: a list of ids, or a ``range`` of ids (the daily sweep's
    chunks: two bounds compile and plan far faster than an ``IN`` of 1,000 values)."""
    if isinstance(account_ids, range):
        return models.Q(**{f"{field}__gte": account_ids.start, f"{field}__lt": account_ids.stop})
    return models.Q(**{f"{field}__in": list(account_ids)})


def _translated(text: str) -> str:
    return gettext(text) if text else ""


class Playbook(models.Model):
    """A template of tasks, fired for an account by a trigger (admin-editable)."""

    key = models.SlugField(
        _("key"),
        max_length=50,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Set on the built-in playbooks; leave empty for your own."),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    trigger = models.CharField(_("trigger"), max_length=32, choices=TriggerKind.choices)
    active = models.BooleanField(_("active"), default=True)
    segments = models.JSONField(
        _("segments"),
        default=list,
        blank=True,
        help_text=_('Only for accounts in these segments, e.g. ["enterprise"]; empty means all.'),
    )
    arr_min = models.DecimalField(
        _("ARR from"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Inclusive; empty: no minimum."),
    )
    arr_max = models.DecimalField(
        _("ARR below"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Exclusive; empty: no maximum."),
    )
    # Rules: conditions over the account (playbooks/rules/conditions.py validates and
    # compiles them), the schedule of a scheduled rule, and why the sweep switched it off.
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    schedule_weekday = models.PositiveSmallIntegerField(
        _("weekday"), null=True, blank=True, help_text=_("Scheduled rules: empty runs daily, else weekly on this day.")
    )
    disabled_reason = models.CharField(_("disabled because"), max_length=300, blank=True)
    # Bumped on each edit; a task keeps the version it was created from (and its copied texts).
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        ordering = ["trigger", "name", "pk"]
        indexes = [models.Index(fields=["trigger", "active"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _translated(self.name)

    @property
    def display_description(self) -> str:
        return _translated(self.description)

    def applies_to(self, *, arr: Any, segment: str) -> bool:
        if self.segments and segment not in self.segments:
            return False
        if self.arr_min is not None and arr < self.arr_min:
            return False
        return not (self.arr_max is not None and arr >= self.arr_max)


class PlaybookStep(models.Model):
    playbook = models.ForeignKey(Playbook, related_name="steps", on_delete=models.CASCADE)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    checklist = models.JSONField(_("checklist"), default=list, blank=True, help_text=_("A list of item texts."))
    due_offset_days = models.IntegerField(_("due (days after the trigger)"), default=7)
    owner_role = models.CharField(_("owner"), max_length=16, choices=OwnerRole.choices, default=OwnerRole.CSM)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.MEDIUM)
    task_type = models.CharField(_("type"), max_length=16, choices=TaskType.choices, default=TaskType.LIFECYCLE)
    named_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named person"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text=_("For the owner “A named person”."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")
        ordering = ["playbook", "order", "pk"]

    def __str__(self) -> str:
        return _translated(self.title)


class Task(ChoiceLabels, models.Model):
    """A call to action for one account: from a playbook step, or created by hand."""

    account = models.ForeignKey(Account, verbose_name=_("account"), related_name="tasks", on_delete=models.CASCADE)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        related_name="cs_tasks",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # True while the task belongs to whoever owns the account: an owner change moves it.
    follows_owner = models.BooleanField(_("follows the account owner"), default=True)
    owner_role = models.CharField(_("intended owner"), max_length=16, choices=OwnerRole.choices, default=OwnerRole.CSM)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    checklist = models.JSONField(_("checklist"), default=list, blank=True)  # [{"text": str, "done": bool}]
    due_date = models.DateField(_("due"))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.MEDIUM)
    task_type = models.CharField(_("type"), max_length=16, choices=TaskType.choices, default=TaskType.ACTIVITY)
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    playbook = models.ForeignKey(
        Playbook, verbose_name=_("playbook"), related_name="tasks", on_delete=models.SET_NULL, null=True, blank=True
    )
    step = models.ForeignKey(PlaybookStep, related_name="tasks", on_delete=models.SET_NULL, null=True, blank=True)
    playbook_version = models.PositiveIntegerField(_("playbook version"), null=True, blank=True)
    trigger = models.CharField(_("trigger"), max_length=32, choices=TriggerKind.choices, default=TriggerKind.MANUAL)
    # What fired it (e.g. "stage:promotion:2025-03-01", "alert:42"): one task per step and episode.
    episode_key = models.CharField(_("episode"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    touchpoint = models.ForeignKey(
        TimelineEntry,
        verbose_name=_("logged touch"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "-priority", "pk"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_date"]),
            models.Index(fields=["account", "status", "due_date"]),
            models.Index(fields=["status", "snoozed_until"]),
        ]
        constraints = [
            # The idempotency lock: a trigger fires a step once per account and episode.
            models.UniqueConstraint(
                fields=["account", "step", "episode_key"],
                condition=models.Q(step__isnull=False),
                name="task_step_once_per_episode",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="snoozed") | models.Q(snoozed_until__isnull=False),
                name="task_snoozed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return _translated(self.title)

    @property
    def display_description(self) -> str:
        return _translated(self.description)

    @property
    def display_checklist(self) -> list[dict[str, Any]]:
        return [
            {"index": i, "text": _translated(item.get("text", "")), "done": bool(item.get("done"))}
            for i, item in enumerate(self.checklist or [])
        ]

    @property
    def checklist_done(self) -> int:
        return sum(1 for item in self.checklist or [] if item.get("done"))

    @property
    def checklist_total(self) -> int:
        return len(self.checklist or [])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        if self.status == TaskStatus.SNOOZED:
            return False
        return self.status in ACTIVE_STATUSES and self.due_date < today

    @property
    def overdue(self) -> bool:
        return self.is_overdue()


class TaskComment(models.Model):
    task = models.ForeignKey(Task, related_name="comments", on_delete=models.CASCADE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True)
    body = models.TextField(_("comment"), **text_limit(TEXT_MAX_LENGTH))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("task comment")
        verbose_name_plural = _("task comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:50]
