"""Signals ``org`` publishes, and its own receivers.

``person_deactivated``: sent inside the deactivation's transaction (``org.people.person_deactivate``),
  so a receiver that fails rolls the deactivation back: a deactivated person never keeps
  accounts. kwargs: ``person`` (the user, now inactive), ``actor`` (who deactivated them).
  Received by ``accounts.departures.on_person_deactivated`` (their accounts become unassigned),
  which sends ``accounts.signals.person_accounts_released`` (playbooks: the manager's task).

A person's saved language applies from the moment they sign in (``apply_profile_language``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import Signal, receiver
from django.http import HttpRequest
from django.utils import translation

from .models import CsProfile

person_deactivated = Signal()


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


def _only_last_login(update_fields: Any) -> bool:
    return update_fields is not None and set(update_fields) == {"last_login"}


def skip_history_of_sign_ins(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """A sign-in saves only ``last_login``: no history row for it (the login audit has them)."""
    if _only_last_login(update_fields):
        instance.skip_history_when_saving = True


def end_skip_history_of_sign_ins(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if _only_last_login(update_fields) and hasattr(instance, "skip_history_when_saving"):
        del instance.skip_history_when_saving


pre_save.connect(skip_history_of_sign_ins, sender=get_user_model(), dispatch_uid="org.user_history.skip_sign_in")
post_save.connect(end_skip_history_of_sign_ins, sender=get_user_model(), dispatch_uid="org.user_history.end_skip")
