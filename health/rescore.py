"""Event → score within seconds: rescore the accounts a usage batch touched, debounced.

After a rollup task commits, ``score_requests_add`` records one ``ScoreRequest`` per
touched account (set-based, ``INSERT … ON CONFLICT DO NOTHING``) and, if at least one
row is new, sends one ``health.score_requests_task`` with a countdown of
``HOURGLASS_HEALTH_RESCORE_DELAY`` seconds. Batches for an account that arrive while
its request waits find the row taken and send nothing: a stream of batches coalesces
into one rescore per delay, whatever the ingest rate.

The task (``score_requests_run``) takes its rows and scores their accounts in one
transaction: a crash rolls both back and the redelivered message (acks_late) finds the
rows again. A rollup committing while the rescore runs inserts its request only after
the rescore's delete commits (PostgreSQL waits on the row), so a change is never left
unscored. A request whose task was lost (broker outage) is taken over by the next
batch after ``HOURGLASS_HEALTH_RESCORE_STALE_SECONDS``; the 15-minute sweep
(``health.score_recent_accounts_task``) stays as the safety net.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import ScoreRequest
from .scoring import health_scores_compute

logger = logging.getLogger(__name__)

__all__ = ["score_requests_add", "score_requests_run"]


def _send(tokens: list[str]) -> None:
    from .tasks import score_requests_task  # tasks import this module

    countdown = max(0, int(settings.HOURGLASS_HEALTH_RESCORE_DELAY))
    for token in tokens:
        score_requests_task.apply_async(kwargs={"token": token}, countdown=countdown)


def score_requests_add(*, account_ids: Iterable[int], after_commit: bool = True) -> list[str]:
    """Request a rescore of ``account_ids`` soon; returns the tokens of the tasks sent
    (none when every account already waits for one). Chunked by
    ``HOURGLASS_HEALTH_SCORE_CHUNK`` accounts per task.

    The tasks go after the caller's transaction commits; ``after_commit=False`` sends
    them at once, for a caller in autocommit (the rollup task), where every statement
    here has committed when it returns. No statement needs the others' atomicity: a
    takeover, an insert and a read, each safe alone."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    size = max(1, int(settings.HOURGLASS_HEALTH_SCORE_CHUNK))
    now = timezone.now()
    stale = now - timedelta(seconds=int(settings.HOURGLASS_HEALTH_RESCORE_STALE_SECONDS))
    tokens = []
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        token = uuid.uuid4().hex
        # A request this old lost its task: this chunk's task takes it over.
        ScoreRequest.objects.filter(account_id__in=chunk, requested_at__lt=stale).update(token=token, requested_at=now)
        ScoreRequest.objects.bulk_create(
            [ScoreRequest(account_id=account_id, token=token, requested_at=now) for account_id in chunk],
            ignore_conflicts=True,
        )
        if ScoreRequest.objects.filter(token=token).exists():
            tokens.append(token)
    if tokens and after_commit:
        # robust: the rollups are committed whatever the broker does; the stale
        # takeover and the 15-minute sweep catch up on a lost message.
        transaction.on_commit(lambda: _send(tokens), robust=True)
    elif tokens:
        try:
            _send(tokens)
        except Exception:  # the same: the rollups stay, the takeover catches up
            logger.exception("could not send the rescore of %s accounts", len(ids))
    return tokens


@transaction.atomic
def score_requests_run(*, token: str, day: date | None = None) -> int:
    """Score the accounts requested under ``token`` (today by default) and drop their
    requests, in one transaction. Returns the number of scores written (0 when another
    run took them: a duplicate message is harmless)."""
    ids = list(ScoreRequest.objects.select_for_update().filter(token=token).values_list("account_id", flat=True))
    if not ids:
        return 0
    ScoreRequest.objects.filter(token=token).delete()
    written = health_scores_compute(account_ids=ids, day=day)
    logger.info("rescored %s accounts after new usage", written)
    return written
