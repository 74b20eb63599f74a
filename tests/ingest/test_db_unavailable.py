"""A database error from a lost connection answers 503 + Retry-After under /api/, not 500.

The failures come from the real ORM: Django's ``execute_wrapper`` hook makes the
statement fail the way psycopg does when the server goes away mid-request. (A real
PostgreSQL restart behind a real gunicorn is ``test_pg_restart.py``.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from health.models import UsageEvent
from tests.health.conftest import make_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/bulk"


@contextmanager
def failing(error: type[Exception], when: Callable[[str], bool]) -> Iterator[list[str]]:
    failed: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if when(sql):
            failed.append(sql)
            raise error("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield failed


def api_for(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def is_event_insert(sql: str) -> bool:
    return sql.lstrip().upper().startswith("INSERT") and UsageEvent._meta.db_table in sql


def is_last_event_statement(sql: str) -> bool:
    """The last statement on the events table an execute wrapper sees: SQLite's INSERT;
    on PostgreSQL the rows go in by COPY, which no wrapper sees (a real crash during it
    is test_pg_restart.py), so the stored-keys lookup just before."""
    if connection.vendor == "postgresql":
        return UsageEvent._meta.db_table in sql and "jsonb_array_elements" in sql
    return is_event_insert(sql)


def test_losing_the_database_while_storing_answers_503_and_stores_nothing(org, settings):
    settings.HOURGLASS_DB_RETRY_AFTER = 9
    account = org.accounts["csm_a1"][0]
    api = api_for(org.csm_a1)
    events = [make_event(account, n) for n in range(50)]
    with failing(OperationalError, is_last_event_statement) as failed:
        response = api.post(URL, data=json.dumps(events), content_type="application/json")
    assert failed, "the statement was not reached"
    assert response.status_code == 503
    assert response["Retry-After"] == "9"
    assert response["Content-Type"].startswith("application/json")
    assert "database" in response.json()["detail"]
    assert not UsageEvent.objects.exists()
    # The same batch once the database answers again: stored once, in full.
    again = api.post(URL, data=json.dumps(events), content_type="application/json")
    assert (again.status_code, again.json()) == (201, {"stored": 50, "duplicates": 0})


def test_an_interface_error_in_the_account_lookup_is_a_503_too(org):
    account = org.accounts["csm_a1"][0]
    api = api_for(org.csm_a1)
    with failing(InterfaceError, lambda sql: "accounts_account" in sql) as failed:
        response = api.post(URL, data=json.dumps([make_event(account, 0)]), content_type="application/json")
    assert failed
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert not UsageEvent.objects.exists()


def test_other_api_endpoints_answer_503_too(org):
    client = APIClient()
    client.force_authenticate(org.admin)
    with failing(OperationalError, lambda sql: "accounts_account" in sql):
        response = client.get("/api/v1/accounts/")
    assert response.status_code == 503
    assert "Retry-After" in response


@override_settings(DEBUG=False, ROOT_URLCONF="tests.ingest.db_down_urls")
def test_outside_drf_the_api_still_answers_503_json_and_pages_500(client, org):
    client.raise_request_exception = False
    with failing(OperationalError, lambda sql: "accounts_account" in sql):
        api = client.get("/api/v1/plain-count/")
        page = client.get("/plain-count/")
    assert api.status_code == 503
    assert api["Retry-After"] == "5"
    assert "database" in api.json()["detail"]
    assert page.status_code == 500
    assert not page["Content-Type"].startswith("application/json")
