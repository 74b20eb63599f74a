"""Reads of customer accounts, always scoped to what the acting user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.module_loading import import_string

from .access import AnyUser, access_policy
from .models import Account, RiskFlag, Stakeholder, Tier, TimelineEntry
from .querysets import AccountQuerySet
from .segments import Segment, segment_case


def account_scope(*, user: AnyUser) -> AccountQuerySet:
    """Every account ``user`` may see and edit, nothing else."""
    condition = access_policy().visible_accounts_q(user)
    accounts = Account.objects.all()
    return accounts if condition is None else accounts.filter(condition)


def account_list(*, user: AnyUser) -> AccountQuerySet:
    """The accounts list (page and API): scoped, with everything a row shows joined in.

    Other apps add their columns (health score, next renewal …) through the annotators
    named in ``HOURGLASS_ACCOUNT_LIST_ANNOTATORS``: subqueries, never a query per row.
    """
    accounts = account_scope(user=user).select_related("owner").with_segment()
    for annotate in _list_annotators():
        accounts = annotate(accounts)
    return accounts


def _list_annotators() -> list[Any]:
    return [import_string(path) for path in getattr(settings, "HOURGLASS_ACCOUNT_LIST_ANNOTATORS", [])]


def get_account_for_user(user: AnyUser, pk: int | str) -> Account:
    """One account, or 404 when it does not exist *or* lies outside the user's scope.

    A 404 (not 403) for other people's accounts does not reveal that they exist.
    """
    try:
        return account_list(user=user).get(pk=pk)
    except (Account.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such account.") from exc


def assignable_owners(*, user: AnyUser) -> QuerySet:
    """Users that ``user`` may set as an account's owner CSM."""
    condition = access_policy().assignable_owners_q(user)
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


def contact_cadence_days() -> dict[str, int]:
    return dict(settings.HOURGLASS_CONTACT_CADENCE_DAYS)


def stakeholder_rows(*, account: Account, today: date | None = None) -> dict[str, list[StakeholderRow]]:
    """Active stakeholders grouped by tier (S, A, B) with their contact cadence status."""
    today = today or timezone.localdate()
    cadence = contact_cadence_days()
    grouped: dict[str, list[StakeholderRow]] = {tier: [] for tier in Tier.values}
    for person in stakeholders_for_account(account=account).filter(is_active=True):
        last = timezone.localdate(person.last_contact) if person.last_contact else None  # type: ignore[attr-defined]
        days = cadence.get(person.tier)
        next_due = (last + timedelta(days=days)) if (last and days) else None
        overdue = bool(days) and (next_due is None or next_due < today)
        grouped[person.tier].append(StakeholderRow(person, last, next_due, overdue))
    return grouped


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
