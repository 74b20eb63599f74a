"""The one-customer-one-file dossier (一客一档, domain.md §1) and its quality reviews."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.text_limits import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH, text_limit

from .account import Account


class SectionKey(models.TextChoices):
    COMPANY_OVERVIEW = "company_overview", _("Company overview")
    ORG_STRUCTURE = "org_structure", _("Organisation structure")
    PURCHASED_PRODUCTS = "purchased_products", _("Purchased products")
    PURCHASE_GOALS = "purchase_goals", _("Purchase goals: what success means to them")
    SALES_PROMISES = "sales_promises", _("Promises made by sales")
    KEY_PEOPLE = "key_people", _("Key people: demands and personality")
    WORK_GOALS = "work_goals", _("Their work goals")
    INTERNAL_POLITICS = "internal_politics", _("Internal politics")
    CUSTOMER_PROCESSES = "customer_processes", _("Customer processes: bidding, approval, payment, audit")
    MAJOR_EVENTS = "major_events", _("Major-event log")


# Sections whose substance lives in rows (the section row still keeps notes + version).
STRUCTURED_SECTIONS = {
    SectionKey.PURCHASED_PRODUCTS,
    SectionKey.SALES_PROMISES,
    SectionKey.CUSTOMER_PROCESSES,
    SectionKey.MAJOR_EVENTS,
}


class DossierSection(models.Model):
    """One section of an account's dossier: Markdown notes plus an edit version.

    ``version`` is the optimistic-concurrency token: a save names the version it was
    based on and fails if someone saved in between.
    """

    account = models.ForeignKey(Account, related_name="dossier_sections", on_delete=models.CASCADE)
    key = models.CharField(_("section"), max_length=32, choices=SectionKey.choices)
    content = models.TextField(_("notes"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dossier section")
        verbose_name_plural = _("dossier sections")
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="dossier_section_once")]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.key}"


class PurchasedProduct(models.Model):
    account = models.ForeignKey(Account, related_name="purchased_products", on_delete=models.CASCADE)
    product = models.CharField(_("product"), max_length=200)
    modules = models.CharField(_("modules"), max_length=300, blank=True)
    seats = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("purchased product")
        verbose_name_plural = _("purchased products")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.product


class PromiseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FULFILLED = "fulfilled", _("Fulfilled")
    BROKEN = "broken", _("Broken")


class SalesPromise(models.Model):
    """What sales promised; an unfulfilled one is a renewal risk (seed 004)."""

    account = models.ForeignKey(Account, related_name="sales_promises", on_delete=models.CASCADE)
    promise = models.CharField(_("promise"), max_length=500)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PromiseStatus.choices, default=PromiseStatus.OPEN)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sales promise")
        verbose_name_plural = _("sales promises")
        ordering = ["due_date", "pk"]

    def __str__(self) -> str:
        return self.promise


class ProcessKind(models.TextChoices):
    BIDDING = "bidding", _("Bidding")
    APPROVAL = "approval", _("Approval")
    PAYMENT = "payment", _("Payment")
    AUDIT = "audit", _("Audit")


class CustomerProcess(models.Model):
    account = models.ForeignKey(Account, related_name="customer_processes", on_delete=models.CASCADE)
    kind = models.CharField(_("process"), max_length=16, choices=ProcessKind.choices)
    notes = models.TextField(_("how it works"), blank=True, **text_limit(TEXT_MAX_LENGTH))
    typical_days = models.PositiveIntegerField(_("typical duration (days)"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer process")
        verbose_name_plural = _("customer processes")
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["account", "kind"], name="customer_process_once")]

    def __str__(self) -> str:
        return self.get_kind_display()


class MajorEvent(models.Model):
    account = models.ForeignKey(Account, related_name="major_events", on_delete=models.CASCADE)
    date = models.DateField(_("date"))
    title = models.CharField(_("event"), max_length=300)
    description = models.TextField(_("description"), blank=True, **text_limit(TEXT_MAX_LENGTH))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("major event")
        verbose_name_plural = _("major events")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return self.title


class Verdict(models.TextChoices):
    APPROVED = "approved", _("Approved")
    NEEDS_WORK = "needs_work", _("Needs work")


class DossierReview(models.Model):
    """A manager's quality review of a dossier (经理审阅档案质量)."""

    account = models.ForeignKey(Account, related_name="dossier_reviews", on_delete=models.CASCADE)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT)
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)
    comment = models.TextField(_("comment"), blank=True, **text_limit(NOTE_MAX_LENGTH))
    score_at_review = models.PositiveSmallIntegerField(_("completeness at review"), default=0)
    created_at = models.DateTimeField(_("reviewed"), auto_now_add=True)

    class Meta:
        verbose_name = _("dossier review")
        verbose_name_plural = _("dossier reviews")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.account} — {self.get_verdict_display()}"


class DossierReviewRating(models.Model):
    review = models.ForeignKey(DossierReview, related_name="ratings", on_delete=models.CASCADE)
    section = models.CharField(_("section"), max_length=32, choices=SectionKey.choices)
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), blank=True, **text_limit(NOTE_MAX_LENGTH))

    class Meta:
        verbose_name = _("section rating")
        verbose_name_plural = _("section ratings")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["review", "section"], name="review_rates_section_once")]

    def __str__(self) -> str:
        return f"{self.section}: {self.rating}"
