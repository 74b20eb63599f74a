"""Bulk task actions (playbooks.bulk): all-or-nothing, set-based, with a ten-second undo;
"done" leaves a trace on the account timeline (single and bulk)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import TimelineEntry
from core.undo import undo_state
from playbooks.bulk import (
    tasks_bulk_complete,
    tasks_bulk_create,
    tasks_bulk_create_undo,
    tasks_bulk_reassign,
    tasks_bulk_reschedule,
    tasks_bulk_snooze,
    tasks_bulk_undo,
)
from playbooks.models import Task, TaskStatus
from playbooks.services import task_complete, task_reassign
from tests.conftest import login

pytestmark = pytest.mark.django_db


def make_tasks(account, n, **fields):
    values = {"assignee": account.owner, "title": "Call the sponsor", "due_date": timezone.localdate()}
    values.update(fields)
    return [Task.objects.create(account=account, **values) for _ in range(n)]


def statuses(tasks):
    return list(Task.objects.filter(pk__in=[t.pk for t in tasks]).order_by("pk").values_list("status", flat=True))


def test_bulk_done_marks_every_task_and_writes_a_timeline_entry_each(org):
    first, second = org.accounts["csm_a1"]
    tasks = make_tasks(first, 2) + make_tasks(second, 1, title="Send the value report")

    outcome = tasks_bulk_complete(actor=org.csm_a1, task_ids=[t.pk for t in tasks])

    assert outcome.count == 3 and outcome.undo
    assert statuses(tasks) == ["done"] * 3
    done = Task.objects.get(pk=tasks[0].pk)
    assert done.completed_by == org.csm_a1 and done.completed_at is not None
    entries = TimelineEntry.objects.filter(kind="task_completed").order_by("pk")
    assert [e.account_id for e in entries] == [first.pk, first.pk, second.pk]
    assert {e.message_key for e in entries} == {"Task done: %(title)s"}
    assert entries[0].actor == org.csm_a1 and entries[0].data == {"task": tasks[0].pk}
    assert entries[2].display_title == "Task done: Send the value report"
    with translation.override("zh-hans"):
        assert entries[2].display_title == "任务已完成：Send the value report"


def test_a_single_done_leaves_a_trace_too_and_a_logged_touch_is_the_trace(org):
    account = org.accounts["csm_a1"][0]
    plain, touched = make_tasks(account, 2)

    task_complete(task=plain, actor=org.csm_a1)
    task_complete(task=touched, actor=org.csm_a1, log_touchpoint={"kind": "call", "title": "Called Li"})

    system = TimelineEntry.objects.filter(account=account, kind="task_completed")
    assert [e.data["task"] for e in system] == [plain.pk]
    assert TimelineEntry.objects.filter(account=account, is_touchpoint=True).count() == 1


def test_one_task_outside_the_scope_refuses_the_whole_action_and_names_it(org):
    mine = make_tasks(org.accounts["csm_a1"][0], 2)
    theirs = make_tasks(org.accounts["csm_b1"][0], 1)

    with pytest.raises(ValidationError) as refused:
        tasks_bulk_complete(actor=org.csm_a1, task_ids=[*(t.pk for t in mine), theirs[0].pk])

    assert f"Task #{theirs[0].pk} is not one you can change" in str(refused.value)
    assert "Call the sponsor" not in str(refused.value)  # an outsider's task shows no title
    assert statuses(mine + theirs) == ["open"] * 3
    assert not TimelineEntry.objects.filter(kind="task_completed").exists()


def test_a_closed_task_refuses_the_whole_action_and_is_named(org):
    account = org.accounts["csm_a1"][0]
    open_one = make_tasks(account, 1)[0]
    closed = make_tasks(account, 1, title="Old call", status=TaskStatus.DONE)[0]

    with pytest.raises(ValidationError, match="“Old call” is already closed"):
        tasks_bulk_snooze(
            actor=org.csm_a1, task_ids=[open_one.pk, closed.pk], until=timezone.localdate() + timedelta(days=1)
        )
    assert statuses([open_one]) == ["open"]


def test_bad_input_names_the_field(org):
    task = make_tasks(org.accounts["csm_a1"][0], 1)[0]
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        tasks_bulk_snooze(actor=org.csm_a1, task_ids=[task.pk], until=today)
    assert "until" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        tasks_bulk_reschedule(actor=org.csm_a1, task_ids=[task.pk], due_date=today - timedelta(days=1))
    assert "due_date" in error.value.message_dict
    for ids in ([], ["x"], list(range(1, 300))):
        with pytest.raises(ValidationError) as error:
            tasks_bulk_complete(actor=org.csm_a1, task_ids=ids)
        assert "task" in error.value.message_dict


def test_done_then_undo_puts_everything_back(org):
    account = org.accounts["csm_a1"][0]
    snoozed_until = timezone.localdate() + timedelta(days=3)
    tasks = make_tasks(account, 1) + make_tasks(account, 1, status=TaskStatus.SNOOZED, snoozed_until=snoozed_until)
    outcome = tasks_bulk_complete(actor=org.csm_a1, task_ids=[t.pk for t in tasks])

    undone = tasks_bulk_undo(actor=org.csm_a1, token=outcome.undo)

    assert undone.count == 2
    rows = list(Task.objects.filter(pk__in=[t.pk for t in tasks]).order_by("pk"))
    assert [(t.status, t.snoozed_until, t.completed_at, t.completed_by) for t in rows] == [
        ("open", None, None, None),
        ("snoozed", snoozed_until, None, None),
    ]
    assert not TimelineEntry.objects.filter(kind="task_completed").exists()
    assert tasks_bulk_undo(actor=org.csm_a1, token=outcome.undo).count == 0  # twice: nothing left


def test_snooze_due_and_reassign_each_undo(org):
    account = org.accounts["csm_a1"][0]
    tasks = make_tasks(account, 2)
    ids = [t.pk for t in tasks]
    later = timezone.localdate() + timedelta(days=10)

    snoozed = tasks_bulk_snooze(actor=org.manager_a, task_ids=ids, until=later)
    assert statuses(tasks) == ["snoozed", "snoozed"]
    assert tasks_bulk_undo(actor=org.manager_a, token=snoozed.undo).count == 2
    assert statuses(tasks) == ["open", "open"]

    moved = tasks_bulk_reschedule(actor=org.manager_a, task_ids=ids, due_date=later)
    assert set(Task.objects.filter(pk__in=ids).values_list("due_date", flat=True)) == {later}
    tasks_bulk_undo(actor=org.manager_a, token=moved.undo)
    assert set(Task.objects.filter(pk__in=ids).values_list("due_date", flat=True)) == {timezone.localdate()}

    given = tasks_bulk_reassign(actor=org.manager_a, task_ids=ids, assignee=org.csm_a2)
    assert set(Task.objects.filter(pk__in=ids).values_list("assignee_id", "follows_owner")) == {(org.csm_a2.pk, False)}
    # Someone moves one task on again: the undo leaves that one where it is now.
    task_reassign(tasks=[tasks[1]], assignee=org.manager_a, actor=org.manager_a)
    assert tasks_bulk_undo(actor=org.manager_a, token=given.undo).count == 1
    rows = dict(Task.objects.filter(pk__in=ids).values_list("pk", "assignee_id"))
    assert rows == {tasks[0].pk: org.csm_a1.pk, tasks[1].pk: org.manager_a.pk}
    assert Task.objects.get(pk=tasks[0].pk).follows_owner is True


def test_reassign_to_someone_not_assignable_is_refused(org):
    tasks = make_tasks(org.accounts["csm_a1"][0], 1)
    with pytest.raises(ValidationError) as error:
        tasks_bulk_reassign(actor=org.manager_a, task_ids=[tasks[0].pk], assignee=org.csm_b1)  # another team
    assert "assignee" in error.value.message_dict
    with pytest.raises(ValidationError):
        tasks_bulk_reassign(actor=org.csm_a1, task_ids=[tasks[0].pk], assignee=org.csm_a2)  # a CSM: only themselves


def test_the_undo_token_is_the_actors_and_expires(org):
    tasks = make_tasks(org.accounts["csm_a1"][0], 1)
    outcome = tasks_bulk_complete(actor=org.csm_a1, task_ids=[tasks[0].pk])

    with pytest.raises(ValidationError, match="cannot be undone"):
        tasks_bulk_undo(actor=org.manager_a, token=outcome.undo)  # someone else's token
    with pytest.raises(ValidationError, match="cannot be undone"):
        tasks_bulk_undo(actor=org.csm_a1, token=outcome.undo[:-2] + "xx")  # tampered
    # A token signed 20 seconds ago (the signer's clock set back, not a mock of ours).
    old = signing.TimestampSigner(salt="hourglass.bulk-undo")
    old.timestamp = lambda: signing.b62_encode(int(timezone.now().timestamp()) - 20)  # type: ignore[method-assign]
    stale = old.sign_object({"u": org.csm_a1.pk, "a": "tasks", "s": {}}, compress=True)
    with pytest.raises(ValidationError, match="Too late to undo"):
        undo_state(actor=org.csm_a1, action="tasks", token=stale)
    assert statuses(tasks) == ["done"]


def test_bulk_actions_make_the_same_queries_for_one_task_and_twenty(org):
    account = org.accounts["csm_a1"][0]

    def queries(n, action):
        tasks = make_tasks(account, n)
        with CaptureQueriesContext(connection) as ctx:
            outcome = action([t.pk for t in tasks])
        with CaptureQueriesContext(connection) as undo_ctx:
            tasks_bulk_undo(actor=org.manager_a, token=outcome.undo)
        return len(ctx.captured_queries), len(undo_ctx.captured_queries)

    later = timezone.localdate() + timedelta(days=2)
    actions = [
        lambda ids: tasks_bulk_complete(actor=org.manager_a, task_ids=ids),
        lambda ids: tasks_bulk_snooze(actor=org.manager_a, task_ids=ids, until=later),
        lambda ids: tasks_bulk_reschedule(actor=org.manager_a, task_ids=ids, due_date=later),
        lambda ids: tasks_bulk_reassign(actor=org.manager_a, task_ids=ids, assignee=org.csm_a2),
    ]
    for action in actions:
        assert queries(1, action) == queries(20, action)


def test_tasks_added_to_many_accounts_go_to_each_owner_and_undo(org):
    accounts = [*org.accounts["csm_a1"], *org.accounts["csm_a2"]]
    due = timezone.localdate() + timedelta(days=5)

    outcome = tasks_bulk_create(
        actor=org.manager_a, account_ids=[a.pk for a in accounts], title="QBR prep", due_date=due
    )

    assert outcome.count == 4
    created = Task.objects.filter(title="QBR prep")
    assert {(t.account_id, t.assignee_id) for t in created} == {(a.pk, a.owner_id) for a in accounts}
    assert all(t.history.count() == 1 for t in created)  # in the audit log
    tasks_bulk_complete(actor=org.manager_a, task_ids=[created.first().pk])  # worked on: kept by the undo
    assert tasks_bulk_create_undo(actor=org.manager_a, token=outcome.undo).count == 3
    assert Task.objects.filter(title="QBR prep").count() == 1


def test_adding_tasks_to_an_account_outside_the_scope_adds_none(org):
    mine, theirs = org.accounts["csm_a1"][0], org.accounts["csm_b1"][0]
    with pytest.raises(ValidationError) as error:
        tasks_bulk_create(
            actor=org.csm_a1, account_ids=[mine.pk, theirs.pk], title="Call", due_date=timezone.localdate()
        )
    assert f"Account #{theirs.pk} is not one you can add tasks to" in str(error.value)
    assert not Task.objects.filter(title="Call").exists()


def test_tasks_added_make_the_same_queries_for_one_account_and_twenty(org):
    from tests.factories import AccountFactory

    accounts = [AccountFactory(owner=org.csm_a1) for _ in range(20)]

    def queries(n):
        with CaptureQueriesContext(connection) as ctx:
            tasks_bulk_create(
                actor=org.csm_a1, account_ids=[a.pk for a in accounts[:n]], title=f"T{n}", due_date=timezone.localdate()
            )
        return len(ctx.captured_queries)

    assert queries(1) == queries(20)


def test_the_bulk_bar_answers_with_the_count_an_undo_and_a_list_refresh(client, org):
    tasks = make_tasks(org.accounts["csm_a1"][0], 2)
    login(client, org.csm_a1)
    headers = {"HTTP_HX_REQUEST": "true"}

    response = client.post(reverse("playbooks:task_bulk"), {"action": "done", "task": [t.pk for t in tasks]}, **headers)

    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "hg-list-changed"
    assert "2 tasks done." in html and 'data-testid="bulk-undo"' in html
    token = html.split('name="token" value="')[1].split('"')[0]
    response = client.post(reverse("playbooks:task_bulk_undo"), {"token": token}, **headers)
    assert "Undone: 2 tasks as they were." in response.content.decode()
    assert statuses(tasks) == ["open", "open"]


def test_the_bulk_bar_says_what_was_refused(client, org):
    theirs = make_tasks(org.accounts["csm_b1"][0], 1)[0]
    login(client, org.csm_a1)
    headers = {"HTTP_HX_REQUEST": "true"}

    response = client.post(reverse("playbooks:task_bulk"), {"action": "done", "task": [theirs.pk]}, **headers)
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert f"Task #{theirs.pk} is not one you can change" in response.content.decode()
    response = client.post(reverse("playbooks:task_bulk"), {"action": "due", "task": [theirs.pk]}, **headers)
    assert "New due date: Choose the new due date." in response.content.decode()
    response = client.post(reverse("playbooks:task_bulk"), {"action": "due", "due_date": "9999-12-31"}, **headers)
    assert 'data-testid="bulk-error"' in response.content.decode()  # a bounded date field
    # Without JavaScript: back to the list, with the message.
    response = client.post(reverse("playbooks:task_bulk"), {"action": "done", "task": [theirs.pk]})
    assert response.status_code == 302 and response["Location"] == reverse("playbooks:task_list")
    assert statuses([theirs]) == ["open"]


def test_the_tasks_page_has_the_bulk_bar_and_the_shortcuts_sheet(client, org):
    make_tasks(org.accounts["csm_a1"][0], 1)
    login(client, org.csm_a1)
    html = client.get(reverse("playbooks:task_list")).content.decode()
    assert 'id="task-bulk"' in html and 'form="task-bulk" data-hg-select' in html
    assert 'data-hg-key="e"' in html and 'data-hg-key="s"' in html and 'id="hg-keys-help"' in html
    assert "js/lists.js" in html
    with translation.override("zh-hans"):
        html = client.get(reverse("playbooks:task_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "键盘快捷键" in html and "全选本页" in html
