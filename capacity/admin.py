from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import ActivityType, CapacityPreset, CapacitySettings, SegmentRatio, TimeEntry

# --- Capacity configuration (admins edit presets, ratios, activity types, settings) ---


@admin.register(CapacityPreset)
class CapacityPresetAdmin(admin.ModelAdmin):
    list_display = ("name", "arr_per_csm_min", "arr_per_csm_max", "hard_cap", "currency", "kind", "is_active")
    list_filter = ("kind", "currency", "is_active")
    readonly_fields = ("is_active",)
    actions = ["make_active"]

    @admin.action(description=_("Use the selected preset (exactly one)"))
    def make_active(self, request: HttpRequest, queryset: QuerySet[CapacityPreset]) -> None:
        from .services import preset_activate

        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one preset."), level=messages.ERROR)
            return
        preset_activate(preset=queryset.get(), actor=request.user)
        self.message_user(request, _("Preset activated."))


@admin.register(SegmentRatio)
class SegmentRatioAdmin(admin.ModelAdmin):
    list_display = (
        "segment",
        "accounts_per_csm_min",
        "accounts_per_csm_max",
        "contacts_per_day_min",
        "contacts_per_day_max",
    )


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active", "sort_order")
    list_editable = ("is_active", "sort_order")


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ("date", "user", "activity_type", "account", "minutes")
    list_filter = ("activity_type", "date")
    list_select_related = ("user", "activity_type", "account")
    raw_id_fields = ("user", "account")
    date_hierarchy = "date"


@admin.register(CapacitySettings)
class CapacitySettingsAdmin(admin.ModelAdmin):
    """The single settings row: no adding a second one, no deleting it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not CapacitySettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
