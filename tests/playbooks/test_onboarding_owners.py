"""Onboarding by ARR assigns the sales rep's and implementation's steps to those people
(the account's ``sales_owner`` / ``implementation_owner``), not to the CSM with a label."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import account_update
from org.models import Role, Team
from playbooks.models import OwnerRole, Task
from playbooks.selectors import task_list
from playbooks.stages import stage_refresh
from tests.factories import AccountFactory, TeamFactory, make_person

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 3)


@pytest.fixture
def people():
    manager = make_person(Role.MANAGER, username="lead")
    team = TeamFactory(name="East")
    Team.objects.filter(pk=team.pk).update(lead=manager)
    return SimpleNamespace(
        manager=manager,
        csm=make_person(Role.CSM, username="csm", team=team),
        other_csm=make_person(Role.CSM, username="csm2", team=team),
        sales=make_person(Role.SALES, username="sales"),
        implementation=make_person(Role.IMPLEMENTATION, username="impl"),
    )


def assignments(account) -> list[tuple[str, str, int | None, bool]]:
    return [
        (task.title, task.owner_role, task.assignee_id, task.follows_owner)
        for task in Task.objects.filter(account=account).order_by("due_date", "pk")
    ]


def test_a_small_accounts_onboarding_goes_to_its_sales_rep(default_playbooks, people):
    account = AccountFactory(owner=people.csm, sales_owner=people.sales, go_live_date=None, arr=Decimal("9000"))
    stage_refresh(account_ids=[account.pk], today=TODAY)
    assert assignments(account) == [
        ("Configure the account and train the users", OwnerRole.SALES_REP, people.sales.pk, False),
    ]
    # The sales rep finds it in their task list; the CSM still sees it on their account.
    assert list(task_list(user=people.sales).values_list("account_id", flat=True)) == [account.pk]
    assert task_list(user=people.csm).filter(account=account).count() == 1


def test_a_large_accounts_project_goes_to_implementation_then_the_csm(default_playbooks, people):
    account = AccountFactory(
        owner=people.csm, implementation_owner=people.implementation, go_live_date=None, arr=Decimal("250000")
    )
    stage_refresh(account_ids=[account.pk], today=TODAY)
    impl = people.implementation.pk
    assert assignments(account) == [
        ("Implementation kick-off", OwnerRole.IMPLEMENTATION, impl, False),
        ("Hand-over from implementation to the CSM", OwnerRole.IMPLEMENTATION, impl, False),
        ("Take over the account and own its active use", OwnerRole.CSM, people.csm.pk, True),
    ]


def test_without_the_person_or_with_them_deactivated_the_csm_gets_the_step(default_playbooks, people):
    nobody = AccountFactory(owner=people.csm, go_live_date=None, arr=Decimal("9000"))
    people.sales.is_active = False
    people.sales.save(update_fields=["is_active"])
    gone = AccountFactory(owner=people.csm, sales_owner=people.sales, go_live_date=None, arr=Decimal("9000"))
    stage_refresh(account_ids=[nobody.pk, gone.pk], today=TODAY)
    for account in (nobody, gone):
        assert assignments(account) == [
            ("Configure the account and train the users", OwnerRole.SALES_REP, people.csm.pk, True),
        ]


def test_a_new_csm_takes_the_csm_steps_but_not_the_sales_reps(default_playbooks, people):
    account = AccountFactory(owner=people.csm, sales_owner=people.sales, go_live_date=None, arr=Decimal("9000"))
    stage_refresh(account_ids=[account.pk], today=TODAY)
    account_update(actor=people.manager, account=account, owner=people.other_csm)
    assert Task.objects.get(account=account).assignee_id == people.sales.pk


def test_assigning_people_costs_one_query_for_any_number_of_accounts(default_playbooks, people):
    def sweep_queries(count: int) -> int:
        accounts = [
            AccountFactory(owner=people.csm, sales_owner=people.sales, go_live_date=None, arr=Decimal("9000"))
            for _ in range(count)
        ]
        with CaptureQueriesContext(connection) as ctx:
            stage_refresh(account_ids=[account.pk for account in accounts], today=TODAY)
        return len(ctx.captured_queries)

    assert sweep_queries(1) == sweep_queries(12)
