from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Account


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
