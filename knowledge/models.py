"""Best-practice cases, product feedback and feature-adoption campaigns (domain.md §7).

Seed 003, pitfall 6: a case from a 1,000-person group is useless to a 50-person firm,
so every case carries the customer's industry, company size and ARR band and the four
success conditions. Pitfall 3: CSMs must own the product feedback they raise (each
request carries its ROI) and close the loop on the features that ship (campaigns).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.models import Account, Industry
from accounts.segments import Segment
from core.text_limits import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH, text_limit
from playbooks.models import Task


class SizeBand(models.TextChoices):
    # Ordered smallest first: the matching compares positions in this list.
    MICRO = "1_50", _("1–50 employees")
    SMALL = "51_200", _("51–200 employees")
    MEDIUM = "201_1000", _("201–1,000 employees")
    LARGE = "1001_5000", _("1,001–5,000 employees")
    GROUP = "5000_plus", _("More than 5,000 employees")


SIZE_ORDER: list[str] = list(SizeBand.values)
# ARR bands are the deployment's segments, smallest first.
ARR_ORDER: list[str] = [Segment.TECH_TOUCH, Segment.SMB, Segment.MID_MARKET, Segment.ENTERPRISE]


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# What the author of a case writes (form, API and services share the list).
CASE_CONTENT_FIELDS = (
    "title",
    "industry",
    "size_band",
    "arr_band",
    "products",
    "problem",
    "approach",
    "result",
    "policy_support",
    "resources",
    "org_capability",
    "business_volume",
)


class Case(models.Model):
    """A best practice, written by a CSM and approved by a manager before others see it."""

    title = models.CharField(_("title"), max_length=200)
    industry = models.CharField(_("customer industry"), max_length=32, choices=Industry.choices)
    size_band = models.CharField(_("company size"), max_length=16, choices=SizeBand.choices)
    arr_band = models.CharField(_("ARR band"), max_length=16, choices=Segment.choices)
    products = models.JSONField(_("products used"), default=list, blank=True)
    problem = models.TextField(_("the problem"), **text_limit(TEXT_MAX_LENGTH))
    approach = models.TextField(_("what was done"), **text_limit(TEXT_MAX_LENGTH))
    result = models.TextField(_("measured result"), **text_limit(TEXT_MAX_LENGTH))
    policy_support = models.TextField(_("policy support"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    resources = models.TextField(_("resources integrated"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    org_capability = models.TextField(_("organisational capability"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    business_volume = models.TextField(_("business volume"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    source_account = models.ForeignKey(
        Account,
        verbose_name=_("customer account"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), related_name="+", on_delete=models.SET_NULL, null=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True, **text_limit(NOTE_MAX_LENGTH))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("best-practice case")
        verbose_name_plural = _("best-practice cases")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["status", "industry"])]

    def __str__(self) -> str:
        return self.title

    @property
    def products_display(self) -> str:
        return ", ".join(self.products or [])


class CaseShare(models.Model):
    """A case shown to a customer; the touchpoint it logged is on the account timeline."""

    case = models.ForeignKey(Case, related_name="shares", on_delete=models.CASCADE)
    account = models.ForeignKey(Account, related_name="+", on_delete=models.CASCADE)
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True)
    shared_at = models.DateTimeField(_("shared"), auto_now_add=True)

    class Meta:
        verbose_name = _("case shared with a customer")
        verbose_name_plural = _("cases shared with customers")
        ordering = ["-shared_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.account_id}"


class CompanySize(models.Model):
    """The customer's company size, which the account itself does not record."""

    account = models.OneToOneField(Account, related_name="company_size", on_delete=models.CASCADE)
    size_band = models.CharField(_("company size"), max_length=16, choices=SizeBand.choices)

    class Meta:
        verbose_name = _("company size")
        verbose_name_plural = _("company sizes")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.size_band}"


# --- Product feedback --------------------------------------------------------------


class Urgency(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    CRITICAL = 4, _("Critical")


class FeedbackStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    SHIPPED = "shipped", _("Shipped")
    DECLINED = "declined", _("Declined")


class FeedbackRequest(models.Model):
    """One product request; every account that asked for it is a ``FeedbackLink``."""

    title = models.CharField(_("title"), max_length=200)
    problem = models.TextField(_("problem"), **text_limit(TEXT_MAX_LENGTH))
    status = models.CharField(_("status"), max_length=16, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        related_name="merged",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), related_name="+", on_delete=models.SET_NULL, null=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("product feedback request")
        verbose_name_plural = _("product feedback requests")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.title


class FeedbackLink(models.Model):
    """One account asking for a request, with its CSM's case for it (seed 003: ROI)."""

    request = models.ForeignKey(
        FeedbackRequest, verbose_name=_("product feedback request"), related_name="links", on_delete=models.CASCADE
    )
    account = models.ForeignKey(
        Account, verbose_name=_("customer account"), related_name="feedback_links", on_delete=models.CASCADE
    )
    business_scenario = models.TextField(_("business scenario"), **text_limit(TEXT_MAX_LENGTH))
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM)
    roi_estimate = models.DecimalField(
        _("ROI estimate"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Revenue a year this would keep or win (renewal saved, expansion), in the deployment's currency."),
    )
    alternatives = models.TextField(_("alternatives considered"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("raised by"), related_name="+", on_delete=models.SET_NULL, null=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("account linked to a request")
        verbose_name_plural = _("accounts linked to requests")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["request", "account"], name="feedback_link_once")]

    def __str__(self) -> str:
        return f"{self.request_id} ← {self.account_id}"


class FeedbackStatusChange(models.Model):
    """Audit row per status change; its id keys the notifications it sent."""

    request = models.ForeignKey(FeedbackRequest, related_name="status_changes", on_delete=models.CASCADE)
    old_status = models.CharField(_("from"), max_length=16, choices=FeedbackStatus.choices)
    new_status = models.CharField(_("to"), max_length=16, choices=FeedbackStatus.choices)
    note = models.TextField(_("note"), blank=True, **text_limit(NOTE_MAX_LENGTH))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback status change")
        verbose_name_plural = _("feedback status changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.old_status} → {self.new_status}"


# --- Feature-adoption campaigns ------------------------------------------------------


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", pgettext_lazy("status", "Closed")


# The rollout task's checklist, in funnel order (informed, trained, first use).
ROLLOUT_CHECKLIST = ["Value explained", "Training done", "First use confirmed"]


class Campaign(models.Model):
    """Rolling a shipped feature out to the accounts that should use it (seed 003's closed loop)."""

    name = models.CharField(_("name"), max_length=200)
    feature = models.CharField(_("feature"), max_length=200)
    value = models.TextField(_("value to explain"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    event_names = models.JSONField(
        _("usage event names"),
        default=list,
        help_text=_("Usage events that mean the feature is used, e.g. opportunity_created."),
    )
    feedback_request = models.ForeignKey(
        FeedbackRequest,
        verbose_name=_("from feedback request"),
        related_name="campaigns",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    segments = models.JSONField(_("segments"), default=list, blank=True)
    industries = models.JSONField(_("industries"), default=list, blank=True)
    products = models.JSONField(_("products"), default=list, blank=True)
    stall_days = models.PositiveSmallIntegerField(
        _("stalled after (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("An account not using the feature this long after launch gets a follow-up task."),
    )
    status = models.CharField(_("status"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    launched_at = models.DateTimeField(_("launched"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), related_name="+", on_delete=models.SET_NULL, null=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("adoption campaign")
        verbose_name_plural = _("adoption campaigns")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class CampaignAccount(models.Model):
    """A targeted account: its rollout task and, once stalled, its follow-up task."""

    campaign = models.ForeignKey(Campaign, related_name="targets", on_delete=models.CASCADE)
    account = models.ForeignKey(Account, verbose_name=_("customer account"), related_name="+", on_delete=models.CASCADE)
    task = models.ForeignKey(
        Task, verbose_name=_("rollout task"), related_name="+", on_delete=models.SET_NULL, null=True
    )
    stall_task = models.ForeignKey(
        Task, verbose_name=_("stalled follow-up"), related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    targeted_at = models.DateTimeField(_("targeted"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign account")
        verbose_name_plural = _("campaign accounts")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "account"], name="campaign_account_once")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.account_id}"
