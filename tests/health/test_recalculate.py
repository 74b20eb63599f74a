""" "Recalculate now": the account panel button, the admin page, the progress bar."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Account, AccountStatus
from health.models import HealthScore, RecalculationRun
from health.tasks import health_recalculation_progress, health_recalculation_start
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_account_button_scores_the_account_and_reports_progress(org, celery_eager, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    client = login(Client(), org.csm_a1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/health/accounts/{account.pk}/recalculate/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert HealthScore.objects.filter(account=account).count() == 1
    run = RecalculationRun.objects.get()
    assert (run.account, run.total, run.done, run.is_finished) == (account, 1, 1, True)
    progress = client.get(f"/health/recalculations/{run.pk}/").content.decode()
    assert "Recalculated 1 account." in progress and "every 1s" not in progress


def test_other_csm_cannot_recalculate_or_watch(org, celery_eager):
    account = org.accounts["csm_a1"][0]
    client = login(Client(), org.csm_b1)
    assert client.post(f"/health/accounts/{account.pk}/recalculate/").status_code == 404
    assert RecalculationRun.objects.count() == 0
    run = RecalculationRun.objects.create(account=account, day=account.created_at.date(), total=1)
    assert client.get(f"/health/recalculations/{run.pk}/").status_code == 404


def test_progress_counts_chunks_and_polls_until_done(org, settings):
    settings.HOURGLASS_HEALTH_SCORE_CHUNK = 2
    run = health_recalculation_start(actor=org.admin)  # not eager: the chunks are not run here
    total = Account.objects.exclude(status=AccountStatus.CHURNED).count()
    assert (run.total, run.done) == (total, 0)
    client = login(Client(), org.admin)
    page = client.get(f"/health/recalculations/{run.pk}/").content.decode()
    assert "every 1s" in page and f"0 of {total} accounts" in page
    health_recalculation_progress(run_id=run.pk, scored=2)
    health_recalculation_progress(run_id=run.pk, scored=total)  # a retried chunk never passes 100%
    run.refresh_from_db()
    assert (run.done, run.percent, run.finished_at is not None) == (total, 100, True)


def test_recalculate_all_is_for_admins(org, celery_eager, django_capture_on_commit_callbacks):
    assert login(Client(), org.manager_a).post("/health/recalculate/").status_code == 403
    assert login(Client(), org.csm_a1).get("/health/recalculate/").status_code == 403
    client = login(Client(), org.admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/health/recalculate/").status_code == 302
    run = RecalculationRun.objects.get()
    scored = Account.objects.exclude(status=AccountStatus.CHURNED).count()
    assert run.account is None and run.done == run.total == scored
    assert HealthScore.objects.count() == run.total
    assert "Recalculated" in client.get("/health/recalculate/").content.decode()
    other = login(Client(), org.csm_a1).get(f"/health/recalculations/{run.pk}/")
    assert other.status_code == 404


def test_a_finished_account_run_refreshes_the_whole_panel_for_the_polling_page(org):
    from health.scoring import health_scores_compute

    account = org.accounts["csm_a1"][0]
    client = login(Client(), org.csm_a1)
    run = health_recalculation_start(actor=org.csm_a1, account=account)  # not eager: a worker would score it
    polling = client.get(f"/health/recalculations/{run.pk}/", HTTP_HX_REQUEST="true")
    assert "every 1s" in polling.content.decode() and "HX-Retarget" not in polling
    health_scores_compute(account_ids=[account.pk])  # what the worker does, then reports progress
    health_recalculation_progress(run_id=run.pk, scored=1)
    done = client.get(f"/health/recalculations/{run.pk}/", HTTP_HX_REQUEST="true")
    assert done["HX-Retarget"] == "#account-health" and done["HX-Reswap"] == "outerHTML"
    html = done.content.decode()
    assert 'id="account-health"' in html and 'data-testid="health-score"' in html
    # Without htmx (a plain GET of the progress URL) it stays the progress partial.
    plain = client.get(f"/health/recalculations/{run.pk}/").content.decode()
    assert "Recalculated 1 account." in plain and 'id="account-health"' not in plain
