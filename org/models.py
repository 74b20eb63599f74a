"""People who log in: their customer-success role, team, specialisation and language."""

from __future__ import annotations

import simple_history
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .industries import Industry


class Role(models.TextChoices):
    CSM = "csm", _("CSM")
    MANAGER = "manager", _("CS manager")
    ADMIN = "admin", _("Admin")
    # Not CS roles, but people accounts are handed to: the sales rep who configures and
    # trains a small account, the implementation team of a large one (onboarding by ARR).
    SALES = "sales", _("Sales rep")
    IMPLEMENTATION = "implementation", _("Implementation")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        related_name="led_teams",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_industries(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Industries must be a list of industry codes."))
    unknown = sorted(set(value) - set(Industry.values))
    if unknown:
        raise ValidationError(_("Unknown industries: %(codes)s"), params={"codes": ", ".join(unknown)})


class CsProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="cs_profile",
        on_delete=models.CASCADE,
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CSM)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        related_name="members",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    industries = models.JSONField(
        _("industries"),
        default=list,
        blank=True,
        validators=[validate_industries],
        help_text=_("Industries this person specialises in."),
    )

    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("For emails and as the default UI language; empty means the site default."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer success profile")
        verbose_name_plural = _("customer success profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def get_industries_display(self) -> str:
        labels = dict(Industry.choices)
        return ", ".join(str(labels.get(code, code)) for code in self.industries)


class Invitation(models.Model):
    """The invitation of a person who has not set a password yet (one per person).

    Each send (the first and every re-send) stamps ``sent_at``; the link's token is bound
    to it (``org.invitations``), so a re-send makes the earlier links stop working.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), related_name="invitation", on_delete=models.CASCADE
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    sent_at = models.DateTimeField(_("sent"))
    sends = models.PositiveIntegerField(_("times sent"), default=1)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.user} ({self.sent_at:%Y-%m-%d})"


class UserSession(models.Model):
    """A signed-in session of a person, as the sessions page lists it.

    Written on login, deleted on logout or when ended; ``last_seen`` is refreshed at most
    once a minute by ``org.sessions.SessionActivityMiddleware``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), related_name="tracked_sessions", on_delete=models.CASCADE
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    user_agent = models.CharField(_("device"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("signed in"), auto_now_add=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-last_seen", "-pk"]
        indexes = [models.Index(fields=["user", "last_seen"])]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


# Changes to logins (name, email, active, staff) are kept like the profile's; not the
# password hash nor the last login (a row per sign-in would bury the changes).
simple_history.register(
    get_user_model(), app="org", excluded_fields=["password", "last_login"], table_name="org_historicaluser"
)

# The in-app settings area's row and change log (org.operations_settings reads them).
from .operations_models import OperationsSettings, SettingsChange, SettingsSection  # noqa: E402, F401
from .preference_models import ColumnPreference  # noqa: E402, F401
