"""Health scores: every input computed set-based per chunk of accounts, then scored.

Inputs (for a day ``D``, usage windows ending on ``D``)
------------------------------------------------------
- ``activity_rate_7d`` / ``_30d``: average daily active users over the window as a
  share of licensed seats (sum of the account's purchased products' seats). Rollups
  count users per day, not distinct users over a window, hence the daily average.
  Missing when the account has no seats on file or has never sent usage.
- ``depth``: share of the model's key (north-star) features used in the last 30
  days. Missing when the model names none, or the account never sent usage.
- ``process_embedding``: share of the model's configured core-workflow events (e.g.
  ``approval.completed``: a business process run in the product) present in the last
  30 days. Missing when the model configures none, or the account never sent usage.
- ``executive_usage``: share of active S-tier stakeholders with a touchpoint in the
  last 30 days (their own product use is out of reach). Missing without any.
- ``contact_recency``: days since the last touchpoint. Missing when never contacted.
- ``nps``: NPS of the last ``HOURGLASS_HEALTH_NPS_DAYS`` days. Missing without answers.
- ``open_risks``: open risk flags + broken or overdue open sales promises (0 is real).

Scoring
-------
Each measure earns 0 points at its ``red_at`` value and 100 at ``green_at``, linear in
between and clamped. The score is the weighted average of the points of the measures
that have a value: a missing measure is left out and the other weights renormalised,
and it is shown as missing — never counted as zero. With less than a third of the
model's weight present there is no score at all (``None``, shown as "not enough
data"). A measure's *contribution* is
its share of the score (weight / total weight present × points), so contributions
add up to the score; the explanation lists the measures whose contribution moved.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import (
    Account,
    PromiseStatus,
    PurchasedProduct,
    RiskFlag,
    SalesPromise,
    Stakeholder,
    Tier,
    TimelineEntry,
)
from accounts.segments import segment_bands, segment_for_arr

from .defaults import DEFAULT_MEASURES, DEFAULT_MODEL_NAME
from .models import (
    Colour,
    DailyFeatureRollup,
    DailyRollup,
    HealthMeasure,
    HealthModel,
    HealthScore,
    MeasureKey,
    NpsResponse,
    RecalculationRun,
)
from .nps import nps_counts, nps_value
from .services import local_zone
from .storage import health_scores_upsert

logger = logging.getLogger(__name__)

Inputs = dict[str, float | None]
# A contribution must move by at least this many score points to be listed.
CHANGE_THRESHOLD = 0.5
# Below this share of the model's weight present, there is no score ("not enough
# data"): an account we know nothing about except "no open risks" is not 100% healthy.
MIN_PRESENT_WEIGHT_SHARE = 1 / 3


# --- Models ------------------------------------------------------------------------------


def health_model_default_ensure() -> HealthModel:
    """The default model (segment ""), created with the default measures if missing."""
    model, created = HealthModel.objects.get_or_create(segment="", defaults={"name": DEFAULT_MODEL_NAME})
    if created:
        HealthMeasure.objects.bulk_create(
            [
                HealthMeasure(model=model, key=key, group=group, weight=weight, green_at=green, red_at=red, direction=d)
                for key, group, weight, green, red, d in DEFAULT_MEASURES
            ]
        )
    return model


def health_models_by_segment() -> dict[str, HealthModel]:
    """Every model with its measures prefetched, by segment ("" = the default)."""
    health_model_default_ensure()
    return {model.segment: model for model in HealthModel.objects.prefetch_related("measures")}


def model_for_segment(models: dict[str, HealthModel], segment: str) -> HealthModel:
    return models.get(segment) or models[""]


# --- Inputs ------------------------------------------------------------------------------


def _day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=local_zone())


def measure_inputs(
    *,
    account_ids: Sequence[int],
    day: date,
    key_features: dict[int, list[str]],
    core_workflows: dict[int, list[str]] | None = None,
) -> dict[int, Inputs]:
    """Raw values of every measure for every account, in a fixed number of queries.

    ``key_features`` maps account id to its model's key features (for depth),
    ``core_workflows`` to its model's core-workflow events (for process embedding).
    """
    core_workflows = core_workflows or {}
    ids = sorted(set(account_ids))
    start_7, start_30 = day - timedelta(days=6), day - timedelta(days=29)
    end = _day_end(day)

    seats = {
        row["account_id"]: row["total_seats"]
        for row in PurchasedProduct.objects.filter(account_id__any_of=ids)
        .order_by()
        .values("account_id")
        .annotate(total_seats=Sum("seats"))
    }
    usage = {
        row["account_id"]: row
        for row in DailyRollup.objects.filter(account_id__any_of=ids, day__lte=day)
        .order_by()
        .values("account_id")
        .annotate(
            first_day=Min("day"),
            users_7=Sum("active_users", filter=Q(day__gte=start_7)),
            users_30=Sum("active_users", filter=Q(day__gte=start_30)),
        )
    }
    all_features = sorted(
        {name for names in key_features.values() for name in names}
        | {name for names in core_workflows.values() for name in names}
    )
    used: dict[int, set[str]] = defaultdict(set)
    if all_features:
        for account_id, event_name in (
            DailyFeatureRollup.objects.filter(
                account_id__any_of=ids, day__gte=start_30, day__lte=day, event_name__in=all_features
            )
            .order_by()
            .values_list("account_id", "event_name")
            .distinct()
        ):
            used[account_id].add(event_name)
    executives = {
        row["account_id"]: row
        for row in Stakeholder.objects.filter(account_id__any_of=ids, tier=Tier.S, is_active=True)
        .order_by()
        .values("account_id")
        .annotate(
            total=Count("pk", distinct=True),
            touched=Count(
                "pk",
                distinct=True,
                filter=Q(
                    touchpoints__is_touchpoint=True,
                    touchpoints__occurred_at__gte=_day_end(start_30 - timedelta(days=1)),
                    touchpoints__occurred_at__lt=end,
                ),
            ),
        )
    }
    last_contact = {
        row["account_id"]: row["last"]
        for row in TimelineEntry.objects.filter(account_id__any_of=ids, is_touchpoint=True, occurred_at__lt=end)
        .order_by()
        .values("account_id")
        .annotate(last=Max("occurred_at"))
    }
    nps_start = day - timedelta(days=settings.HOURGLASS_HEALTH_NPS_DAYS - 1)
    nps = {
        row["account_id"]: nps_value(
            promoters=row["promoters"], detractors=row["detractors"], responses=row["responses"]
        )
        for row in NpsResponse.objects.filter(
            account_id__any_of=ids, responded_on__gte=nps_start, responded_on__lte=day
        )
        .order_by()
        .values("account_id")
        .annotate(**nps_counts())
    }
    risks: dict[int, int] = defaultdict(int)
    for row in (
        RiskFlag.objects.filter(account_id__any_of=ids, resolved_at=None, raised_at__lt=end)
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
    ):
        risks[row["account_id"]] += row["n"]
    for row in (
        SalesPromise.objects.filter(account_id__any_of=ids)
        .filter(Q(status=PromiseStatus.BROKEN) | Q(status=PromiseStatus.OPEN, due_date__lt=day))
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
    ):
        risks[row["account_id"]] += row["n"]

    result: dict[int, Inputs] = {}
    keys = MeasureKey.values
    for account_id in ids:
        account_usage = usage.get(account_id)
        has_usage = account_usage is not None
        account_seats = seats.get(account_id) or 0
        values: Inputs = dict.fromkeys(keys)
        if has_usage and account_seats > 0:
            assert account_usage is not None
            values[MeasureKey.ACTIVITY_RATE_7D] = (account_usage["users_7"] or 0) / 7 / account_seats
            values[MeasureKey.ACTIVITY_RATE_30D] = (account_usage["users_30"] or 0) / 30 / account_seats
        features = key_features.get(account_id) or []
        if has_usage and features:
            values[MeasureKey.DEPTH] = len(used[account_id] & set(features)) / len(set(features))
        workflows = set(core_workflows.get(account_id) or [])
        if has_usage and workflows:
            values[MeasureKey.PROCESS_EMBEDDING] = len(used[account_id] & workflows) / len(workflows)
        execs = executives.get(account_id)
        if execs and execs["total"]:
            values[MeasureKey.EXECUTIVE_USAGE] = execs["touched"] / execs["total"]
        last = last_contact.get(account_id)
        if last is not None:
            values[MeasureKey.CONTACT_RECENCY] = float((day - last.astimezone(local_zone()).date()).days)
        values[MeasureKey.NPS] = nps.get(account_id)
        values[MeasureKey.OPEN_RISKS] = float(risks[account_id])
        result[account_id] = values
    return result


# --- Scoring -----------------------------------------------------------------------------


def measure_fraction(*, value: float, green_at: float, red_at: float, direction: str) -> float:
    """0 at red, 1 at green, linear in between, clamped."""
    if green_at == red_at:
        meets = value >= green_at if direction == "higher" else value <= green_at
        return 1.0 if meets else 0.0
    return min(1.0, max(0.0, (value - red_at) / (green_at - red_at)))


def colour_for_fraction(fraction: float) -> str:
    if fraction >= 1.0:
        return Colour.GREEN
    return Colour.RED if fraction <= 0.0 else Colour.YELLOW


@dataclass(frozen=True)
class ScoreResult:
    score: int | None
    colour: str
    measures: list[dict[str, Any]]


def score_inputs(*, model: HealthModel, inputs: Inputs) -> ScoreResult:
    """Score one account's inputs with ``model`` (pure: no queries once measures are loaded)."""
    measures = list(model.measures.all())
    present = [m for m in measures if inputs.get(m.key) is not None and m.weight > 0]
    total_weight = sum(m.weight for m in present)
    enough = total_weight > 0 and total_weight >= sum(m.weight for m in measures) * MIN_PRESENT_WEIGHT_SHARE
    rows: list[dict[str, Any]] = []
    weighted = 0.0
    for measure in measures:
        value = inputs.get(measure.key)
        row: dict[str, Any] = {
            "key": measure.key,
            "group": measure.group,
            "weight": measure.weight,
            "value": value,
            "missing": value is None,
            "points": None,
            "colour": "",
            "contribution": None,
        }
        if value is not None:
            fraction = measure_fraction(
                value=value, green_at=measure.green_at, red_at=measure.red_at, direction=measure.direction
            )
            row["points"] = round(fraction * 100, 1)
            row["colour"] = colour_for_fraction(fraction)
            if enough:
                contribution = fraction * 100 * measure.weight / total_weight
                row["contribution"] = round(contribution, 2)
                weighted += contribution
        rows.append(row)
    if not enough:
        return ScoreResult(score=None, colour="", measures=rows)
    score = int(min(100, max(0, round(weighted))))
    if score >= model.green_at:
        colour = Colour.GREEN
    elif score < model.red_below:
        colour = Colour.RED
    else:
        colour = Colour.YELLOW
    return ScoreResult(score=score, colour=colour, measures=rows)


def score_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Measures whose contribution moved by at least half a point, biggest first."""
    old = {row["key"]: row for row in before}
    changes = []
    for row in after:
        previous = old.get(row["key"], {})
        delta = (row.get("contribution") or 0.0) - (previous.get("contribution") or 0.0)
        if abs(delta) < CHANGE_THRESHOLD:
            continue
        changes.append(
            {
                "key": row["key"],
                "weight": row["weight"],
                "before": previous.get("value"),
                "after": row.get("value"),
                "delta": round(delta, 1),
            }
        )
    return sorted(changes, key=lambda change: (-abs(change["delta"]), change["key"]))


def format_value(key: str, value: float | None) -> str:
    """A measure's value as people read it, in the active language."""
    if value is None:
        return _("missing")
    if key in (
        MeasureKey.ACTIVITY_RATE_7D,
        MeasureKey.ACTIVITY_RATE_30D,
        MeasureKey.DEPTH,
        MeasureKey.PROCESS_EMBEDDING,
        MeasureKey.EXECUTIVE_USAGE,
    ):
        return f"{value * 100:.0f}%"
    if key == MeasureKey.CONTACT_RECENCY:
        return _("%(days)d days") % {"days": round(value)}
    if key == MeasureKey.NPS:
        return f"{value:+.0f}" if value else "0"
    return f"{value:.0f}"


def measure_label(key: str) -> str:
    try:
        return str(MeasureKey(key).label)
    except ValueError:
        return key


def explain_change(change: dict[str, Any]) -> str:
    """``"−12: Activity rate (7 days) 71% → 38% (weight 30)"``."""
    delta = round(change["delta"])
    sign = "+" if delta > 0 else "\u2212" if delta < 0 else "±"
    return _("%(sign)s%(points)d: %(measure)s %(before)s → %(after)s (weight %(weight)d)") % {
        "sign": sign,
        "points": abs(delta),
        "measure": measure_label(change["key"]),
        "before": format_value(change["key"], change["before"]),
        "after": format_value(change["key"], change["after"]),
        "weight": change["weight"],
    }


def explain_changes(changes: Iterable[dict[str, Any]]) -> list[str]:
    return [explain_change(change) for change in changes]


# --- Recompute ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviousScore:
    score: int | None
    measures: list[dict[str, Any]]


def _previous_scores(ids: Sequence[int], day: date) -> dict[int, PreviousScore]:
    """Each account's latest score before ``day``.

    PostgreSQL: one ``DISTINCT ON (account_id)`` walk of the ``(account, day)`` index.
    (Fetching "the rows of yesterday for these accounts" let the planner pick the ``day``
    index right after a night's insert, before statistics caught up: every chunk then
    read the whole day — 0.3 s per 1,000 accounts.) Elsewhere: one query for the days,
    then one per distinct day (nearly always one: yesterday). A correlated subquery per
    row and full model instances cost more than the scoring itself."""
    if connection.vendor == "postgresql":
        latest = (
            HealthScore.objects.filter(account_id__any_of=ids, day__lt=day)
            .order_by("account_id", "-day")
            .distinct("account_id")
            .values_list("account_id", "score", "measures")
        )
        return {account_id: PreviousScore(score=score, measures=measures) for account_id, score, measures in latest}
    last_day = dict(
        HealthScore.objects.filter(account_id__any_of=ids, day__lt=day)
        .order_by()
        .values("account_id")
        .annotate(last=Max("day"))
        .values_list("account_id", "last")
    )
    by_day: dict[date, list[int]] = defaultdict(list)
    for account_id, last in last_day.items():
        by_day[last].append(account_id)
    previous: dict[int, PreviousScore] = {}
    for last, account_ids in by_day.items():
        for account_id, score, measures in HealthScore.objects.filter(
            day=last, account_id__any_of=account_ids
        ).values_list("account_id", "score", "measures"):
            previous[account_id] = PreviousScore(score=score, measures=measures)
    return previous


@transaction.atomic
def health_scores_compute(*, account_ids: Iterable[int], day: date | None = None) -> int:
    """Compute and store the scores of ``account_ids`` on ``day`` (default today).

    Idempotent: recomputing a day overwrites its row with the same result for the same
    data. Returns the number of scores written.
    """
    day = day or timezone.localdate()
    ids = sorted(set(account_ids))
    if not ids:
        return 0
    models = health_models_by_segment()
    accounts = list(Account.objects.filter(pk__any_of=ids).values_list("pk", "arr"))
    bands = segment_bands()
    model_of = {pk: model_for_segment(models, segment_for_arr(arr, bands=bands)) for pk, arr in accounts}
    inputs = measure_inputs(
        account_ids=list(model_of),
        day=day,
        key_features={pk: list(model.key_features or []) for pk, model in model_of.items()},
        core_workflows={pk: list(model.core_workflows or []) for pk, model in model_of.items()},
    )
    previous = _previous_scores(list(model_of), day)
    now = timezone.now()
    rows = []
    for account_id, model in model_of.items():
        result = score_inputs(model=model, inputs=inputs[account_id])
        before = previous.get(account_id)
        rows.append(
            HealthScore(
                account_id=account_id,
                day=day,
                model=model,
                score=result.score,
                colour=result.colour,
                measures=result.measures,
                changes=score_changes(before.measures, result.measures) if before else [],
                previous_score=before.score if before else None,
                computed_at=now,
            )
        )
    health_scores_upsert(rows=rows)
    return len(rows)


def accounts_with_new_data(*, since: datetime) -> list[int]:
    """Accounts whose usage rollups, NPS or touchpoints changed since ``since``."""
    ids: set[int] = set()
    ids.update(DailyRollup.objects.filter(computed_at__gte=since).values_list("account_id", flat=True).distinct())
    ids.update(NpsResponse.objects.filter(created_at__gte=since).values_list("account_id", flat=True).distinct())
    ids.update(
        TimelineEntry.objects.filter(is_touchpoint=True, created_at__gte=since)
        .values_list("account_id", flat=True)
        .distinct()
    )
    return sorted(ids)


@transaction.atomic
def health_recalculation_start(
    *, actor: Any, account: Account | None = None, day: date | None = None
) -> RecalculationRun:
    """ "Recalculate now": one account (the account panel) or every account (admins).

    The chunks go to Celery after commit; each reports its accounts to the run, which
    the progress bar polls. The caller checked that ``actor`` may do this.
    """
    from .tasks import score_recompute_task  # tasks import this module

    day = day or timezone.localdate()
    if account is not None:
        ids = [account.pk]
    else:
        ids = list(Account.objects.exclude(status="churned").order_by("pk").values_list("pk", flat=True))
    run = RecalculationRun.objects.create(
        account=account,
        day=day,
        total=len(ids),
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        finished_at=None if ids else timezone.now(),
    )
    chunk = max(1, int(settings.HOURGLASS_HEALTH_SCORE_CHUNK))
    chunks = [ids[start : start + chunk] for start in range(0, len(ids), chunk)]

    def send() -> None:
        for part in chunks:
            score_recompute_task.delay(account_ids=part, day=day.isoformat(), run_id=run.pk)

    transaction.on_commit(send)
    return run


def health_recalculation_progress(*, run_id: int, scored: int) -> None:
    """Add ``scored`` accounts to a run (one atomic UPDATE: chunks finish concurrently)."""
    RecalculationRun.objects.filter(pk=run_id).update(done=Least(F("done") + scored, F("total")))
    RecalculationRun.objects.filter(pk=run_id, finished_at=None, done__gte=F("total")).update(
        finished_at=timezone.now()
    )


def health_scores_dispatch(*, everything: bool, day: date | None = None) -> int:
    """Fan the recomputation out in chunks of ``HOURGLASS_HEALTH_SCORE_CHUNK`` accounts.

    ``everything``: all accounts but churned ones (nightly); otherwise only those with
    new data in the last ``HOURGLASS_HEALTH_RECENT_MINUTES`` (every 15 minutes).
    Returns the number of tasks sent.
    """
    from .tasks import score_recompute_task  # tasks import this module

    day = day or timezone.localdate()
    if everything:
        ids = list(Account.objects.exclude(status="churned").order_by("pk").values_list("pk", flat=True))
    else:
        since = timezone.now() - timedelta(minutes=settings.HOURGLASS_HEALTH_RECENT_MINUTES)
        ids = accounts_with_new_data(since=since)
    chunk = max(1, int(settings.HOURGLASS_HEALTH_SCORE_CHUNK))
    sent = 0
    for start in range(0, len(ids), chunk):
        score_recompute_task.delay(account_ids=ids[start : start + chunk], day=day.isoformat())
        sent += 1
    return sent
