from __future__ import annotations

from django.contrib import admin

from .models import DailyFeatureRollup, DailyRollup, UsageEvent


@admin.register(UsageEvent)
class UsageEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "account", "event_name", "customer_user_id", "quantity", "event_id", "received_at")
    list_filter = ("occurred_at", "received_at")
    search_fields = ("event_id", "event_name", "customer_user_id", "account__name", "account__external_id")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    date_hierarchy = "occurred_at"
    # Events are facts reported by the product; edit them there and re-send, not here.
    readonly_fields = ("received_at",)
    # Counting a big (partitioned) table for the paginator is slow and pointless here.
    show_full_result_count = False


@admin.register(DailyRollup)
class DailyRollupAdmin(admin.ModelAdmin):
    list_display = ("day", "account", "events", "active_users", "quantity", "computed_at")
    list_filter = ("day",)
    search_fields = ("account__name", "account__external_id")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    date_hierarchy = "day"
    readonly_fields = ("computed_at",)


@admin.register(DailyFeatureRollup)
class DailyFeatureRollupAdmin(admin.ModelAdmin):
    list_display = ("day", "account", "event_name", "events", "users", "computed_at")
    list_filter = ("day", "event_name")
    search_fields = ("account__name", "account__external_id", "event_name")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    date_hierarchy = "day"
    readonly_fields = ("computed_at",)
