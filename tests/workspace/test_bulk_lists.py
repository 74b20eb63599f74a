"""Bulk bars of the book (assign owner: managers and admins only; add a task) and of the
overdue-contacts list (one touch for several contacts): all-or-nothing, set-based, undo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.contact_touches import contacts_touch_log, contacts_touch_undo
from accounts.models import Account, Stakeholder, TimelineEntry
from accounts.selectors import overdue_contacts_for_user
from playbooks.models import Task
from tests.conftest import login
from tests.factories import AccountFactory
from workspace.book_actions import book_assign_owner, book_assign_owner_undo

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def owners(accounts):
    return list(
        Account.objects.filter(pk__in=[a.pk for a in accounts]).order_by("pk").values_list("owner_id", flat=True)
    )


def test_a_manager_gives_accounts_a_new_owner_and_the_tasks_follow(org):
    accounts = org.accounts["csm_a1"]
    task = Task.objects.create(account=accounts[0], assignee=org.csm_a1, title="Call", due_date=timezone.localdate())

    outcome = book_assign_owner(actor=org.manager_a, account_ids=[a.pk for a in accounts], owner=org.csm_a2)

    assert outcome.count == 2 and owners(accounts) == [org.csm_a2.pk] * 2
    assert Task.objects.get(pk=task.pk).assignee_id == org.csm_a2.pk
    entries = TimelineEntry.objects.filter(kind="owner_changed", account__in=accounts)
    assert entries.count() == 2 and entries[0].actor == org.manager_a

    assert book_assign_owner_undo(actor=org.manager_a, token=outcome.undo).count == 2
    assert owners(accounts) == [org.csm_a1.pk] * 2
    assert Task.objects.get(pk=task.pk).assignee_id == org.csm_a1.pk


def test_a_csm_may_not_assign_owners(client, org):
    accounts = org.accounts["csm_a1"]
    with pytest.raises(PermissionDenied):
        book_assign_owner(actor=org.csm_a1, account_ids=[accounts[0].pk], owner=org.csm_a1)
    login(client, org.csm_a1)
    response = client.post(reverse("accounts:bulk_owner"), {"account": [accounts[0].pk], "owner": org.csm_a1.pk})
    assert response.status_code == 403
    assert 'data-testid="bulk-assign-owner"' not in client.get(reverse("accounts:list")).content.decode()
    assert owners(accounts[:1]) == [org.csm_a1.pk]


def test_one_account_outside_the_scope_or_an_owner_not_assignable_changes_nothing(org):
    mine, theirs = org.accounts["csm_a1"][0], org.accounts["csm_b1"][0]
    with pytest.raises(ValidationError) as error:
        book_assign_owner(actor=org.manager_a, account_ids=[mine.pk, theirs.pk], owner=org.csm_a2)
    assert f"Account #{theirs.pk} is not one you can change" in str(error.value)
    with pytest.raises(ValidationError) as error:
        book_assign_owner(actor=org.manager_a, account_ids=[mine.pk], owner=org.csm_b1)  # another team's CSM
    assert mine.name in str(error.value)
    assert owners([mine, theirs]) == [org.csm_a1.pk, org.csm_b1.pk]
    assert not TimelineEntry.objects.filter(kind="owner_changed").exists()


def test_assigning_owners_makes_the_same_queries_for_one_account_and_twenty(org):
    accounts = [AccountFactory(owner=org.csm_a1) for _ in range(20)]

    def queries(n, owner):
        with CaptureQueriesContext(connection) as ctx:
            book_assign_owner(actor=org.admin, account_ids=[a.pk for a in accounts[:n]], owner=owner)
        return len(ctx.captured_queries)

    assert queries(1, org.csm_a2) == queries(20, org.csm_b1)


def test_the_book_bar_adds_a_task_to_the_checked_accounts_and_undoes_it(client, org):
    accounts = org.accounts["csm_a1"]
    login(client, org.csm_a1)
    due = (timezone.localdate() + timedelta(days=3)).isoformat()

    response = client.post(
        reverse("accounts:bulk_task"),
        {"account": [a.pk for a in accounts], "title": "Renewal call", "due_date": due, "priority": 2},
        **HTMX,
    )

    html = response.content.decode()
    assert "2 tasks added." in html and response["HX-Trigger"] == "hg-list-changed"
    assert Task.objects.filter(title="Renewal call", assignee=org.csm_a1).count() == 2
    token = html.split('name="token" value="')[1].split('"')[0]
    response = client.post(reverse("accounts:bulk_undo"), {"token": token, "what": "task"}, **HTMX)
    assert "Undone: 2 tasks removed." in response.content.decode()
    assert not Task.objects.filter(title="Renewal call").exists()
    # The owner undo is a manager's too: a CSM holding a token still gets 403.
    assert client.post(reverse("accounts:bulk_undo"), {"token": token, "what": "owner"}).status_code == 403


def test_the_book_page_has_checkboxes_and_a_bar_in_the_same_queries(client, org):
    login(client, org.manager_a)
    html = client.get(reverse("accounts:list")).content.decode()
    assert html.count('form="book-bulk" data-hg-select') == 4  # team A's accounts
    assert 'data-testid="bulk-assign-owner"' in html and 'id="hg-keys-help"' in html


def overdue_ids(user):
    return set(overdue_contacts_for_user(user=user).values_list("pk", flat=True))


def test_one_touch_for_several_contacts_is_one_touchpoint_per_account(org):
    first, second = org.accounts["csm_a1"]
    people = [
        Stakeholder.objects.create(account=first, name="Li Wei", tier="S"),
        Stakeholder.objects.create(account=first, name="Wang Fang", tier="A"),
        Stakeholder.objects.create(account=second, name="Zhao Min", tier="B"),
    ]
    assert {p.pk for p in people} <= overdue_ids(org.csm_a1)

    outcome = contacts_touch_log(actor=org.csm_a1, stakeholder_ids=[p.pk for p in people], kind="call")

    assert outcome.count == 3
    touches = TimelineEntry.objects.filter(is_touchpoint=True).order_by("account_id")
    assert [(t.account_id, t.kind, t.actor_id) for t in touches] == [
        (first.pk, "call", org.csm_a1.pk),
        (second.pk, "call", org.csm_a1.pk),
    ]
    assert touches[0].title == "Contact with Li Wei, Wang Fang"
    assert set(touches[0].stakeholders.values_list("pk", flat=True)) == {people[0].pk, people[1].pk}
    assert not {p.pk for p in people} & overdue_ids(org.csm_a1)

    assert contacts_touch_undo(actor=org.csm_a1, token=outcome.undo).count == 3
    assert not TimelineEntry.objects.filter(is_touchpoint=True).exists()
    assert {p.pk for p in people} <= overdue_ids(org.csm_a1)


def test_a_contact_outside_the_scope_or_who_left_logs_nothing(org):
    mine = Stakeholder.objects.create(account=org.accounts["csm_a1"][0], name="Li Wei", tier="S")
    gone = Stakeholder.objects.create(account=org.accounts["csm_a1"][1], name="Old Boss", tier="S", is_active=False)
    theirs = Stakeholder.objects.create(account=org.accounts["csm_b1"][0], name="Secret Person", tier="S")

    with pytest.raises(ValidationError) as error:
        contacts_touch_log(actor=org.csm_a1, stakeholder_ids=[mine.pk, theirs.pk], kind="call")
    assert f"Contact #{theirs.pk} is not one you can log a touch for" in str(error.value)
    assert "Secret Person" not in str(error.value)
    with pytest.raises(ValidationError, match="Old Boss has left"):
        contacts_touch_log(actor=org.csm_a1, stakeholder_ids=[mine.pk, gone.pk], kind="call")
    with pytest.raises(ValidationError) as error:
        contacts_touch_log(actor=org.csm_a1, stakeholder_ids=[mine.pk], kind="smoke", note="x" * 301)
    assert set(error.value.message_dict) == {"kind", "note"}
    assert not TimelineEntry.objects.filter(is_touchpoint=True).exists()
    with pytest.raises(ValidationError, match="cannot be undone"):
        contacts_touch_undo(actor=org.csm_a1, token="not-a-token")


def test_one_touch_for_several_makes_the_same_queries_for_one_contact_and_twenty(org):
    accounts = [AccountFactory(owner=org.csm_a1) for _ in range(10)]
    people = [Stakeholder.objects.create(account=accounts[i % 10], name=f"P{i}", tier="B") for i in range(20)]

    def queries(chosen):
        with CaptureQueriesContext(connection) as ctx:
            contacts_touch_log(actor=org.csm_a1, stakeholder_ids=[p.pk for p in chosen], kind="email")
        return len(ctx.captured_queries)

    assert queries(people[:1]) == queries(people)


def test_the_overdue_list_bar_logs_and_undoes(client, org):
    person = Stakeholder.objects.create(account=org.accounts["csm_a1"][0], name="Li Wei", tier="S")
    login(client, org.csm_a1)
    html = client.get(reverse("accounts:overdue_contacts")).content.decode()
    assert 'id="contact-bulk"' in html and f'name="contact" value="{person.pk}" form="contact-bulk"' in html

    response = client.post(reverse("accounts:contact_touch_bulk"), {"contact": [person.pk], "kind": "visit"}, **HTMX)
    html = response.content.decode()
    assert "Touch logged with 1 contact." in html and response["HX-Trigger"] == "hg-list-changed"
    token = html.split('name="token" value="')[1].split('"')[0]
    response = client.post(reverse("accounts:contact_touch_bulk_undo"), {"token": token}, **HTMX)
    assert "Undone: 1 contact is overdue again." in response.content.decode()
    response = client.post(reverse("accounts:contact_touch_bulk"), {"kind": "visit"}, **HTMX)
    assert "Choose at least one contact." in response.content.decode()
