from __future__ import annotations

from django.contrib import admin

from .models import (
    ActivityAlert,
    DailyFeatureRollup,
    DailyRollup,
    HealthMeasure,
    HealthModel,
    HealthScore,
    NpsResponse,
    UsageEvent,
)


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


class HealthMeasureInline(admin.TabularInline):
    model = HealthMeasure
    extra = 0


@admin.register(HealthModel)
class HealthModelAdmin(admin.ModelAdmin):
    """Admins configure health models here: one per segment, the one without a segment
    being the default; measures with weights and green/red thresholds inline."""

    list_display = ("name", "segment", "green_at", "red_below", "updated_at")
    inlines = [HealthMeasureInline]


@admin.register(HealthScore)
class HealthScoreAdmin(admin.ModelAdmin):
    list_display = ("day", "account", "score", "colour", "previous_score", "model", "computed_at")
    list_filter = ("day", "colour")
    search_fields = ("account__name", "account__external_id")
    list_select_related = ("account", "model")
    raw_id_fields = ("account",)
    date_hierarchy = "day"
    # Computed by the scoring job; recompute rather than edit.
    readonly_fields = (
        "account",
        "day",
        "model",
        "score",
        "colour",
        "measures",
        "changes",
        "previous_score",
        "computed_at",
    )


@admin.register(ActivityAlert)
class ActivityAlertAdmin(admin.ModelAdmin):
    list_display = ("detected_on", "account", "current_events", "baseline_events", "drop_share", "status")
    list_filter = ("status", "detected_on")
    search_fields = ("account__name", "account__external_id")
    list_select_related = ("account",)
    raw_id_fields = ("account", "acknowledged_by", "resolved_by")
    readonly_fields = ("episode_key", "scan_token", "created_at")


@admin.register(NpsResponse)
class NpsResponseAdmin(admin.ModelAdmin):
    list_display = ("responded_on", "account", "score", "stakeholder", "external_id")
    list_filter = ("responded_on",)
    search_fields = ("account__name", "account__external_id", "external_id", "comment")
    list_select_related = ("account", "stakeholder")
    raw_id_fields = ("account", "stakeholder", "created_by")
