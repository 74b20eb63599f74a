"""My day's alerts (something may be going wrong on an account) apart from FYIs
(something happened, nothing to do): the user's unread notifications split by kind in
one query, and the open risk flags raised lately on the accounts in scope in another."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber

from accounts.models import Account, RiskFlag
from core.models import Notification
from core.notifications import notifications_for
from core.types import AnyUser

# Notifications that ask for a look at an account (or the system); every other kind is
# an FYI ("case approved", "feedback planned", "dossier reviewed" …).
ALERT_KINDS = (
    "activity_drop",
    "renewal_reminder",
    "renewal_at_risk",
    "renewal_lapsed",
    "stakeholder_left",
    "nps_detractor",
    "detractor",
    "silence",
    "webhook_disabled",
)
ALERT_PREFIXES = ("monitoring.",)
RISK_FLAG_DAYS = 14


def alert_q() -> Q:
    condition = Q(kind__in=ALERT_KINDS)
    for prefix in ALERT_PREFIXES:
        condition |= Q(kind__startswith=prefix)
    return condition


@dataclass
class Inbox:
    alerts: list[Notification] = field(default_factory=list)
    fyis: list[Notification] = field(default_factory=list)
    alerts_total: int = 0
    fyis_total: int = 0
    risk_flags: list[RiskFlag] = field(default_factory=list)
    risk_flags_total: int = 0

    @property
    def alerts_count(self) -> int:
        """The card's count: unread alerts and open recent risk flags, both of which it lists."""
        return self.alerts_total + self.risk_flags_total


def inbox(*, user: AnyUser, accounts: QuerySet[Account], today: date, limit: int) -> Inbox:
    """Two queries: the unread notifications (at most ``limit`` alerts and ``limit`` FYIs,
    with both totals) and the open risk flags raised in the last two weeks."""
    is_alert = Case(When(alert_q(), then=Value(True)), default=Value(False), output_field=BooleanField())
    notes = list(
        notifications_for(user=user, unread_only=True)
        .annotate(is_alert=is_alert)
        .annotate(
            p_rank=Window(RowNumber(), partition_by=[F("is_alert")], order_by=[F("created_at").desc(), F("pk").desc()]),
            p_count=Window(Count("pk"), partition_by=[F("is_alert")]),
        )
        .filter(p_rank__lte=limit)
        .order_by("-created_at", "-pk")
    )
    box = Inbox()
    for note in notes:
        if note.is_alert:
            box.alerts.append(note)
            box.alerts_total = note.p_count
        else:
            box.fyis.append(note)
            box.fyis_total = note.p_count
    since = today - timedelta(days=RISK_FLAG_DAYS)
    box.risk_flags = list(
        RiskFlag.objects.filter(account__in=accounts.values("pk"), resolved_at=None, raised_at__date__gte=since)
        .select_related("account")
        .annotate(p_count=Window(Count("pk")))
        .order_by("-raised_at", "-pk")[:limit]
    )
    box.risk_flags_total = box.risk_flags[0].p_count if box.risk_flags else 0  # type: ignore[attr-defined]
    return box
