"""Lapsed renewals: the daily sweep, closing a lapsed renewal, pipeline totals, pages."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from accounts.models import TimelineEntry
from org.models import Role, Team
from playbooks.defaults import install_default_playbooks
from playbooks.models import Playbook, PlaybookStep, Task, TriggerKind
from renewals.lapsed import lapsed_summary, renewals_mark_lapsed
from renewals.models import RenewalOpportunity, RenewalStatus
from renewals.selectors import renewal_list, renewal_pipeline, with_next_renewal
from renewals.services import renewal_close, renewal_mark_at_risk, renewal_override_forecast, renewal_set_stage
from renewals.signals import renewals_lapsed
from tests.conftest import login
from tests.factories import AccountFactory, TeamFactory, make_person
from tests.renewals.conftest import TODAY, churn_reason, make_renewal

pytestmark = pytest.mark.django_db


def _statuses(*renewals: RenewalOpportunity) -> list[str]:
    return [RenewalOpportunity.objects.get(pk=renewal.pk).status for renewal in renewals]


def test_the_sweep_marks_exactly_the_open_renewals_whose_date_passed_once(django_capture_on_commit_callbacks):
    yesterday = make_renewal(days_left=-1, arr="10000")
    long_ago = make_renewal(days_left=-200, arr="20000", at_risk=True)
    committed = make_renewal(days_left=-3, arr="30000")
    renewal_set_stage(renewal=committed, status=RenewalStatus.COMMITTED, actor=None)
    due_today = make_renewal(days_left=0)
    future = make_renewal(days_left=30)
    churned = make_renewal(days_left=-5)
    renewal_close(renewal=churned, outcome=RenewalStatus.CHURNED, churn_reason=churn_reason(), actor=None)
    renewed = make_renewal(days_left=-5)
    renewal_close(renewal=renewed, outcome=RenewalStatus.RENEWED, outcome_arr=Decimal("1"), actor=None)
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append(kwargs)

    renewals_lapsed.connect(receiver, dispatch_uid="test-lapsed")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = renewals_mark_lapsed(today=TODAY)
        with django_capture_on_commit_callbacks(execute=True):
            again = renewals_mark_lapsed(today=TODAY)
    finally:
        renewals_lapsed.disconnect(dispatch_uid="test-lapsed")

    assert (result.lapsed, result.accounts) == (3, 3)
    assert again.lapsed == 0
    assert _statuses(yesterday, long_ago, committed) == [RenewalStatus.LAPSED] * 3
    assert _statuses(due_today, future, churned, renewed) == [
        RenewalStatus.OPEN,
        RenewalStatus.OPEN,
        RenewalStatus.CHURNED,
        RenewalStatus.RENEWED,
    ]
    # One signal, for the first run only, naming each lapsed renewal once.
    assert len(sent) == 1
    assert sorted(sent[0]["renewals"]) == sorted((r.pk, r.account_id) for r in (yesterday, long_ago, committed))
    assert sent[0]["day"] == TODAY
    # History: one "lapsed" row per lapsed renewal, none for the others or the re-run.
    lapsed_rows = RenewalOpportunity.history.filter(status=RenewalStatus.LAPSED)
    assert sorted(lapsed_rows.values_list("id", flat=True)) == sorted([yesterday.pk, long_ago.pk, committed.pk])
    # Timeline: one entry per account, once.
    entries = TimelineEntry.objects.filter(kind="renewal_lapsed")
    assert sorted(entries.values_list("account_id", flat=True)) == sorted(
        [yesterday.account_id, long_ago.account_id, committed.account_id]
    )
    assert yesterday.due_date.isoformat() in entries.get(account_id=yesterday.account_id).title


def test_two_renewals_of_one_account_get_one_timeline_entry():
    account = AccountFactory()
    make_renewal(account=account, days_left=-10)
    make_renewal(account=account, days_left=-40)
    assert renewals_mark_lapsed(today=TODAY).lapsed == 2
    entry = TimelineEntry.objects.get(kind="renewal_lapsed", account=account)
    assert len(entry.data["renewal_ids"]) == 2


@pytest.mark.parametrize(
    ("outcome", "extra"),
    [
        (RenewalStatus.RENEWED, {"outcome_arr": Decimal("110000")}),
        (RenewalStatus.DOWNGRADED, {"outcome_arr": Decimal("80000")}),
        (RenewalStatus.CHURNED, {}),
    ],
)
def test_a_lapsed_renewal_still_closes(outcome, extra):
    renewal = make_renewal(days_left=-20)
    renewals_mark_lapsed(today=TODAY)
    if outcome == RenewalStatus.CHURNED:
        extra = {"churn_reason": churn_reason()}
    closed = renewal_close(renewal=renewal, outcome=outcome, actor=None, **extra)
    assert closed.status == outcome and closed.closed_at is not None
    # Closed for good: a second close is refused with the field named.
    with pytest.raises(ValidationError) as error:
        renewal_close(renewal=closed, outcome=RenewalStatus.CHURNED, churn_reason=churn_reason(), actor=None)
    assert "status" in error.value.message_dict


def test_a_lapsed_renewal_takes_no_stage_risk_or_forecast_changes():
    renewal = make_renewal(days_left=-20)
    renewals_mark_lapsed(today=TODAY)
    for change in (
        lambda: renewal_mark_at_risk(renewal=renewal, reason="late", actor=None),
        lambda: renewal_set_stage(renewal=renewal, status=RenewalStatus.COMMITTED, actor=None),
        lambda: renewal_override_forecast(renewal=renewal, probability=Decimal("0.5"), reason="x", actor=None),
    ):
        with pytest.raises(ValidationError) as error:
            change()
        assert "status" in error.value.message_dict


def test_pipeline_totals_exclude_lapsed_and_the_lapsed_figure_counts_them(org):
    open_one = make_renewal(org.csm_a1, days_left=-2, arr="40000")
    make_renewal(org.csm_a1, days_left=-2, arr="60000")
    make_renewal(org.csm_a1, days_left=-2, arr="5000")
    renewals = renewal_list(user=org.csm_a1)
    assert sum(row.arr for row in renewal_pipeline(renewals=renewals)) == Decimal("105000")
    renewals_mark_lapsed(today=TODAY)
    # A renewal opened later in the same month is the only open pipeline left.
    make_renewal(org.csm_a1, days_left=10, arr="7000")
    rows = renewal_pipeline(renewals=renewal_list(user=org.csm_a1))
    assert sum(row.arr for row in rows) == Decimal("7000")
    assert sum(row.renewals for row in rows) == 1
    figure = lapsed_summary(renewals=renewal_list(user=org.csm_a1))
    assert (figure.renewals, figure.arr) == (3, Decimal("105000"))
    # Scoped: another team's CSM counts none of them.
    assert lapsed_summary(renewals=renewal_list(user=org.csm_b1)).renewals == 0
    # Still the account's undecided renewal for the book's renewal column.
    account = with_next_renewal(type(open_one.account).objects.filter(pk=open_one.account_id)).get()
    assert account.next_renewal_date == open_one.due_date


def test_the_lapsed_playbook_fires_once_per_renewal(celery_eager, django_capture_on_commit_callbacks):
    install_default_playbooks(Playbook, PlaybookStep)
    manager = make_person(Role.MANAGER, username="lead")
    team = TeamFactory(name="East")
    Team.objects.filter(pk=team.pk).update(lead=manager)
    csm = make_person(Role.CSM, username="csm", team=team)
    renewal = make_renewal(csm, days_left=-3)
    with django_capture_on_commit_callbacks(execute=True):
        renewals_mark_lapsed(today=TODAY)
    tasks = Task.objects.filter(account=renewal.account, trigger=TriggerKind.RENEWAL_LAPSED).order_by("due_date")
    assert [(task.title, task.assignee_id) for task in tasks] == [
        ("Get a decision on the lapsed renewal", csm.pk),
        ("Review the lapsed renewal with the CSM", manager.pk),
    ]
    # The signal delivered again (a retried sweep) creates nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        renewals_lapsed.send(sender=None, renewals=[(renewal.pk, renewal.account_id)], day=TODAY)
    assert tasks.count() == 2


def test_pages_show_the_lapsed_badge_and_days_since(client, org):
    renewal = make_renewal(org.csm_a1, days_left=-400)  # before any "today" the page uses
    renewals_mark_lapsed(today=TODAY)
    login(client, org.csm_a1)
    page = client.get(reverse("renewals:list")).content.decode()
    assert 'data-testid="lapsed-arr"' in page and "lapsed ARR" in page
    assert "text-bg-dark" in page and 'data-testid="lapsed-days"' in page
    filtered = client.get(reverse("renewals:list"), {"status": "lapsed"})
    assert filtered.status_code == 200 and renewal.account.name in filtered.content.decode()
    account_page = client.get(reverse("accounts:detail", args=[renewal.account_id])).content.decode()
    assert 'data-testid="account-lapsed-renewal"' in account_page
    detail = client.get(reverse("renewals:detail", args=[renewal.pk])).content.decode()
    assert 'data-testid="close-form"' in detail and 'data-testid="at-risk-form"' not in detail
    assert 'data-testid="lapsed-days"' in detail and re.search(r"\(lapsed \d+ days ago\)", detail)
    # Another team's CSM sees neither the renewal nor its figure.
    login(client, org.csm_b1)
    other = client.get(reverse("renewals:list"), {"status": "lapsed"}).content.decode()
    assert renewal.account.name not in other


def test_my_day_says_lapsed_n_days_ago_not_negative_days(client, org):
    from django.utils import timezone

    today = timezone.localdate()
    renewal = make_renewal(org.csm_a1, days_left=-5, today=today)
    renewals_mark_lapsed(today=today)
    login(client, org.csm_a1)
    page = client.get(reverse("my_day")).content.decode()
    section = page[page.index('data-testid="my-renewals"') :]
    assert renewal.account.name in section
    assert "lapsed 5 days ago" in section
    assert ">-5<" not in section


def test_close_a_lapsed_renewal_from_its_page(client, org):
    renewal = make_renewal(org.csm_a1, days_left=-15)
    renewals_mark_lapsed(today=TODAY)
    login(client, org.csm_a1)
    url = reverse("renewals:close", args=[renewal.pk])
    bad = client.post(url, {"outcome": "renewed"})
    assert bad.status_code == 400 and "outcome_arr" in bad.content.decode()
    done = client.post(url, {"outcome": "renewed", "outcome_arr": "100000", "step": "confirm", "reason": "Late PO"})
    assert done.status_code == 302
    assert RenewalOpportunity.objects.get(pk=renewal.pk).status == RenewalStatus.RENEWED


def test_the_beat_runs_the_sweep_daily_in_the_company_time_zone():
    from config.celery_app import app

    entry = app.conf.beat_schedule["renewals-lapsed-sweep"]
    assert entry["task"] == "renewals.lapsed_sweep_task"
    assert app.conf.timezone == settings.TIME_ZONE  # crontab hours are the company's local time
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({0}, {40})


def test_the_task_takes_a_day_and_is_idempotent():
    from renewals.tasks import lapsed_sweep_task

    renewal = make_renewal(days_left=-1)
    assert lapsed_sweep_task(day=TODAY.isoformat()) == 1
    assert lapsed_sweep_task(day=TODAY.isoformat()) == 0
    assert _statuses(renewal) == [RenewalStatus.LAPSED]
    assert lapsed_sweep_task(day=(TODAY - timedelta(days=5)).isoformat()) == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_lapse_each_renewal_once():
    renewals = [make_renewal(days_left=-days) for days in (1, 2, 5, 30, 90, 365)]
    results: list[int] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        try:
            barrier.wait()
            results.append(renewals_mark_lapsed(today=TODAY).lapsed)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [0, 0, 0, len(renewals)]
    assert RenewalOpportunity.history.filter(status=RenewalStatus.LAPSED).count() == len(renewals)
    assert TimelineEntry.objects.filter(kind="renewal_lapsed").count() == len(renewals)


def test_a_contract_extended_past_today_reopens_its_lapsed_renewal():
    from django.utils import timezone

    from renewals.services import contract_update

    today = timezone.localdate()
    renewal = make_renewal(days_left=-10, today=today)
    renewals_mark_lapsed(today=today)
    contract_update(actor=None, contract=renewal.contract, end_date=today - timedelta(days=5))
    renewal.refresh_from_db()
    assert (renewal.status, renewal.due_date) == (RenewalStatus.LAPSED, today - timedelta(days=5))
    contract_update(actor=None, contract=renewal.contract, end_date=today + timedelta(days=30))
    renewal.refresh_from_db()
    assert (renewal.status, renewal.due_date) == (RenewalStatus.OPEN, today + timedelta(days=30))
