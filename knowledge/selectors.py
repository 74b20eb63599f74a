"""Reads of the knowledge app, always scoped to what the acting user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.access import visible_accounts_q
from accounts.models import Account, PurchasedProduct
from accounts.segments import segment_for_arr
from accounts.selectors import account_scope
from core.people import display_name
from core.types import AnyUser
from health.models import DailyFeatureRollup

from .access import can_manage, can_review_case, case_visibility_q
from .matching import Match, Profile, normalise_products, rank
from .models import (
    Campaign,
    CampaignAccount,
    Case,
    CaseStatus,
    CompanySize,
    FeedbackLink,
    FeedbackRequest,
    FeedbackStatus,
)

# --- Cases ----------------------------------------------------------------------------


def case_list(*, user: AnyUser) -> QuerySet[Case]:
    condition = case_visibility_q(user)
    cases = Case.objects.select_related("author", "source_account")
    return cases if condition is None else cases.filter(condition)


def get_case_for_user(user: AnyUser, pk: int | str) -> Case:
    try:
        return case_list(user=user).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such case.") from exc


def case_review_queue(*, user: AnyUser) -> list[Case]:
    submitted = case_list(user=user).filter(status=CaseStatus.SUBMITTED).select_related("author__cs_profile__team")
    return [case for case in submitted.order_by("submitted_at", "pk") if can_review_case(user, case)]


def customer_profile(*, account: Account) -> Profile:
    size = CompanySize.objects.filter(account=account).values_list("size_band", flat=True).first()
    products = PurchasedProduct.objects.filter(account=account).values_list("product", flat=True)
    return Profile(
        industry=account.industry,
        size_band=size,
        arr_band=segment_for_arr(account.arr),
        products=normalise_products(products),
    )


def case_profile(case: Case) -> Profile:
    return Profile(
        industry=case.industry,
        size_band=case.size_band,
        arr_band=case.arr_band,
        products=normalise_products(case.products or []),
    )


def cases_for_account(*, account: Account, limit: int = 5) -> list[Match]:
    """Approved cases like this customer, best first (see ``knowledge.matching``)."""
    customer = customer_profile(account=account)
    approved = Case.objects.filter(status=CaseStatus.APPROVED).only(
        "pk", "title", "industry", "size_band", "arr_band", "products", "result"
    )
    return rank(((case, case_profile(case)) for case in approved), customer)[:limit]


# --- Feedback -------------------------------------------------------------------------


def _with_demand(requests: QuerySet[FeedbackRequest], *, user: AnyUser) -> QuerySet[FeedbackRequest]:
    """Affected accounts, their ARR (the ARR-weighted demand), ROI and top urgency.

    Every figure counts only the links to accounts in ``user``'s scope: a company-wide
    total minus one's own ARR would reveal the ARR of accounts one may not see. An
    admin's scope is every account, so the admin's board is the company-wide one.
    All sums run over the links alone (one row per account), so nothing is counted twice.
    """
    condition = visible_accounts_q(user)
    scoped = None if condition is None else Q(links__account__in=Account.objects.filter(condition).values("pk"))
    return requests.annotate(
        account_count=Count("links", filter=scoped, distinct=True),
        demand_arr=Coalesce(Sum("links__account__arr", filter=scoped), Decimal("0")),
        roi_total=Coalesce(Sum("links__roi_estimate", filter=scoped), Decimal("0")),
        top_urgency=Max("links__urgency", filter=scoped),
    )


def feedback_board(*, user: AnyUser) -> QuerySet[FeedbackRequest]:
    """Requests (merged duplicates left out), most ARR-weighted demand first.

    Managers and admins see every request; a CSM those linked to their own accounts.
    """
    requests = FeedbackRequest.objects.filter(merged_into=None).select_related("created_by")
    if not can_manage(user):
        mine = FeedbackLink.objects.filter(request=OuterRef("pk"), account__in=account_scope(user=user))
        requests = requests.filter(Exists(mine))
    return _with_demand(requests, user=user).order_by("-demand_arr", "-account_count", "-roi_total", "-pk")


def get_request_for_user(user: AnyUser, pk: int | str) -> FeedbackRequest:
    visible = FeedbackRequest.objects.select_related("merged_into", "created_by")
    if not can_manage(user):
        mine = FeedbackLink.objects.filter(request=OuterRef("pk"), account__in=account_scope(user=user))
        visible = visible.filter(Exists(mine))
    try:
        return _with_demand(visible, user=user).get(pk=pk)
    except (FeedbackRequest.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such request.") from exc


def request_links(*, request: FeedbackRequest, user: AnyUser) -> QuerySet[FeedbackLink]:
    """The accounts linked to a request; a CSM sees the figures but only their accounts' rows."""
    links = request.links.select_related("account__owner", "raised_by").order_by("-account__arr", "pk")
    if not can_manage(user):
        links = links.filter(account__in=account_scope(user=user))
    return links


def duplicate_candidates(
    *, text: str, user: AnyUser, exclude_pk: int | None = None, limit: int = 10
) -> list[FeedbackRequest]:
    """Open requests whose title or problem mention the words typed (to link, not duplicate).

    Titles are shown to everyone raising feedback: deduplication needs them; their
    figures are the viewer's scope's, as everywhere.
    """
    words = [w for w in (text or "").split() if len(w) >= 3][:6]
    if not words:
        return []
    condition = Q()
    for word in words:
        condition |= Q(title__icontains=word) | Q(problem__icontains=word)
    requests = FeedbackRequest.objects.filter(condition, merged_into=None).exclude(status=FeedbackStatus.DECLINED)
    if exclude_pk:
        requests = requests.exclude(pk=exclude_pk)
    return list(_with_demand(requests, user=user).order_by("-demand_arr", "-pk")[:limit])


def account_feedback(*, account: Account) -> QuerySet[FeedbackLink]:
    return FeedbackLink.objects.filter(account=account).select_related("request").order_by("-created_at")


# --- Campaigns ------------------------------------------------------------------------


def campaign_list(*, user: AnyUser) -> QuerySet[Campaign]:
    """Every campaign (the rollout is company-wide); counts are of the user's own accounts."""
    mine = Q(targets__account__in=account_scope(user=user))
    return (
        Campaign.objects.select_related("created_by", "feedback_request")
        .annotate(my_targets=Count("targets", filter=mine, distinct=True))
        .order_by("-created_at", "-pk")
    )


def get_campaign(pk: int | str) -> Campaign:
    try:
        return Campaign.objects.select_related("created_by", "feedback_request").get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such campaign.") from exc


def _first_use(campaign: Campaign) -> Subquery:
    launched = timezone.localdate(campaign.launched_at) if campaign.launched_at else timezone.localdate()
    return Subquery(
        DailyFeatureRollup.objects.filter(
            account=OuterRef("account_id"),
            event_name__in=list(campaign.event_names or []),
            day__gte=launched,
            events__gt=0,
        )
        .order_by("day")
        .values("day")[:1]
    )


def campaign_rows(*, campaign: Campaign, user: AnyUser) -> QuerySet[CampaignAccount]:
    """Targeted accounts in the user's scope, with the first day the feature was used."""
    return (
        CampaignAccount.objects.filter(campaign=campaign, account__in=account_scope(user=user))
        .select_related("account__owner", "task", "stall_task")
        .annotate(first_used=_first_use(campaign))
        .order_by("account__name", "pk")
    )


@dataclass
class FunnelRow:
    label: str
    targeted: int = 0
    informed: int = 0
    trained: int = 0
    using: int = 0
    stalled: int = 0
    owner_id: int | None = None

    @property
    def using_share(self) -> float:
        return self.using / self.targeted if self.targeted else 0.0


@dataclass
class Funnel:
    total: FunnelRow
    by_csm: list[FunnelRow] = field(default_factory=list)


def _checked(task: Any, index: int) -> bool:
    items = (task.checklist or []) if task is not None else []
    return index < len(items) and bool(items[index].get("done"))


def row_stage(row: CampaignAccount) -> dict[str, bool]:
    """Where one account is: informed and trained from its rollout task, using from events."""
    return {
        "informed": _checked(row.task, 0),
        "trained": _checked(row.task, 1),
        "using": getattr(row, "first_used", None) is not None,
    }


def is_stalled(row: CampaignAccount, campaign: Campaign, *, now: Any = None) -> bool:
    now = now or timezone.now()
    due = row.targeted_at + timedelta(days=campaign.stall_days)
    return getattr(row, "first_used", None) is None and due <= now


def campaign_funnel(*, campaign: Campaign, rows: list[CampaignAccount]) -> Funnel:
    """targeted → informed → trained → using, overall and per owner CSM (rows already fetched)."""
    total = FunnelRow(label="")
    per_owner: dict[int | None, FunnelRow] = {}
    now = timezone.now()
    for row in rows:
        owner = row.account.owner
        bucket = per_owner.get(row.account.owner_id)
        if bucket is None:
            bucket = per_owner[row.account.owner_id] = FunnelRow(
                label=display_name(owner) if owner else "—", owner_id=row.account.owner_id
            )
        stage = row_stage(row)
        stalled = is_stalled(row, campaign, now=now)
        for target in (total, bucket):
            target.targeted += 1
            target.informed += stage["informed"]
            target.trained += stage["trained"]
            target.using += stage["using"]
            target.stalled += stalled
    by_csm = sorted(per_owner.values(), key=lambda r: (-r.targeted, r.label))
    return Funnel(total=total, by_csm=by_csm)
