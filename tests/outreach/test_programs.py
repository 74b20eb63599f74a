"""Tech-touch programs: enrolment, steps exactly once, branches, pause/resume, clicks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import OutboundEmail
from outreach.models import ContactPreference, Enrollment, StepRun
from outreach.programs.emails import click_token, program_email_render
from outreach.programs.enrol import program_enrol, programs_enrol
from outreach.programs.runner import program_steps_run, program_steps_run_batch
from outreach.programs.services import program_save, program_set_status
from playbooks.models import Task
from tests.outreach.conftest import contact
from tests.outreach.programs_support import ONBOARDING_STEPS, colour, make_program

pytestmark = pytest.mark.django_db


BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def human_click(client, run):
    """A person's click: a browser, an hour after the email was delivered."""
    OutboundEmail.objects.filter(pk=run.email_message_id).update(
        status="sent", sent_at=timezone.now() - timedelta(hours=1)
    )
    return client.get(reverse("outreach:program_click", args=[click_token(run.pk)]), headers={"user-agent": BROWSER})


@pytest.fixture
def people(org):
    red, green = org.accounts["csm_a1"]
    colour(red, "red")
    colour(green, "green")
    return [contact(red, "Li Wei", "li.wei@red.test"), contact(green, "Anna Berg", "anna@green.test")]


def test_enrol_sends_step_one_once_then_waits(org, people):
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    assert program_enrol(program=program) == 2
    assert program_enrol(program=program) == 0  # a re-run enrols no one twice
    program_steps_run()
    program_steps_run()  # a duplicate sweep: nothing is due
    assert OutboundEmail.objects.filter(dedupe_key__startswith="program:").count() == 2
    first = Enrollment.objects.get(stakeholder=people[0])
    assert first.status == "active" and first.position == 3
    assert first.next_action_at is not None and first.next_action_at > timezone.now() + timedelta(days=6)
    assert list(first.runs.values_list("outcome", flat=True)) == ["sent", "waited"]
    text, _html = program_email_render(enrollment_id=first.pk, step_id=program.steps.get(position=1).pk)
    assert "Hello Li Wei" in text and "csm_a1 account 0" in text and "None" not in text
    assert reverse("outreach:program_click", args=[click_token(first.runs.first().pk)]) in text


def test_after_the_wait_a_red_account_gets_a_task_and_a_green_one_exits(org, people):
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    programs_enrol()
    program_steps_run()
    later = timezone.now() + timedelta(days=8)
    program_steps_run(now=later)
    program_steps_run(now=later)  # exactly once: a second run does nothing
    red, green = (Enrollment.objects.get(stakeholder=person) for person in people)
    assert red.status == "done" and green.status == "done"
    task = Task.objects.get()
    assert task.account_id == people[0].account_id and task.assignee == org.csm_a1
    assert task.title == "Call Li Wei at csm_a1 account 0" and task.episode_key.startswith("program:")
    assert list(red.runs.values_list("outcome", flat=True)) == ["sent", "waited", "branch_yes", "task_created"]
    assert list(green.runs.values_list("outcome", flat=True)) == ["sent", "waited", "branch_no", "exited"]
    assert program.steps.get(position=5).runs.get().task_id == task.pk


def test_a_concurrent_batch_over_the_same_rows_claims_nothing(org, people):
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    assert program_steps_run_batch().advanced == 2
    assert program_steps_run_batch().due == 0
    # The rows the first batch claimed are no longer due: a late duplicate finds nothing.
    assert StepRun.objects.filter(outcome="sent").count() == 2


def test_a_paused_program_runs_no_step_and_resumes_where_it_was(org, people):
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    program_set_status(program=program, actor=org.admin, status="paused")
    assert program_enrol(program=program) == 0
    assert program_steps_run() == 0
    assert not StepRun.objects.exists()
    program_set_status(program=program, actor=org.admin, status="active")
    assert program_steps_run() == 2


def test_unsubscribed_contacts_leave_and_quiet_hours_defer(org, people, settings):
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    ContactPreference.objects.create(email="li.wei@red.test", unsubscribed_at=timezone.now())
    settings.HOURGLASS_SURVEY_QUIET_START, settings.HOURGLASS_SURVEY_QUIET_END = 0, 23  # almost always quiet
    now = (timezone.now() + timedelta(days=1)).replace(hour=12)
    program_steps_run(now=now)
    left = Enrollment.objects.get(stakeholder=people[0])
    assert left.status == "exited" and left.exit_reason == "unsubscribed"
    waiting = Enrollment.objects.get(stakeholder=people[1])
    assert waiting.status == "active" and waiting.position == 1
    assert waiting.next_action_at is not None and waiting.next_action_at > now
    assert not OutboundEmail.objects.filter(dedupe_key__startswith="program:").exists()


def test_the_contacts_language_and_neutral_merge_fields(org):
    account = org.unassigned
    person = contact(account, "", "wang@acme.test")
    ContactPreference.objects.create(email="wang@acme.test", language="zh-hans")
    program = make_program(org.admin)
    program_enrol(program=program)
    program_steps_run()
    enrollment = Enrollment.objects.get(stakeholder=person)
    message = OutboundEmail.objects.get(dedupe_key__startswith=f"program:{program.steps.first().pk}:{enrollment.pk}")
    assert message.subject.startswith("欢迎")
    text, _html = program_email_render(**message.render_args)
    assert "None" not in text and "您好" in text and "0" in text


def test_click_redirects_to_the_step_link_and_a_forged_token_is_refused(client, org, people):
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    program_steps_run()
    run = StepRun.objects.filter(outcome="sent").first()
    answer = human_click(client, run)
    assert answer.status_code == 302 and answer["Location"] == "https://docs.example.com/start"
    run.refresh_from_db()
    assert run.clicked_at is not None
    forged = client.get(reverse("outreach:program_click", args=[f"{run.pk}:forged"]))
    assert forged.status_code == 404 and b"not valid" in forged.content
    assert client.get(reverse("outreach:program_click", args=["evil.example"])).status_code == 404
    # The target comes from the step, never from the request.
    again = client.get(reverse("outreach:program_click", args=[click_token(run.pk)]) + "?next=https://evil.example")
    assert again["Location"] == "https://docs.example.com/start"


def test_click_tracking_off_records_nothing(client, org, people, settings):
    settings.HOURGLASS_PROGRAM_CLICK_TRACKING = False
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    program_steps_run()
    run = StepRun.objects.filter(outcome="sent").first()
    text, _html = program_email_render(enrollment_id=run.enrollment_id, step_id=run.step_id)
    assert "https://docs.example.com/start" in text and "/outreach/c/" not in text
    human_click(client, run)
    run.refresh_from_db()
    assert run.clicked_at is None


def test_branch_on_a_click(client, org, people):
    steps = [
        ONBOARDING_STEPS[0],
        {"position": 2, "kind": "wait", "wait_days": 3},
        {"position": 3, "kind": "branch", "condition": "clicked", "goto_position": 5},
        {"position": 4, "kind": "task", "task_title": "No click from {contact_name}"},
        {"position": 5, "kind": "exit"},
    ]
    program = make_program(org.admin, steps=steps, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    program_steps_run()
    clicked = StepRun.objects.get(enrollment__stakeholder=people[0], outcome="sent")
    human_click(client, clicked)
    program_steps_run(now=timezone.now() + timedelta(days=4))
    assert list(Task.objects.values_list("title", flat=True)) == ["No click from Anna Berg"]


@pytest.mark.parametrize(
    ("step", "field"),
    [
        ({"position": 1, "kind": "email", "subject_en": "", "body_en": ""}, "body_en"),
        ({"position": 1, "kind": "wait"}, "wait_days"),
        ({"position": 1, "kind": "branch", "condition": "health", "condition_colours": ["red"]}, "goto_position"),
        ({"position": 1, "kind": "branch", "condition": "health", "goto_position": 1}, "condition_colours"),
        ({"position": 1, "kind": "branch", "condition": "clicked", "condition_colours": ["blue"]}, "condition_colours"),
    ],
)
def test_a_bad_step_is_refused_naming_its_field(org, step, field):
    with pytest.raises(ValidationError) as error:
        program_save(actor=org.admin, name="Bad", audience={}, steps=[step, {"position": 2, "kind": "exit"}])
    assert field in error.value.message_dict


def test_bad_audience_and_who_may_manage(org):
    with pytest.raises(ValidationError) as error:
        program_save(actor=org.admin, name="Bad", audience={"segments": ["huge"]}, steps=ONBOARDING_STEPS)
    assert "segments" in error.value.message_dict
    with pytest.raises(ValidationError):
        program_save(actor=org.admin, name="Bad", audience={"owner_ids": [999999]}, steps=ONBOARDING_STEPS)
    with pytest.raises(PermissionDenied):
        program_save(actor=org.csm_a1, name="Mine", audience={}, steps=ONBOARDING_STEPS)
    program = make_program(org.admin, run=False)
    with pytest.raises(PermissionDenied):
        program_set_status(program=program, actor=org.csm_a1, status="active")
    with pytest.raises(ValidationError):
        program_set_status(program=program, actor=org.admin, status="paused")  # not running


def test_a_step_contacts_passed_cannot_be_removed(org, people):
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    program_steps_run()
    steps = [dict(step) for step in ONBOARDING_STEPS[1:]]
    with pytest.raises(ValidationError) as error:
        program_save(program=program, actor=org.admin, name="Onboarding", audience={}, steps=steps)
    assert "steps" in error.value.message_dict
