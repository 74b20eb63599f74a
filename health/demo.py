"""Demo usage: weeks of events with weekday seasonality, a few clear drops, NPS.

Runs after the accounts demo (``ctx.shared["accounts"]``). Events go through the same
storage path as the ingest API, rollups are rebuilt set-wise, then scores and the
drop scan run as the nightly jobs would — so alerts and health are real, not faked.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.utils import timezone

from accounts.models import AccountStatus
from core.clock import local_zone

from .alerts import activity_drop_scan
from .models import ActivityAlert, DailyFeatureRollup, DailyRollup, HealthScore, NpsResponse, UsageEvent
from .scoring import health_scores_compute
from .services import rollups_rebuild
from .storage import events_store
from .validation import ValidEvent

DAYS = 42  # a 7-day window plus its 4-week baseline, and a week of history
HISTORY_DAYS = 95  # daily scores behind the account page's 90-day trend
FEATURES = ["login", "opportunity.create", "report.view", "approval.submit", "customer.update"]
COMMENTS = {
    "promoter": ("Our sales team lives in it now.", "销售团队现在每天都在用，离不开了。"),
    "passive": ("Good, but reports are slow.", "整体不错，就是报表有点慢。"),
    "detractor": ("Too many clicks; the team went back to Excel.", "操作太繁琐，团队又回去用Excel了。"),
}


def present() -> bool:
    return UsageEvent.objects.exists() or NpsResponse.objects.exists()


def reset() -> None:
    ActivityAlert.objects.all().delete()
    HealthScore.objects.all().delete()
    DailyFeatureRollup.objects.all().delete()
    DailyRollup.objects.all().delete()
    UsageEvent.objects.all().delete()
    NpsResponse.objects.all().delete()


def seed(ctx: Any) -> None:
    rng = ctx.rng
    zone = local_zone()
    today = ctx.today
    accounts = [a for a in ctx.shared.get("accounts", []) if a.status != AccountStatus.CHURNED and a.go_live_date]
    batch: list[ValidEvent] = []
    stored = 0
    received = timezone.now()
    for account in accounts:
        level = rng.randint(2, 30)
        users = max(3, level // 2)
        drops = rng.random() < 0.08

        for offset in range(DAYS, 0, -1):
            day = today - timedelta(days=offset)
            if day < account.go_live_date:
                continue
            weekend = day.weekday() >= 5
            volume = level * (0.15 if weekend else 1.0) * rng.uniform(0.7, 1.3)
            if drops and offset <= 9:
                volume *= 0.15  # a clear, sustained drop in the last week
            for n in range(int(volume)):
                moment = datetime.combine(day, time(9), tzinfo=zone) + timedelta(minutes=rng.randint(0, 600))
                batch.append(
                    ValidEvent(
                        index=n,
                        account_id=account.pk,
                        occurred_at=moment,
                        event_name=rng.choice(FEATURES),
                        customer_user_id=f"u{rng.randint(1, users)}",
                        quantity=Decimal(1),
                        properties={},
                        event_id=f"demo-{account.pk}-{day.isoformat()}-{n}",
                    )
                )
            if len(batch) >= 5000:
                stored += events_store(events=batch, received_at=received)
                batch = []
    if batch:
        stored += events_store(events=batch, received_at=received)
    rollups_rebuild(start=today - timedelta(days=DAYS), end=today)

    responses = []
    for account in accounts:
        if rng.random() < 0.45:
            chinese = not account.name.isascii()
            for n in range(rng.randint(1, 3)):
                score = rng.choices(range(11), weights=[1, 1, 1, 2, 2, 3, 4, 8, 10, 12, 9])[0]
                band = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                responses.append(
                    NpsResponse(
                        account=account,
                        score=score,
                        comment=COMMENTS[band][1 if chinese else 0],
                        responded_on=today - timedelta(days=rng.randint(1, 170)),
                        external_id=f"demo-nps-{account.pk}-{n}",
                    )
                )
    NpsResponse.objects.bulk_create(responses, batch_size=2000)

    ids = [a.pk for a in accounts]
    health_scores_compute(account_ids=ids, day=today - timedelta(days=7))
    health_scores_compute(account_ids=ids, day=today)
    history = score_history_seed(accounts, today=today, rng=rng)
    scan = activity_drop_scan(day=today - timedelta(days=1))
    ctx.summary.append(
        f"{stored} usage events, {len(responses)} NPS responses, health scores ({history} daily history rows),"
        f" {len(scan.raised)} activity-drop alerts"
    )


def score_history_seed(accounts: list[Any], *, today: date, rng: Any) -> int:
    """Daily scores for the days before today that the real scoring did not cover.

    A random walk backwards from each account's real score of today (so the line ends
    where the page's figure is; from a plausible level when today's had too little data),
    drifting toward an earlier level of its own, from the go-live date on. One read of today's scores, then bulk inserts; days already scored
    (a week ago) are kept.
    """
    live = {a.pk: a.go_live_date for a in accounts}
    latest = HealthScore.objects.filter(account_id__in=list(live), day=today).values_list(
        "account_id", "score", "model_id", "model__green_at", "model__red_below"
    )
    rows = []
    for account_id, today_score, model_id, green_at, red_below in latest:
        # Not enough data today (a measure went missing): the history before still had a score.
        score = rng.randint(40, 85) if today_score is None else today_score
        earlier = min(100, max(0, score + rng.randint(-25, 25)))
        value = float(score)
        for offset in range(1, HISTORY_DAYS + 1):
            day = today - timedelta(days=offset)
            if day < live[account_id]:
                break
            value = min(100.0, max(0.0, value + (earlier - value) * 0.04 + rng.uniform(-3.0, 3.0)))
            point = round(value)
            colour = "green" if point >= (green_at or 70) else "red" if point < (red_below or 40) else "yellow"
            rows.append(HealthScore(account_id=account_id, day=day, model_id=model_id, score=point, colour=colour))
    # Each row's previous score is the day before's (the list runs newest to oldest per account).
    for newer_row, older_row in pairwise(rows):
        if newer_row.account_id == older_row.account_id:
            newer_row.previous_score = older_row.score
    HealthScore.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return len(rows)
