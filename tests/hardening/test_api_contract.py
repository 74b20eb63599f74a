"""Issue 21, defects 7 and 8: the API keeps the contract its schema and HTTP promise.

401 with ``WWW-Authenticate: Token`` without valid credentials (a browser session keeps
its CSRF check), ``page_size`` outside 1..500 is a 400 naming it, an unknown filter id
is a 400 naming the filter, a production 500 under /api/ is JSON, and the fields that
can be null say so in the schema.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from core.tokens import api_token_issue

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("authorization", [None, "Token not-a-real-token", "Token ", "Bearer abc"])
def test_missing_or_invalid_credentials_answer_401_with_the_token_challenge(client, org, authorization) -> None:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    response = client.get("/api/v1/accounts/", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response["Content-Type"].startswith("application/json") and "detail" in response.json()


def test_a_valid_token_reads_and_writes_without_csrf(org) -> None:
    token = api_token_issue(user=org.csm_a1)
    client = Client(enforce_csrf_checks=True)
    account = org.accounts["csm_a1"][0]
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get("/api/v1/accounts/", **headers).status_code == 200
    response = client.post(
        "/api/v1/timeline/",
        {"account_id": account.pk, "kind": "call", "title": "Call"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 201, response.content


def test_a_browser_session_still_needs_the_csrf_token_to_write(org) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.csm_a1)
    account = org.accounts["csm_a1"][0]
    body = {"account_id": account.pk, "kind": "call", "title": "Call"}
    assert client.get("/api/v1/accounts/").status_code == 200
    refused = client.post("/api/v1/timeline/", body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    csrf = "a" * 32  # the cookie a page gave this browser, sent back in the header
    client.cookies["csrftoken"] = csrf
    accepted = client.post("/api/v1/timeline/", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201, accepted.content


@pytest.mark.parametrize("page_size", ["abc", "0", "-1", "501", "1.5", "99999999999999999999", " ", "１０"])
def test_a_page_size_outside_1_to_500_is_a_400_naming_it(client, org, page_size) -> None:
    client.force_login(org.admin)
    response = client.get("/api/v1/accounts/", {"page_size": page_size})
    if page_size == " ":
        assert response.status_code == 400 and "page_size" in response.json()
        return
    assert response.status_code == 400, page_size
    assert list(response.json()) == ["page_size"]


def test_a_page_size_in_range_is_honoured_and_the_schema_says_the_range(client, org) -> None:
    client.force_login(org.admin)
    body = client.get("/api/v1/accounts/", {"page_size": "2"}).json()
    assert len(body["results"]) == 2 and body["count"] == 7
    assert client.get("/api/v1/accounts/", {"page_size": "500"}).status_code == 200
    schema = client.get("/api/schema/", {"format": "json"}).json()
    [page_size] = [p for p in schema["paths"]["/api/v1/accounts/"]["get"]["parameters"] if p["name"] == "page_size"]
    assert (page_size["schema"]["minimum"], page_size["schema"]["maximum"]) == (1, 500)


def test_a_nonexistent_filter_id_is_a_400_naming_the_filter(client, org) -> None:
    client.force_login(org.admin)
    response = client.get("/api/v1/accounts/", {"owner": "987654"})
    assert response.status_code == 400 and "owner" in response.json()


@override_settings(DEBUG=False, ROOT_URLCONF="tests.hardening.boom_urls")
def test_a_production_500_is_json_under_api_and_the_page_elsewhere(org) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/boom/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] == "Server error." and "ZeroDivisionError" not in response.content.decode()
    assert body["request_id"] == response["X-Request-ID"]
    page = client.get("/boom/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("component", "fields"),
    [
        ("ActivityAlert", ["acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by"]),
        ("Renewal", ["churn_reason"]),
        ("Contract", ["renewal_id"]),
        ("Book", ["overdue_reviews", "dossier_completeness"]),
    ],
)
def test_fields_that_can_be_null_are_nullable_in_the_schema(client, org, component, fields) -> None:
    client.force_login(org.admin)
    schemas = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert [name for name in fields if not schemas[component]["properties"][name].get("nullable")] == []


def test_a_filter_value_with_a_percent_sign_is_a_400_not_a_500(client, org) -> None:
    """Found by the fuzzer: the team filter's error text carried the value into a second %-format."""
    client.force_login(org.admin)
    for value in ("%", "50%s", "%(value)s", "a%E2"):
        response = client.get("/api/v1/renewals/", {"team": value})
        assert response.status_code == 400 and "team" in response.json(), value
    assert client.get("/renewals/", {"team": "%s"}).status_code == 200


def test_a_body_in_a_media_type_no_parser_reads_is_a_documented_415(client, org) -> None:
    """Found by the fuzzer: DRF answers 415, which the schema did not list."""
    client.force_login(org.admin)
    response = client.post("/api/v1/tasks/reassign/", b"task_ids=1", content_type="text/plain")
    assert response.status_code == 415 and "detail" in response.json()
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "415" in schema["paths"]["/api/v1/tasks/reassign/"]["post"]["responses"]
    assert "415" not in schema["paths"]["/api/v1/tasks/"]["get"]["responses"]


def test_a_form_body_with_too_many_fields_is_a_json_400_under_api(org) -> None:
    """Found by the fuzzer: Django's own 400 (DATA_UPLOAD_MAX_NUMBER_FIELDS) was an HTML page."""
    client = Client(raise_request_exception=False)
    client.force_login(org.admin)
    body = "&".join(f"task_ids={n}" for n in range(1, 1101))
    response = client.post("/api/v1/tasks/reassign/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Bad request."}
