"""Global search: the ways it reaches a user's rows find exactly what the pages show, an
exact match among many still comes first, and timeline hits read in the reader's language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from accounts.models import Account, Stakeholder, TimelineEntry
from accounts.timeline import timeline_record
from core.messages import message
from org.models import Role
from playbooks.models import Task
from playbooks.selectors import task_scope
from tests.factories import make_person
from workspace.search import search_for_user, sources
from workspace.search.engine import CANDIDATES
from workspace.search.sources import SOURCES, scope_of

pytestmark = pytest.mark.django_db


def found(user: Any, q: str, kind: str) -> set[int]:
    results = search_for_user(user, q, limit_per_type=50)
    return {hit.pk for group in results.groups for hit in group.hits if hit.kind == kind}


def people(org: Any) -> list[Any]:
    sales = make_person(Role.SALES, username="sales_1")
    Account.objects.filter(pk=org.accounts["csm_b1"][0].pk).update(sales_owner=sales)
    return [org.admin, org.manager_a, org.manager_b, org.csm_a1, org.csm_a2, org.csm_b1, sales]


def plant_everywhere(org: Any, word: str) -> dict[str, set[int]]:
    """A stakeholder, a timeline entry and a task carrying ``word`` on every account, and
    a task on csm_b1's account assigned to csm_a1 (theirs too, through the assignment)."""
    planted: dict[str, set[int]] = {"stakeholder": set(), "timeline": set(), "task": set()}
    for account in Account.objects.all():
        planted["stakeholder"].add(Stakeholder.objects.create(account=account, name=f"{word} {account.pk}").pk)
        planted["timeline"].add(TimelineEntry.objects.create(account=account, kind="note", title=f"{word} call").pk)
        task = Task.objects.create(account=account, title=f"Call {word}", due_date=timezone.localdate())
        planted["task"].add(task.pk)
    borrowed = Task.objects.create(
        account=org.accounts["csm_b1"][0], assignee=org.csm_a1, title=f"Help with {word}", due_date=timezone.localdate()
    )
    planted["task"].add(borrowed.pk)
    return planted


def visible(user: Any, kind: str, planted: set[int]) -> set[int]:
    """What the pages' own selectors let ``user`` see of the planted rows."""
    if kind == "task":
        return set(task_scope(user=user).filter(pk__in=planted).values_list("pk", flat=True))
    model = Stakeholder if kind == "stakeholder" else TimelineEntry
    from accounts.selectors import account_scope

    rows = model.objects.filter(pk__in=planted, account__in=account_scope(user=user))
    return set(rows.values_list("pk", flat=True))


@pytest.mark.parametrize("named", [True, False], ids=["book-named-by-its-accounts", "larger-scope-as-subquery"])
def test_each_way_to_a_scope_finds_exactly_what_the_pages_show(org: Any, monkeypatch: Any, named: bool) -> None:
    if not named:  # every non-admin scope counts as too large to name: the selector's subquery
        monkeypatch.setattr(sources, "NAMED_SCOPE_LIMIT", 0)
    everyone = people(org)
    planted = plant_everywhere(org, "Wombat")
    for user in everyone:
        scope = scope_of(user)
        assert scope.named is (named and user != org.admin), user.username
        for kind, rows in planted.items():
            assert found(user, "wombat", kind) == visible(user, kind, rows), (user.username, kind)
    # The assignment reaches across books, and nothing else does.
    assert Task.objects.get(title="Help with Wombat").pk in found(org.csm_a1, "wombat", "task")
    assert found(org.csm_a2, "wombat", "task").isdisjoint(found(org.csm_a1, "wombat", "task"))


def test_the_tasks_of_a_named_book_are_task_scope(org: Any) -> None:
    everyone = people(org)
    plant_everywhere(org, "Numbat")
    task_source = next(source for source in SOURCES if source.kind == "task")
    for user in everyone:
        assert set(task_source.scope(scope_of(user))) == set(task_scope(user=user)), user.username


def test_a_user_without_accounts_finds_only_what_is_theirs(org: Any) -> None:
    newcomer = make_person(Role.CSM, username="csm_new")
    plant_everywhere(org, "Quoll")
    assert scope_of(newcomer).account_ids == ()
    assert search_for_user(newcomer, "quoll").groups == []


def test_an_exact_title_among_more_matches_than_the_candidates_comes_first(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    TimelineEntry.objects.bulk_create(
        TimelineEntry(account=account, kind="note", title=f"Call about Pangolin {i}") for i in range(CANDIDATES + 20)
    )
    exact = TimelineEntry.objects.create(account=account, kind="note", title="Pangolin")
    starting = TimelineEntry.objects.create(account=account, kind="note", title="Pangolin renewal")
    for user in (org.csm_a1, org.admin):
        hits = search_for_user(user, "pangolin", limit_per_type=3).groups
        timeline = next(group for group in hits if group.kind == "timeline").hits
        assert [hit.pk for hit in timeline[:2]] == [exact.pk, starting.pk], user.username
        assert len(timeline) == 3


def test_a_generated_timeline_hit_reads_in_the_readers_language(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    with translation.override("en"):
        entry = timeline_record(
            account=account,
            kind="stakeholder_left",
            message=message(gettext_noop("%(name)s (%(tier)s) left"), name="Ada Quokka", tier="S"),
        )
    typed = TimelineEntry.objects.create(account=account, kind="note", title="Quokka workshop notes")
    assert entry is not None and entry.title == "Ada Quokka (S) left"  # stored in English
    with translation.override("zh-hans"):
        hits = {hit.pk: hit.title for hit in search_for_user(org.csm_a1, "quokka").groups[0].hits}
    assert hits == {entry.pk: "Ada Quokka（S）已离职", typed.pk: "Quokka workshop notes"}
    with translation.override("en"):
        hits = {hit.pk: hit.title for hit in search_for_user(org.csm_a1, "quokka").groups[0].hits}
    assert hits[entry.pk] == "Ada Quokka (S) left"


def test_the_results_page_of_a_chinese_reader_shows_the_translated_title(client: Client, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    timeline_record(
        account=account,
        kind="stakeholder_left",
        message=message(gettext_noop("%(name)s (%(tier)s) left"), name="Bo Dugong", tier="A"),
    )
    client.force_login(org.csm_a1)
    page = client.get(reverse("search:results"), {"q": "dugong"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Bo Dugong（A）已离职" in page
    assert "Bo Dugong (A) left" not in page
    # Another book's reader finds nothing of it, in any language.
    client.force_login(org.csm_b1)
    assert "Dugong" not in client.get(reverse("search:results"), {"q": "dugong"}).content.decode()
