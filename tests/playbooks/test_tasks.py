"""Working tasks: complete with a touch, snooze, reassign, owner change, permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, TimelineEntry
from accounts.services import account_update
from playbooks.models import OwnerRole, Task, TaskStatus, TriggerKind
from playbooks.services import (
    playbook_fire,
    task_checklist_toggle,
    task_comment_add,
    task_complete,
    task_reassign,
    task_snooze,
    tasks_follow_owner,
    tasks_wake_snoozed,
)
from tests.conftest import login

pytestmark = pytest.mark.django_db


def make_task(account, **fields):
    values = {
        "assignee": account.owner,
        "title": "Call the sponsor",
        "due_date": timezone.localdate(),
        "checklist": [{"text": "Prepare", "done": False}, {"text": "Call", "done": False}],
    }
    values.update(fields)
    return Task.objects.create(account=account, **values)


def test_complete_logs_a_touchpoint_in_the_same_step(org):
    account = org.accounts["csm_a1"][0]
    task = make_task(account)
    done = task_complete(
        task=task, actor=org.csm_a1, log_touchpoint={"kind": "call", "title": "Called Li", "body": "All good"}
    )
    assert done.status == TaskStatus.DONE and done.completed_by == org.csm_a1
    entry = TimelineEntry.objects.get(account=account, is_touchpoint=True)
    assert (entry.title, entry.kind, entry.actor) == ("Called Li", "call", org.csm_a1)
    assert done.touchpoint == entry
    with pytest.raises(ValidationError):
        task_complete(task=done, actor=org.csm_a1)


def test_invalid_touchpoint_leaves_the_task_open(org):
    task = make_task(org.accounts["csm_a1"][0])
    with pytest.raises(ValidationError):
        task_complete(task=task, actor=org.csm_a1, log_touchpoint={"kind": "smoke-signal", "title": "x"})
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert not TimelineEntry.objects.filter(is_touchpoint=True).exists()


def test_snooze_and_wake(org):
    task = make_task(org.accounts["csm_a1"][0])
    today = timezone.localdate()
    with pytest.raises(ValidationError):
        task_snooze(task=task, until=today)
    task = task_snooze(task=task, until=today + timedelta(days=1))
    assert (task.status, task.snoozed_until) == (TaskStatus.SNOOZED, today + timedelta(days=1))
    assert tasks_wake_snoozed(today=today) == 0
    assert tasks_wake_snoozed(today=today + timedelta(days=1)) == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_checklist_and_comments(org):
    task = make_task(org.accounts["csm_a1"][0])
    task = task_checklist_toggle(task=task, index=1, done=True)
    assert [item["done"] for item in task.checklist] == [False, True]
    with pytest.raises(ValidationError):
        task_checklist_toggle(task=task, index=5, done=True)
    assert task_comment_add(task=task, author=org.csm_a1, body=" Spoke to Li ").body == "Spoke to Li"
    with pytest.raises(ValidationError):
        task_comment_add(task=task, author=org.csm_a1, body="  ")


def test_reassign_single_and_bulk_within_what_the_actor_may_assign(org):
    tasks = [make_task(org.accounts["csm_a1"][0]), make_task(org.accounts["csm_a1"][1])]
    assert task_reassign(tasks=tasks, assignee=org.csm_a2, actor=org.manager_a) == 2
    assert set(Task.objects.values_list("assignee_id", "follows_owner")) == {(org.csm_a2.pk, False)}
    with pytest.raises(ValidationError):
        task_reassign(tasks=tasks[:1], assignee=org.csm_b1, actor=org.manager_a)  # another team
    with pytest.raises(ValidationError):
        task_reassign(tasks=tasks[:1], assignee=org.csm_a2, actor=org.csm_a1)  # CSMs assign to themselves only
    # Given back to the owner, the task follows the owner again.
    task_reassign(tasks=tasks[:1], assignee=org.csm_a1, actor=org.manager_a)
    assert Task.objects.get(pk=tasks[0].pk).follows_owner is True


def test_owner_change_moves_open_tasks(org, default_playbooks):
    account = org.accounts["csm_a1"][0]
    playbook_fire(account=account, trigger=TriggerKind.RENEWAL_AT_RISK, episode_key="renewal-at-risk:1")
    done = make_task(account)
    task_complete(task=done, actor=org.csm_a1)
    manager_step = Task.objects.get(account=account, owner_role=OwnerRole.MANAGER)
    assert manager_step.assignee == org.manager_a

    account_update(actor=org.manager_a, account=account, owner=org.csm_a2)

    csm_step = Task.objects.get(account=account, owner_role=OwnerRole.CSM, trigger=TriggerKind.RENEWAL_AT_RISK)
    assert csm_step.assignee == org.csm_a2
    assert Task.objects.get(pk=done.pk).assignee == org.csm_a1  # closed work keeps its history
    assert Task.objects.get(pk=manager_step.pk).assignee == org.manager_a


def test_periodic_fix_catches_owner_changes_without_save(org):
    account = org.accounts["csm_a1"][0]
    task = make_task(account)
    Account.objects.filter(pk=account.pk).update(owner=org.csm_a2)  # no signal
    assert tasks_follow_owner() == 1
    task.refresh_from_db()
    assert task.assignee == org.csm_a2
    assert tasks_follow_owner() == 0


# --- Permissions: pages and API answer 404 outside the scope ----------------------------


def test_csm_cannot_see_another_csms_task(client, org):
    theirs = make_task(org.accounts["csm_a2"][0])
    login(client, org.csm_a1)
    for name in ("task_detail", "task_row", "task_complete"):
        assert client.get(reverse(f"playbooks:{name}", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("playbooks:task_complete", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("playbooks:task_snooze", args=[theirs.pk]), {"days": "1"}).status_code == 404
    assert client.post(reverse("playbooks:task_checklist", args=[theirs.pk]), {"index": "0"}).status_code == 404
    assert client.get(reverse("api:task-detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("api:task-complete", args=[theirs.pk]), {}).status_code == 404
    assert theirs.pk not in [row["id"] for row in client.get(reverse("api:task-list")).json()["results"]]
    theirs.refresh_from_db()
    assert theirs.status == TaskStatus.OPEN


def test_manager_sees_the_teams_tasks_not_other_teams(client, org):
    mine = make_task(org.accounts["csm_a2"][0])
    other = make_task(org.accounts["csm_b1"][0])
    login(client, org.manager_a)
    assert client.get(reverse("playbooks:task_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("playbooks:task_detail", args=[other.pk])).status_code == 404
    ids = [row["id"] for row in client.get(reverse("api:task-list")).json()["results"]]
    assert mine.pk in ids and other.pk not in ids


def test_bulk_reassign_ignores_tasks_outside_scope(client, org):
    mine = make_task(org.accounts["csm_a1"][0])
    other = make_task(org.accounts["csm_b1"][0])
    login(client, org.manager_a)
    response = client.post(reverse("playbooks:task_reassign"), {"task": [mine.pk, other.pk], "assignee": org.csm_a2.pk})
    assert response.status_code == 302
    assert Task.objects.get(pk=mine.pk).assignee == org.csm_a2
    assert Task.objects.get(pk=other.pk).assignee == org.csm_b1
    api = client.post(
        reverse("api:task-reassign"),
        {"task_ids": [other.pk], "assignee_id": org.csm_a2.pk},
        content_type="application/json",
    )
    assert api.status_code == 400


def test_api_complete_with_touch_and_snooze(client, org, default_playbooks):
    task = make_task(org.accounts["csm_a1"][0])
    other = make_task(org.accounts["csm_a1"][1])
    login(client, org.csm_a1)
    response = client.post(
        reverse("api:task-complete", args=[task.pk]),
        {"log_touchpoint": True, "kind": "meeting", "title": "QBR"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done" and response.json()["touchpoint"]
    until = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("api:task-snooze", args=[other.pk]), {"until": until}, content_type="application/json"
    )
    assert response.json()["snoozed_until"] == until
    playbooks = client.get(reverse("api:playbook-list")).json()
    assert playbooks["count"] == len(default_playbooks)
    assert any(p["key"] == "renewal-window" and len(p["steps"]) == 3 for p in playbooks["results"])


def test_tasks_page_filters_and_query_count(client, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = org.accounts["csm_a1"][0]
    make_task(account, due_date=timezone.localdate() - timedelta(days=2), title="Late one")
    login(client, org.csm_a1)
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("playbooks:task_list"))
    assert page.status_code == 200 and "Late one" in page.content.decode()
    for i in range(20):
        make_task(account, title=f"Task {i}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("playbooks:task_list")).status_code == 200
    assert len(many) == len(one)
    overdue = client.get(reverse("playbooks:task_list"), {"due": "overdue"}).content.decode()
    assert "Late one" in overdue and "Task 3" not in overdue
