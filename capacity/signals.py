from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation

from .models import CapacityPreset, CapacitySettings, CsProfile, SegmentRatio, Team
from .team_page import team_figures_invalidate


@receiver(user_logged_in)
def apply_profile_language(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """After login, show the UI in the person's saved language (the cookie follows)."""
    if request is None:
        return
    language = CsProfile.objects.filter(user=user).values_list("language", flat=True).first()
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language
        request.session["_hourglass_language"] = language


class ProfileLanguageCookieMiddleware:
    """Sets the language cookie once after login, from the profile (see receiver)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and "_hourglass_language" in session:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                session.pop("_hourglass_language"),
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
        return response


@receiver(post_save, sender=CapacitySettings)
@receiver(post_save, sender=CapacityPreset)
@receiver(post_save, sender=SegmentRatio)
@receiver(post_save, sender=CsProfile)
@receiver(post_save, sender=Team)
@receiver(post_delete, sender=CapacityPreset)
@receiver(post_delete, sender=SegmentRatio)
@receiver(post_delete, sender=CsProfile)
@receiver(post_delete, sender=Team)
def capacity_changed(sender: Any, **kwargs: Any) -> None:
    """Limits, presets or teams changed: cached team figures must recompute."""
    team_figures_invalidate()
