from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from capacity.models import Role, Team
from tests.factories import PASSWORD, AccountFactory, TeamFactory, make_person


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def org(db: None) -> Any:
    """Two teams, each with a manager and two CSMs, an admin, and accounts for all.

    ``org.accounts[username]`` lists the accounts each CSM owns.
    """

    class Org:
        pass

    o = Org()
    o.admin = make_person(Role.ADMIN, username="admin")
    o.team_a = TeamFactory(name="Team A")
    o.team_b = TeamFactory(name="Team B")
    o.manager_a = make_person(Role.MANAGER, username="manager_a")
    o.manager_b = make_person(Role.MANAGER, username="manager_b")
    Team.objects.filter(pk=o.team_a.pk).update(lead=o.manager_a)
    Team.objects.filter(pk=o.team_b.pk).update(lead=o.manager_b)
    o.csm_a1 = make_person(Role.CSM, username="csm_a1", team=o.team_a)
    o.csm_a2 = make_person(Role.CSM, username="csm_a2", team=o.team_a)
    o.csm_b1 = make_person(Role.CSM, username="csm_b1", team=o.team_b)
    o.accounts = {
        user.username: [AccountFactory(owner=user, name=f"{user.username} account {i}") for i in range(2)]
        for user in (o.csm_a1, o.csm_a2, o.csm_b1)
    }
    o.unassigned = AccountFactory(owner=None, name="Unassigned account")
    return o


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client
