"""The audit log page and its CSV export: who sees what, diffs, filters, bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from core.audit_source import audit_source
from playbooks.models import Playbook, Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes(org: Any) -> dict[str, Any]:
    """A task of team A changed by its CSM, an account of team B renamed by its CSM, a
    playbook changed by the admin."""
    task = Task.objects.create(
        account=org.accounts["csm_a1"][0], assignee=org.csm_a1, title="Alpha call", due_date=timezone.localdate()
    )
    task._history_user = org.csm_a1
    task.title = "Alpha call, moved"
    with audit_source("page /tasks/1/"):
        task.save()
    account = org.accounts["csm_b1"][0]
    account.name = "Bravo renamed"
    account._history_user = org.csm_b1
    with audit_source("import #42"):
        account.save()
    playbook = Playbook.objects.create(name="A playbook", trigger="manual")
    playbook.name = "Admin's playbook"
    playbook._history_user = org.admin
    playbook.save()
    return {"task": task, "account": account, "playbook": playbook}


def _page(client: Any, user: Any, **params: Any) -> Any:
    client.force_login(user)
    return client.get(reverse("audit:log"), params)


def _csv(client: Any, user: Any, **params: Any) -> list[list[str]]:
    client.force_login(user)
    response = client.get(reverse("audit:export"), params)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_admin_sees_every_change_with_field_diffs_and_sources(client: Any, org: Any, changes: Any) -> None:
    html = _page(client, org.admin).content.decode()
    assert "Alpha call, moved" in html and "Bravo renamed" in html and "Admin&#x27;s playbook" in html
    # Field verbose names, old → new.
    assert "Title:</span> <del>Alpha call</del> → <span>Alpha call, moved</span>" in html
    assert "CSV import #42" in html and "Page /tasks/1/" in html


def test_field_names_are_translated(client: Any, org: Any, changes: Any) -> None:
    client.force_login(org.admin)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("audit:log"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "审计日志" in html  # the page title
    assert "CSV 导入 #42" in html


def test_managers_see_their_team_only(client: Any, org: Any, changes: Any) -> None:
    html_a = _page(client, org.manager_a).content.decode()
    assert "Alpha call, moved" in html_a
    assert "Bravo renamed" not in html_a and "Admin&#x27;s playbook" not in html_a
    html_b = _page(client, org.manager_b).content.decode()
    assert "Bravo renamed" in html_b
    assert "Alpha call" not in html_b and "Admin&#x27;s playbook" not in html_b
    assert org.accounts["csm_a1"][0].name not in html_b


def test_the_export_has_the_same_scope(client: Any, org: Any, changes: Any) -> None:
    rows_b = _csv(client, org.manager_b)
    text_b = "\n".join(",".join(row) for row in rows_b)
    assert "Bravo renamed" in text_b and "Alpha call" not in text_b and "Admin's playbook" not in text_b
    rows_admin = _csv(client, org.admin)
    header = rows_admin[0]
    assert header[:3] == ["When", "Person", "Action"]
    title_rows = [row for row in rows_admin if row[2:4] == ["Changed", "Task"] and row[6] == "Title"]
    assert [row[7:9] for row in title_rows] == [["Alpha call", "Alpha call, moved"]]


def test_the_export_neutralises_formulas(client: Any, org: Any, changes: Any) -> None:
    task = changes["task"]
    task.title = '=HYPERLINK("http://evil")'
    task.save()
    rows = _csv(client, org.admin, model="playbooks.task")
    assert any(row[8].startswith("'=HYPERLINK") for row in rows[1:])


def test_csms_are_refused_and_anonymous_sent_to_login(client: Any, org: Any) -> None:
    for name in ("audit:log", "audit:export", "audit:logins"):
        client.logout()
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]
        client.force_login(org.csm_a1)
        assert client.get(reverse(name)).status_code == 403


def test_filters(client: Any, org: Any, changes: Any) -> None:
    by_person = _page(client, org.admin, person=org.csm_b1.pk).content.decode()
    assert "Bravo renamed" in by_person and "Alpha call" not in by_person
    by_account = _page(client, org.admin, account=changes["task"].account_id).content.decode()
    assert "Alpha call, moved" in by_account and "Bravo renamed" not in by_account
    by_model = _page(client, org.admin, model="playbooks.playbook").content.decode()
    assert "Admin&#x27;s playbook" in by_model and "Alpha call" not in by_model
    by_source = _page(client, org.admin, source="import").content.decode()
    assert "Bravo renamed" in by_source and "Alpha call" not in by_source
    today = timezone.localdate()
    in_range = _page(client, org.admin, date_from=today.isoformat(), date_to=today.isoformat()).content.decode()
    assert "Bravo renamed" in in_range
    later = _page(client, org.admin, date_from=(today.replace(year=today.year + 1)).isoformat()).content.decode()
    assert "Bravo renamed" not in later and "No changes match these filters." in later


def test_a_manager_cannot_filter_on_another_teams_account_or_person(client: Any, org: Any, changes: Any) -> None:
    response = _page(client, org.manager_a, account=changes["account"].pk)
    html = response.content.decode()
    assert response.status_code == 200
    assert "No account with this id that you can see." in html and "Bravo renamed" not in html
    html = _page(client, org.manager_a, person=org.csm_b1.pk).content.decode()
    assert 'data-testid="filter-errors"' in html and "Bravo renamed" not in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"account": "abc"}, "Account id"),
        ({"account": "99999999999999999999"}, "Account id"),
        ({"person": "99999999999999999999"}, "Person"),
        ({"model": "nope.nothing"}, "Record type"),
        ({"source": "telepathy"}, "Source"),
        ({"date_from": "0236-01-01"}, "Since"),
        ({"date_from": "2025-05-02", "date_to": "2025-05-01"}, "Until"),
        ({"before": "garbage"}, "Position in the log"),
        ({"before": "2025-01-01T00:00:00+00:00|playbooks.task|99999999999999999999"}, "Position in the log"),
    ],
)
def test_bad_filters_are_named_not_500(client: Any, org: Any, params: dict[str, str], field: str) -> None:
    response = _page(client, org.admin, **params)
    assert response.status_code == 200
    assert f"<strong>{field}</strong>" in response.content.decode()
    export = client.get(reverse("audit:export"), params)
    assert export.status_code == 400
    assert export.content.decode().split(":")[0] in {"account", "person", "model", "source", "date_from", "date_to",
                                                      "before"}  # fmt: skip


def test_load_older_pages_through_everything_once(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    for number in range(7):
        account.name = f"Name {number}"
        account.save()
    from workspace.audit.selectors import AuditQuery, audit_page

    seen: list[int] = []
    query = AuditQuery(model_key="accounts.account")
    while True:
        page = audit_page(user=org.admin, query=query, limit=3)
        seen += [entry.row.history_id for entry in page.entries]
        if page.next_cursor is None:
            break
        query = AuditQuery(model_key="accounts.account", before=page.next_cursor)
    assert seen == list(Account.history.order_by("-history_date", "-history_id").values_list("history_id", flat=True))
    html = _page(client, org.admin, model="accounts.account").content.decode()
    assert 'data-testid="load-older"' not in html  # fewer rows than a page
