"""Rebalancing: proposal (renewal window, industry, limits) and applying it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Account, Industry, TimelineEntry
from capacity.models import CapacityPreset
from capacity.rebalancing import MoveRequest, rebalance_apply, rebalance_proposal
from org.models import CsProfile, Role
from playbooks.models import Task, TaskStatus
from renewals.services import contract_create
from tests.factories import AccountFactory, make_person

M = Decimal("1000000")


@pytest.fixture
def band(capacity_defaults: Any) -> CapacityPreset:
    """Band 1–2M, hard cap 2.5M in the deployment's currency (seed 003's shape)."""
    CapacityPreset.objects.update(is_active=False)
    return CapacityPreset.objects.create(
        name="Test band",
        arr_per_csm_min=M,
        arr_per_csm_max=2 * M,
        hard_cap=Decimal("2500000"),
        currency=settings.HOURGLASS_CURRENCY,
        is_active=True,
    )


@pytest.fixture
def book(org: Any, band: CapacityPreset) -> Any:
    """csm_a1 carries 3.2M (over the cap); csm_a2 (no specialism) and csm_a3 (retail)
    carry 0.2M each; csm_b1 (other team) is under-loaded too."""
    org.csm_a3 = make_person(Role.CSM, username="csm_a3", team=org.team_a)
    CsProfile.objects.filter(user=org.csm_a3).update(industries=[Industry.RETAIL])
    AccountFactory(owner=org.csm_a3, arr=Decimal("200000"), name="a3 base")
    org.retail = AccountFactory(owner=org.csm_a1, arr=Decimal("900000"), industry=Industry.RETAIL, name="Retail Co")
    org.renewing = AccountFactory(owner=org.csm_a1, arr=Decimal("1200000"), name="Renewing Co")
    contract_create(
        actor=org.csm_a1,
        account=org.renewing,
        start_date=date.today() - timedelta(days=300),
        end_date=date.today() + timedelta(days=30),
        arr=Decimal("1200000"),
    )
    org.plain = AccountFactory(owner=org.csm_a1, arr=Decimal("900000"), name="Plain Co")
    return org


def test_renewal_window_accounts_are_never_moved(book: Any) -> None:
    proposal = rebalance_proposal(user=book.manager_a)
    moved = {move.account_id for move in proposal.moves}
    assert book.renewing.pk not in moved
    assert [kept.account_name for kept in proposal.kept] == ["Renewing Co"]
    assert proposal.moves, "the over-capacity CSM gets relief from other accounts"


def test_industry_specialist_is_preferred(book: Any) -> None:
    proposal = rebalance_proposal(user=book.manager_a)
    by_account = {move.account_id: move for move in proposal.moves}
    retail = by_account[book.retail.pk]
    assert retail.to_id == book.csm_a3.pk
    assert any("specialises in" in reason for reason in retail.reasons)
    assert all(move.from_id == book.csm_a1.pk for move in proposal.moves)
    # Nobody outside the manager's team is proposed as a receiver.
    assert book.csm_b1.pk not in {move.to_id for move in proposal.moves}
    assert proposal.over_before == 1 and proposal.over_after == 0


def test_every_move_keeps_receivers_within_limits_and_explains_itself(book: Any) -> None:
    proposal = rebalance_proposal(user=book.manager_a)
    for move in proposal.moves:
        assert "over capacity" in move.reasons[0]
        assert move.from_name in move.reasons[0]
    received: dict[int, Decimal] = {}
    for move in proposal.moves:
        received[move.to_id] = received.get(move.to_id, Decimal("0")) + move.arr
    for user_id, extra in received.items():
        current = sum(a.arr for a in Account.objects.filter(owner_id=user_id))
        assert current + extra <= Decimal("2000000")


def test_apply_moves_owner_tasks_history_and_timeline(book: Any) -> None:
    task = Task.objects.create(
        account=book.retail, assignee=book.csm_a1, title="Call", due_date=date.today(), follows_owner=True
    )
    done = Task.objects.create(
        account=book.retail,
        assignee=book.csm_a1,
        title="Old",
        due_date=date.today(),
        follows_owner=True,
        status=TaskStatus.DONE,
    )
    proposal = rebalance_proposal(user=book.manager_a)
    requests = [MoveRequest.parse(move.token) for move in proposal.moves]
    result = rebalance_apply(actor=book.manager_a, moves=requests)
    assert sorted(result.moved) == sorted(move.account_name for move in proposal.moves)
    book.retail.refresh_from_db()
    assert book.retail.owner_id == book.csm_a3.pk
    task.refresh_from_db()
    done.refresh_from_db()
    assert task.assignee_id == book.csm_a3.pk
    assert done.assignee_id == book.csm_a1.pk  # closed tasks stay where they were done
    history = list(book.retail.history.order_by("history_date").values_list("owner_id", flat=True))
    assert history[-2:] == [book.csm_a1.pk, book.csm_a3.pk]
    kinds = list(TimelineEntry.objects.filter(account=book.retail).values_list("kind", flat=True))
    # One entry per moved account: the rebalancing's, not also a plain "Owner changed".
    assert kinds.count("capacity_rebalanced") == 1 and "owner_changed" not in kinds
    assert rebalance_proposal(user=book.manager_a).over_before == 0


def test_reapplying_a_stale_proposal_skips_moved_accounts(book: Any) -> None:
    proposal = rebalance_proposal(user=book.manager_a)
    requests = [MoveRequest.parse(move.token) for move in proposal.moves]
    rebalance_apply(actor=book.manager_a, moves=requests)
    owners_after = dict(Account.objects.values_list("pk", "owner_id"))
    again = rebalance_apply(actor=book.manager_a, moves=requests)
    assert again.moved == []
    assert {name for name, _reason in again.skipped} == {move.account_name for move in proposal.moves}
    assert all("owner changed" in reason for _name, reason in again.skipped)
    assert dict(Account.objects.values_list("pk", "owner_id")) == owners_after


def test_apply_refuses_renewal_window_and_foreign_accounts(book: Any) -> None:
    forged = [
        MoveRequest(book.renewing.pk, book.csm_a1.pk, book.csm_a2.pk),
        MoveRequest(book.accounts["csm_b1"][0].pk, book.csm_b1.pk, book.csm_a2.pk),
        MoveRequest(book.plain.pk, book.csm_a1.pk, book.csm_b1.pk),
    ]
    result = rebalance_apply(actor=book.manager_a, moves=forged)
    assert result.moved == []
    reasons = dict(result.skipped)
    assert reasons["Renewing Co"] == "it is in the renewal window"
    assert reasons["Plain Co"] == "the proposed owner cannot take accounts from you"
    assert reasons[str(book.accounts["csm_b1"][0].pk)] == "not one of your team's accounts"
    assert Account.objects.get(pk=book.renewing.pk).owner_id == book.csm_a1.pk


def test_apply_is_atomic(book: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure half-way leaves every owner as it was."""
    import accounts.services as module

    calls = {"n": 0}
    real = module.timeline_record_many

    def failing(drafts: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real(drafts)

    monkeypatch.setattr(module, "timeline_record_many", failing)
    proposal = rebalance_proposal(user=book.manager_a)
    assert len(proposal.moves) >= 2
    before = dict(Account.objects.values_list("pk", "owner_id"))
    with pytest.raises(RuntimeError):
        rebalance_apply(actor=book.manager_a, moves=[MoveRequest.parse(m.token) for m in proposal.moves])
    assert dict(Account.objects.values_list("pk", "owner_id")) == before


def test_permissions_and_bad_input(book: Any) -> None:
    with pytest.raises(PermissionDenied):
        rebalance_apply(actor=book.csm_a1, moves=[MoveRequest(book.plain.pk, book.csm_a1.pk, book.csm_a2.pk)])
    with pytest.raises(ValidationError) as error:
        rebalance_apply(actor=book.manager_a, moves=[])
    assert "move" in error.value.message_dict
    with pytest.raises(ValidationError):
        MoveRequest.parse("1:x:3")
    # The other team's manager sees nothing to move in team A.
    assert rebalance_proposal(user=book.manager_b).moves == []


def test_pages(client: Any, book: Any) -> None:
    client.force_login(book.csm_a1)
    assert client.get(reverse("capacity:rebalance")).status_code == 403
    client.force_login(book.manager_a)
    page = client.get(reverse("capacity:rebalance"))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Retail Co" in content and "Renewing Co" in content
    tokens = [m.token for m in page.context["proposal"].moves]
    # Untick all but the first move: it comes back for confirmation, with a reason to give.
    confirm = client.post(reverse("capacity:rebalance_apply"), {"move": tokens[:1]})
    assert confirm.status_code == 200 and 'data-testid="rebalance-confirm"' in confirm.content.decode()
    assert Account.objects.filter(owner=book.csm_a1).count() == 2 + 3
    confirmed = {"move": tokens[:1], "step": "confirm", "reason": "Over the band"}
    response = client.post(reverse("capacity:rebalance_apply"), confirmed, follow=True)
    text = response.content.decode()
    assert "Moved 1 account(s)" in text
    assert Account.objects.filter(owner=book.csm_a1).count() == 2 + 3 - 1
    response = client.post(reverse("capacity:rebalance_apply"), confirmed, follow=True)
    assert "owner changed since the proposal" in response.content.decode()
    response = client.post(reverse("capacity:rebalance_apply"), {}, follow=True)
    assert "Tick at least one move." in response.content.decode()
    response = client.post(reverse("capacity:rebalance_apply"), {"move": ["junk"]}, follow=True)
    assert "Not a valid move" in response.content.decode()
