"""A large CSV import through a real Celery worker process, polled like the page does."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from accounts.models import Account, ImportRun
from tests.integration.workers import running_worker, tasks_routed_to, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HEADER = "external_id,name,industry,arr,icp_fit,owner,go_live_date,status\n"


def test_worker_imports_a_large_upload_and_the_page_shows_progress_then_the_result(client, org, settings):
    settings.HOURGLASS_IMPORT_ASYNC_ROWS = 100
    lines = [f"W-{i:05d},Worker company {i},retail,{5000 + i},target,csm_a1,,active" for i in range(3000)]
    file = io.BytesIO((HEADER + "\n".join(lines) + "\n").encode())
    file.name = "big.csv"
    client.force_login(org.csm_a1)
    with running_worker() as worker, tasks_routed_to("accounts.*", worker.queue):
        response = client.post(reverse("accounts:import"), {"kind": "accounts", "file": file})
        run = ImportRun.objects.get()
        assert response["Location"] == reverse("accounts:import_result", args=[run.pk])
        first = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
        assert 'id="import-run"' in first
        finished = (ImportRun.Status.DONE, ImportRun.Status.REJECTED, ImportRun.Status.PARTIAL)
        assert wait_for(lambda: ImportRun.objects.get(pk=run.pk).status in finished), worker.logs()
    run.refresh_from_db()
    assert (run.status, run.created, run.processed, run.total_rows) == ("done", 3000, 3000, 3000), worker.logs()
    assert Account.objects.filter(external_id__startswith="W-", owner=org.csm_a1).count() == 3000
    done = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and '<strong data-testid="created">3000</strong>' in done
