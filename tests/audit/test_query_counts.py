"""The audit log runs a constant number of queries whatever the number of rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from playbooks.models import Task
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def _grow(org: Any, count: int) -> None:
    for number in range(count):
        account: Any = AccountFactory(owner=org.csm_a1)
        account.name = f"Renamed {number}"
        account._history_user = org.csm_a1
        account.save()
        task = Task.objects.create(
            account=account, assignee=org.csm_a2, title=f"T{number}", due_date=timezone.localdate()
        )
        task.assignee = org.csm_a1  # a person link: names resolved once per page
        task._history_user = org.manager_a
        task.save()


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("user", ["admin", "manager_a"])
def test_the_page_costs_the_same_for_30_and_90_changed_objects(client: Any, org: Any, user: str) -> None:
    client.force_login(getattr(org, user))
    url = reverse("audit:log")
    _grow(org, 30)  # a full page of changes either way
    client.get(url)  # warm the session and the profile
    few = _queries(client, url)
    _grow(org, 60)
    many = _queries(client, url)
    assert many == few


def test_the_export_costs_the_same_per_batch(client: Any, org: Any, django_assert_max_num_queries: Any) -> None:
    client.force_login(org.admin)
    _grow(org, 5)
    export = reverse("audit:export") + "?model=playbooks.task"
    few = _queries(client, export)
    _grow(org, 25)
    assert _queries(client, export) == few


def test_a_page_is_bounded_by_the_number_of_history_models(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    from workspace.audit.registry import audited_models

    client.force_login(org.admin)
    _grow(org, 10)
    client.get(reverse("audit:log"))
    # Two per model (the page window, the previous rows) + people's names + request overhead.
    with django_assert_max_num_queries(2 * len(audited_models()) + 12):
        client.get(reverse("audit:log"))
