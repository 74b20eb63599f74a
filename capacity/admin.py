from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import ActivityType, CapacityPreset, CapacitySettings, CsProfile, SegmentRatio, Team, TimeEntry

User = get_user_model()


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ("name", "lead")
    search_fields = ("name",)
    list_select_related = ("lead",)


@admin.register(CsProfile)
class CsProfileAdmin(SimpleHistoryAdmin):
    list_display = ("user", "role", "team", "industries")
    list_filter = ("role", "team")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    list_select_related = ("user", "team")
    autocomplete_fields = ("user",)


class CsProfileInline(admin.StackedInline):
    model = CsProfile
    can_delete = False
    fk_name = "user"


admin.site.unregister(User)


@admin.register(User)
class HourglassUserAdmin(UserAdmin):
    inlines = [CsProfileInline]
    list_display = ("username", "first_name", "last_name", "email", "role", "is_active", "is_staff")
    list_select_related = ("cs_profile",)
    list_filter = ("cs_profile__role", "is_active", "is_staff", "is_superuser")

    @admin.display(description=_("role"), ordering="cs_profile__role")
    def role(self, user: object) -> str:
        profile = getattr(user, "cs_profile", None)
        return profile.get_role_display() if profile else "—"


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
