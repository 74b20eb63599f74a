"""The KPI page's precomputed cells give exactly the figures computed directly.

Random books (owners, unassigned queues, segments, industries, ICP fits, churned
accounts, go-lives, seats, renewals in every status, rollups), every grouping, as an
admin, a manager and a CSM; then after each kind of change, refreshed incrementally.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, AccountStatus, IcpFit, Industry, PurchasedProduct
from health.models import DailyRollup
from org.models import Team
from renewals.adoption_kpis import adoption_report
from renewals.kpi_facts.read import cube_rows
from renewals.kpi_facts.services import kpi_facts_rebuild, kpi_facts_refresh, kpi_marked_refresh
from renewals.kpis import GROUP_BY_KEYS, retention_report
from renewals.models import (
    Contract,
    KpiCell,
    KpiDirtyAccount,
    KpiFact,
    RenewalOpportunity,
    RenewalStatus,
)
from renewals.periods import add_months
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

START, END = date(2025, 1, 1), date(2025, 12, 31)
STATUSES = list(RenewalStatus.values)


def _book(org: Any, rng: random.Random, count: int = 40) -> list[Account]:
    owners = [org.csm_a1, org.csm_a2, org.csm_b1, org.manager_a, None]
    accounts = []
    for number in range(count):
        owner = rng.choice(owners)
        go_live = None if rng.random() < 0.1 else date(2024, 1, 1) + timedelta(days=rng.randint(0, 720))
        account = cast(
            Account,
            AccountFactory(
                owner=owner,
                name=f"R{number}",
                queue_team=(rng.choice([org.team_a, org.team_b, None]) if owner is None else None),
                industry=rng.choice(Industry.values),
                icp_fit=rng.choice(IcpFit.values),
                arr=Decimal(rng.choice([0, 5000, 30000, 120000, 600000])),
                go_live_date=go_live,
                status=AccountStatus.CHURNED if rng.random() < 0.1 else AccountStatus.ACTIVE,
            ),
        )
        accounts.append(account)
        if rng.random() < 0.5:
            PurchasedProduct.objects.create(account=account, product="Suite", seats=rng.choice([0, 4, 10]))
        start = date(2023, rng.randint(1, 12), 1)
        while start < date(2026, 6, 1):
            end = add_months(start, 12) - timedelta(days=1)
            contract = Contract.objects.create(
                account=account, start_date=start, end_date=end, arr=Decimal(rng.choice([0, 1000, 25000, 99999]))
            )
            status = rng.choice(STATUSES)
            outcome = None
            if status in (RenewalStatus.RENEWED, RenewalStatus.DOWNGRADED):
                outcome = None if rng.random() < 0.2 else Decimal(rng.choice([0, 900, 26000, 120000]))
            RenewalOpportunity.objects.create(
                account=account, contract=contract, due_date=end, status=status, outcome_arr=outcome
            )
            start = end + timedelta(days=1 + rng.choice([0, 0, 40]))
        if go_live is not None:
            days = {go_live + timedelta(days=rng.randint(-5, 40)) for _ in range(rng.randint(0, 4))}
            days |= {date(2025, rng.choice([3, 6, 9, 12]), rng.randint(1, 30)) for _ in range(rng.randint(0, 4))}
            for day in days:
                DailyRollup.objects.create(
                    account=account, day=day, events=rng.choice([0, 3, 50]), active_users=rng.randint(0, 8)
                )
    return accounts


def _both(user: Any, group_by: str, start: date = START, end: date = END) -> None:
    """The reports from the cells equal the reports computed directly."""
    cube = cube_rows(user=user, last=end, group_by=group_by)
    assert cube is not None
    direct = retention_report(user=user, start=start, end=end, group_by=group_by)
    cubed = retention_report(user=user, start=start, end=end, group_by=group_by, cube=cube)
    assert cubed == direct, (user.username, group_by)
    adoption = adoption_report(user=user, start=start, end=end, group_by=group_by)
    assert adoption_report(user=user, start=start, end=end, group_by=group_by, cube=cube) == adoption


def _all_equal(org: Any) -> None:
    for user in (org.admin, org.manager_a, org.csm_a1):
        for group_by in GROUP_BY_KEYS:
            _both(user, group_by)
    _both(org.admin, "csm", date(2024, 4, 1), date(2025, 3, 31))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_cells_equal_the_direct_figures_on_random_books(org: Any, seed: int) -> None:
    _book(org, random.Random(seed))
    assert kpi_facts_rebuild() > 0
    _all_equal(org)
    # A rebuild over the same inputs writes the same cells (nothing doubled).
    before = sorted(KpiCell.objects.values_list("quarter", "owner_key", "segment", "n_due", "launched", "active"))
    kpi_facts_rebuild()
    after = sorted(KpiCell.objects.values_list("quarter", "owner_key", "segment", "n_due", "launched", "active"))
    assert before == after


def _changes(org: Any, accounts: list[Account], rng: random.Random) -> None:
    """One of each change the cells must follow, through ordinary saves."""
    renewal = RenewalOpportunity.objects.filter(status=RenewalStatus.OPEN, due_date__year=2025).first()
    assert renewal is not None
    renewal.status, renewal.outcome_arr = RenewalStatus.RENEWED, Decimal("123456")
    renewal.save()
    moved = accounts[0]
    moved.owner = org.csm_b1 if moved.owner != org.csm_b1 else org.csm_a1
    moved.queue_team = None
    moved.save()
    relaunched = accounts[1]
    relaunched.go_live_date = date(2025, 5, 20)
    relaunched.status = AccountStatus.ACTIVE
    relaunched.save()
    DailyRollup.objects.create(account=relaunched, day=date(2025, 5, 25), events=9, active_users=50)
    resized = accounts[2]
    resized.arr = Decimal("999999")
    resized.save()
    PurchasedProduct.objects.create(account=accounts[3], product="More", seats=1000)
    accounts[4].delete()
    churned = accounts[5]
    churned.status = AccountStatus.CHURNED
    churned.save()


def test_an_incremental_refresh_keeps_the_cells_equal(org: Any, django_capture_on_commit_callbacks: Any) -> None:
    rng = random.Random(7)
    accounts = _book(org, rng, count=30)
    deleted = accounts[4].pk
    kpi_facts_rebuild()
    with django_capture_on_commit_callbacks(execute=False):
        _changes(org, accounts, rng)
        # The rollup written above by hand sends no signal: mark its account as the
        # rollup service does once it commits.
        from renewals.kpi_facts.receivers import accounts_changed

        accounts_changed([accounts[1].pk])
    # Nothing committed yet in this test's transaction: the marks wait for the commit.
    assert not KpiDirtyAccount.objects.exists()
    from renewals.kpi_facts.receivers import _flush

    _flush()
    marked = set(KpiDirtyAccount.objects.values_list("account_id", flat=True))
    assert {accounts[0].pk, accounts[1].pk, accounts[2].pk, accounts[3].pk, deleted} <= marked
    assert kpi_marked_refresh() == len(marked)
    assert not KpiDirtyAccount.objects.exists()
    assert not KpiFact.objects.filter(account_id=deleted).exists()
    _all_equal(org)
    # Refreshing again changes nothing.
    cells = sorted(KpiCell.objects.values_list("quarter", "owner_key", "industry", "n_kept", "kept_previous"))
    kpi_facts_refresh(account_ids=[account.pk for account in accounts if account.pk])
    assert sorted(KpiCell.objects.values_list("quarter", "owner_key", "industry", "n_kept", "kept_previous")) == cells


def test_a_page_request_applies_pending_marks_first(org: Any) -> None:
    """Marked accounts (a change whose refresh task has not run yet) are refreshed by the
    next read, so the page never shows figures older than a change that marked."""
    accounts = _book(org, random.Random(3), count=12)
    kpi_facts_rebuild()
    renewal = RenewalOpportunity.objects.filter(status=RenewalStatus.OPEN, due_date__year=2025).first()
    assert renewal is not None
    RenewalOpportunity.objects.filter(pk=renewal.pk).update(status=RenewalStatus.CHURNED)
    KpiDirtyAccount.objects.create(account_id=renewal.account_id, marked_at=renewal.created_at)
    _all_equal(org)
    assert not KpiDirtyAccount.objects.exists()
    assert accounts


def test_without_cells_or_with_other_settings_the_reports_compute_directly(org: Any, settings: Any) -> None:
    assert cube_rows(user=org.admin, last=END, group_by="company") is None  # never built
    _book(org, random.Random(5), count=5)
    kpi_facts_rebuild()
    assert cube_rows(user=org.admin, last=END, group_by="company") is not None
    settings.HOURGLASS_ACTIVATION_DAYS = 14  # the cells were built with another criterion
    assert cube_rows(user=org.admin, last=END, group_by="company") is None


def test_sales_owners_and_partial_quarters_compute_directly(org: Any) -> None:
    from org.models import Role
    from tests.factories import make_person

    _book(org, random.Random(9), count=8)
    kpi_facts_rebuild()
    seller = make_person(Role.SALES, username="seller")
    assert cube_rows(user=seller, last=END, group_by="company") is None
    # A period that is not whole quarters: the renewal figures from the renewals, the
    # adoption figures (whole quarters touched) from the cells, both as computed directly.
    _both(org.admin, "industry", date(2025, 2, 10), date(2025, 8, 20))


def test_the_cells_read_is_one_query(org: Any) -> None:
    _book(org, random.Random(11), count=6)
    kpi_facts_rebuild()
    for user, group_by, expected in ((org.admin, "segment", 2), (org.manager_a, "csm", 3), (org.csm_a1, "team", 3)):
        with CaptureQueriesContext(connection) as queries:
            assert cube_rows(user=user, last=END, group_by=group_by) is not None
        # The state (with "anything marked?"), the cells, and the owners' names.
        assert len(queries) == expected, [query["sql"] for query in queries]
    assert Team.objects.exists()


def test_a_closed_renewal_reaches_the_cells_through_the_commit_and_the_task(
    org: Any, celery_eager: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The real chain: save → marked on commit → the refresh task (eager here) → cells."""
    _book(org, random.Random(13), count=12)
    kpi_facts_rebuild()
    renewal = RenewalOpportunity.objects.filter(status=RenewalStatus.OPEN).first()
    assert renewal is not None
    with django_capture_on_commit_callbacks(execute=True):
        renewal.status = RenewalStatus.CHURNED
        renewal.save()
    assert not KpiDirtyAccount.objects.exists()  # the task refreshed it
    _both(org.admin, "company")


def _page_queries(org: Any, client: Any) -> dict[tuple[str, str], int]:
    from tests.conftest import login

    counts = {}
    for user in (org.admin, org.manager_a, org.csm_a1):
        login(client, user)
        for group_by in ("company", "csm", "industry"):
            url = f"/renewals/kpis/?start={START}&end={END}&group_by={group_by}"
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts[(user.username, group_by)] = len(queries)
    return counts


def test_the_page_from_the_cells_has_few_queries_whatever_the_book(org: Any, client: Any) -> None:
    (small,) = _book(org, random.Random(17), count=1)
    Account.objects.filter(pk=small.pk).update(owner=org.csm_a1, queue_team=None)  # names looked up either way
    kpi_facts_rebuild()
    few = _page_queries(org, client)
    assert max(few.values()) <= 15, few
    _book(org, random.Random(18), count=12)
    kpi_facts_rebuild()
    assert _page_queries(org, client) == few  # nothing per account or per cell
