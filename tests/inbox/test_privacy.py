"""A contact's erasure and export reach the inbox: addresses, subject and text of stored email."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Stakeholder
from accounts.privacy import stakeholder_erase, stakeholder_personal_data_export
from integrations.inbox.models import InboundEmail, InboundStatus
from integrations.inbox.services import inbound_email_match, inbound_email_receive

from .mail import message

pytestmark = pytest.mark.django_db


def test_erasing_a_contact_redacts_their_stored_emails_and_the_export_lists_them(customers: Any):
    person = Stakeholder.objects.create(account=customers.acme, name="Qian Duoduo", email="qian.duoduo@acme.cn")
    mail = message(sender=customers.csm_a1.email, to="Qian.Duoduo@acme.cn", subject="Call with Qian Duoduo")
    matched = inbound_email_receive(raw=bytes(mail), envelope_from=customers.csm_a1.email).email
    assert matched is not None and inbound_email_match(email_id=matched.pk).status == InboundStatus.MATCHED
    parked = InboundEmail.objects.create(
        message_id="<parked@example.com>", sender=customers.csm_a1, status=InboundStatus.UNMATCHED,
        body="Forwarded from qian.duoduo@acme.cn", forwarded_addresses=["qian.duoduo@acme.cn"],
    )  # fmt: skip
    untouched = InboundEmail.objects.create(
        message_id="<other@example.com>", sender=customers.csm_b1, account=customers.globex, body="Nothing of hers"
    )

    export = stakeholder_personal_data_export(stakeholder=person, actor=customers.admin)
    assert sorted(row["id"] for row in export["inbound_emails"]) == sorted([matched.pk, parked.pk])

    stakeholder_erase(actor=customers.admin, stakeholder=person, confirm_name="Qian Duoduo")
    for email in InboundEmail.objects.filter(pk__in=[matched.pk, parked.pk]):
        stored = " ".join(str(getattr(email, f)) for f in ("subject", "body", "to_addresses", "forwarded_addresses"))
        assert "qian" not in stored.lower() and "duoduo" not in stored.lower()
    assert InboundEmail.objects.get(pk=untouched.pk).body == "Nothing of hers"
