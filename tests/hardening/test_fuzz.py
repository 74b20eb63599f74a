"""API fuzzing: every operation of /api/schema/, as a CSM and as an admin, through schemathesis.

The schema is loaded from the running app (so an endpoint added tomorrow is fuzzed
tomorrow, without touching this file). Two runs per role:

* every operation gets generated requests with the role's token;
* stateful sequences: schemathesis infers the links between operations from the schema
  (a POST's ``id`` feeds the ``{id}`` of the GET/PATCH/DELETE of the same resource;
  drf-spectacular writes no OpenAPI ``links``) and walks them, so the later calls hit
  objects that exist.

Every response must be a non-5xx that conforms to the schema (status code, content
type, body). ``HOURGLASS_FUZZ_EXAMPLES`` sets the examples per operation and role
(``make fuzz``: 100, coverage phase on, random seeds); the suite runs a few,
derandomised, to stay fast.
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
STATEFUL_EXAMPLES = int(os.environ.get("HOURGLASS_FUZZ_STATEFUL_EXAMPLES", str(max(2, EXAMPLES // 4))))
COVERAGE = os.environ.get("HOURGLASS_FUZZ_COVERAGE") == "1"
RANDOM = os.environ.get("HOURGLASS_FUZZ_RANDOM") == "1"
# A regex over operation paths, to fuzz some endpoints longer (``make fuzz FUZZ_PATHS=people``).
PATHS = os.environ.get("HOURGLASS_FUZZ_PATHS", "")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# A CSM (scoped to their own accounts: most ids answer 404) and an admin (everything).
ROLES = ("csm_a1", "admin")

pytestmark = [pytest.mark.django_db]


def _load_schema() -> Any:
    loaded = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    # The coverage phase sends every boundary case the schema defines (hundreds per
    # operation): on for ``make fuzz``, off in the suite to keep it fast.
    loaded.config.phases.coverage.enabled = COVERAGE
    return loaded.include(path_regex=PATHS) if PATHS else loaded


@pytest.fixture
def wsgi_requests() -> Iterator[None]:
    # The real WSGI handler closes the connection after each request (as in production);
    # the test's transaction must survive, as Django's test client arranges.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(org: Any, wsgi_requests: None) -> Any:
    return _load_schema()


@pytest.fixture
def role_tokens(org: Any) -> dict[str, str]:
    return {role: api_token_issue(user=getattr(org, role)) for role in ROLES}


schema = schemathesis.pytest.from_fixture("api_schema")
if PATHS:
    schema = schema.include(path_regex=PATHS)

HYPOTHESIS = {
    "deadline": None,
    "database": None,
    "derandomize": not RANDOM,
    "suppress_health_check": list(HealthCheck),
}


@schema.parametrize()
@settings(max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate], **HYPOTHESIS)
def test_every_api_operation_answers_within_its_schema(case: Any, role_tokens: dict[str, str]) -> None:
    # Each generated request is sent as every role (schemathesis' lazy schema takes no
    # parametrised fixtures): the same input must hold whoever sends it.
    for token in role_tokens.values():
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


@pytest.mark.parametrize("role", ROLES)
def test_stateful_sequences_answer_within_the_schema(org: Any, wsgi_requests: None, role: str) -> None:
    token = api_token_issue(user=getattr(org, role))
    loaded = _load_schema()
    machine = loaded.as_state_machine()
    assert loaded.statistic.transitions.total > 0, "no links inferred: the stateful phase would test nothing"

    class Workflow(machine):  # type: ignore[valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Workflow.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=6, **HYPOTHESIS))


@pytest.mark.skipif(bool(PATHS), reason="HOURGLASS_FUZZ_PATHS narrows the schema on purpose")
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
