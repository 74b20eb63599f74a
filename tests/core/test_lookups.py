"""``field__any_of``: the same rows as ``__in``, bound as one array on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from org.models import Role
from tests.factories import AccountFactory, make_person

pytestmark = pytest.mark.django_db


def test_any_of_matches_what_in_matches():
    accounts = [AccountFactory() for _ in range(5)]
    wanted = [accounts[0].pk, accounts[2].pk, accounts[4].pk, 999_999]
    assert set(Account.objects.filter(pk__any_of=wanted).values_list("pk", flat=True)) == set(
        Account.objects.filter(pk__in=wanted).values_list("pk", flat=True)
    )


def test_any_of_works_on_relations():  # they keep a lookup registry of their own
    owner = make_person(Role.CSM, username="any_of_owner")
    mine = {AccountFactory(owner=owner).pk, AccountFactory(owner=owner).pk}
    AccountFactory(owner=None)
    assert set(Account.objects.filter(owner__any_of=[owner.pk]).values_list("pk", flat=True)) == mine
    assert set(Account.objects.filter(owner_id__any_of=[owner.pk]).values_list("pk", flat=True)) == mine


def test_any_of_an_empty_list_matches_nothing():
    AccountFactory()
    assert not Account.objects.filter(pk__any_of=[]).exists()


def test_any_of_binds_one_parameter_on_postgresql():
    accounts = [AccountFactory() for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        list(Account.objects.filter(pk__any_of=[a.pk for a in accounts]))
    sql = queries.captured_queries[-1]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
    else:
        assert " IN (" in sql


def test_any_of_refuses_a_single_value():
    with pytest.raises(TypeError, match="list of values"):
        list(Account.objects.filter(pk__any_of=5))
