"""Django admin for people: users with their profile inline, teams."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import CsProfile, Team

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

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        """Unticking "active" here deactivates as the people page does (accounts unassigned,
        the manager's task, token revoked, sessions ended), or refuses with the reason."""
        if change and "is_active" in form.changed_data and not obj.is_active:
            from django.contrib import messages
            from django.core.exceptions import ValidationError
            from django.http import Http404

            from .people import person_deactivate

            try:
                person_deactivate(actor=request.user, person=obj)
            except (ValidationError, Http404) as error:
                obj.is_active = True
                reason = error.messages if isinstance(error, ValidationError) else [str(_("Not a person you manage."))]
                messages.error(request, " ".join(reason))
        super().save_model(request, obj, form, change)

    @admin.display(description=_("role"), ordering="cs_profile__role")
    def role(self, user: object) -> str:
        profile = getattr(user, "cs_profile", None)
        return profile.get_role_display() if profile else "—"
