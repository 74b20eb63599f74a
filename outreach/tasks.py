"""Celery tasks of the outreach app: thin, ids in, one service each."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .sending import csat_task_sweep, csat_touchpoint_sweep, nps_auto_sweep, recipients_dispatch_batch

# Batches one dispatch task runs before handing the rest to a fresh task.
BATCHES_PER_TASK = 10


@shared_task(name="outreach.survey_dispatch_task", acks_late=True)
def survey_dispatch_task() -> int:
    """Queue due survey emails, a batch per transaction; a killed run loses nothing (its
    open batch rolls back and stays due) and a second worker claims nothing twice."""
    queued = 0
    for _batch in range(BATCHES_PER_TASK):
        batch = recipients_dispatch_batch()
        queued += batch.queued
        if batch.due < settings.HOURGLASS_SURVEY_BATCH_SIZE:
            return queued
    survey_dispatch_task.delay()  # more is due: chunked, not one endless task
    return queued


@shared_task(name="outreach.nps_auto_sweep_task", acks_late=True)
def nps_auto_sweep_task() -> int:
    return nps_auto_sweep()


@shared_task(name="outreach.csat_touchpoint_sweep_task", acks_late=True)
def csat_touchpoint_sweep_task() -> int:
    """CSAT after new touchpoints of the chosen kinds, and after closed tasks."""
    return csat_touchpoint_sweep() + csat_task_sweep()


@shared_task(name="outreach.program_enrol_task", acks_late=True)
def program_enrol_task() -> int:
    """Enrol the new audience contacts of running programs, then run their first steps."""
    from .programs.enrol import programs_enrol

    enrolled = programs_enrol()
    if enrolled:
        program_steps_task.delay()
    return enrolled


@shared_task(name="outreach.program_steps_task", acks_late=True)
def program_steps_task() -> int:
    """Advance due program enrolments, a batch per transaction (outreach.programs.runner):
    a killed run rolls its batch back and a second worker claims nothing twice."""
    from .programs.runner import program_steps_run_batch

    advanced = 0
    for _batch in range(BATCHES_PER_TASK):
        batch = program_steps_run_batch()
        advanced += batch.advanced
        if batch.due < settings.HOURGLASS_SURVEY_BATCH_SIZE:
            return advanced
    program_steps_task.delay()  # more is due: chunked, not one endless task
    return advanced
