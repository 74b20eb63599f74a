"""API fuzzing: every operation of /api/schema/, with a valid token, through schemathesis.

The schema is loaded from the running app (so an endpoint added tomorrow is fuzzed
tomorrow, without touching this file) and each operation gets generated requests; every
response must be a non-5xx that conforms to the schema (status code, content type,
body). ``HOURGLASS_FUZZ_EXAMPLES`` sets the examples per operation (``make fuzz`` runs
many more than the suite's default).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.tokens import api_token_issue
from tests.factories import make_person

EXAMPLES = int(os.environ.get("HOURGLASS_FUZZ_EXAMPLES", "3"))
COVERAGE = os.environ.get("HOURGLASS_FUZZ_COVERAGE") == "1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def api_schema(org: Any) -> Iterator[Any]:
    # The real WSGI handler closes the connection after each request (as in production);
    # the test's transaction must survive, as Django's test client arranges.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        loaded = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
        # The coverage phase sends every boundary case the schema defines (hundreds per
        # operation): on for ``make fuzz``, off in the suite to keep it fast.
        loaded.config.phases.coverage.enabled = COVERAGE
        yield loaded
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(org: Any) -> str:
    return api_token_issue(user=org.admin)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("HOURGLASS_FUZZ_RANDOM") != "1",
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_api_operation_answers_within_its_schema(case: Any, admin_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {admin_token}"}, checks=CHECKS)


def test_the_schema_lists_every_api_operation(api_schema: Any) -> None:
    """The harness discovers operations from the schema: it must not be empty or partial."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert len(operations) >= 10
    assert any(path.startswith("/api/v1/accounts") for path in paths)
    assert any("events" in path for path in paths)


def test_a_csm_token_is_enough_to_read_the_schema(org: Any, client: Any) -> None:
    person = make_person("csm", username="fuzz_csm")
    token = api_token_issue(user=person)
    response = client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert b"openapi" in response.content
