"""A person's saved language applies from the moment they sign in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation

from .models import CsProfile


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
