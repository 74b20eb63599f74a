"""Beat schedules: the record of each one's runs, and whether it is late.

Beat marks every message it sends with the schedule's name (a header set by
``schedules_mark`` on the entries of ``config/celery_app.py``); the Celery handlers
below record the runs of marked tasks only, so the same task called by hand or by a
chain (``health.activity_drop_scan_task`` with account ids) never counts as the
schedule having run. One ``JobRun`` row per schedule is updated in place.

A job is late when its last success (or, if it never succeeded, the moment monitoring
first saw it) is older than its period plus a grace: the period, clamped to between
5 minutes and ``HOURGLASS_JOB_LATE_GRACE_MINUTES`` (default 60). The nightly jobs are
therefore late after 25 hours, the 15-minute scoring after 30 minutes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from celery.schedules import crontab
from celery.schedules import schedule as interval_schedule
from django.conf import settings
from django.db.models import F
from django.utils import timezone

if TYPE_CHECKING:
    from .models import JobRun

# Models are imported inside the functions: config/celery_app.py imports this module
# (for the signal handlers) before Django's app registry is ready.

logger = logging.getLogger(__name__)

SCHEDULE_HEADER = "hourglass_schedule"
_MIN_GRACE = timedelta(minutes=5)
_DAY = timedelta(days=1)


def schedules_mark(beat_schedule: Mapping[str, dict[str, Any]]) -> None:
    """Make beat send each entry's name along with its task (``config/celery_app.py``)."""
    for name, entry in beat_schedule.items():
        entry.setdefault("options", {}).setdefault("headers", {})[SCHEDULE_HEADER] = name


def beat_schedule() -> dict[str, dict[str, Any]]:
    from config.celery_app import app

    return dict(app.conf.beat_schedule or {})


def schedule_period(value: Any) -> timedelta:
    """The longest gap between two runs of a schedule (a float, timedelta or crontab)."""
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    if isinstance(value, timedelta):
        return value
    if isinstance(value, interval_schedule):
        return timedelta(seconds=float(value.seconds))
    if isinstance(value, crontab):
        # celery-types does not declare the expanded sets (hour, minute, ...) it keeps.
        fields: Any = value
        if len(fields.day_of_month) < 31 or len(fields.month_of_year) < 12:
            return timedelta(days=31)
        if len(fields.day_of_week) < 7:
            return timedelta(days=7)
        minutes = sorted(hour * 60 + minute for hour in fields.hour for minute in fields.minute)
        gaps = [later - earlier for earlier, later in pairwise(minutes)]
        gaps.append(minutes[0] + 24 * 60 - minutes[-1])  # across midnight
        return timedelta(minutes=max(gaps))
    return _DAY


def late_grace(period: timedelta) -> timedelta:
    ceiling = timedelta(minutes=getattr(settings, "HOURGLASS_JOB_LATE_GRACE_MINUTES", 60))
    return min(max(period, _MIN_GRACE), max(ceiling, _MIN_GRACE))


@dataclass(frozen=True)
class JobStatus:
    schedule: str
    task_name: str
    period: timedelta
    run: JobRun | None
    due_by: datetime | None  # late after this moment
    late: bool

    @property
    def late_for(self) -> timedelta | None:
        if not self.late or self.due_by is None:
            return None
        return timezone.now() - self.due_by


def job_runs_ensure() -> int:
    """Create the missing ``JobRun`` rows (lateness of a never-run job counts from now)."""
    from .models import JobRun

    schedules = beat_schedule()
    known = set(JobRun.objects.values_list("schedule", flat=True))
    missing = [
        JobRun(schedule=name, task_name=str(entry.get("task", "")))
        for name, entry in schedules.items()
        if name not in known
    ]
    JobRun.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def job_statuses(*, now: datetime | None = None) -> list[JobStatus]:
    """Every beat schedule with its last run and whether it is late, in schedule order."""
    from .models import JobRun

    now = now or timezone.now()
    runs = {run.schedule: run for run in JobRun.objects.all()}
    statuses = []
    for name, entry in sorted(beat_schedule().items()):
        period = schedule_period(entry.get("schedule"))
        run = runs.get(name)
        due_by = None
        if run is not None:
            due_by = (run.last_success_at or run.first_seen_at) + period + late_grace(period)
        statuses.append(
            JobStatus(
                schedule=name,
                task_name=str(entry.get("task", "")),
                period=period,
                run=run,
                due_by=due_by,
                late=due_by is not None and now > due_by,
            )
        )
    return statuses


# --- Celery signal handlers (connected in config/celery_app.py) -----------------------

_started: dict[str, float] = {}


def _schedule_of(task: Any) -> str | None:
    request = getattr(task, "request", None)
    if request is None:
        return None
    name = getattr(request, SCHEDULE_HEADER, None)
    if name is None:
        headers = getattr(request, "headers", None)
        name = headers.get(SCHEDULE_HEADER) if isinstance(headers, dict) else None
    return str(name) if name else None


def on_task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    schedule = _schedule_of(task)
    if schedule is None:
        return
    from .models import JobOutcome, JobRun

    _started[task_id or ""] = time.monotonic()
    try:
        updated = JobRun.objects.filter(schedule=schedule).update(
            task_name=getattr(task, "name", ""),
            last_started_at=timezone.now(),
            last_outcome=JobOutcome.RUNNING,
            last_task_id=task_id or "",
        )
        if not updated:
            JobRun.objects.get_or_create(
                schedule=schedule,
                defaults={
                    "task_name": getattr(task, "name", ""),
                    "last_started_at": timezone.now(),
                    "last_outcome": JobOutcome.RUNNING,
                    "last_task_id": task_id or "",
                },
            )
    except Exception:  # bookkeeping never breaks the job
        logger.exception("could not record the start of scheduled job %s", schedule)


def _result_summary(retval: Any) -> dict[str, Any]:
    if isinstance(retval, dict):
        return {str(key): value for key, value in retval.items() if isinstance(value, int | float | str | bool)}
    if isinstance(retval, int | float) and not isinstance(retval, bool):
        return {"result": retval}
    return {}


def on_task_postrun(
    task_id: str | None = None, task: Any = None, retval: Any = None, state: Any = None, **_: Any
) -> None:
    schedule = _schedule_of(task)
    if schedule is None:
        return
    from .models import JobOutcome, JobRun

    started = _started.pop(task_id or "", None)
    now = timezone.now()
    fields: dict[str, Any] = {
        "last_finished_at": now,
        "last_duration": None if started is None else round(time.monotonic() - started, 3),
        "runs": F("runs") + 1,
    }
    if state == "SUCCESS":
        fields |= {
            "last_outcome": JobOutcome.SUCCESS,
            "last_success_at": now,
            "last_error": "",
            "last_result": _result_summary(retval),
        }
    elif state == "RETRY":
        return  # the retried run records the outcome
    else:
        fields |= {
            "last_outcome": JobOutcome.FAILURE,
            "last_error": f"{type(retval).__name__}: {retval}"[:2000],
            "failures": F("failures") + 1,
        }
    try:
        JobRun.objects.filter(schedule=schedule).update(**fields)
    except Exception:
        logger.exception("could not record the end of scheduled job %s", schedule)
