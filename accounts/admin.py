from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Account, ContactCadence


@admin.register(Account)
class AccountAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "external_id",
        "industry",
        "arr",
        "icp_fit",
        "owner",
        "status",
        "go_live_date",
        "updated_at",
    )
    list_filter = ("status", "icp_fit", "industry", "owner")
    search_fields = ("name", "external_id")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    date_hierarchy = "go_live_date"
    readonly_fields = ("created_at", "updated_at")


@admin.register(ContactCadence)
class ContactCadenceAdmin(admin.ModelAdmin):
    """Tier defaults (blank segment) and per-segment overrides of the contact cadence."""

    list_display = ("tier", "segment", "days", "updated_at")
    list_editable = ("days",)
    list_filter = ("tier", "segment")
    ordering = ("tier", "segment")
