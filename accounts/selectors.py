"""Reads of customer accounts, always scoped to what the acting user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from .access import AnyUser, assignable_owners_q, visible_accounts_q
from .cadence import contact_status, overdue_stakeholders, tier_cadence, with_contact_status
from .models import Account, RiskFlag, Stakeholder, Tier, TimelineEntry
from .querysets import AccountQuerySet
from .segments import Segment, segment_case


def account_scope(*, user: AnyUser) -> AccountQuerySet:
    """Every account ``user`` may see and edit, nothing else."""
    condition = visible_accounts_q(user)
    accounts = Account.objects.all()
    return accounts if condition is None else accounts.filter(condition)


def get_account_for_user(user: AnyUser, pk: int | str) -> Account:
    """One account, or 404 when it does not exist *or* lies outside the user's scope.

    A 404 (not 403) for other people's accounts does not reveal that they exist.
    """
    try:
        return account_scope(user=user).select_related("owner").with_segment().get(pk=pk)
    except (Account.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such account.") from exc


def assignable_owners(*, user: AnyUser) -> QuerySet:
    """Users that ``user`` may set as an account's owner CSM."""
    condition = assignable_owners_q(user)
    users = get_user_model().objects.filter(is_active=True).order_by("first_name", "username")
    return users if condition is None else users.filter(condition)


@dataclass(frozen=True)
class SegmentSlice:
    segment: str
    label: str
    accounts: int
    arr: Decimal


@dataclass(frozen=True)
class BookSummary:
    accounts: int
    arr: Decimal
    by_segment: list[SegmentSlice]
    by_status: dict[str, int]
    recent_go_lives: list[Account]
    recently_updated: list[Account]


def book_summary(*, user: AnyUser, today: date | None = None) -> BookSummary:
    """The user's book of business in a handful of aggregate queries."""
    today = today or timezone.localdate()
    scope = account_scope(user=user)
    totals = scope.aggregate(accounts=Count("pk"), arr=Coalesce(Sum("arr"), Decimal("0")))
    segment_rows = {
        row["segment_key"]: row
        for row in scope.order_by()
        .values(segment_key=segment_case("arr"))
        .annotate(accounts=Count("pk"), arr_total=Coalesce(Sum("arr"), Decimal("0")))
    }
    by_segment = [
        SegmentSlice(
            segment=value,
            label=str(label),
            accounts=segment_rows.get(value, {}).get("accounts", 0),
            arr=segment_rows.get(value, {}).get("arr_total", Decimal("0")),
        )
        for value, label in Segment.choices
    ]
    by_status = {row["status"]: row["n"] for row in scope.order_by().values("status").annotate(n=Count("pk"))}
    window = timedelta(days=30)
    recent_go_lives = list(
        scope.select_related("owner")
        .filter(go_live_date__gte=today - window, go_live_date__lte=today + window)
        .order_by("go_live_date", "pk")[:10]
    )
    recently_updated = list(scope.select_related("owner").order_by("-updated_at", "-pk")[:10])
    return BookSummary(
        accounts=totals["accounts"],
        arr=totals["arr"],
        by_segment=by_segment,
        by_status=by_status,
        recent_go_lives=recent_go_lives,
        recently_updated=recently_updated,
    )


def stakeholders_for_account(*, account: Account) -> QuerySet[Stakeholder]:
    """An account's stakeholders with their last contact (latest touchpoint), one query."""
    return (
        Stakeholder.objects.filter(account=account)
        .select_related("reports_to")
        .annotate(last_contact=Max("touchpoints__occurred_at", filter=Q(touchpoints__is_touchpoint=True)))
        .order_by("-is_active", "tier", "key_level", "name", "pk")
    )


@dataclass(frozen=True)
class StakeholderRow:
    stakeholder: Stakeholder
    last_contact: date | None
    next_due: date | None
    overdue: bool
    cadence_days: int = 0
    days_overdue: int | None = None


def contact_cadence_days(*, segment: str = "") -> dict[str, int]:
    """``{tier: days}``: the admin-edited cadence, for one segment (blank: the defaults)."""
    return tier_cadence(segment=segment)


def stakeholder_rows(*, account: Account, today: date | None = None) -> dict[str, list[StakeholderRow]]:
    """Active stakeholders grouped by tier (S, A, B) with their contact cadence status.

    The cadence is the account segment's override, else the tier default (one query).
    """
    today = today or timezone.localdate()
    grouped: dict[str, list[StakeholderRow]] = {tier: [] for tier in Tier.values}
    people = with_contact_status(
        Stakeholder.objects.filter(account=account, is_active=True)
        .select_related("reports_to")
        .order_by("tier", "key_level", "name", "pk")
    )
    for person in people:
        status = contact_status(person, today)
        grouped[person.tier].append(
            StakeholderRow(
                person, status.last_contact, status.next_due, status.overdue, status.cadence_days, status.days_overdue
            )
        )
    return grouped


OVERDUE_ORDERINGS = ("most", "least")


def overdue_contacts_for_user(
    *,
    user: AnyUser,
    today: date | None = None,
    tier: str = "",
    owner_id: int | None = None,
    segment: str = "",
    order: str = "most",
    group_by_owner: bool = False,
) -> QuerySet[Stakeholder]:
    """The overdue-contacts list: active stakeholders past their cadence in ``user``'s scope.

    A CSM's scope is their own accounts, a manager's their team's, an admin's all.
    Rows carry ``last_contact``, ``cadence_days`` and ``next_due_at``; the most overdue
    first (never contacted before anyone), optionally grouped by the owning CSM.
    """
    today = today or timezone.localdate()
    accounts = account_scope(user=user)
    if segment:
        accounts = accounts.in_segments([segment])
    if owner_id:
        accounts = accounts.filter(owner_id=owner_id)
    people = Stakeholder.objects.filter(account__in=accounts.values("pk"), is_active=True)
    if tier:
        people = people.filter(tier=tier)
    due = F("next_due_at").asc(nulls_first=True) if order != "least" else F("next_due_at").desc(nulls_last=True)
    ordering: list[Any] = [due, "pk"]
    if group_by_owner:
        ordering = [
            F("account__owner__first_name").asc(nulls_last=True),
            F("account__owner__username").asc(nulls_last=True),
            "account__owner_id",
            *ordering,
        ]
    return (
        overdue_stakeholders(stakeholders=people, today=today)
        .select_related("account", "account__owner")
        .order_by(*ordering)
    )


def timeline_for_account(
    *, account: Account, kinds: list[str] | None = None, touchpoints_only: bool = False
) -> QuerySet[TimelineEntry]:
    entries = (
        TimelineEntry.objects.filter(account=account)
        .select_related("actor")
        .prefetch_related("stakeholders")
        .order_by("-occurred_at", "-pk")
    )
    if touchpoints_only:
        entries = entries.filter(is_touchpoint=True)
    if kinds:
        entries = entries.filter(kind__in=kinds)
    return entries


def open_risk_flags(*, account: Account) -> QuerySet[RiskFlag]:
    return RiskFlag.objects.filter(account=account, resolved_at=None)
