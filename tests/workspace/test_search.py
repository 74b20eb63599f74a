"""Global search: what it finds, for whom, in how many queries, and what it says to bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, DossierSection, Stakeholder, TimelineEntry
from knowledge.models import Case
from playbooks.models import Task
from tests.factories import AccountFactory
from workspace.search import KINDS, MAX_QUERY_LENGTH, SearchQueryError, clean_query, search_for_user
from workspace.search.sqlite_index import INDEXED, ensure_sqlite_index

pytestmark = pytest.mark.django_db


def make_case(author: Any, title: str, status: str = "approved") -> Case:
    return Case.objects.create(
        title=title, industry="manufacturing", size_band="51_200", arr_band="smb",
        problem="p", approach="a", result="r", author=author, status=status,
    )  # fmt: skip


def plant(account: Account, word: str, author: Any) -> dict[str, Any]:
    """One object of every type carrying ``word``, on ``account`` (the case: by ``author``)."""
    Account.objects.filter(pk=account.pk).update(name=f"{word} Holdings")
    return {
        "account": account,
        "stakeholder": Stakeholder.objects.create(account=account, name=f"Person {word}", email="p@example.com"),
        "dossier": DossierSection.objects.create(
            account=account, key="company_overview", content=f"They make pumps. {word} is the parent group."
        ),
        "timeline": TimelineEntry.objects.create(account=account, kind="note", title=f"Call {word}"),
        "task": Task.objects.create(account=account, title=f"Send {word} the QBR deck", due_date=timezone.localdate()),
        "case": make_case(author, f"How {word} doubled usage", status="draft"),
    }


def found(user: Any, q: str, kind: str | None = None) -> set[tuple[str, int]]:
    results = search_for_user(user, q, limit_per_type=50)
    return {(hit.kind, hit.pk) for group in results.groups for hit in group.hits if kind in (None, hit.kind)}


@pytest.fixture
def planted(org: Any) -> dict[str, Any]:
    return plant(org.accounts["csm_a1"][0], "Zephyrine", org.csm_a1)


@pytest.mark.parametrize("kind", KINDS)
def test_the_owner_finds_every_type_and_another_csm_none(org: Any, planted: dict[str, Any], kind: str) -> None:
    hit = (kind, planted[kind].pk)
    assert hit in found(org.csm_a1, "zephyrine", kind)
    # csm_b1 (other team), csm_a2 (same team) and manager_b see none of csm_a1's objects.
    for outsider in (org.csm_b1, org.csm_a2, org.manager_b):
        assert found(outsider, "zephyrine", kind) == set(), outsider.username
    # Their manager and admins see the account's objects; a draft case stays with its
    # author (and, once submitted, their team lead), so only the admin sees it.
    assert (hit in found(org.manager_a, "zephyrine", kind)) == (kind != "case")
    assert hit in found(org.admin, "zephyrine", kind)


def test_approved_cases_are_the_shared_library(org: Any) -> None:
    case = make_case(org.csm_b1, "Quokka rollout playbook")
    assert found(org.csm_a1, "quokka") == {("case", case.pk)}


def test_a_task_assigned_to_me_on_someone_elses_account_is_found(org: Any) -> None:
    task = Task.objects.create(
        account=org.accounts["csm_b1"][0], assignee=org.csm_a1, title="Wombat check", due_date=timezone.localdate()
    )
    assert found(org.csm_a1, "wombat") == {("task", task.pk)}
    assert found(org.csm_a2, "wombat") == set()


def test_chinese_names_two_characters_and_longer(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    Account.objects.filter(pk=account.pk).update(name="张伟科技有限公司")
    zhang_wei = Stakeholder.objects.create(account=account, name="张伟", email="zw@example.cn")
    zhang_weiming = Stakeholder.objects.create(account=account, name="张伟明")
    Stakeholder.objects.create(account=account, name="王芳")
    assert found(org.csm_a1, "张伟") == {("account", account.pk), ("stakeholder", zhang_wei.pk),
                                         ("stakeholder", zhang_weiming.pk)}  # fmt: skip
    # Three characters or more match anywhere in the text.
    assert found(org.csm_a1, "科技有限") == {("account", account.pk)}
    assert found(org.csm_a1, "伟明") == set()  # 2 characters: the start of a name or word only
    assert found(org.csm_b1, "张伟") == set()
    # An admin's search goes through the indexes (SQLite: FTS5); the same hits.
    assert found(org.admin, "张伟") == found(org.csm_a1, "张伟")
    assert found(org.admin, "科技有限") == {("account", account.pk)}
    assert found(org.admin, "伟明") == set()


def test_matches_ignore_case_and_need_every_term(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    person = Stakeholder.objects.create(account=account, name="Li Na", email="li.na@AcmeCorp.com")
    Stakeholder.objects.create(account=account, name="Li Lei", email="lei@other.com")
    assert found(org.csm_a1, "ACMECORP", "stakeholder") == {("stakeholder", person.pk)}
    assert found(org.csm_a1, "li acmecorp", "stakeholder") == {("stakeholder", person.pk)}
    assert len(found(org.csm_a1, "li", "stakeholder")) == 2
    assert found(org.admin, "li acmecorp", "stakeholder") == {("stakeholder", person.pk)}
    assert found(org.admin, "na", "stakeholder") == {("stakeholder", person.pk)}  # "Li Na": a word starting with "na"


def test_external_id_finds_the_account(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    Account.objects.filter(pk=account.pk).update(external_id="CRM-778812")
    assert found(org.csm_a1, "crm-7788") == {("account", account.pk)}


def test_like_wildcards_in_a_query_are_literal(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    Account.objects.filter(pk=account.pk).update(name="Growth 100% Ltd")
    assert found(org.csm_a1, "100%") == {("account", account.pk)}
    assert found(org.csm_a1, "%%%") == set()
    assert found(org.csm_a1, "a_c") == set()


def test_exact_then_prefix_then_shorter_first(org: Any) -> None:
    owner = org.csm_a1
    names = ["The Orion Group", "Orion Systems International", "Orion", "Orion Labs"]
    for name in names:
        AccountFactory(owner=owner, name=name)
    hits = search_for_user(owner, "orion").groups[0].hits
    assert [hit.title for hit in hits] == ["Orion", "Orion Labs", "Orion Systems International", "The Orion Group"]


def test_the_dossier_hit_shows_the_text_around_the_match(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    DossierSection.objects.create(account=account, key="internal_politics", content="x " * 400 + "Kestrel backs us")
    (hit,) = search_for_user(org.csm_a1, "kestrel").groups[0].hits
    assert "Kestrel backs us" in hit.subtitle
    assert hit.subtitle.startswith("…")
    assert hit.url == reverse("accounts:detail", args=[account.pk]) + "#dossier"


def test_limit_per_type_and_groups_without_hits_left_out(org: Any) -> None:
    for i in range(8):
        AccountFactory(owner=org.csm_a1, name=f"Puffin {i}")
    results = search_for_user(org.csm_a1, "puffin", limit_per_type=3)
    assert [group.kind for group in results.groups] == ["account"]
    assert len(results.groups[0].hits) == 3


def _queries(user: Any, q: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        search_for_user(user, q, limit_per_type=50)
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_the_hits(org: Any) -> None:
    search_for_user(org.csm_a1, "warmup")  # one-off: SQLite checks its index exists
    account = org.accounts["csm_a1"][0]
    plant(account, "Marmot", org.csm_a1)
    one = _queries(org.csm_a1, "marmot")
    for i in range(20):
        other = AccountFactory(owner=org.csm_a1, name=f"Marmot {i}")
        Stakeholder.objects.create(account=other, name=f"Marmot {i}")
        TimelineEntry.objects.create(account=other, kind="note", title=f"Marmot call {i}")
        Task.objects.create(account=other, title=f"Marmot {i}", due_date=timezone.localdate())
        DossierSection.objects.create(account=other, key="work_goals", content=f"Marmot {i}")
        make_case(org.csm_a1, f"Marmot {i}", status="draft")
    twenty = _queries(org.csm_a1, "marmot")
    # One query per type (its ranked candidates) and, for anyone but an admin, one for
    # their accounts; PostgreSQL adds its planner settings (with a savepoint around them
    # inside a test's transaction) and, for a book named by its accounts, one switch.
    postgresql = connection.vendor == "postgresql"
    assert one == twenty == len(KINDS) + 1 + (4 if postgresql else 0)
    assert search_for_user(org.csm_a1, "marmot", limit_per_type=50).total == 6 + 20 * 6
    assert _queries(org.admin, "marmot") == len(KINDS) + (3 if postgresql else 0)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Type a name"),
        ("   ", "Type a name"),
        ("a", "at least 2 characters"),
        ("a b c", "at least 2 characters"),
        ("x" * (MAX_QUERY_LENGTH + 1), f"at most {MAX_QUERY_LENGTH} characters"),
    ],
)
def test_queries_that_cannot_be_searched_say_why(org: Any, raw: str, message: str) -> None:
    with pytest.raises(SearchQueryError, match=message):
        search_for_user(org.csm_a1, raw)


def test_query_terms_are_cleaned() -> None:
    assert clean_query("  Acme   a  Corp acme ") == ["Acme", "Corp", "acme"]
    assert clean_query("one two three four five six") == ["one", "two", "three", "four", "five"]
    assert clean_query("x" * MAX_QUERY_LENGTH) == ["x" * MAX_QUERY_LENGTH]


def test_an_anonymous_user_finds_nothing(org: Any, planted: dict[str, Any]) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert search_for_user(AnonymousUser(), "zephyrine").groups == []


def test_the_index_follows_every_kind_of_write(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    person = Stakeholder.objects.create(account=account, name="Ibis Old")
    assert found(org.csm_a1, "ibis old") == {("stakeholder", person.pk)}
    Stakeholder.objects.filter(pk=person.pk).update(name="Heron New")  # a queryset update
    assert found(org.csm_a1, "ibis") == set()
    assert found(org.csm_a1, "heron new") == {("stakeholder", person.pk)}
    created = Stakeholder.objects.bulk_create([Stakeholder(account=account, name=f"Heron {i}") for i in range(3)])
    assert len(found(org.csm_a1, "heron", "stakeholder")) == 1 + len(created)
    person.delete()
    assert ("stakeholder", person.pk) not in found(org.csm_a1, "heron")


def test_a_rebuilt_table_gets_its_triggers_and_index_back(org: Any) -> None:
    """Django remakes SQLite tables on schema changes, dropping their triggers; the check
    after ``migrate`` restores them and refills that index. On PostgreSQL it does nothing."""
    account = org.accounts["csm_a1"][0]
    entry = TimelineEntry.objects.create(account=account, kind="note", title="Pelican visit")
    if connection.vendor != "sqlite":
        assert ensure_sqlite_index() == []
        assert found(org.csm_a1, "pelican") == {("timeline", entry.pk)}
        return
    assert ensure_sqlite_index() == []  # all in place: nothing to do
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER workspace_search_timeline_au")
    TimelineEntry.objects.filter(pk=entry.pk).update(title="Albatross visit")  # missed by the index
    assert ensure_sqlite_index() == ["timeline"]
    assert found(org.csm_a1, "albatross") == {("timeline", entry.pk)}
    assert found(org.csm_a1, "pelican") == set()
    assert {table.kind for table in INDEXED} == set(KINDS)


# --- Pages and API ----------------------------------------------------------------------


def test_results_page_groups_hits_by_type(client: Any, org: Any, planted: dict[str, Any]) -> None:
    client.force_login(org.csm_a1)
    response = client.get(reverse("search:results"), {"q": "Zephyrine"})
    assert response.status_code == 200
    body = response.content.decode()
    for kind in KINDS:
        assert f'data-testid="search-group-{kind}"' in body
    assert reverse("playbooks:task_detail", args=[planted["task"].pk]) in body


def test_results_page_is_scoped(client: Any, org: Any, planted: dict[str, Any]) -> None:
    client.force_login(org.csm_b1)
    response = client.get(reverse("search:results"), {"q": "Zephyrine"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="search-hit"' not in body
    assert "Holdings" not in body
    assert "Nothing found" in body


@pytest.mark.parametrize("q", ["", "a", "x" * 5000])
def test_results_page_and_dialog_answer_bad_input_with_a_message(client: Any, org: Any, q: str) -> None:
    client.force_login(org.csm_a1)
    page = client.get(reverse("search:results"), {"q": q})
    quick = client.get(reverse("search:quick"), {"q": q}, headers={"HX-Request": "true"})
    assert page.status_code == quick.status_code == 200
    assert 'data-testid="search-message"' in quick.content.decode()
    if q:
        assert 'data-testid="search-message"' in page.content.decode()


def test_quick_dialog_results_link_to_the_objects(client: Any, org: Any, planted: dict[str, Any]) -> None:
    client.force_login(org.csm_a1)
    response = client.get(reverse("search:quick"), {"q": "zephyrine"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.count("data-search-hit") == len(KINDS)
    assert f'href="{reverse("accounts:detail", args=[planted["account"].pk])}"' in body


def test_every_page_has_the_search_box_and_dialog(client: Any, org: Any) -> None:
    client.force_login(org.csm_a1)
    body = client.get(reverse("my_day")).content.decode()
    assert 'id="hg-quick-jump"' in body
    assert "js/search.js" in body


def test_api_returns_grouped_scoped_hits(client: Any, org: Any, planted: dict[str, Any]) -> None:
    client.force_login(org.csm_a1)
    data = client.get("/api/v1/search/", {"q": "zephyrine", "limit": 2}).json()
    assert data["query"] == "zephyrine"
    assert [group["kind"] for group in data["groups"]] == list(KINDS)
    assert data["groups"][0]["hits"][0] == {
        "kind": "account",
        "id": planted["account"].pk,
        "title": "Zephyrine Holdings",
        "subtitle": planted["account"].external_id,
        "url": reverse("accounts:detail", args=[planted["account"].pk]),
    }
    client.force_login(org.csm_b1)
    assert client.get("/api/v1/search/", {"q": "zephyrine"}).json()["groups"] == []


def test_api_kind_filter(client: Any, org: Any, planted: dict[str, Any]) -> None:
    client.force_login(org.csm_a1)
    data = client.get("/api/v1/search/?q=zephyrine&kind=task&kind=case").json()
    assert [group["kind"] for group in data["groups"]] == ["task", "case"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({}, "q"),
        ({"q": "z"}, "q"),
        ({"q": "z" * 1000}, "q"),
        ({"q": "zephyrine", "limit": "0"}, "limit"),
        ({"q": "zephyrine", "limit": "many"}, "limit"),
        ({"q": "zephyrine", "kind": "invoice"}, "kind"),
    ],
)
def test_api_bad_input_is_a_400_naming_the_field(client: Any, org: Any, params: dict[str, str], field: str) -> None:
    client.force_login(org.csm_a1)
    response = client.get("/api/v1/search/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_api_requires_authentication(client: Any, org: Any) -> None:
    assert client.get("/api/v1/search/", {"q": "zephyrine"}).status_code in (401, 403)


def test_reindex_command_refills_the_index(org: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    account = org.accounts["csm_a1"][0]
    entry = TimelineEntry.objects.create(account=account, kind="note", title="Cormorant sighting")
    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert out.getvalue().strip() in (
        "Search indexes refilled.",
        "PostgreSQL keeps its search indexes itself: nothing to do.",
    )
    assert found(org.csm_a1, "cormorant") == {("timeline", entry.pk)}
    assert found(org.admin, "cormorant") == {("timeline", entry.pk)}
