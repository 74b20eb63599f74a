"""Pages around tasks: htmx actions, the account partials, the sweep task, the demo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, TimelineEntry
from playbooks.models import AccountStage, Stage, Task, TaskStatus
from playbooks.stages import stage_refresh
from playbooks.tasks import stage_sweep_task
from tests.conftest import login

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def task_for(account, **fields):
    return Task.objects.create(
        account=account, assignee=account.owner, title="Call", due_date=timezone.localdate(), **fields
    )


def test_htmx_complete_with_touch_form_errors_then_success(client, org):
    task = task_for(org.accounts["csm_a1"][0])
    login(client, org.csm_a1)
    url = reverse("playbooks:task_complete", args=[task.pk])
    form = client.get(url, {"compact": "1"}, **HTMX)
    assert 'data-testid="touch-form"' in form.content.decode()
    invalid = client.post(url, {"log_touch": "1", "kind": "call", "title": ""}, **HTMX)
    assert invalid.status_code == 200 and 'data-testid="touch-form"' in invalid.content.decode()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN
    done = client.post(url, {"log_touch": "1", "kind": "visit", "title": "Visited", "compact": "1"}, **HTMX)
    assert 'data-status="done"' in done.content.decode()
    assert TimelineEntry.objects.filter(account=task.account, kind="visit", is_touchpoint=True).count() == 1
    again = client.post(url, {}, **HTMX)
    assert "already closed" in again.content.decode()


def test_htmx_snooze_and_plain_complete(client, org):
    first, second = task_for(org.accounts["csm_a1"][0]), task_for(org.accounts["csm_a1"][1])
    login(client, org.csm_a1)
    row = client.post(reverse("playbooks:task_snooze", args=[first.pk]), {"days": "7"}, **HTMX)
    assert 'data-status="snoozed"' in row.content.decode()
    assert Task.objects.get(pk=first.pk).snoozed_until == timezone.localdate() + timedelta(days=7)
    response = client.post(reverse("playbooks:task_complete", args=[second.pk]))
    assert response.status_code == 302
    assert Task.objects.get(pk=second.pk).touchpoint is None


def test_task_detail_checklist_and_comment(client, org):
    task = task_for(org.accounts["csm_a1"][0], checklist=[{"text": "Prepare the deck", "done": False}])
    login(client, org.csm_a1)
    page = client.get(reverse("playbooks:task_detail", args=[task.pk])).content.decode()
    assert "Prepare the deck" in page
    toggled = client.post(reverse("playbooks:task_checklist", args=[task.pk]), {"index": "0", "done": "1"}, **HTMX)
    assert "checked" in toggled.content.decode()
    assert client.post(reverse("playbooks:task_checklist", args=[task.pk]), {"index": "9"}).status_code == 400
    comments = client.post(reverse("playbooks:task_comment", args=[task.pk]), {"body": "Sent on Monday"}, **HTMX)
    assert "Sent on Monday" in comments.content.decode()
    client.post(reverse("playbooks:task_status", args=[task.pk]), {"status": "cancelled"})
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CANCELLED


def test_account_partials_are_scoped(client, org, default_playbooks):
    mine, theirs = org.accounts["csm_a1"][0], org.accounts["csm_a2"][0]
    task_for(mine)
    Account.objects.filter(pk=mine.pk).update(go_live_date=timezone.localdate() - timedelta(days=3))
    stage_refresh(account_ids=[mine.pk])
    login(client, org.csm_a1)
    tasks = client.get(reverse("playbooks:account_tasks", args=[mine.pk])).content.decode()
    assert "Call" in tasks and "Agree and run the training plan" in tasks
    banner = client.get(reverse("playbooks:account_stage", args=[mine.pk])).content.decode()
    assert 'data-stage="promotion"' in banner and "(3 days)" in banner
    assert client.get(reverse("playbooks:account_tasks", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("playbooks:account_stage", args=[theirs.pk])).status_code == 404


def test_sweep_task_twice_changes_nothing_the_second_time(org, celery_eager, default_playbooks):
    Account.objects.update(go_live_date=timezone.localdate() - timedelta(days=10))
    assert stage_sweep_task.delay().get() == Account.objects.count()
    tasks = Task.objects.count()
    timeline = TimelineEntry.objects.filter(kind="stage_changed").count()
    assert tasks > 0 and timeline == Account.objects.count()
    stage_sweep_task.delay()
    assert Task.objects.count() == tasks
    assert TimelineEntry.objects.filter(kind="stage_changed").count() == timeline
    assert set(AccountStage.objects.values_list("stage", flat=True)) == {Stage.PROMOTION}


def test_demo_seeds_stages_and_tasks(client):
    call_command("seed_demo", "--accounts", "60")
    assert AccountStage.objects.count() == 60
    assert Task.objects.filter(due_date__lt=timezone.localdate(), status=TaskStatus.OPEN).exists()
    owner = Task.objects.filter(assignee__isnull=False).values_list("assignee", flat=True).first()
    from django.contrib.auth import get_user_model

    login(client, get_user_model().objects.get(pk=owner))
    assert client.get(reverse("my_day")).status_code == 200
