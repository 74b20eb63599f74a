"""Surveys sent to customers' contacts (NPS 0-10, CSAT 1-5) and what came back.

A ``Survey`` is the template and its audience; each send decides its recipients in one
set-based step (``SurveyRecipient`` rows, one per contact and *wave*), and a dispatch
claims the due rows and queues their emails in the outbox. A contact's standing
(unsubscribed, bounced, last surveyed, language, time zone) lives in
``ContactPreference``, keyed by the lower-cased address, because the same person may be a
stakeholder of several accounts and the frequency cap is per person across surveys.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import ChoiceLabels
from core.text_limits import TEXT_MAX_LENGTH, text_limit
from playbooks.models import TaskType


class SurveyKind(models.TextChoices):
    NPS = "nps", _("NPS (0–10)")
    CSAT = "csat", _("CSAT (1–5)")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")


# The score range of each kind: the one-click links and the response form offer exactly these.
SCORE_RANGES = {SurveyKind.NPS: range(0, 11), SurveyKind.CSAT: range(1, 6)}


class Survey(ChoiceLabels, models.Model):
    kind = models.CharField(_("kind"), max_length=8, choices=SurveyKind.choices, default=SurveyKind.NPS)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    # The email and page texts per language; a blank one falls back to the default wording.
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    question_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    subject_zh_hans = models.CharField(_("subject (Chinese)"), max_length=200, blank=True)
    intro_zh_hans = models.TextField(_("introduction (Chinese)"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    question_zh_hans = models.CharField(_("question (Chinese)"), max_length=300, blank=True)
    # A recipient may answer for this many days after the email was queued.
    expires_days = models.PositiveSmallIntegerField(
        _("link valid for (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # Automatic sending: NPS to every audience contact every N months; CSAT after a
    # touchpoint of one of ``auto_touchpoint_kinds``.
    auto_enabled = models.BooleanField(_("send automatically"), default=False)
    auto_every_months = models.PositiveSmallIntegerField(
        _("every (months)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    auto_touchpoint_kinds = models.JSONField(_("after touchpoints of kinds"), default=list, blank=True)
    # CSAT after a closed task: the contacts of the task's touchpoint, else the account's
    # day-to-day contacts of the audience.
    auto_after_tasks = models.BooleanField(_("after closed tasks"), default=False)
    # The audience of automatic sends (and the last manual one): segments, tiers, key levels.
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    # The automatic CSAT sweep's high-water mark: touchpoints after it are still to survey.
    touchpoints_seen_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The same for closed tasks.
    tasks_seen_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def scores(self) -> range:
        return SCORE_RANGES[SurveyKind(self.kind)]


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    QUEUED = "queued", _("Sent")
    SKIPPED = "skipped", _("Skipped")


class SurveyRecipient(models.Model):
    """One contact asked once: the claim row of "exactly once" and the token's subject.

    ``wave`` names the send that chose the contact (a manual send's id, an NPS period, a
    touchpoint), so the same survey may reach a contact again in a later wave but never
    twice in one.
    """

    survey = models.ForeignKey(Survey, related_name="recipients", on_delete=models.CASCADE)
    wave = models.CharField(max_length=64)
    account = models.ForeignKey("accounts.Account", related_name="+", on_delete=models.CASCADE)
    stakeholder = models.ForeignKey("accounts.Stakeholder", related_name="+", on_delete=models.CASCADE)
    email = models.EmailField(_("email"))
    language = models.CharField(_("language"), max_length=16)
    touchpoint = models.ForeignKey(
        "accounts.TimelineEntry", related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RecipientStatus.choices, default=RecipientStatus.PENDING
    )
    # Quiet hours in the contact's time zone move this later: deferred, not dropped.
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    email_message = models.ForeignKey(
        "core.OutboundEmail", related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("survey recipient")
        verbose_name_plural = _("survey recipients")
        constraints = [
            models.UniqueConstraint(fields=["survey", "wave", "stakeholder"], name="survey_recipient_once_per_wave"),
        ]
        indexes = [
            models.Index(fields=["status", "send_after"], name="survey_recipient_due"),
            models.Index(fields=["survey", "status"], name="survey_recipient_survey"),
            # A dispatch batch is found by its token (outreach.sending).
            models.Index(fields=["claim_token"], name="survey_recipient_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.wave} → {self.email}"


class SurveyResponse(models.Model):
    """The answer behind one recipient's token: NPS and CSAT alike.

    An NPS answer is also recorded where imported ones land (``health.NpsResponse``,
    through health's service), linked one-to-one here; CSAT lives only here.
    """

    recipient = models.OneToOneField(SurveyRecipient, related_name="response", on_delete=models.CASCADE)
    survey = models.ForeignKey(Survey, related_name="responses", on_delete=models.CASCADE)
    account = models.ForeignKey("accounts.Account", related_name="survey_responses", on_delete=models.CASCADE)
    stakeholder = models.ForeignKey(
        "accounts.Stakeholder", related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(10)])
    comment = models.TextField(_("comment"), blank=True, **text_limit(4000))
    nps_response = models.OneToOneField(
        "health.NpsResponse", related_name="survey_response", on_delete=models.SET_NULL, null=True, blank=True
    )
    responded_at = models.DateTimeField(_("answered"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-responded_at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(score__lte=10), name="survey_response_score_0_10")]
        indexes = [models.Index(fields=["survey", "-responded_at"], name="survey_response_survey_day")]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.score}"


class ContactPreference(models.Model):
    """What Hourglass knows about one customer address across surveys."""

    email = models.CharField(_("email"), max_length=254, unique=True)  # stored lower-cased
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    bounce_reason = models.CharField(_("bounce reason"), max_length=300, blank=True)
    last_surveyed_at = models.DateTimeField(_("last surveyed"), null=True, blank=True)
    # Blank: the company default (LANGUAGE_CODE, TIME_ZONE).
    language = models.CharField(_("language"), max_length=16, blank=True, choices=settings.LANGUAGES)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")

    def __str__(self) -> str:
        return self.email


# --- Tech-touch programs (journey-lite): outreach/programs/ ----------------------------


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", pgettext_lazy("program status", "Running")
    PAUSED = "paused", _("Paused")


class ProgramEntry(models.TextChoices):
    ALWAYS = "always", _("Every contact of the audience")
    HEALTH = "health", _("Only accounts whose health colour is one of")


class StepKind(models.TextChoices):
    EMAIL = "email", _("Send email")
    WAIT = "wait", _("Wait")
    BRANCH = "branch", _("Branch on a condition")
    TASK = "task", _("Create a task for the owner")
    EXIT = "exit", _("Exit")


class ConditionKind(models.TextChoices):
    HEALTH = "health", _("Health colour is one of")
    SURVEY_ANSWERED = "survey_answered", _("The contact answered a survey since enrolling")
    CLICKED = "clicked", _("The contact clicked a link of this program")


class Program(ChoiceLabels, models.Model):
    """A tech-touch program: an audience, an entry condition and ordered steps."""

    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT)
    # {"segments": [...], "tiers": [...], "key_levels": [...], "owner_ids": [...]}; empty: any.
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    entry = models.CharField(_("entry condition"), max_length=16, choices=ProgramEntry.choices, default="always")
    entry_colours = models.JSONField(_("entry health colours"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_enrolled_at = models.DateTimeField(_("last enrolment run"), null=True, blank=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class ProgramStep(ChoiceLabels, models.Model):
    """One step. A branch whose condition holds jumps forward to ``goto_position``;
    otherwise (and after every other step) the next position follows. Jumps go forward
    only, so a contact passes each step at most once: the claim row is (enrolment, step)."""

    program = models.ForeignKey(Program, related_name="steps", on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("step"), max_length=16, choices=StepKind.choices)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True, **text_limit(8000))
    subject_zh_hans = models.CharField(_("subject (Chinese)"), max_length=200, blank=True)
    body_zh_hans = models.TextField(_("text (Chinese)"), blank=True, **text_limit(8000))
    link_url = models.URLField(_("link"), blank=True, max_length=500)
    link_text_en = models.CharField(_("link text (English)"), max_length=100, blank=True)
    link_text_zh_hans = models.CharField(_("link text (Chinese)"), max_length=100, blank=True)
    wait_days = models.PositiveSmallIntegerField(
        _("wait (days)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    condition = models.CharField(_("condition"), max_length=24, choices=ConditionKind.choices, blank=True)
    condition_colours = models.JSONField(_("health colours"), default=list, blank=True)
    goto_position = models.PositiveSmallIntegerField(_("if true, go to step"), null=True, blank=True)
    task_title = models.CharField(_("task title"), max_length=300, blank=True)
    task_due_days = models.PositiveSmallIntegerField(
        _("task due in (days)"), default=3, validators=[MaxValueValidator(365)]
    )
    # The type of the task a task step creates (playbooks' task types).
    task_type = models.CharField(_("task type"), max_length=16, choices=TaskType.choices, default=TaskType.ACTIVITY)

    class Meta:
        verbose_name = _("program step")
        verbose_name_plural = _("program steps")
        ordering = ["program", "position"]
        constraints = [models.UniqueConstraint(fields=["program", "position"], name="program_step_position_once")]

    def __str__(self) -> str:
        return f"{self.program_id}#{self.position} {self.kind}"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("In progress")
    DONE = "done", _("Finished")
    EXITED = "exited", _("Left early")


class Enrollment(ChoiceLabels, models.Model):
    """One contact in one program: where they are and when the next step is due."""

    program = models.ForeignKey(Program, related_name="enrollments", on_delete=models.CASCADE)
    account = models.ForeignKey("accounts.Account", related_name="+", on_delete=models.CASCADE)
    stakeholder = models.ForeignKey("accounts.Stakeholder", related_name="+", on_delete=models.CASCADE)
    email = models.EmailField(_("email"))
    status = models.CharField(
        _("status"), max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    position = models.PositiveSmallIntegerField(_("next step"), default=1)
    next_action_at = models.DateTimeField(_("next action"), null=True, blank=True)
    exit_reason = models.CharField(_("reason"), max_length=32, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-enrolled_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["program", "stakeholder"], name="enrollment_once_per_program")]
        indexes = [
            models.Index(fields=["status", "next_action_at"], name="enrollment_due"),
            models.Index(fields=["program", "status"], name="enrollment_program"),
            # A batch of steps is found by its token (outreach.programs.runner).
            models.Index(fields=["claim_token"], name="enrollment_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.program_id} → {self.email}"


class StepRun(models.Model):
    """A step done for one enrolment: the history, and the claim row of "exactly once"."""

    enrollment = models.ForeignKey(Enrollment, related_name="runs", on_delete=models.CASCADE)
    step = models.ForeignKey(ProgramStep, related_name="runs", on_delete=models.CASCADE)
    outcome = models.CharField(_("outcome"), max_length=32)
    language = models.CharField(_("language"), max_length=16, blank=True)
    email_message = models.ForeignKey(
        "core.OutboundEmail", related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    task = models.ForeignKey("playbooks.Task", related_name="+", on_delete=models.SET_NULL, null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked"), null=True, blank=True)
    created_at = models.DateTimeField(_("done"), default=timezone.now)

    class Meta:
        verbose_name = _("program step run")
        verbose_name_plural = _("program step runs")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "step"], name="step_run_once")]

    def __str__(self) -> str:
        return f"{self.enrollment_id}/{self.step_id}: {self.outcome}"
