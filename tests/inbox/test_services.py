"""The inbox's services and selectors, called directly: parsing, matching rules, idempotency."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Stakeholder, TimelineEntry
from integrations.inbox.models import InboundEmail, InboundStatus
from integrations.inbox.parsing import forwarded_addresses, html_to_text, parse_email
from integrations.inbox.services import (
    Received,
    inbound_email_match,
    inbound_email_receive,
    inbound_emails_match_pending,
)

from .mail import message

pytestmark = pytest.mark.django_db


def receive(sender: Any, **fields: Any) -> InboundEmail:
    result = inbound_email_receive(raw=bytes(message(sender=sender.email, **fields)), envelope_from=sender.email)
    assert result.outcome is Received.STORED and result.email is not None
    return result.email


def test_matching_runs_once_however_often_it_is_called(customers: Any):
    email = receive(customers.csm_a1, to="wang.fang@acme.cn")
    assert inbound_email_match(email_id=email.pk).status == InboundStatus.MATCHED
    assert inbound_email_match(email_id=email.pk) is None
    assert inbound_emails_match_pending() == 0
    assert TimelineEntry.objects.filter(kind="email").count() == 1


def test_what_a_crash_left_pending_is_matched_later(customers: Any):
    first = receive(customers.csm_a1, to="wang.fang@acme.cn")
    second = receive(customers.csm_a1, to="nobody@nowhere.example")
    assert inbound_emails_match_pending() == 2
    statuses = dict(InboundEmail.objects.values_list("pk", "status"))
    assert statuses == {first.pk: InboundStatus.MATCHED, second.pk: InboundStatus.UNMATCHED}


def test_stakeholders_of_two_accounts_is_no_match(customers: Any):
    other = customers.accounts["csm_a1"][1]
    Stakeholder.objects.create(account=other, name="Chen", email="chen@initech.cn")
    email = receive(customers.csm_a1, to="wang.fang@acme.cn", cc="chen@initech.cn")
    assert inbound_email_match(email_id=email.pk).status == InboundStatus.UNMATCHED


def test_a_public_mail_domain_and_a_colleagues_address_never_match(customers: Any):
    Stakeholder.objects.create(account=customers.acme, name="Private", email="boss@gmail.com")
    # Another gmail.com user is not acme's; csm_a2 is a colleague (example.com, the team's domain).
    email = receive(customers.csm_a1, to="someone.else@gmail.com", cc=customers.csm_a2.email)
    assert inbound_email_match(email_id=email.pk).status == InboundStatus.UNMATCHED
    # The stakeholder's own gmail address still matches exactly.
    exact = receive(customers.csm_a1, to="Boss@Gmail.com")
    assert inbound_email_match(email_id=exact.pk).account == customers.acme


def test_an_erased_contacts_address_no_longer_matches(customers: Any):
    Stakeholder.objects.filter(pk=customers.acme_cto.pk).update(
        email="wang.fang@acme.cn", erased_at="2026-01-01T00:00Z"
    )
    email = receive(customers.csm_a1, to="wang.fang@acme.cn")
    assert inbound_email_match(email_id=email.pk).status == InboundStatus.UNMATCHED


def test_a_message_without_message_id_is_deduplicated_by_its_bytes(customers: Any):
    raw = f"From: {customers.csm_a1.email}\r\nTo: wang.fang@acme.cn\r\nSubject: no id\r\n\r\nhi\r\n".encode()
    first = inbound_email_receive(raw=raw, envelope_from="")
    again = inbound_email_receive(raw=raw, envelope_from="")
    assert (first.outcome, again.outcome) == (Received.STORED, Received.DUPLICATE)
    assert first.email is not None and first.email.message_id.startswith("<sha256-")
    assert InboundEmail.objects.count() == 1


def test_the_from_header_names_the_sender_when_the_envelope_is_a_relays(customers: Any):
    raw = bytes(message(sender=f"Li <{customers.csm_b1.email}>", to="zhou@globex.cn"))
    result = inbound_email_receive(raw=raw, envelope_from="srs0=abc@relay.example")
    assert result.email is not None and result.email.sender == customers.csm_b1


def test_forwarded_header_blocks_in_english_and_chinese():
    outlook = "see below\n-----Original Message-----\nFrom: A <a@x.cn>\nSent: today\nTo: b@y.cn; c@z.cn\n\nbody d@q.cn"
    assert forwarded_addresses(outlook) == ["a@x.cn", "b@y.cn", "c@z.cn"]
    qq = "请看\n------------------ 原始邮件 ------------------\n发件人：王芳 <Wang@Acme.cn>\n收件人：li@corp.cn\n"
    assert forwarded_addresses(qq) == ["wang@acme.cn", "li@corp.cn"]
    assert forwarded_addresses("From: a@x.cn without a marker") == []


def test_html_to_text_keeps_only_visible_text():
    html = "<div>One<br>Two</div><script>steal()</script><style>x{}</style><p>&lt;b&gt; &#20320;</p>"
    assert html_to_text(html) == "One\nTwo\n\n<b> 你"


def test_control_characters_and_long_text_are_cut(customers: Any):
    parsed = parse_email(bytes(message(sender="a@b.cn", text="a\x00b\x1bc" + "x" * 200_000)))
    assert parsed.body.startswith("abc") and len(parsed.body) == 100_000
    assert "text cut to 100000 characters" in parsed.defects


def test_the_touchpoint_is_dated_by_the_date_header_unless_it_is_in_the_future(customers: Any):
    from datetime import timedelta

    from django.utils import timezone

    past = receive(customers.csm_a1, to="wang.fang@acme.cn")
    InboundEmail.objects.filter(pk=past.pk).update(sent_at=timezone.now() - timedelta(days=3))
    assert inbound_email_match(email_id=past.pk).timeline_entry.occurred_at < timezone.now() - timedelta(days=2)
    future = receive(customers.csm_a1, to="wang.fang@acme.cn")
    InboundEmail.objects.filter(pk=future.pk).update(sent_at=timezone.now() + timedelta(days=30))
    matched = inbound_email_match(email_id=future.pk)
    assert matched.timeline_entry.occurred_at == matched.received_at
