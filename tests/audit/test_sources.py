"""Every history row records where its change came from (core/audit_source.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.imports import csv_import
from accounts.models import Account
from core.audit_source import audit_source, current_audit_source, source_label, split_source
from health.models import NpsResponse
from playbooks.models import Playbook, PlaybookStep, Task
from playbooks.tasks import playbook_fire_task

pytestmark = pytest.mark.django_db


def _task(org: Any) -> Task:
    account = org.accounts["csm_a1"][0]
    return Task.objects.create(account=account, assignee=org.csm_a1, title="Call", due_date=timezone.localdate())


def test_a_page_records_its_path_and_the_person(client: Any, org: Any) -> None:
    task = _task(org)
    client.force_login(org.csm_a1)
    client.post(reverse("playbooks:task_status", args=[task.pk]), {"status": "in_progress"})
    row = task.history.latest()
    assert row.history_change_reason == f"page /tasks/{task.pk}/status/"
    assert row.history_user == org.csm_a1
    assert row.status == "in_progress"


def test_an_api_token_is_told_from_a_session(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    token = Token.objects.create(user=org.csm_a1)
    url = f"/api/v1/accounts/{account.pk}/"
    response = client.patch(url, {"name": "Renamed by token"}, content_type="application/json",
                            HTTP_AUTHORIZATION=f"Token {token.key}")  # fmt: skip
    assert response.status_code == 200, response.content
    row = account.history.latest()
    assert (row.history_change_reason, row.history_user, row.name) == (
        f"api-token {url}",
        org.csm_a1,
        "Renamed by token",
    )

    client.force_login(org.csm_a1)
    client.patch(url, {"name": "Renamed in session"}, content_type="application/json")
    assert account.history.latest().history_change_reason == f"api {url}"


def test_an_import_records_its_run(org: Any) -> None:
    data = b"external_id,name,arr\nNEW-1,Imported one,1000\nNEW-2,Imported two,2000\n"
    result, run = csv_import(actor=org.admin, kind="accounts", data=data)
    assert result.created == 2
    reasons = set(
        Account.history.filter(external_id__in=["NEW-1", "NEW-2"]).values_list("history_change_reason", flat=True)
    )
    assert reasons == {f"import #{run.pk}"}
    assert source_label(f"import #{run.pk}") == f"CSV import #{run.pk}"


def test_an_import_from_the_page_records_the_run_not_the_page(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    data = f"external_id,name\n{account.external_id},Updated by import\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(reverse("accounts:import"), {"kind": "accounts", "file": SimpleUploadedFile("a.csv", data)})
    row = account.history.latest()
    assert row.name == "Updated by import"
    assert split_source(row.history_change_reason)[0] == "import"


@pytest.fixture
def playbook(db: None) -> Playbook:
    playbook = Playbook.objects.create(name="When a key person leaves", trigger="key_stakeholder_left")
    PlaybookStep.objects.create(playbook=playbook, title="Meet the successor", due_offset_days=3)
    return playbook


def test_a_celery_job_records_its_task_name(org: Any, playbook: Playbook) -> None:
    account = org.accounts["csm_a1"][0]
    before = Task.objects.count()
    playbook_fire_task.apply(kwargs={"account_id": account.pk, "trigger": "key_stakeholder_left", "episode_key": "k1"})
    created = Task.objects.filter(account=account, episode_key="k1")
    assert created.count() == Task.objects.count() - before > 0
    reasons = set(Task.history.filter(id__in=created.values("pk")).values_list("history_change_reason", flat=True))
    assert reasons == {"job playbooks.playbook_fire_task"}
    assert current_audit_source() is None  # the hook put the previous source back


def test_a_job_run_twice_writes_no_second_creation(org: Any, playbook: Playbook) -> None:
    account = org.accounts["csm_a1"][0]
    kwargs = {"account_id": account.pk, "trigger": "key_stakeholder_left", "episode_key": "k2"}
    playbook_fire_task.apply(kwargs=kwargs)
    rows = Task.history.filter(account_id=account.pk).count()
    playbook_fire_task.apply(kwargs=kwargs)
    assert Task.history.filter(account_id=account.pk).count() == rows


def test_a_management_command_records_its_name(org: Any, tmp_path: Any) -> None:
    account = org.accounts["csm_a1"][0]
    path = tmp_path / "nps.csv"
    path.write_text(f"account_external_id,score,responded_on\n{account.external_id},9,{timezone.localdate()}\n")
    call_command("import_nps", str(path), "--as", org.csm_a1.username)
    response = NpsResponse.objects.get(account=account)
    assert response.history.latest().history_change_reason == "command import_nps"


def test_the_import_command_records_the_run_inside_the_command(org: Any, tmp_path: Any) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("external_id,name\nCMD-1,From the command\n")
    call_command("import_csv", str(path), "--as", org.admin.username)
    row = Account.history.get(external_id="CMD-1")
    assert row.history_change_reason.startswith("import #")


def test_an_explicit_reason_and_the_innermost_source_win(org: Any) -> None:
    task = _task(org)
    with audit_source("sync crm"):
        task.title = "From the CRM"
        task.save()
        assert task.history.latest().history_change_reason == "sync crm"
        with audit_source("import #7"):
            task.title = "Imported"
            task.save()
        assert task.history.latest().history_change_reason == "import #7"
        task._change_reason = "restored by hand"
        task.title = "Restored"
        task.save()
    assert task.history.latest().history_change_reason == "restored by hand"


def test_bulk_reassignment_and_owner_change_write_history(client: Any, org: Any) -> None:
    task = _task(org)
    client.force_login(org.manager_a)
    client.post(reverse("playbooks:task_reassign"), {"task": [task.pk], "assignee": org.csm_a2.pk})
    row = task.history.latest()
    assert (row.assignee_id, row.history_user, row.history_change_reason) == (
        org.csm_a2.pk, org.manager_a, "page /tasks/reassign/",
    )  # fmt: skip

    moved = Task.objects.create(account=task.account, assignee=org.csm_a1, title="Follows", due_date=task.due_date)
    account = task.account
    account.owner = org.csm_a2
    account._history_user = org.manager_a
    with audit_source("sync crm"):
        account.save()
    row = moved.history.latest()
    assert (row.assignee_id, row.history_user, row.history_change_reason) == (org.csm_a2.pk, org.manager_a, "sync crm")


def test_long_paths_fit_the_reason_column(client: Any, org: Any) -> None:
    from core.audit_source import source_from_request

    class Request:
        path = "/accounts/" + "x" * 300
        META: dict[str, str] = {}

    reason = source_from_request(Request())
    assert reason is not None and len(reason) == 100 and reason.startswith("page /accounts/")


def test_django_admin_records_its_path(client: Any, org: Any) -> None:
    from org.models import Team

    client.force_login(org.admin)
    url = reverse("admin:org_team_change", args=[org.team_a.pk])
    response = client.post(url, {"name": "Team A renamed", "lead": org.manager_a.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    row = Team.objects.get(pk=org.team_a.pk).history.latest()
    assert (row.name, row.history_change_reason, row.history_user) == ("Team A renamed", f"admin {url}", org.admin)
