"""``AccountBatch.save``'s set-based SQL (``accounts.batch_sql``): the rows it writes are
those the single services write, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.batch_sql import values_in
from accounts.models import Account, TimelineEntry
from accounts.services import AccountBatch, account_create
from core.audit_source import audit_source

pytestmark = pytest.mark.django_db

TRACKED = ["name", "external_id", "industry", "arr", "icp_fit", "owner_id", "go_live_date", "status"]


def _close(first: datetime, second: datetime) -> bool:
    return abs(first - second) < timedelta(seconds=5)


def _values(account: Account) -> list[object]:
    return [getattr(account, name) for name in TRACKED]


def test_created_accounts_get_their_ids_history_rows_and_timeline_entries(org):
    batch = AccountBatch(actor=org.manager_a)
    specs = [
        {"name": "Zeta 株式会社", "external_id": "B-1", "arr": Decimal("1234.56"), "owner": org.csm_a1,
         "industry": "finance", "icp_fit": "exploratory", "status": "active", "go_live_date": date(2025, 3, 1)},
        {"name": "Alpha 'quoted' \"name\"", "external_id": "B-2", "arr": Decimal("0"), "owner": org.csm_a2},
        {"name": "Mid", "external_id": "B-3", "arr": 7, "owner": org.csm_a1},
    ]  # fmt: skip
    for spec in specs:
        assert batch.create(**spec) == {}
    with audit_source("sync crm test"):
        assert batch.save() == (3, 0)
    by_hand = account_create(actor=org.manager_a, name="By hand", owner=org.csm_a1)
    for queued in batch.to_create:
        stored = Account.objects.get(pk=queued.pk)  # the instance got the row's id
        assert _values(stored) == _values(queued)
        assert stored.queue_team_id is None
        assert _close(stored.created_at, stored.updated_at)  # equal on PostgreSQL; bulk_create's clock elsewhere
        assert stored.dossier_score == by_hand.dossier_score
        history = stored.history.get()
        assert (history.history_type, history.history_user, history.history_change_reason) == (
            "+", org.manager_a, "sync crm test",
        )  # fmt: skip
        assert [getattr(history, name) for name in TRACKED] == _values(stored)
        assert _close(history.history_date, stored.created_at)
        entry = TimelineEntry.objects.get(account=stored)
        single = TimelineEntry.objects.get(account=by_hand)
        assert (entry.kind, entry.title, entry.actor, entry.is_touchpoint, entry.data, entry.body) == (
            single.kind, single.title, single.actor, single.is_touchpoint, single.data, single.body,
        )  # fmt: skip
        assert _close(entry.occurred_at, stored.created_at) and entry.dedupe_key is None


def test_changed_accounts_get_a_changed_history_row_and_leave_the_unassigned_queue(org):
    account = org.unassigned
    Account.objects.filter(pk=account.pk).update(queue_team=org.team_a)
    account.refresh_from_db()
    batch = AccountBatch(actor=org.manager_a)
    assert batch.update(account, name="Renamed", owner=org.csm_a1, arr=account.arr) == {}
    assert batch.to_update[0][2] == ["name", "owner"]  # only what changes
    batch.save()
    account.refresh_from_db()
    assert (account.name, account.owner, account.queue_team_id) == ("Renamed", org.csm_a1, None)
    latest = account.history.first()
    assert (latest.history_type, latest.name, latest.owner_id) == ("~", "Renamed", org.csm_a1.pk)


def test_no_history_rows_while_history_is_switched_off(org, settings):
    settings.SIMPLE_HISTORY_ENABLED = False
    batch = AccountBatch(actor=org.admin)
    batch.create(name="Quiet", external_id="Q-1")
    batch.save()
    account = Account.objects.get(external_id="Q-1")
    assert not account.history.exists() and TimelineEntry.objects.filter(account=account).count() == 1


def test_a_save_is_a_few_statements_whatever_the_number_of_accounts(org):
    counts = []
    for n in (1, 40):
        batch = AccountBatch(actor=org.admin)
        for i in range(n):
            batch.create(name=f"Count {n}-{i}", external_id=f"C{n}-{i}")
        with CaptureQueriesContext(connection) as queries:
            batch.save()
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_values_in_matches_thousands_of_values_with_one_parameter(org):
    wanted = [account.external_id for account in org.accounts["csm_a1"]]
    many = [*wanted, *(f"MISSING-{i}" for i in range(3000)), 'it\'s "odd"']
    with CaptureQueriesContext(connection) as queries:
        found = set(Account.objects.filter(external_id__in=values_in(many)).values_list("external_id", flat=True))
    assert found == set(wanted) and len(queries) == 1


def test_changes_to_many_accounts_are_written_as_given_and_others_are_left_alone(org):
    first, second = org.accounts["csm_a1"]
    untouched = org.accounts["csm_a2"][0]
    before = Account.objects.get(pk=untouched.pk)
    batch = AccountBatch(actor=org.admin)
    assert batch.update(first, arr=Decimal("98765.43"), go_live_date=date(2024, 2, 29), status="churned") == {}
    assert batch.update(second, owner=None, name="Now unassigned 客户") == {}
    assert batch.save() == (0, 2)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.arr, first.go_live_date, first.status, first.owner) == (
        Decimal("98765.43"), date(2024, 2, 29), "churned", org.csm_a1,
    )  # fmt: skip
    assert (second.owner, second.name) == (None, "Now unassigned 客户")
    assert first.updated_at == second.updated_at > before.updated_at
    assert Account.objects.get(pk=untouched.pk).updated_at == before.updated_at
    assert [h.history_type for h in second.history.order_by("history_id")][-1] == "~"
