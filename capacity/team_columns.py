"""Per-CSM columns of the manager's team page: outcomes and process quality.

Every column is one set-based query over the CSMs shown, whatever their number.
A column appears only when some CSM has a figure in it. The team page
(``workspace.team_page``) puts these columns together with the other apps' ones.

Definitions (domain.md §4–5, seed 003):
- logo / revenue renewal rate: the renewals KPI of the last four full quarters, per owner;
- initial activation rate: accounts live for 30–365 days that had usage in their first
  30 days after go-live, over those accounts;
- active rate: book accounts with usage in the last 30 days, over the book;
- expansion amount: won expansion opportunities in the last 12 months;
- NPS: promoters minus detractors over the last ``HOURGLASS_HEALTH_NPS_DAYS`` days;
- process quality — dossier: average dossier completeness; application depth: distinct
  product features used per account in the last 30 days; executive engagement: share
  of the book with an executive (tier S) contact not overdue; expansion mining:
  expansion opportunities opened in the last 12 months per account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import CharField, Count, F, Q, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from accounts.access import AnyUser
from accounts.cadence import overdue_stakeholders
from accounts.models import Account, AccountStatus, Stakeholder, Tier
from accounts.reviews import OwnerQuality
from health.models import DailyFeatureRollup, DailyRollup, NpsResponse
from health.nps import nps_summary
from renewals.kpis import default_period, retention_kpis
from renewals.models import ExpansionOpportunity, ExpansionStage

ACTIVE_DAYS = 30
ACTIVATION_DAYS = 30
YEAR = 365


@dataclass(frozen=True)
class TeamColumn:
    key: str
    label: str
    values: Mapping[int, Any]  # user id -> figure; missing or None = no data
    kind: str = "number"  # "percent" (a share 0–1), "money", "count", "number"
    group: str = "outcome"  # "outcome" or "process" (seed 003's four dimensions)

    @property
    def present(self) -> bool:
        return any(value is not None for value in self.values.values())


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.001")) if whole else None


def _book(user_ids: Sequence[int]) -> Any:
    return Account.objects.filter(owner_id__in=user_ids).exclude(status=AccountStatus.CHURNED).order_by()


def renewal_columns(*, user: AnyUser, user_ids: Sequence[int], today: date) -> list[TeamColumn]:
    start, end = default_period(today)
    rows = {row.key: row for row in retention_kpis(user=user, start=start, end=end, group_by="csm").rows}
    logo, revenue = {}, {}
    for pk in user_ids:
        row = rows.get(str(pk))
        if row is not None and row.closed:
            logo[pk] = row.logo_renewal_rate
            revenue[pk] = row.revenue_renewal_rate_pure
    return [
        TeamColumn("logo_renewal", _("Logo renewal rate"), logo, "percent"),
        TeamColumn("revenue_renewal", _("Revenue renewal rate"), revenue, "percent"),
    ]


def usage_columns(*, user_ids: Sequence[int], today: date) -> list[TeamColumn]:
    # Counted from the rollups' side (a range scan on the day index, then a join),
    # not one EXISTS probe per account: 3 grouped queries for any book size.
    book = _book(user_ids)
    launched = Q(
        go_live_date__lte=today - timedelta(days=ACTIVATION_DAYS), go_live_date__gt=today - timedelta(days=YEAR)
    )
    sizes = {
        row["owner_id"]: (row["n"], row["launched"])
        for row in book.values("owner_id").annotate(n=Count("pk"), launched=Count("pk", filter=launched))
    }
    usage = DailyRollup.objects.filter(
        account__owner_id__in=user_ids,
        events__gt=0,
        account__status__in=[*set(AccountStatus.values) - {AccountStatus.CHURNED}],
    ).order_by()
    recent = {
        row["account__owner_id"]: row["n"]
        for row in usage.filter(day__gt=today - timedelta(days=ACTIVE_DAYS), day__lte=today)
        .values("account__owner_id")
        .annotate(n=Count("account_id", distinct=True))
    }
    early = {
        row["account__owner_id"]: row["n"]
        for row in usage.filter(
            account__go_live_date__lte=today - timedelta(days=ACTIVATION_DAYS),
            account__go_live_date__gt=today - timedelta(days=YEAR),
            day__gte=F("account__go_live_date"),
            day__lt=F("account__go_live_date") + timedelta(days=ACTIVATION_DAYS),
        )
        .values("account__owner_id")
        .annotate(n=Count("account_id", distinct=True))
    }
    has_usage = bool(recent) or bool(early) or usage.exists()
    active: dict[int, Any] = {}
    activation: dict[int, Any] = {}
    if has_usage:
        for owner, (n, n_launched) in sizes.items():
            active[owner] = _share(recent.get(owner, 0), n)
            activation[owner] = _share(early.get(owner, 0), n_launched)
    return [
        TeamColumn("activation", _("Initial activation rate"), activation, "percent"),
        TeamColumn("active", _("Active rate"), active, "percent"),
    ]


def expansion_and_nps_columns(*, user_ids: Sequence[int], today: date) -> list[TeamColumn]:
    since = today - timedelta(days=YEAR)
    won = {
        row["account__owner_id"]: row["total"]
        for row in ExpansionOpportunity.objects.filter(
            account__owner_id__in=user_ids, stage=ExpansionStage.WON, updated_at__date__gt=since
        )
        .order_by()
        .values("account__owner_id")
        .annotate(total=Sum("amount"))
    }
    nps_since = today - timedelta(days=settings.HOURGLASS_HEALTH_NPS_DAYS)
    # health.nps owns the formula: one grouped query, None where nobody answered.
    nps: dict[int, Any] = {
        figure.key: None if figure.nps is None else round(figure.nps)
        for figure in nps_summary(
            NpsResponse.objects.filter(account__owner_id__in=user_ids),
            group_by="owner",
            start=nps_since + timedelta(days=1),
            end=today,
        )
    }
    return [
        TeamColumn("expansion", _("Expansion amount"), won, "money"),
        TeamColumn("nps", _("NPS"), nps, "number"),
    ]


def overdue_contacts_column(*, user_ids: Sequence[int], today: date) -> list[TeamColumn]:
    people = Stakeholder.objects.filter(account__owner_id__in=user_ids).exclude(account__status=AccountStatus.CHURNED)
    counts = {
        row["account__owner_id"]: row["n"]
        for row in overdue_stakeholders(stakeholders=people, today=today)
        .order_by()
        .values("account__owner_id")
        .annotate(n=Count("pk"))
    }
    has_people = people.exists()
    values = {pk: counts.get(pk, 0) for pk in user_ids} if has_people else {}
    return [TeamColumn("overdue_contacts", _("Overdue contacts"), values, "count")]


def process_quality_columns(
    *, user_ids: Sequence[int], today: date, quality: Mapping[int, OwnerQuality]
) -> list[TeamColumn]:
    """Seed 003's four dimensions of how well a CSM works their book."""
    book = {row["owner_id"]: row["n"] for row in _book(user_ids).values("owner_id").annotate(n=Count("pk"))}
    dossier = {pk: Decimal(str(q.average_completeness)) for pk, q in quality.items() if pk in book}

    since = today - timedelta(days=ACTIVE_DAYS)
    pair = Concat(Cast("account_id", CharField()), Value(":"), F("event_name"), output_field=CharField())
    features = {
        row["account__owner_id"]: row["pairs"]
        for row in DailyFeatureRollup.objects.filter(account__owner_id__in=user_ids, day__gt=since, day__lte=today)
        .exclude(account__status=AccountStatus.CHURNED)
        .order_by()
        .values("account__owner_id")
        .annotate(pairs=Count(pair, distinct=True))
    }
    depth = {pk: (Decimal(n) / book[pk]).quantize(Decimal("0.1")) for pk, n in features.items() if book.get(pk)}

    executives = Stakeholder.objects.filter(account__owner_id__in=user_ids, tier=Tier.S, is_active=True).exclude(
        account__status=AccountStatus.CHURNED
    )
    overdue_ids = overdue_stakeholders(stakeholders=executives, today=today).values("pk")
    engaged = {
        row["account__owner_id"]: row["n"]
        for row in executives.exclude(pk__in=overdue_ids)
        .order_by()
        .values("account__owner_id")
        .annotate(n=Count("account_id", distinct=True))
    }
    has_executives = executives.exists()
    executive = {pk: _share(engaged.get(pk, 0), n) for pk, n in book.items()} if has_executives else {}

    opened = {
        row["account__owner_id"]: row["n"]
        for row in ExpansionOpportunity.objects.filter(
            account__owner_id__in=user_ids, created_at__date__gt=today - timedelta(days=YEAR)
        )
        .order_by()
        .values("account__owner_id")
        .annotate(n=Count("pk"))
    }
    mining = (
        {pk: (Decimal(opened.get(pk, 0)) / n).quantize(Decimal("0.01")) for pk, n in book.items()} if opened else {}
    )
    return [
        TeamColumn("q_dossier", _("Dossier"), dossier, "number", "process"),
        TeamColumn("q_depth", _("Application depth"), depth, "number", "process"),
        TeamColumn("q_executive", _("Executive engagement"), executive, "percent", "process"),
        TeamColumn("q_expansion", _("Expansion mining"), mining, "number", "process"),
    ]
