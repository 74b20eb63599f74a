"""Demo knowledge: a case library, product feedback with linked accounts, one campaign.

Runs after ``health.demo`` (the campaign reads the feature's usage rollups) and
``playbooks.demo``. The campaign is launched three weeks back, so its funnel shows
accounts already using the feature, and the stall sweep raises follow-ups for the rest.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Account, AccountStatus, Industry
from accounts.segments import Segment
from core.types import AnyUser
from health.services import events_ingest, rollups_recompute
from playbooks.services import task_checklist_toggle

from .models import (
    Campaign,
    CampaignAccount,
    Case,
    CaseShare,
    CompanySize,
    FeedbackRequest,
    FeedbackStatus,
    SizeBand,
    Urgency,
)
from .services import (
    campaign_create,
    campaign_launch,
    campaign_stall_sweep,
    case_create,
    case_review,
    case_submit,
    feedback_raise,
    feedback_set_status,
)

CASES = [
    (
        "CRM rollout to 40 reps in a 150-person machine shop",
        Industry.MANUFACTURING,
        SizeBand.SMALL,
        Segment.SMB,
        ["CRM"],
        "Quotes lived in Excel; nobody knew the pipeline.",
        "Weekly pipeline review run in the CRM by the sales director; opportunities mandatory for quotes.",
        "Pipeline visible for 100% of deals after 6 weeks; quote turnaround from 3 days to 1.",
    ),
    (
        "Group-wide approval workflow at a 6,000-person manufacturer",
        Industry.MANUFACTURING,
        SizeBand.GROUP,
        Segment.ENTERPRISE,
        ["CRM", "OA"],
        "Approvals took two weeks across 12 plants.",
        "Head-office mandate, a dedicated PMO of 8 people, phased rollout plant by plant.",
        "Approval time down to 2 days; 95% of approvals online.",
    ),
    (
        "Store managers adopt the mobile app in a regional retail chain",
        Industry.RETAIL,
        SizeBand.MEDIUM,
        Segment.MID_MARKET,
        ["CRM", "Mobile"],
        "Store visits were reported on paper, a week late.",
        "Trained one champion per district; visit reports due in the app the same day.",
        "Same-day visit reports at 80% of stores within two months.",
    ),
    (
        "Clinic patient follow-up with health questionnaires",
        Industry.HEALTHCARE,
        SizeBand.MICRO,
        Segment.SMB,
        ["Questionnaire"],
        "Patients filled in the constitution questionnaire rarely (10+ minutes).",
        "Posters in the infusion room, easy questions first, a commission on wellness packages for staff.",
        "Questionnaires completed per week up fourfold; wellness packages sold to 12% of respondents.",
    ),
    (
        "Course-sales CRM for a 60-person training school",
        Industry.EDUCATION,
        SizeBand.SMALL,
        Segment.SMB,
        ["CRM"],
        "Leads from events were lost between advisors.",
        "Lead assignment rules and a daily 10-minute stand-up on the lead list.",
        "Lead follow-up within 24 hours for 90% of leads; conversion +30%.",
    ),
    (
        "Fleet dispatch visibility for a mid-size logistics firm",
        Industry.LOGISTICS,
        SizeBand.MEDIUM,
        Segment.MID_MARKET,
        ["Dispatch", "Reports"],
        "Dispatchers phoned drivers for every status.",
        "Drivers check in on the app at each stop; a wall dashboard in the dispatch room.",
        "Status calls down 70%; on-time delivery reporting daily instead of monthly.",
    ),
]

REQUESTS = [
    (
        "Bulk edit of opportunities",
        "Reps update 50+ opportunities one by one at month end.",
        "Month-end pipeline clean-up takes a rep half a day.",
        Urgency.HIGH,
        Decimal("60000"),
    ),
    (
        "WeCom (企业微信) login",
        "Users must type a password on mobile; they do not.",
        "Field reps log visits from WeCom all day.",
        Urgency.CRITICAL,
        Decimal("120000"),
    ),
    (
        "Export reports to PDF",
        "Managers screenshot reports for their bosses.",
        "Monthly executive report to the board.",
        Urgency.MEDIUM,
        Decimal("15000"),
    ),
]


def present() -> bool:
    return Case.objects.exists() or FeedbackRequest.objects.exists() or Campaign.objects.exists()


def reset() -> None:
    CampaignAccount.objects.all().delete()
    Campaign.objects.all().delete()
    FeedbackRequest.objects.all().delete()
    CaseShare.objects.all().delete()
    Case.objects.all().delete()
    CompanySize.objects.all().delete()


def seed(ctx: Any) -> None:
    rng = ctx.rng
    manager = ctx.users.get("manager")
    csms = [user for name, user in ctx.users.items() if name.startswith("csm.")]
    if manager is None or not csms:
        return
    accounts = list(Account.objects.exclude(status=AccountStatus.CHURNED).select_related("owner").order_by("pk"))
    # Company sizes for part of the book, so "cases like this customer" has sizes to compare.
    sizes = list(SizeBand.values)
    CompanySize.objects.bulk_create(
        [CompanySize(account=a, size_band=rng.choice(sizes)) for a in accounts if rng.random() < 0.6],
        batch_size=1000,
    )
    for index, (title, industry, size, arr_band, products, problem, approach, result) in enumerate(CASES):
        author = csms[index % len(csms)]
        case = case_create(
            actor=author, title=title, industry=industry, size_band=size, arr_band=arr_band, products=products,
            problem=problem, approach=approach, result=result,
            policy_support="Sponsored by the general manager." if index % 2 == 0 else "",
            resources="One champion per team; our CSM on site twice." if index % 3 == 0 else "",
            org_capability="A project owner with authority over the teams involved.",
            business_volume="Worth it above ~20 users." if index != 1 else "12 plants, 6,000 staff.",
        )  # fmt: skip
        case_submit(case=case, actor=author)
        if index < len(CASES) - 1:  # the last one waits in the manager's approval queue
            case_review(case=case, actor=manager, approve=True, comment="")
    requests_made = 0
    for index, (title, problem, scenario, urgency, roi) in enumerate(REQUESTS):
        linked = rng.sample(accounts, min(len(accounts), 2 + index * 2)) if accounts else []
        first = None
        for account in linked:
            owner = account.owner or manager
            link = feedback_raise(
                actor=owner, account=account, business_scenario=scenario, urgency=urgency, roi_estimate=roi,
                alternatives="Spreadsheet work-around." if first is None else "",
                title=title if first is None else "", problem=problem if first is None else "", existing=first,
            )  # fmt: skip
            first = first or link.request
            requests_made += 1
        if first is not None and index == 0:
            feedback_set_status(actor=manager, request=first, status=FeedbackStatus.SHIPPED, note="In release 5.2.")
    shipped = FeedbackRequest.objects.filter(status=FeedbackStatus.SHIPPED).first()
    campaign = campaign_create(
        actor=manager,
        name="Opportunity bulk edit rollout",
        feature="Bulk edit of opportunities",
        value="Month-end pipeline clean-up in minutes instead of half a day.",
        event_names=[ADOPTION_EVENT],
        feedback_request=shipped,
        industries=[Industry.MANUFACTURING, Industry.RETAIL, Industry.INTERNET],
        stall_days=14,
    )
    targeted = campaign_launch(actor=manager, campaign=campaign, today=ctx.today - timedelta(days=21))
    launched = timezone.now() - timedelta(days=21)
    Campaign.objects.filter(pk=campaign.pk).update(launched_at=launched)
    CampaignAccount.objects.filter(campaign=campaign).update(targeted_at=launched)
    _adoption_progress(ctx, campaign=campaign, actor=manager)
    stalled = campaign_stall_sweep()
    ctx.summary.append(
        f"{len(CASES)} best-practice cases, {len(REQUESTS)} feedback requests ({requests_made} account links), "
        f"1 adoption campaign ({targeted} accounts, {stalled} stalled follow-ups)"
    )


ADOPTION_EVENT = "opportunity.bulk_edit"


def _adoption_progress(ctx: Any, *, campaign: Campaign, actor: AnyUser) -> None:
    """Three weeks in: most owners have explained the feature, fewer have trained the
    users, and about half the accounts use it (real usage events, rolled up as usual)."""
    rng = ctx.rng
    events: list[dict[str, Any]] = []
    pairs: set[tuple[int, date]] = set()
    rows = CampaignAccount.objects.filter(campaign=campaign).select_related("task", "account").order_by("pk")
    for row in rows:
        roll = rng.random()
        if row.task is not None and roll < 0.8:
            task_checklist_toggle(task=row.task, index=0, done=True)
            if roll < 0.6:
                task_checklist_toggle(task=row.task, index=1, done=True)
        if roll < 0.5:
            day = ctx.today - timedelta(days=rng.randint(1, 18))
            for n in range(rng.randint(2, 12)):
                occurred = datetime.combine(day, time(10, n % 60), tzinfo=timezone.get_current_timezone())
                events.append(
                    {
                        "account_external_id": row.account.external_id,
                        "occurred_at": occurred.isoformat(),
                        "event_name": ADOPTION_EVENT,
                        "user_id": f"u{n % 5}",
                        "event_id": f"demo-adoption-{row.account_id}-{n}",
                    }
                )
            pairs.add((row.account_id, day))
    if events:
        events_ingest(actor=actor, events=events)
        rollups_recompute(pairs=sorted(pairs))
