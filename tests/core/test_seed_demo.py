from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.models import Account, Industry
from accounts.segments import Segment
from accounts.selectors import account_scope
from org.models import Role

pytestmark = pytest.mark.django_db


def snapshot():
    return list(Account.objects.order_by("external_id").values_list("external_id", "name", "arr", "owner__username"))


def test_seed_demo_is_deterministic_and_covers_segments_and_industries():
    call_command("seed_demo", "--seed", "7", "--accounts", "120")
    first = snapshot()
    call_command("seed_demo", "--seed", "7", "--accounts", "120", "--reset")
    assert snapshot() == first
    assert len(first) == 120
    assert set(Account.objects.values_list("industry", flat=True)) == set(Industry.values)
    segments = {a.segment for a in Account.objects.all()}
    assert segments == set(Segment.values)
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in name) for _, name, _, _ in first)
    assert any(name.isascii() for _, name, _, _ in first)


def test_seed_demo_people_and_roles_scope():
    call_command("seed_demo", "--accounts", "60")
    users = {u.username: u for u in get_user_model().objects.select_related("cs_profile")}
    assert users["admin"].cs_profile.role == Role.ADMIN
    assert users["manager"].cs_profile.role == Role.MANAGER
    csms = [u for u in users.values() if u.cs_profile.role == Role.CSM]
    assert len(csms) == 5
    specialists = [u for u in csms if u.cs_profile.industries]
    assert len(specialists) == 4
    assert users["admin"].check_password("hourglass-demo")
    # The new hire has no book yet: the one the rebalancing proposal hands accounts to.
    assert not account_scope(user=users["csm.sun"]).exists()
    # Each specialist owns accounts in their own industries only.
    for csm in specialists:
        owned = set(account_scope(user=csm).values_list("industry", flat=True))
        assert owned and owned <= set(csm.cs_profile.industries)
    assert account_scope(user=users["manager"]).count() == Account.objects.exclude(owner=None).count()


def test_seed_demo_refuses_to_mix_data_sets_and_if_empty_keeps_data(capsys):
    call_command("seed_demo", "--accounts", "10")
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", "--accounts", "10")
    call_command("seed_demo", "--accounts", "10", "--if-empty")
    assert "already present" in capsys.readouterr().out
    assert Account.objects.count() == 10
