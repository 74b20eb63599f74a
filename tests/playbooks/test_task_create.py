"""Tasks created by hand: the form (tasks page, account tab), the API and their denials."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from playbooks.models import Priority, Task, TaskType, TriggerKind
from playbooks.services import task_create
from tests.conftest import login

pytestmark = pytest.mark.django_db


def form_data(account, **overrides):
    data = {
        "account": account.pk,
        "title": "Prepare the QBR deck",
        "due_date": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "priority": Priority.HIGH,
        "task_type": TaskType.OPPORTUNITY,
        "checklist": "Usage numbers\n\n  Value story  \n",
        "description": "For the sponsor.",
        "assignee": "",
    }
    data.update(overrides)
    return data


def test_service_creates_a_manual_task_for_the_owner(org):
    account = org.accounts["csm_a1"][0]
    due = timezone.localdate() + timedelta(days=3)
    task = task_create(
        actor=org.manager_a, account=account, title=" Call ", due_date=due, checklist=["One", " ", "Two"]
    )
    assert (task.assignee, task.follows_owner, task.trigger, task.title) == (org.csm_a1, True, "manual", "Call")
    assert task.checklist == [{"text": "One", "done": False}, {"text": "Two", "done": False}]
    assert task.created_by == org.manager_a and task.due_date == due


def test_service_denials_are_named_by_field(org):
    due = timezone.localdate() + timedelta(days=3)
    with pytest.raises(ValidationError) as other_account:
        task_create(actor=org.csm_a1, account=org.accounts["csm_a2"][0], title="x", due_date=due)
    assert "account" in other_account.value.message_dict
    with pytest.raises(ValidationError) as other_team:
        task_create(actor=org.csm_a1, account=org.accounts["csm_a1"][0], title="x", due_date=due, assignee=org.csm_b1)
    assert set(other_team.value.message_dict) == {"assignee"}
    with pytest.raises(ValidationError) as manager:
        task_create(actor=org.manager_a, account=org.accounts["csm_a1"][0], title="", due_date=due, assignee=org.csm_b1)
    assert set(manager.value.message_dict) == {"title", "assignee"}
    assert not Task.objects.exists()


def test_new_task_page_creates_the_task(client, org):
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    page = client.get(reverse("playbooks:task_create"))
    html = page.content.decode()
    # The chooser lists only the user's own accounts and only who may own the task.
    assert page.status_code == 200 and account.name in html and org.accounts["csm_a2"][0].name not in html
    assert "csm_b1" not in html
    response = client.post(reverse("playbooks:task_create"), form_data(account))
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("playbooks:task_detail", args=[task.pk])
    assert (task.account, task.assignee, task.priority, task.task_type) == (
        account,
        org.csm_a1,
        Priority.HIGH,
        TaskType.OPPORTUNITY,
    )
    assert [item["text"] for item in task.checklist] == ["Usage numbers", "Value story"]
    assert task.trigger == TriggerKind.MANUAL and task.description == "For the sponsor."
    assert "Prepare the QBR deck" in client.get(reverse("playbooks:task_list")).content.decode()


def test_account_tab_links_to_a_preselected_form(client, org):
    account = org.accounts["csm_a1"][0]
    login(client, org.manager_a)
    tab = client.get(reverse("playbooks:account_tasks", args=[account.pk])).content.decode()
    url = f"{reverse('playbooks:task_create')}?account={account.pk}"
    assert url in tab
    page = client.get(url).content.decode()
    assert f'type="hidden" name="account" value="{account.pk}"' in page
    response = client.post(url, form_data(account, assignee=org.csm_a2.pk))
    assert response.status_code == 302
    task = Task.objects.get()
    # A manager may hand it to a teammate of the owner: then it stops following the owner.
    assert (task.assignee, task.follows_owner) == (org.csm_a2, False)


def test_new_task_form_errors(client, org):
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(reverse("playbooks:task_create"), form_data(account, title="", due_date=past))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"title", "due_date"}
    # Another CSM's account and someone outside the team are not valid choices.
    response = client.post(
        reverse("playbooks:task_create"), form_data(org.accounts["csm_a2"][0], assignee=org.csm_b1.pk)
    )
    assert set(response.context["form"].errors) == {"account", "assignee"}
    assert not Task.objects.exists()


def test_preselected_account_outside_scope_is_hidden(client, org):
    login(client, org.csm_a1)
    url = f"{reverse('playbooks:task_create')}?account={org.accounts['csm_b1'][0].pk}"
    assert client.get(url).status_code == 404


def test_api_create_task(client, org):
    account = org.accounts["csm_a1"][0]
    login(client, org.csm_a1)
    due = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post(
        reverse("api:task-list"),
        {"account_id": account.pk, "title": "Send the value report", "due_date": due, "checklist": ["Draft", "Send"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account"]["id"] == account.pk and body["assignee"]["id"] == org.csm_a1.pk
    assert body["due_date"] == due and body["trigger"] == "manual" and body["priority"] == Priority.MEDIUM
    assert [item["text"] for item in body["checklist"]] == ["Draft", "Send"]
    assert client.get(reverse("api:task-detail", args=[body["id"]])).status_code == 200


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"title": ""}, {"title"}),
        ({"due_date": "tomorrow"}, {"due_date"}),
        ({"due_date": "2000-01-01"}, {"due_date"}),
        ({"priority": 9, "task_type": "party"}, {"priority", "task_type"}),
        ({"account_id": "csm_a2"}, {"account_id"}),
        ({"account_id": "csm_b1"}, {"account_id"}),
        ({"assignee_id": "csm_b1"}, {"assignee_id"}),
        ({"assignee_id": "csm_a2"}, {"assignee_id"}),
        ({"assignee_id": 999999}, {"assignee_id"}),
    ],
)
def test_api_create_task_errors_are_named_by_field(client, org, payload, fields):
    users = {"csm_a2": org.csm_a2, "csm_b1": org.csm_b1}
    data = {
        "account_id": org.accounts["csm_a1"][0].pk,
        "title": "Call",
        "due_date": (timezone.localdate() + timedelta(days=1)).isoformat(),
    }
    for key, value in payload.items():
        if key == "account_id" and value in users:
            value = org.accounts[value][0].pk
        elif key == "assignee_id" and value in users:
            value = users[value].pk
        data[key] = value
    login(client, org.csm_a1)
    response = client.post(reverse("api:task-list"), data, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not Task.objects.exists()


def test_api_create_task_needs_login(client, org):
    response = client.post(
        reverse("api:task-list"),
        {"account_id": org.accounts["csm_a1"][0].pk, "title": "x", "due_date": "2100-01-01"},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert not Task.objects.exists()
