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

from core.models import ChoiceLabels


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
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    question_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    subject_zh_hans = models.CharField(_("subject (Chinese)"), max_length=200, blank=True)
    intro_zh_hans = models.TextField(_("introduction (Chinese)"), blank=True)
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
    comment = models.TextField(_("comment"), blank=True, max_length=4000)
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
