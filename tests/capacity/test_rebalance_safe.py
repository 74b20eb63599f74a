"""Rebalancing done safely: confirmed with a reason, one timeline entry per moved
account, and the CSM who loses accounts is told which (in the app, by email per their
preference); their old links then say where each account went."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import TimelineEntry
from capacity.rebalancing import MoveRequest, rebalance_apply, rebalance_proposal
from core.models import Notification, OutboundEmail
from core.people import display_name
from integrations.digests.models import NotificationPreference
from tests.capacity import test_rebalancing

# The rebalancing tests' fixtures: csm_a1 over the hard cap, teammates with room.
band = test_rebalancing.band
book = test_rebalancing.book

pytestmark = pytest.mark.django_db


def apply_all(book: Any, reason: str = "csm_a1 is over the hard cap") -> Any:
    proposal = rebalance_proposal(user=book.manager_a)
    return proposal, rebalance_apply(
        actor=book.manager_a, moves=[MoveRequest.parse(move.token) for move in proposal.moves], reason=reason
    )


def test_one_timeline_entry_per_moved_account_with_the_reason(book: Any) -> None:
    proposal, result = apply_all(book)
    assert result.moved
    for move in proposal.moves:
        entries = list(TimelineEntry.objects.filter(account_id=move.account_id).exclude(kind="account_created"))
        assert [entry.kind for entry in entries] == ["capacity_rebalanced"]
        assert entries[0].display_body == "csm_a1 is over the hard cap"
        assert entries[0].data["from"] == book.csm_a1.pk and entries[0].data["to"] == move.to_id


def test_the_csm_who_loses_accounts_is_notified_with_the_list(book: Any) -> None:
    proposal, _result = apply_all(book)
    notice = Notification.objects.get(recipient=book.csm_a1, kind="accounts_moved")
    assert str(len(proposal.moves)) in notice.display_title and display_name(book.manager_a) in notice.display_title
    for move in proposal.moves:
        assert f"{move.account_name} → {move.to_name}" in notice.display_body
    assert "Reason: csm_a1 is over the hard cap" in notice.display_body
    # Receivers are not told they lost anything; the email follows the default (email).
    assert not Notification.objects.filter(kind="accounts_moved").exclude(recipient=book.csm_a1).exists()
    mail = OutboundEmail.objects.get(to=[book.csm_a1.email])
    assert "Retail Co" in mail.body_text


def test_the_email_follows_the_preference(book: Any) -> None:
    NotificationPreference.objects.create(
        user=book.csm_a1, daily=False, time_zone="UTC", channels={"accounts_moved": "in_app"}
    )
    apply_all(book)
    assert Notification.objects.filter(recipient=book.csm_a1, kind="accounts_moved").exists()
    assert not OutboundEmail.objects.filter(to=[book.csm_a1.email]).exists()


def test_a_failed_apply_notifies_nobody(book: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import capacity.rebalancing as module

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("outbox down")

    monkeypatch.setattr(module, "notification_send", broken)
    with pytest.raises(RuntimeError):
        apply_all(book)
    assert not TimelineEntry.objects.filter(kind="capacity_rebalanced").exists()
    assert not Notification.objects.exists()


def test_the_page_confirms_with_a_reason_and_the_old_link_says_moved(client: Any, book: Any) -> None:
    client.force_login(book.manager_a)
    tokens = [move.token for move in client.get(reverse("capacity:rebalance")).context["proposal"].moves]
    url = reverse("capacity:rebalance_apply")
    step = client.post(url, {"move": tokens}, headers={"HX-Request": "true"})
    text = step.content.decode()
    assert step.status_code == 200 and 'data-testid="rebalance-confirm"' in text and "<html" not in text
    assert "Retail Co" in text
    missing = client.post(url, {"move": tokens, "step": "confirm", "reason": ""})
    assert missing.status_code == 400 and "reason" in missing.context["confirm_form"].errors
    assert not TimelineEntry.objects.filter(kind="capacity_rebalanced").exists()
    done = client.post(url, {"move": tokens, "step": "confirm", "reason": "Over the cap"}, follow=True)
    assert "Their former owners have been notified" in done.content.decode()
    # csm_a1's old link to Retail Co now says where it went; a stranger still gets a 404.
    client.force_login(book.csm_a1)
    moved = client.get(reverse("accounts:detail", args=[book.retail.pk]))
    assert moved.status_code == 404
    assert f"moved to {display_name(book.csm_a3)}" in moved.content.decode()
    client.force_login(book.csm_b1)
    plain = client.get(reverse("accounts:detail", args=[book.retail.pk]))
    assert plain.status_code == 404 and "account-moved" not in plain.content.decode()
