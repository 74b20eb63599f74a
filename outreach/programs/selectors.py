"""Reads of tech-touch programs, scoped to the reader.

Managers and admins see every program (they manage them); a CSM sees the programs that
enrolled a contact of their accounts, read-only. Enrolments, their counts and their
history are always those of the reader's accounts.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.selectors import account_scope
from core.types import AnyUser

from ..access import can_manage_surveys
from ..models import Enrollment, EnrollmentStatus, Program, ProgramStep, StepRun

OUTCOMES = {
    "sent": _("Email sent"),
    "waited": _("Waiting"),
    "branch_yes": _("Condition met"),
    "branch_no": _("Condition not met"),
    "task_created": _("Task created for the owner"),
    "task_no_owner": _("No task: the account has no owner"),
    "exited": _("Left at an exit step"),
    "unsubscribed": _("Left: unsubscribed"),
    "bounced": _("Left: address bounced"),
    "erased": _("Left: personal data erased"),
}


def outcome_label(outcome: str) -> str:
    return str(OUTCOMES.get(outcome, outcome))


def _scoped_enrollments(user: AnyUser) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(account__in=account_scope(user=user).order_by().values("pk"))


def programs_for_user(*, user: AnyUser) -> QuerySet[Program]:
    """The programs the reader may see, with their counts over the reader's accounts."""
    programs = Program.objects.all()
    if not can_manage_surveys(user):
        mine = _scoped_enrollments(user).filter(program=OuterRef("pk"))
        programs = programs.filter(Exists(mine))
    scope = Q(enrollments__account__in=account_scope(user=user).order_by().values("pk"))
    return programs.annotate(
        enrolled_count=Count("enrollments", filter=scope),
        active_count=Count("enrollments", filter=scope & Q(enrollments__status=EnrollmentStatus.ACTIVE)),
    ).order_by("-created_at", "-pk")


def get_program_for_user(user: AnyUser, pk: int | str) -> Program:
    program = Program.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if program is None:
        raise Http404
    if not can_manage_surveys(user) and not _scoped_enrollments(user).filter(program=program).exists():
        raise Http404
    return program


def program_steps(program: Program) -> list[ProgramStep]:
    return list(program.steps.order_by("position"))


def program_enrollments(*, program: Program, user: AnyUser, status: str = "") -> QuerySet[Enrollment]:
    enrollments = _scoped_enrollments(user).filter(program=program).select_related("stakeholder", "account")
    if status in EnrollmentStatus.values:
        enrollments = enrollments.filter(status=status)
    return enrollments.order_by("-enrolled_at", "-pk")


def get_enrollment_for_user(user: AnyUser, *, program: Program, pk: int | str) -> Enrollment:
    enrollment = (
        _scoped_enrollments(user).filter(program=program, pk=pk).select_related("stakeholder", "account__owner").first()
        if str(pk).isdigit()
        else None
    )
    if enrollment is None:
        raise Http404
    return enrollment


def enrollment_history(enrollment: Enrollment) -> list[StepRun]:
    return list(enrollment.runs.select_related("step", "email_message", "task").order_by("created_at", "pk"))
