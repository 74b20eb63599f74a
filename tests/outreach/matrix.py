"""Permission-matrix entries of the outreach app (see tests/test_permission_matrix.py).

Surveys are company-wide: every staff role sees the list and a survey's page (whose
figures are scoped to their accounts); managers and admins create and edit them; CSMs,
managers and admins send (to their own scope). The answer and unsubscribe pages are
public: the signed token is the key. The bounce API is for an admin's token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.matrix_support import HIDDEN, LOGIN, OK, PROFILES, e

# Programs: managers and admins see and manage every program; a CSM sees, read-only, the
# programs that enrolled a contact of their accounts (the target enrols csm_a1's).
PROFILES.setdefault(
    "program_scoped",
    {"anonymous": LOGIN, "csm_a1": OK, "csm_a2": HIDDEN, "csm_b1": HIDDEN, "manager_a": OK, "manager_b": OK,
     "admin": OK},
)  # fmt: skip
# One contact's state: the reader's accounts only (manager_b leads another team).
PROFILES.setdefault(
    "program_contact",
    {"anonymous": LOGIN, "csm_a1": OK, "csm_a2": HIDDEN, "csm_b1": HIDDEN, "manager_a": OK, "manager_b": HIDDEN,
     "admin": OK},
)  # fmt: skip

ENTRIES = {
    "outreach:survey_list": e("page"),
    "outreach:survey_create": e("manager_page"),
    "outreach:results": e("page"),
    "outreach:results_export": e("page"),
    "outreach:survey_detail": e("page", pk="survey"),
    "outreach:survey_edit": e("manager_page", pk="survey"),
    "outreach:survey_send": e("page", pk="survey"),
    "outreach:respond": e("public", token="survey_token"),
    "outreach:unsubscribe": e("public", token="survey_token"),
    "api:outreach-bounces": e("api_admin", "post"),
    "outreach:bounce_list": e("admin_page"),
    "outreach:bounce_clear": e("admin_page", "post"),
    "outreach:program_list": e("page"),
    "outreach:program_create": e("manager_page"),
    "outreach:program_detail": e("program_scoped", pk="program"),
    "outreach:program_edit": e("manager_page", pk="program"),
    "outreach:program_status": e("manager_page", "post", pk="program"),
    "outreach:program_enrollment": e("program_contact", pk="program", enrollment_pk="enrollment"),
    "outreach:program_step_preview": e("program_scoped", pk="program", step_pk="program_step"),
    "outreach:program_step_test_send": e("manager_page", "post", pk="program", step_pk="program_step"),
    "outreach:program_click": e("public", token="click_token"),
    "outreach:program_unsubscribe": e("public", token="program_unsubscribe_token"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    from outreach.emails import recipient_token
    from outreach.models import Program, StepRun, Survey
    from outreach.programs.emails import click_token, unsubscribe_token
    from outreach.programs.enrol import program_enrol
    from outreach.programs.runner import program_steps_run
    from tests.outreach.conftest import contact, sent_recipient
    from tests.outreach.programs_support import make_program

    survey = Survey.objects.create(kind="nps", name="Matrix NPS")
    person = contact(base["account"], "Matrix contact", "matrix@customer.test")
    recipient = sent_recipient(survey, person)
    program = make_program(org.admin, owner_ids=[base["account"].owner_id])
    # A name that is not also a msgid ("Onboarding" is a stage): the zh-hans page sweep
    # reads it as data, not as English UI text.
    Program.objects.filter(pk=program.pk).update(name="Matrix welcome series")
    program_enrol(program=program)
    noon = (timezone.localtime() + timedelta(days=1)).replace(hour=12)  # outside quiet hours
    program_steps_run(now=noon)
    run = StepRun.objects.filter(enrollment__program=program, outcome="sent").select_related("enrollment").first()
    return {
        "survey": survey,
        "survey_token": recipient_token(recipient.pk),
        "program": program,
        "program_step": run.step,
        "enrollment": run.enrollment,
        "click_token": click_token(run.pk),
        "program_unsubscribe_token": unsubscribe_token(run.enrollment_id),
    }
