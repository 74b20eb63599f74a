"""Staff pages: scope of results and CSV, who may create and send, query counts; the bounce API."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import OutboundEmail
from core.outbox import (
    EmailDraft,
    email_deliver_many,
    email_permanently_failed,
    email_renderer_register,
    emails_enqueue,
)
from outreach.models import ContactPreference, Survey
from outreach.responses import survey_response_record
from tests.outreach.conftest import contact, sent_recipient

pytestmark = pytest.mark.django_db


def answered(survey: Survey, person: Any, score: int, comment: str = "") -> Any:
    recipient = sent_recipient(survey, person)
    survey_response_record(recipient=recipient, score=score, comment=comment)
    return recipient


def test_results_and_csv_are_scoped(client, org, contacts, nps_survey):
    answered(nps_survey, contacts[0], 10, "Love it")
    answered(nps_survey, contacts[3], 2, "Other team's secret")
    client.force_login(org.csm_a1)
    page = client.get(reverse("outreach:survey_detail", args=[nps_survey.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "Love it" in body and "Other team" not in body
    assert 'data-testid="results-score">100.0<' in body
    csv = client.get(reverse("outreach:results_export") + f"?survey={nps_survey.pk}").content.decode()
    assert "Love it" in csv and "secret" not in csv
    client.force_login(org.admin)
    csv = client.get(reverse("outreach:results_export") + "?kind=nps").content.decode()
    assert "Love it" in csv and "secret" in csv
    assert client.get(reverse("outreach:results") + "?kind=nps").status_code == 200
    assert client.get(reverse("outreach:results") + "?kind=bogus").status_code == 200


def test_csv_neutralises_formulas(client, org, contacts, nps_survey):
    answered(nps_survey, contacts[0], 8, "=HYPERLINK(1)")
    client.force_login(org.csm_a1)
    csv = client.get(reverse("outreach:results_export") + "?kind=nps").content.decode()
    assert "'=HYPERLINK(1)" in csv


def test_csm_cannot_create_or_edit_but_can_send(client, org, contacts, nps_survey):
    client.force_login(org.csm_a1)
    assert client.get(reverse("outreach:survey_create")).status_code == 403
    assert client.post(reverse("outreach:survey_edit", args=[nps_survey.pk]), {"name": "x"}).status_code == 403
    answer = client.post(reverse("outreach:survey_send", args=[nps_survey.pk]), {"tiers": ["B"]})
    assert answer.status_code == 302
    assert set(nps_survey.recipients.values_list("account__owner", flat=True)) == {org.csm_a1.pk}
    bad = client.post(reverse("outreach:survey_send", args=[nps_survey.pk]), {"account_ids": "1, x"})
    assert bad.status_code == 400 and b'data-testid="error-account_ids"' in bad.content


def test_manager_creates_survey_and_bad_input_names_the_field(client, org):
    client.force_login(org.manager_a)
    form = {"kind": "nps", "name": "Pulse", "expires_days": "30", "auto_enabled": "on"}
    answer = client.post(reverse("outreach:survey_create"), form)
    assert answer.status_code == 400 and b'data-testid="error-auto_every_months"' in answer.content
    answer = client.post(reverse("outreach:survey_create"), {**form, "auto_every_months": "6"})
    assert answer.status_code == 302
    survey = Survey.objects.get(name="Pulse")
    assert (survey.auto_every_months, survey.created_by) == (6, org.manager_a)
    assert client.get(reverse("outreach:survey_edit", args=[survey.pk])).status_code == 200
    assert client.get(reverse("outreach:survey_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("rows", [1, 20])
def test_survey_list_query_count(client, org, rows, django_assert_num_queries):
    for number in range(rows):
        Survey.objects.create(name=f"Survey {number}")
    client.force_login(org.csm_a1)
    client.get(reverse("outreach:survey_list"))  # warm the session and profile
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("outreach:survey_list")).status_code == 200
    counts = _COUNTS.setdefault("list", {})
    counts[rows] = len(queries)
    if len(counts) == 2:
        assert counts[1] == counts[20], counts


@pytest.mark.parametrize("rows", [1, 20])
def test_results_query_count(client, org, nps_survey, rows):
    for number in range(rows):
        person = contact(org.accounts["csm_a1"][number % 2], f"Person {number}", f"p{number}@customer.test")
        answered(nps_survey, person, number % 11, f"comment {number}")
    client.force_login(org.csm_a1)
    client.get(reverse("outreach:survey_detail", args=[nps_survey.pk]))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("outreach:survey_detail", args=[nps_survey.pk])).status_code == 200
    counts = _COUNTS.setdefault("results", {})
    counts[rows] = len(queries)
    if len(counts) == 2:
        assert counts[1] == counts[20], counts


_COUNTS: dict[str, dict[int, int]] = {}


def test_bounce_api_admin_token_only(org):
    api = APIClient()
    url = reverse("api:outreach-bounces")
    assert api.post(url, {"emails": ["x@customer.test"]}, format="json").status_code in (401, 403)
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=org.csm_a1).key}")
    assert api.post(url, {"emails": ["x@customer.test"]}, format="json").status_code == 403
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=org.admin).key}")
    bad = api.post(url, {"emails": ["not-an-email"]}, format="json")
    assert bad.status_code == 400 and "emails" in bad.json()
    done = api.post(url, {"emails": ["X@Customer.test"], "reason": "550 no such user"}, format="json")
    assert done.status_code == 200 and done.json() == {"marked": 1}
    assert api.post(url, {"emails": ["x@customer.test"]}, format="json").json() == {"marked": 0}
    assert ContactPreference.objects.get(email="x@customer.test").bounce_reason == "550 no such user"


class RefusingSink:
    """aiosmtpd handler refusing one address with 550 and another with 450 (try later)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("gone@"):
            return "550 5.1.1 no such user"
        if address.startswith("later@"):
            return "450 4.2.0 mailbox busy"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


@pytest.fixture
def refusing_smtp(settings: Any) -> Any:
    from aiosmtpd.controller import Controller

    from tests.conftest import free_port

    port = free_port()
    controller = Controller(RefusingSink(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    try:
        yield controller
    finally:
        controller.stop()


def test_smtp_5xx_fails_at_once_and_marks_bounced_4xx_retries(refusing_smtp, contacts, nps_survey):
    heard: list[list[str]] = []

    def listen(sender: Any, addresses: list[str], **kwargs: Any) -> None:
        heard.append(addresses)

    email_permanently_failed.connect(listen)
    try:
        rows = emails_enqueue(
            [
                EmailDraft(dedupe_key="t:gone", to=["gone@customer.test"], subject="s", body_text="b"),
                EmailDraft(dedupe_key="t:later", to=["later@customer.test"], subject="s", body_text="b"),
            ]
        )
        assert email_deliver_many([row.pk for row in rows.values()]) == 0
    finally:
        email_permanently_failed.disconnect(listen)
    gone, later = OutboundEmail.objects.get(dedupe_key="t:gone"), OutboundEmail.objects.get(dedupe_key="t:later")
    assert (gone.status, gone.attempts) == (OutboundEmail.Status.FAILED, 1) and "550" in gone.last_error
    assert later.status == OutboundEmail.Status.QUEUED  # a temporary refusal is retried
    assert heard == [["gone@customer.test"]]
    assert ContactPreference.objects.get(email="gone@customer.test").bounced_at is not None
    assert not ContactPreference.objects.filter(email="later@customer.test", bounced_at__isnull=False).exists()
    assert isinstance(smtplib.SMTPRecipientsRefused({}), smtplib.SMTPException)


def test_renderer_headers_are_added(smtp_server):
    email_renderer_register("tests.with_headers", lambda **kw: ("text", ""), headers=lambda **kw: {"X-Test": kw["n"]})
    rows = emails_enqueue(
        [
            EmailDraft(
                dedupe_key="t:h",
                to=["h@customer.test"],
                subject="s",
                render_with="tests.with_headers",
                render_args={"n": "7"},
            )
        ]
    )
    assert email_deliver_many([row.pk for row in rows.values()]) == 1
    assert smtp_server.wait_for(1)[0]["X-Test"] == "7"
