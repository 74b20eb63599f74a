"""Rule conditions: validation with named errors, compiled to one query, each field right."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, TimelineEntry
from core.clock import local_date
from health.models import HealthScore
from playbooks.models import Playbook, Task, TriggerKind
from playbooks.rules.conditions import BrokenReference, conditions_summary, filter_accounts, validate_conditions
from playbooks.rules.evaluate import rule_accounts
from renewals.services import contract_create
from tests.factories import AccountFactory, make_person

pytestmark = pytest.mark.django_db


def names(queryset):
    return set(queryset.values_list("name", flat=True))


def test_validation_names_the_condition_and_the_part():
    with pytest.raises(ValidationError) as bad_op:
        validate_conditions([{"field": "arr", "op": "in", "value": "3"}])
    assert "Condition 1" in bad_op.value.message_dict["conditions"][0]
    with pytest.raises(ValidationError) as bad_value:
        validate_conditions(
            [{"field": "health_colour", "op": "eq", "value": "red"}, {"field": "arr", "op": "gte", "value": "x"}]
        )
    assert bad_value.value.message_dict["conditions"][0] == "Condition 2: Enter a number."
    with pytest.raises(ValidationError):
        validate_conditions([{"field": "health_score", "op": "lte", "value": "101"}])
    with pytest.raises(ValidationError):
        validate_conditions("not a list")
    with pytest.raises(ValidationError):
        validate_conditions([{"field": "arr", "op": "gte", "value": "1"}] * 11)
    assert validate_conditions([{"field": "arr", "op": "gte", "value": "20,000"}]) == [
        {"field": "arr", "op": "gte", "value": "20000"}
    ]


def test_an_unknown_field_or_value_is_a_broken_reference():
    with pytest.raises(BrokenReference):
        validate_conditions([{"field": "measure:gone", "op": "eq", "value": "1"}], broken=BrokenReference)
    with pytest.raises(BrokenReference):
        validate_conditions([{"field": "segment", "op": "eq", "value": "galactic"}], broken=BrokenReference)


def test_each_field_compiles_to_the_right_accounts():
    today = local_date()
    owner = make_person(username="csm_cond")
    red = AccountFactory(name="red", owner=owner, arr=Decimal("60000"), go_live_date=today - timedelta(days=400))
    green = AccountFactory(name="green", owner=owner, arr=Decimal("300000"), go_live_date=today - timedelta(days=10))
    AccountFactory(name="never", owner=owner, arr=Decimal("5000"))
    HealthScore.objects.create(account=red, day=today - timedelta(days=1), score=30, colour="red")
    HealthScore.objects.create(account=green, day=today, score=85, colour="green")
    contract_create(
        actor=owner,
        account=red,
        start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=60),
        arr=Decimal("60000"),
    )
    contract_create(
        actor=owner,
        account=green,
        start_date=today - timedelta(days=100),
        end_date=today + timedelta(days=250),
        arr=Decimal("300000"),
    )
    TimelineEntry.objects.create(
        account=green, kind="call", is_touchpoint=True, title="t", occurred_at=today_start(today, 2)
    )
    TimelineEntry.objects.create(
        account=red, kind="call", is_touchpoint=True, title="t", occurred_at=today_start(today, 40)
    )
    Task.objects.create(account=red, assignee=owner, title="open", due_date=today)
    Task.objects.create(account=red, assignee=owner, title="open 2", due_date=today)
    accounts = Account.objects.filter(owner=owner)

    def match(*conditions):
        return names(filter_accounts(accounts, list(conditions), today=today))

    assert match({"field": "health_colour", "op": "eq", "value": "red"}) == {"red"}
    assert match({"field": "health_score", "op": "gte", "value": "50"}) == {"green"}
    assert match({"field": "days_to_renewal", "op": "lte", "value": "120"}) == {"red"}
    assert match({"field": "days_to_renewal", "op": "gt", "value": "60"}) == {"green"}
    assert match({"field": "days_since_go_live", "op": "gte", "value": "365"}) == {"red"}
    assert match({"field": "days_since_go_live", "op": "lt", "value": "30"}) == {"green"}
    assert match({"field": "last_touch_days", "op": "gte", "value": "30"}) == {"red", "never"}
    assert match({"field": "last_touch_days", "op": "lte", "value": "2"}) == {"green"}
    assert match({"field": "last_touch_days", "op": "eq", "value": "2"}) == {"green"}
    assert match({"field": "open_tasks", "op": "gte", "value": "2"}) == {"red"}
    assert match({"field": "open_tasks", "op": "eq", "value": "0"}) == {"green", "never"}
    assert match({"field": "arr", "op": "lt", "value": "20000"}) == {"never"}
    segments = {a.name: a.segment for a in accounts}
    assert match({"field": "segment", "op": "in", "value": [segments["green"]]}) == {
        n for n, seg in segments.items() if seg == segments["green"]
    }
    assert match({"field": "segment", "op": "ne", "value": segments["green"]}) == {
        n for n, seg in segments.items() if seg != segments["green"]
    }
    assert match({"field": "industry", "op": "eq", "value": red.industry}) == {"red", "green", "never"}
    assert match({"field": "icp_fit", "op": "ne", "value": red.icp_fit}) == set()
    assert match(
        {"field": "health_colour", "op": "eq", "value": "red"},
        {"field": "days_to_renewal", "op": "lte", "value": "120"},
    ) == {"red"}
    assert "Health colour = Red" in conditions_summary([{"field": "health_colour", "op": "eq", "value": "red"}])


def today_start(today, days_ago):
    from core.clock import local_day_start

    return local_day_start(today - timedelta(days=days_ago)) + timedelta(hours=10)


def test_a_rule_is_one_query_whatever_the_number_of_accounts():
    today = local_date()
    owner = make_person(username="csm_q")
    conditions = [
        {"field": "health_colour", "op": "eq", "value": "red"},
        {"field": "days_to_renewal", "op": "lte", "value": "120"},
        {"field": "last_touch_days", "op": "gte", "value": "14"},
        {"field": "open_tasks", "op": "lte", "value": "3"},
    ]
    playbook = Playbook.objects.create(name="r", trigger=TriggerKind.SCHEDULE, conditions=conditions)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            list(rule_accounts(playbook, today=today).values_list("pk", flat=True))
        return len(queries)

    AccountFactory(owner=owner)
    one = count_queries()
    AccountFactory.create_batch(20, owner=owner)
    assert count_queries() == one == 1


@pytest.mark.parametrize("stored", [{"field": "arr"}, [{"field": "arr", "op": "gte", "value": "lots"}], ["x"]])
def test_stored_junk_is_a_broken_reference_not_a_crash(stored):
    with pytest.raises(BrokenReference):
        filter_accounts(Account.objects.all(), stored, today=local_date())
