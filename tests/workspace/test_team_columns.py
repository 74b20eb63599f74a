"""Team page columns (renewal rates, activation, activity, expansion, NPS, overdue work)
and seed 003's process quality: figures per CSM, presence, constant query count."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Stakeholder, Tier
from health.models import DailyFeatureRollup, DailyRollup, NpsResponse
from org.models import Role, Team
from playbooks.models import Task
from renewals.kpis import default_period
from renewals.models import ExpansionOpportunity, RenewalOpportunity, RenewalStatus
from renewals.services import contract_create
from tests.factories import AccountFactory, make_person

pytestmark = pytest.mark.usefixtures("capacity_defaults")


def _csm_with_data(index: int, team: Team, *, renewed: bool) -> Any:
    today = timezone.localdate()
    csm = make_person(Role.CSM, username=f"tc{index}", team=team)
    live = AccountFactory(owner=csm, arr=Decimal("200000"), go_live_date=today - timedelta(days=100))
    idle = AccountFactory(owner=csm, arr=Decimal("100000"), go_live_date=today - timedelta(days=100))
    DailyRollup.objects.create(account=live, day=today - timedelta(days=2), events=5, active_users=1)
    DailyRollup.objects.create(account=live, day=live.go_live_date + timedelta(days=3), events=5, active_users=1)
    for name in ("report", "approve"):
        DailyFeatureRollup.objects.create(
            account=live, day=today - timedelta(days=2), event_name=name, events=1, users=1
        )
    NpsResponse.objects.create(account=live, score=10, responded_on=today - timedelta(days=5))
    NpsResponse.objects.create(account=idle, score=3, responded_on=today - timedelta(days=5))
    ExpansionOpportunity.objects.create(
        account=live, title="More seats", kind="upsell", amount=Decimal("30000"), stage="won", owner_role="csm"
    )
    Stakeholder.objects.create(account=live, name="Boss", tier=Tier.S)  # never contacted: overdue
    Task.objects.create(account=live, assignee=csm, title="Late", due_date=today - timedelta(days=3))
    _start, end = default_period(today)
    contract = contract_create(
        actor=csm, account=idle, start_date=end - timedelta(days=400), end_date=end - timedelta(days=30), arr=100000
    )
    RenewalOpportunity.objects.filter(contract=contract).update(
        status=RenewalStatus.RENEWED if renewed else RenewalStatus.CHURNED
    )
    return csm


def test_columns_show_each_csms_figures(client: Any) -> None:
    manager = make_person(Role.MANAGER, username="tc_manager")
    team = Team.objects.create(name="TC", lead=manager)
    kept = _csm_with_data(1, team, renewed=True)
    lost = _csm_with_data(2, team, renewed=False)
    client.force_login(manager)
    response = client.get(reverse("capacity:team"))
    columns = {column.key: column for column in response.context["columns"]}
    assert set(columns) >= {
        "logo_renewal",
        "revenue_renewal",
        "activation",
        "active",
        "expansion",
        "nps",
        "overdue_contacts",
        "overdue_tasks",
    }
    assert columns["logo_renewal"].values[kept.pk] == Decimal("1")
    assert columns["logo_renewal"].values[lost.pk] == Decimal("0")
    assert columns["active"].values[kept.pk] == Decimal("0.5")  # 1 of 2 accounts used it in 30 days
    assert columns["activation"].values[kept.pk] == Decimal("0.5")
    assert columns["expansion"].values[kept.pk] == Decimal("30000")
    assert columns["nps"].values[kept.pk] == 0  # one promoter, one detractor
    assert columns["overdue_contacts"].values[kept.pk] == 1
    assert columns["overdue_tasks"].values[kept.pk] == 1
    process = {column.key: column for column in response.context["process_columns"]}
    assert set(process) == {"q_dossier", "q_depth", "q_executive", "q_expansion"}
    assert process["q_depth"].values[kept.pk] == Decimal("1.0")  # 2 features over 2 accounts
    assert process["q_executive"].values[kept.pk] == Decimal("0")
    assert process["q_expansion"].values[kept.pk] == Decimal("0.50")
    html = response.content.decode()
    assert 'data-column="overdue_tasks"' in html and 'data-testid="process-quality"' in html
    assert 'data-testid="team-charts"' in html
    assert "100%" in html


def test_columns_without_data_are_hidden(client: Any, org: Any) -> None:
    client.force_login(org.manager_a)
    response = client.get(reverse("capacity:team"))
    keys = {column.key for column in response.context["columns"]}
    assert not keys & {"logo_renewal", "nps", "active", "expansion", "overdue_tasks", "overdue_contacts"}
    assert 'data-column="nps"' not in response.content.decode()


def test_query_count_is_constant_for_2_and_40_csms_with_every_column(client: Any) -> None:
    manager = make_person(Role.MANAGER, username="tq_manager")
    team = Team.objects.create(name="TQ", lead=manager)
    for index in range(2):
        _csm_with_data(index, team, renewed=index % 2 == 0)
    client.force_login(manager)
    url = reverse("capacity:team") + "?refresh=1"  # computed, not read from the figures cache
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert len(response.context["rows"]) == 2
    for index in range(2, 40):
        _csm_with_data(index, team, renewed=index % 2 == 0)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["rows"]) == 40
    assert len(response.context["columns"]) >= 8
    assert len(small.captured_queries) == len(large.captured_queries)
