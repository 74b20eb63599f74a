"""Celery tasks of the health app (thin, ids in, one service call each), and the
fan-out that sends the scoring tasks in chunks."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone

from accounts.models import Account, AccountStatus
from core.locks import chunk_claim
from core.people import person_or_none

from .alerts import BASELINE_WINDOWS, WINDOW_DAYS, activity_drop_scan, default_scan_day
from .models import RecalculationRun
from .rescore import score_requests_add, score_requests_run
from .scoring import accounts_with_new_data, health_scores_compute
from .services import event_partitions_ensure, rollups_recompute
from .silence import silence_resolve, silence_scan

# The nightly chunks are remembered as done for this long (a duplicate beat message or a
# redelivered chunk the same night is skipped); the 15-minute sweep rescores what changed.
CHUNK_REMEMBER_SECONDS = 12 * 3600
NIGHTLY_SWEEP = "nightly"


@shared_task(name="health.rollup_accounts_days_task", acks_late=True, ignore_result=True)
def rollup_accounts_days_task(*, pairs: list[list[int | str]]) -> int:
    """Recompute the rollups of ``[[account_id, "YYYY-MM-DD"], ...]``, request the
    rescore of those accounts (debounced: health.rescore), resolve their silence alerts
    if usage came back, and scan them for an activity drop if the days touched can
    change the latest scan.

    Recomputation reads the events afresh, so a retry or a late duplicate message
    only repeats the same result (hence acks_late); the rest is idempotent too.
    """
    parsed = [(int(account_id), date.fromisoformat(str(day))) for account_id, day in pairs]
    written = rollups_recompute(pairs=parsed)
    touched = sorted({account_id for account_id, _day in parsed})
    score_requests_add(account_ids=touched, after_commit=False)  # a task: autocommit
    silence_resolve(account_ids=touched)
    oldest_relevant = default_scan_day() - timedelta(days=WINDOW_DAYS * (BASELINE_WINDOWS + 1))
    relevant = sorted({account_id for account_id, day in parsed if day >= oldest_relevant})
    if relevant:
        activity_drop_scan_task.delay(account_ids=relevant)
    return written


@shared_task(name="health.score_requests_task", acks_late=True, ignore_result=True)
def score_requests_task(*, token: str) -> int:
    """Score the accounts whose rescore was requested under ``token`` (health.rescore);
    a repeated message finds nothing left and writes nothing."""
    return score_requests_run(token=token)


@shared_task(name="health.activity_silence_scan_task", acks_late=True, ignore_result=True)
def activity_silence_scan_task() -> int:
    """Daily (beat, 00:25): raise a silence alert for every account whose usage stopped
    (health.silence), over all accounts; idempotent (open alert + cooldown + episode)."""
    return len(silence_scan().raised)


@shared_task(name="health.ensure_event_partitions_task", acks_late=True, ignore_result=True)
def ensure_event_partitions_task() -> list[str]:
    """Daily (beat): keep monthly event partitions ready ahead of time (PostgreSQL only)."""
    return event_partitions_ensure(months_ahead=settings.HOURGLASS_EVENT_PARTITIONS_AHEAD)


@shared_task(name="health.activity_drop_scan_task", acks_late=True, ignore_result=True)
def activity_drop_scan_task(*, day: str | None = None, account_ids: list[int] | None = None) -> int:
    """Daily (beat) for all accounts, and after each rollup run for its accounts.

    Re-running it raises nothing new (cooldown + unique episode), hence acks_late.
    """
    result = activity_drop_scan(day=date.fromisoformat(day) if day else None, account_ids=account_ids)
    return len(result.raised)


@shared_task(name="health.score_recompute_task", acks_late=True, ignore_result=True)
def score_recompute_task(
    *, account_ids: list[int], day: str | None = None, run_id: int | None = None, sweep: str | None = None
) -> int:
    """Score one chunk of accounts (an upsert of the day's rows: safe to repeat); with
    ``run_id``, count the chunk towards that "recalculate now" run's progress.

    One worker at a time does a given chunk (``core.locks.chunk_claim``): a second copy
    of the message (a duplicate dispatch, a redelivery) skips it while it runs, and, for
    the nightly ``sweep`` and a run, once it committed. The chunk is one transaction.
    """
    scored_day = date.fromisoformat(day) if day else timezone.localdate()
    name = f"health.scores:{sweep or '-'}:{scored_day.isoformat()}:{run_id or '-'}:{_ids_digest(account_ids)}"
    remember = CHUNK_REMEMBER_SECONDS if (sweep or run_id is not None) else 0
    with chunk_claim(name, remember_seconds=remember) as claimed:
        if not claimed:
            return 0
        written = health_scores_compute(account_ids=account_ids, day=scored_day)
        if run_id is not None:
            health_recalculation_progress(run_id=run_id, scored=len(account_ids))
    return written


@shared_task(name="health.score_recent_accounts_task", acks_late=True, ignore_result=True)
def score_recent_accounts_task() -> int:
    """Beat, every 15 minutes: rescore accounts with new usage, NPS or touchpoints."""
    return health_scores_dispatch(everything=False)


@shared_task(name="health.score_all_accounts_task", acks_late=True, ignore_result=True)
def score_all_accounts_task() -> int:
    """Beat, nightly: rescore every account (time passing alone moves contact recency)."""
    return health_scores_dispatch(everything=True)


# --- Fan-out: the chunks these tasks score ---------------------------------------------


def _scored_account_ids() -> list[int]:
    """Every account that gets a score: all but churned ones."""
    return list(Account.objects.exclude(status=AccountStatus.CHURNED).order_by("pk").values_list("pk", flat=True))


def _ids_digest(ids: list[int]) -> str:
    """Names a chunk by its accounts: two messages for the same accounts share a claim."""
    return hashlib.blake2b(",".join(map(str, sorted(ids))).encode(), digest_size=12).hexdigest()


def _chunks(ids: list[int]) -> list[list[int]]:
    size = max(1, int(settings.HOURGLASS_HEALTH_SCORE_CHUNK))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


@transaction.atomic
def health_recalculation_start(
    *, actor: Any, account: Account | None = None, day: date | None = None
) -> RecalculationRun:
    """ "Recalculate now": one account (the account panel) or every account (admins).

    The chunks go to Celery after commit; each reports its accounts to the run, which
    the progress bar polls. The caller checked that ``actor`` may do this.
    """
    day = day or timezone.localdate()
    ids = [account.pk] if account is not None else _scored_account_ids()
    run = RecalculationRun.objects.create(
        account=account,
        day=day,
        total=len(ids),
        requested_by=person_or_none(actor),
        finished_at=None if ids else timezone.now(),
    )
    chunks = _chunks(ids)

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
    day = day or timezone.localdate()
    if everything:
        ids = _scored_account_ids()
    else:
        since = timezone.now() - timedelta(minutes=settings.HOURGLASS_HEALTH_RECENT_MINUTES)
        ids = accounts_with_new_data(since=since)
    chunks = _chunks(ids)
    sweep = NIGHTLY_SWEEP if everything else None
    for part in chunks:
        score_recompute_task.delay(account_ids=part, day=day.isoformat(), sweep=sweep)
    return len(chunks)
