"""A task's assignee error reads the same for someone of another team as for no one (issue 21)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from playbooks.models import Task
from tests.conftest import login

pytestmark = pytest.mark.django_db

UNKNOWN_USER_ID = 987654


def test_api_create_assignee_outside_team_reads_as_an_unknown_id(client, org):
    login(client, org.manager_a)

    def assignee_error(assignee_id):
        data = {
            "account_id": org.accounts["csm_a1"][0].pk,
            "title": "Call",
            "due_date": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "assignee_id": assignee_id,
        }
        response = client.post(reverse("api:task-list"), data, content_type="application/json")
        assert response.status_code == 400, response.content
        return response.json()["assignee_id"]

    outside = assignee_error(org.csm_b1.pk)
    assert outside == assignee_error(UNKNOWN_USER_ID)
    assert "csm_b1" not in str(outside) and org.csm_b1.get_full_name() not in str(outside)
    assert not Task.objects.exists()


def test_api_reassign_to_someone_outside_team_reads_as_an_unknown_id(client, org):
    task = Task.objects.create(
        account=org.accounts["csm_a1"][0], assignee=org.csm_a1, title="Call", due_date=timezone.localdate()
    )
    login(client, org.manager_a)

    def assignee_error(assignee_id):
        payload = {"task_ids": [task.pk], "assignee_id": assignee_id}
        response = client.post(reverse("api:task-reassign"), payload, content_type="application/json")
        assert response.status_code == 400, response.content
        return response.json()["assignee_id"]

    assert assignee_error(org.csm_b1.pk) == assignee_error(UNKNOWN_USER_ID)
    task.refresh_from_db()
    assert task.assignee == org.csm_a1
