from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    ArrMovement,
    ChurnReason,
    Contract,
    ContractAmendment,
    ExpansionOpportunity,
    RenewalOpportunity,
    RenewalReminder,
)


@admin.register(ChurnReason)
class ChurnReasonAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "translated", "active", "sort_order")
    list_editable = ("active", "sort_order")
    search_fields = ("code", "label")

    @admin.display(description=_("shown as"))
    def translated(self, reason: ChurnReason) -> str:
        return str(reason)


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    list_display = (
        "account",
        "start_date",
        "end_date",
        "arr",
        "currency",
        "auto_renew",
        "customer_reminders",
        "status",
    )
    list_filter = ("status", "auto_renew", "customer_reminders", "currency")
    search_fields = ("account__name", "account__external_id")
    list_select_related = ("account",)
    raw_id_fields = ("account", "previous")
    date_hierarchy = "end_date"


class ReminderInline(admin.TabularInline):
    model = RenewalReminder
    extra = 0
    can_delete = False
    fields = ("threshold_days", "audience", "days_left", "claimed_at", "queued_at", "email", "skipped_reason")
    readonly_fields = fields


@admin.register(RenewalOpportunity)
class RenewalOpportunityAdmin(SimpleHistoryAdmin):
    """Read and inspect; changes go through the renewal page so the rules and timeline apply."""

    list_display = ("account", "due_date", "status", "forecast_arr", "override_probability", "outcome_arr")
    list_filter = ("status", "churn_reason", ("override_probability", admin.EmptyFieldListFilter))
    search_fields = ("account__name", "account__external_id")
    list_select_related = ("account",)
    date_hierarchy = "due_date"
    readonly_fields = [f.name for f in RenewalOpportunity._meta.fields]
    inlines = [ReminderInline]


@admin.register(RenewalReminder)
class RenewalReminderAdmin(admin.ModelAdmin):
    """Every reminder claimed, when it was queued, and its email's delivery status."""

    list_display = (
        "renewal",
        "threshold_days",
        "audience",
        "days_left",
        "recipient",
        "recipient_email",
        "claimed_at",
        "queued_at",
        "email_status",
        "skipped_reason",
    )
    list_filter = ("audience", "threshold_days", "email__status")
    search_fields = ("renewal__account__name", "recipient__username")
    list_select_related = ("renewal__account", "recipient", "email")
    readonly_fields = [f.name for f in RenewalReminder._meta.fields]

    @admin.display(description=_("email status"), ordering="email__status")
    def email_status(self, reminder: RenewalReminder) -> str:
        return reminder.email.get_status_display() if reminder.email else "—"

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(ExpansionOpportunity)
class ExpansionOpportunityAdmin(SimpleHistoryAdmin):
    list_display = ("account", "title", "kind", "amount", "stage", "expected_close", "owner_role")
    list_filter = ("kind", "stage", "owner_role")
    search_fields = ("account__name", "title")
    list_select_related = ("account",)
    raw_id_fields = ("account", "created_by")
    readonly_fields = ("owner_role",)


@admin.register(ContractAmendment)
class ContractAmendmentAdmin(SimpleHistoryAdmin):
    """Read and inspect; amendments are recorded on the contract's page or through the API."""

    list_display = ("account", "contract", "effective_date", "kind", "arr_delta", "expansion", "created_by")
    list_filter = ("kind",)
    search_fields = ("account__name", "account__external_id", "reason")
    list_select_related = ("account", "contract", "expansion", "created_by")
    readonly_fields = [f.name for f in ContractAmendment._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(ArrMovement)
class ArrMovementAdmin(admin.ModelAdmin):
    """The ledger is rebuilt from contracts and amendments: read only."""

    list_display = ("account", "month", "kind", "amount", "arr_before", "arr_after")
    list_filter = ("kind", "month")
    search_fields = ("account__name", "account__external_id")
    list_select_related = ("account",)
    readonly_fields = [f.name for f in ArrMovement._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
