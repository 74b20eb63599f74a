"""The unmatched inbox pages: who sees which email, assigning one, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import TimelineEntry
from integrations.inbox.models import InboundEmail, InboundStatus, MatchedBy
from tests.conftest import login

pytestmark = pytest.mark.django_db


def parked(sender: Any, n: int = 0, **fields: Any) -> InboundEmail:
    fields = {"status": InboundStatus.UNMATCHED, **fields}
    return InboundEmail.objects.create(
        message_id=f"<{sender.username}-{n}@example.com>",
        sender=sender,
        subject=f"Parked {sender.username} {n}",
        body="Hello from an unknown domain",
        to_addresses=["wang.fang@acme.cn"],
        **fields,
    )


def subjects(response: Any) -> set[str]:
    return {email.subject for email in response.context["emails"]}


def test_each_person_sees_the_unmatched_email_of_their_scope(client: Any, customers: Any):
    for user in (customers.csm_a1, customers.csm_a2, customers.csm_b1):
        parked(user)
    parked(customers.csm_a1, 1, status=InboundStatus.MATCHED)  # already on a timeline
    url = reverse("inbox:unmatched")
    assert subjects(login(client, customers.csm_a1).get(url)) == {"Parked csm_a1 0"}
    assert subjects(login(client, customers.manager_a).get(url)) == {"Parked csm_a1 0", "Parked csm_a2 0"}
    assert subjects(login(client, customers.manager_b).get(url)) == {"Parked csm_b1 0"}
    assert len(subjects(login(client, customers.admin).get(url))) == 3


def test_the_list_runs_the_same_queries_for_1_and_20_emails(client: Any, customers: Any, django_assert_num_queries):
    login(client, customers.manager_a)
    parked(customers.csm_a1)
    url = reverse("inbox:unmatched")
    client.get(url)  # session, profile, translations warmed up
    with django_assert_num_queries(6) as one:
        client.get(url)
    for n in range(1, 20):
        parked(customers.csm_a2 if n % 2 else customers.csm_a1, n)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["emails"]) == 20


def test_the_csm_assigns_an_email_to_one_of_their_accounts(client: Any, customers: Any):
    email = parked(customers.csm_a1, attachments=[{"name": "plan.pdf", "content_type": "application/pdf", "size": 3}])
    login(client, customers.csm_a1)
    page = client.get(reverse("inbox:detail", kwargs={"pk": email.pk}))
    assert page.status_code == 200 and b"Hello from an unknown domain" in page.content
    response = client.post(reverse("inbox:assign", kwargs={"pk": email.pk}), {"account": customers.acme.pk})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:detail", args=[customers.acme.pk])
    email.refresh_from_db()
    assert (email.status, email.account, email.matched_by) == (InboundStatus.ASSIGNED, customers.acme, MatchedBy.MANUAL)
    assert email.assigned_by == customers.csm_a1
    entry = email.timeline_entry
    assert (entry.account, entry.kind, entry.actor, entry.is_touchpoint) == (
        customers.acme,
        "email",
        customers.csm_a1,
        True,
    )
    assert list(entry.stakeholders.all()) == [customers.acme_cto]  # wang.fang@acme.cn
    assert entry.body == "Hello from an unknown domain\n\n📎 plan.pdf"
    # Assigned, it leaves the list; a second POST is refused, with nothing written.
    assert subjects(client.get(reverse("inbox:unmatched"))) == set()
    again = client.post(reverse("inbox:assign", kwargs={"pk": email.pk}), {"account": customers.acme.pk})
    assert again.status_code == 400 and "no longer waiting for an account" in again.content.decode()
    assert TimelineEntry.objects.filter(kind="email").count() == 1


def test_a_manager_assigns_a_team_members_email_and_the_touchpoint_is_the_csms(client: Any, customers: Any):
    email = parked(customers.csm_a1)
    login(client, customers.manager_a)
    target = customers.accounts["csm_a2"][0]
    client.post(reverse("inbox:assign", kwargs={"pk": email.pk}), {"account": target.pk})
    email.refresh_from_db()
    assert (email.account, email.assigned_by, email.timeline_entry.actor) == (
        target,
        customers.manager_a,
        customers.csm_a1,
    )


def test_an_account_outside_the_scope_is_refused_by_name_and_nothing_is_written(client: Any, customers: Any):
    email = parked(customers.csm_a1)
    login(client, customers.csm_a1)
    for value in (customers.globex.pk, customers.unassigned.pk, "999999", "x", ""):
        response = client.post(reverse("inbox:assign", kwargs={"pk": email.pk}), {"account": value})
        assert response.status_code == 400
        errors = response.context["form"].errors["account"]
        assert errors in (["Pick one of your accounts."], ["This field is required."])
    email.refresh_from_db()
    assert email.status == InboundStatus.UNMATCHED and not TimelineEntry.objects.filter(kind="email").exists()


def test_the_account_choices_are_the_persons_scope(client: Any, customers: Any):
    email = parked(customers.csm_a1)
    page = login(client, customers.csm_a1).get(reverse("inbox:detail", kwargs={"pk": email.pk}))
    choices = {str(label) for _value, label in page.context["form"].fields["account"].choices if _value}
    assert choices == {a.name for a in customers.accounts["csm_a1"]}


def test_other_peoples_emails_are_404(client: Any, customers: Any):
    email = parked(customers.csm_a1)
    for user in (customers.csm_a2, customers.csm_b1, customers.manager_b):
        login(client, user)
        assert client.get(reverse("inbox:detail", kwargs={"pk": email.pk})).status_code == 404
        post = client.post(reverse("inbox:assign", kwargs={"pk": email.pk}), {"account": customers.acme.pk})
        assert post.status_code == 404
    assert InboundEmail.objects.get(pk=email.pk).status == InboundStatus.UNMATCHED


def test_the_page_in_chinese(client: Any, customers: Any):
    parked(customers.csm_a1)
    login(client, customers.csm_a1)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("inbox:unmatched"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert "未匹配的邮件" in html and "选择客户" in html


def test_a_parked_email_can_be_dismissed_once_and_leaves_the_list(client: Any, customers: Any):
    email = parked(customers.csm_a1)
    login(client, customers.manager_a)
    response = client.post(reverse("inbox:dismiss", kwargs={"pk": email.pk}))
    assert response.status_code == 302 and response["Location"] == reverse("inbox:unmatched")
    email.refresh_from_db()
    assert (email.status, email.assigned_by, email.timeline_entry) == (
        InboundStatus.DISMISSED,
        customers.manager_a,
        None,
    )
    assert subjects(client.get(reverse("inbox:unmatched"))) == set()
    again = client.post(reverse("inbox:dismiss", kwargs={"pk": email.pk}))
    assert again.status_code == 400 and "no longer waiting for an account" in again.content.decode()
    assigned = client.post(reverse("inbox:assign", kwargs={"pk": email.pk}), {"account": customers.acme.pk})
    assert assigned.status_code == 400 and not TimelineEntry.objects.filter(kind="email").exists()
    login(client, customers.csm_b1)
    assert client.post(reverse("inbox:dismiss", kwargs={"pk": parked(customers.csm_a1, 1).pk})).status_code == 404
