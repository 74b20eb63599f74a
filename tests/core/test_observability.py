"""Request ids, JSON logs and the check-and-repair command."""

from __future__ import annotations

import json
import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.models import TaskFailure
from core.observability import JsonFormatter, RequestIdFilter, request_id_var
from core.services import task_failure_record

pytestmark = pytest.mark.django_db


def test_a_request_gets_an_id_returned_in_the_response(client):
    response = client.get(reverse("healthz"))
    assert len(response["X-Request-ID"]) == 32


def test_an_incoming_request_id_is_honoured(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-abc.123")
    assert response["X-Request-ID"] == "lb-abc.123"


def test_a_malformed_incoming_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith injection")
    assert response["X-Request-ID"] != "bad id\nwith injection"
    assert len(response["X-Request-ID"]) == 32


def test_log_lines_of_a_request_carry_its_id(client, caplog):
    handler_records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            handler_records.append(record)

    keep = Keep()
    keep.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(keep)
    try:
        client.get("/no-such-page-at-all/", HTTP_X_REQUEST_ID="req-42")
    finally:
        logger.removeHandler(keep)
    assert handler_records, "Django logs a warning for a 404"
    assert {record.request_id for record in handler_records} == {"req-42"}


def test_json_formatter_writes_one_object_per_line_with_the_request_id():
    record = logging.LogRecord("hourglass.test", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    record.account_id = 7
    token = request_id_var.set("rid-1")
    try:
        RequestIdFilter().filter(record)
        line = JsonFormatter().format(record)
    finally:
        request_id_var.reset(token)
    payload = json.loads(line)
    assert payload["message"] == "hello world"
    assert payload["level"] == "WARNING"
    assert payload["request_id"] == "rid-1"
    assert payload["account_id"] == 7
    assert "\n" not in line


def test_task_failures_are_listed_in_the_admin(client, org):
    task_failure_record(
        task_name="health.rollup_accounts_days_task",
        task_id="t-1",
        args=[],
        kwargs={"pairs": [["x", "y"]]},
        exception="ValueError: invalid literal",
        traceback="Traceback ...",
    )
    client.force_login(org.admin)
    response = client.get(reverse("admin:core_taskfailure_changelist"))
    assert response.status_code == 200
    assert b"health.rollup_accounts_days_task" in response.content
    assert b"ValueError: invalid literal" in response.content
    assert TaskFailure.objects.count() == 1


def test_repair_lists_its_jobs():
    out = StringIO()
    call_command("repair", "--list", stdout=out)
    assert {"rollups", "stages", "reminders"} <= {line.split(":")[0] for line in out.getvalue().splitlines()}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nonsense"], "unknown job"),
        (["rollups", "--date", "2026-13-01"], "not a date"),
        (["rollups", "--start", "2026-05-02", "--end", "2026-05-01"], "before"),
        (["rollups", "--date", "2026-05-01", "--start", "2026-05-01"], "not both"),
    ],
)
def test_repair_rejects_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("repair", *args, stdout=StringIO())
