"""The SMTP listener, over real SMTP: smtplib against integrations.inbox.smtp on a free port.

Each test sends what a mail client would (BCC, forward, GB18030, broken MIME, 30 MB, a
stranger) and checks the rows the listener wrote, and that it wrote nothing else.
"""

from __future__ import annotations

import base64
import smtplib
from typing import Any

import pytest

from accounts.models import TimelineEntry
from integrations.inbox.models import InboundEmail, InboundStatus, MatchedBy

from .mail import INBOX, big_message, message, send

pytestmark = pytest.mark.django_db(transaction=True)


def only_email() -> InboundEmail:
    (email,) = InboundEmail.objects.all()
    return email


def test_a_bccd_email_becomes_an_email_touchpoint_on_the_stakeholders_account(inbox_port: int, customers: Any):
    csm = customers.csm_a1
    mail = message(sender=f"Li Wei <{csm.email.upper()}>", to="wang.fang@acme.cn", subject="QBR agenda")
    assert send(inbox_port, mail, mail_from=csm.email) == {}

    email = only_email()
    assert (email.status, email.account, email.matched_by) == (InboundStatus.MATCHED, customers.acme, "stakeholder")
    entry = TimelineEntry.objects.get(account=customers.acme, kind="email")
    assert entry.is_touchpoint and entry.actor == csm and entry.title == "QBR agenda"
    assert entry.body == "Thanks for the call today."
    assert list(entry.stakeholders.all()) == [customers.acme_cto]
    assert entry.data["inbound_email"] == email.pk and email.timeline_entry == entry


def test_an_unknown_contact_at_the_customers_domain_matches_by_domain(inbox_port: int, customers: Any):
    send(inbox_port, message(sender=customers.csm_a1.email, cc="new.person@ACME.cn"), mail_from=customers.csm_a1.email)
    email = only_email()
    assert (email.status, email.account, email.matched_by) == (InboundStatus.MATCHED, customers.acme, MatchedBy.DOMAIN)
    assert list(email.timeline_entry.stakeholders.all()) == []


def test_an_unknown_domain_is_parked_as_unmatched(inbox_port: int, customers: Any):
    send(inbox_port, message(sender=customers.csm_a1.email, to="someone@unknown.example"), mail_from="bounce@x.test")
    email = only_email()
    assert (email.status, email.account, email.sender) == (InboundStatus.UNMATCHED, None, customers.csm_a1)
    assert not TimelineEntry.objects.filter(kind="email").exists()


def test_an_account_outside_the_senders_scope_is_parked(inbox_port: int, customers: Any):
    # zhou@globex.cn is a stakeholder of csm_b1's account, which csm_a1 may not see.
    send(inbox_port, message(sender=customers.csm_a1.email, to="zhou@globex.cn"), mail_from=customers.csm_a1.email)
    assert only_email().status == InboundStatus.UNMATCHED
    assert not TimelineEntry.objects.filter(kind="email").exists()


def test_a_manager_matches_a_team_members_account(inbox_port: int, customers: Any):
    manager = customers.manager_a
    send(inbox_port, message(sender=manager.email, to="wang.fang@acme.cn"), mail_from=manager.email)
    assert (only_email().account, only_email().sender) == (customers.acme, manager)


def test_an_unknown_sender_gets_550_and_nothing_is_stored(inbox_port: int, customers: Any):
    mail = message(sender="stranger@elsewhere.test", to="wang.fang@acme.cn")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(inbox_port, mail, mail_from="stranger@elsewhere.test")
    assert refused.value.smtp_code == 550 and b"not a Hourglass user" in refused.value.smtp_error
    customers.csm_a2.is_active = False
    customers.csm_a2.save()
    with pytest.raises(smtplib.SMTPDataError) as inactive:
        send(inbox_port, message(sender=customers.csm_a2.email), mail_from=customers.csm_a2.email)
    assert inactive.value.smtp_code == 550
    assert InboundEmail.objects.count() == 0 and not TimelineEntry.objects.filter(kind="email").exists()


def test_a_recipient_outside_the_inbox_domains_gets_550(inbox_port: int, customers: Any):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(
            inbox_port, message(sender=customers.csm_a1.email), mail_from=customers.csm_a1.email, rcpt="log@other.test"
        )
    assert refused.value.recipients["log@other.test"][0] == 550
    assert InboundEmail.objects.count() == 0


def test_a_30_mb_message_is_refused_with_552(inbox_port: int, customers: Any):
    raw = big_message(sender=customers.csm_a1.email, size=30 * 1024 * 1024)
    # A client that announces the size (SIZE=…) is refused at MAIL FROM …
    with pytest.raises(smtplib.SMTPSenderRefused) as announced:
        send(inbox_port, raw, mail_from=customers.csm_a1.email)
    assert announced.value.smtp_code == 552
    # … and one that just sends it is refused after DATA.
    with smtplib.SMTP("127.0.0.1", inbox_port, timeout=120) as client:
        client.ehlo()
        assert client.mail(customers.csm_a1.email)[0] == 250
        assert client.rcpt(INBOX)[0] == 250
        code, reply = client.data(raw)
    assert code == 552 and b"Too much mail data" in reply
    assert InboundEmail.objects.count() == 0


def test_gb18030_text_and_headers_are_decoded(inbox_port: int, customers: Any):
    subject = "=?gb18030?b?" + base64.b64encode("续费沟通纪要".encode("gb18030")).decode() + "?="
    body = "王总您好：\n附件是本季度的使用报告，𠀀 也能显示。".encode("gb18030")
    raw = (
        f"From: {customers.csm_a1.email}\r\nTo: wang.fang@acme.cn\r\nSubject: {subject}\r\n"
        "Message-ID: <gb@example.com>\r\nMIME-Version: 1.0\r\n"
        # Labelled gb2312 as many clients do, though the text needs GB18030 (𠀀).
        "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + base64.encodebytes(body)
    send(inbox_port, raw, mail_from=customers.csm_a1.email)
    entry = only_email().timeline_entry
    assert entry.title == "续费沟通纪要"
    assert entry.body == "王总您好：\n附件是本季度的使用报告，𠀀 也能显示。"


def test_broken_mime_is_stored_with_what_could_be_decoded(inbox_port: int, customers: Any):
    raw = (
        f"From: {customers.csm_a1.email}\r\nTo: wang.fang@acme.cn, <<not an address\r\n"
        "Subject: Broken\r\nMessage-ID: <broken@example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nStill readable\r\n"
        "--b1\r\nContent-Type: application/pdf; name=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "!!!not base64!!!\r\n"  # and the closing boundary never comes
    ).encode()
    send(inbox_port, raw, mail_from=customers.csm_a1.email)
    email = only_email()
    assert email.status == InboundStatus.MATCHED and email.account == customers.acme
    assert email.body == "Still readable"
    assert [a["name"] for a in email.attachments] == ["report.pdf"]
    assert "unknown charset x-no-such-charset" in email.defects
    assert "CloseBoundaryNotFoundDefect" in email.defects


def test_the_same_message_id_twice_is_stored_once(inbox_port: int, customers: Any):
    mail = message(sender=customers.csm_a1.email, to="wang.fang@acme.cn", message_id="<same@example.com>")
    send(inbox_port, mail, mail_from=customers.csm_a1.email)
    with smtplib.SMTP("127.0.0.1", inbox_port) as client:
        client.ehlo()
        client.mail(customers.csm_a1.email)
        client.rcpt(INBOX)
        code, reply = client.data(mail.as_bytes())
    assert code == 250 and b"Already received" in reply
    assert InboundEmail.objects.count() == 1
    assert TimelineEntry.objects.filter(kind="email").count() == 1


def test_html_is_stored_as_text_without_script_and_attachments_are_only_named(inbox_port: int, customers: Any):
    html = (
        "<html><head><style>p{color:red}</style><title>t</title></head><body>"
        "<p>Hello &amp; welcome</p><script>alert('x')</script><p>See <b>attached</b></p></body></html>"
    )
    mail = message(
        sender=customers.csm_a1.email, to="wang.fang@acme.cn", text="", html=html,
        attachments=[("plan.xlsx", b"PK\x03\x04data"), ("合同.pdf", b"%PDF-1.4")],
    )  # fmt: skip
    send(inbox_port, mail, mail_from=customers.csm_a1.email)
    email = only_email()
    assert email.body == "Hello & welcome\n\nSee attached"
    assert [(a["name"], a["size"]) for a in email.attachments] == [("plan.xlsx", 8), ("合同.pdf", 8)]
    assert email.timeline_entry.body == "Hello & welcome\n\nSee attached\n\n📎 plan.xlsx, 合同.pdf"
    assert email.timeline_entry.data["attachments"] == ["plan.xlsx", "合同.pdf"]


def test_a_forwarded_email_matches_on_the_original_headers(inbox_port: int, customers: Any):
    text = (
        "FYI, see below.\n\n---------- Forwarded message ---------\n"
        "From: Wang Fang <wang.fang@acme.cn>\nDate: Mon, 30 Nov 2026 at 10:00\n"
        f"Subject: Question about seats\nTo: {customers.csm_a1.email}\n\nCan we add 10 seats?\n"
    )
    mail = message(sender=customers.csm_a1.email, to=INBOX, subject="Fwd: Question about seats", text=text)
    send(inbox_port, mail, mail_from=customers.csm_a1.email)
    email = only_email()
    assert email.forwarded_addresses == ["wang.fang@acme.cn", customers.csm_a1.email]
    assert (email.account, email.matched_by) == (customers.acme, MatchedBy.STAKEHOLDER)
