"""Program steps wired into the product: timeline entries, playbooks' tasks, set-based writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import TimelineEntry
from accounts.timeline import system_kind_label
from core.messages import message_render
from core.models import OutboundEmail
from outreach.models import Enrollment, StepRun
from outreach.programs.emails import click_token
from outreach.programs.enrol import program_enrol
from outreach.programs.runner import program_steps_run, program_steps_run_batch
from outreach.programs.services import program_save
from playbooks.models import Task
from playbooks.owner_tasks import OwnerTask, tasks_create_for_owners
from tests.outreach.conftest import contact
from tests.outreach.programs_support import ONBOARDING_STEPS, colour, make_program
from tests.outreach.test_programs import BROWSER

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    red, green = org.accounts["csm_a1"]
    colour(red, "red")
    colour(green, "green")
    return [
        contact(red, "Li Wei", "li.wei@red.test"),
        contact(red, "Zhang Min", "zhang@red.test"),
        contact(green, "Anna Berg", "anna@green.test"),
    ]


def test_an_email_step_writes_one_timeline_entry_per_account_in_the_readers_language(org, people):
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    program_steps_run()
    program_steps_run()  # a duplicate sweep writes nothing more
    entries = TimelineEntry.objects.filter(kind="program_email_sent").order_by("account_id")
    assert [entry.account_id for entry in entries] == sorted({p.account_id for p in people})
    red = entries.get(account_id=people[0].account_id)
    assert "Li Wei" in red.title and "Zhang Min" in red.title and "Onboarding" in red.title
    assert red.data["contacts"] == 2 and red.message_key.startswith("Program “%(program)s”")
    with translation.override("zh-hans"):
        assert "邮件" in message_render(red.message_key, red.message_params, fallback=red.title)
        assert system_kind_label("program_email_sent") == "培育计划邮件已发送"
    assert system_kind_label("program_email_sent") == "Program email sent"


def test_task_step_goes_through_playbooks_with_its_type_owner_and_once_per_enrolment(org, people):
    steps = [dict(step) for step in ONBOARDING_STEPS]
    steps[4]["task_type"] = "risk"
    program = make_program(org.admin, steps=steps, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    program_steps_run()
    later = timezone.now() + timedelta(days=8)
    program_steps_run(now=later)
    program_steps_run(now=later)
    tasks = Task.objects.order_by("pk")
    assert tasks.count() == 2  # the two red contacts, once each
    assert {task.task_type for task in tasks} == {"risk"}
    assert {task.assignee_id for task in tasks} == {org.csm_a1.pk} and all(task.follows_owner for task in tasks)
    assert all(task.history.filter(history_type="+").exists() for task in tasks)
    keys = {task.episode_key for task in tasks}
    runs = StepRun.objects.filter(outcome="task_created")
    assert {f"program:{run.step_id}:{run.enrollment_id}" for run in runs} == keys
    assert {run.task_id for run in runs} == {task.pk for task in tasks}


def test_owner_tasks_service_is_idempotent_per_episode(org, people):
    account = people[0].account
    draft = OwnerTask(
        account_id=account.pk,
        owner_id=org.csm_a1.pk,
        title="Call",
        due_date=timezone.localdate(),
        episode_key="program:1:1",
        task_type="nonsense",
    )
    first = tasks_create_for_owners([draft, draft])
    again = tasks_create_for_owners([draft])
    assert first == again and Task.objects.count() == 1
    assert Task.objects.get().task_type == "activity"  # an unknown type falls back


def test_a_bad_task_type_is_refused_naming_the_field(org):
    steps = [dict(step) for step in ONBOARDING_STEPS]
    steps[4]["task_type"] = "bogus"
    with pytest.raises(ValidationError) as raised:
        program_save(actor=org.admin, name="Bad", audience={}, steps=steps)
    assert "task_type" in raised.value.message_dict


def test_a_batch_is_a_fixed_number_of_statements_whatever_its_size(org, people, settings):
    """Set-based: the statements of a batch do not grow with its contacts."""
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    Enrollment.objects.update(next_action_at=timezone.now() - timedelta(minutes=1))
    with CaptureQueriesContext(connection) as small:
        assert program_steps_run_batch(limit=1).advanced == 1
    with CaptureQueriesContext(connection) as large:
        assert program_steps_run_batch(limit=10).advanced == 2
    assert len(large) == len(small)
    assert OutboundEmail.objects.filter(dedupe_key__startswith="program:").count() == 3
    assert StepRun.objects.filter(outcome="sent", email_message__isnull=True).count() == 0


@pytest.mark.parametrize(
    ("method", "agent", "delivered_ago", "counted"),
    [
        ("get", BROWSER, timedelta(hours=1), True),
        ("head", BROWSER, timedelta(hours=1), False),  # link checkers and previews
        ("get", "", timedelta(hours=1), False),  # no user agent: not a browser
        ("get", "Mozilla/5.0 (compatible; Microsoft SafeLinks)", timedelta(hours=1), False),
        ("get", "python-requests/2.32", timedelta(hours=1), False),
        ("get", BROWSER, timedelta(seconds=5), False),  # a gateway following links on delivery
        ("get", BROWSER, None, False),  # before the outbox sent it: nobody could have read it
    ],
)
def test_a_mail_scanner_opening_the_link_is_not_a_click(client, org, people, method, agent, delivered_ago, counted):
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    program_enrol(program=program)
    program_steps_run()
    run = StepRun.objects.filter(outcome="sent").first()
    if delivered_ago is not None:
        OutboundEmail.objects.filter(pk=run.email_message_id).update(
            status="sent", sent_at=timezone.now() - delivered_ago
        )
    url = reverse("outreach:program_click", args=[click_token(run.pk)])
    answer = getattr(client, method)(url, headers={"user-agent": agent} if agent else {})
    assert answer.status_code == 302 and answer["Location"] == "https://docs.example.com/start"  # redirected anyway
    run.refresh_from_db()
    assert (run.clicked_at is not None) is counted
    if not counted:  # the person's own click, later, counts
        OutboundEmail.objects.filter(pk=run.email_message_id).update(sent_at=timezone.now() - timedelta(hours=2))
        client.get(url, headers={"user-agent": BROWSER})
        run.refresh_from_db()
        assert run.clicked_at is not None
