"""Books of business per CSM, load and status with reasons, scoped by role."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account, AccountStatus, Industry, TimelineEntry
from capacity import arithmetic
from capacity.models import ActivityType, CapacityPreset, CapacitySettings, TimeEntry
from capacity.selectors import book_of_business, capacity_config, hours_by_segment
from capacity.services import preset_activate
from health.models import HealthScore
from renewals.services import contract_create
from tests.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("capacity_defaults")]


def usernames(books):
    return [row.user.username for row in books.rows]


def test_manager_sees_their_team_csm_sees_only_their_own_admin_sees_all(org):
    assert sorted(usernames(book_of_business(user=org.manager_a))) == ["csm_a1", "csm_a2"]
    assert usernames(book_of_business(user=org.csm_a1)) == ["csm_a1"]
    assert sorted(usernames(book_of_business(user=org.admin))) == ["csm_a1", "csm_a2", "csm_b1"]


def test_book_totals_per_segment_and_per_industry(org):
    AccountFactory(owner=org.csm_a1, arr=Decimal("500000"), industry=Industry.RETAIL)  # enterprise (CNY bands)
    AccountFactory(owner=org.csm_a1, arr=Decimal("9000"), industry=Industry.RETAIL, status=AccountStatus.CHURNED)
    row = next(r for r in book_of_business(user=org.csm_a1).rows)
    assert row.accounts == 3  # the churned account is no longer in the book
    assert row.arr == Decimal("700000")
    assert row.by_segment["enterprise"].accounts == 1
    assert row.by_segment["mid_market"].accounts == 2
    assert row.by_segment["mid_market"].arr == Decimal("200000")
    assert [(s.key, s.accounts, s.arr) for s in row.by_industry] == [
        ("retail", 1, Decimal("500000")),
        ("manufacturing", 2, Decimal("200000")),
    ]


def test_over_the_hard_cap_with_the_reason_in_words(org):
    preset_activate(preset=CapacityPreset.objects.get(hard_cap=Decimal("2500000")), actor=org.admin)
    AccountFactory(owner=org.csm_a1, arr=Decimal("2400000"))  # 2.6M in all
    rows = {row.user.username: row for row in book_of_business(user=org.manager_a).rows}
    assert rows["csm_a1"].status == arithmetic.OVER
    assert rows["csm_a1"].reasons[0] == "ARR ¥2,600,000 is above the hard cap of ¥2,500,000."
    assert rows["csm_a2"].status == arithmetic.UNDER
    assert "ARR ¥200,000 is below the preset's ¥1,500,000 per CSM." in rows["csm_a2"].reasons


def test_under_the_cost_floor_with_the_reason(org):
    CapacitySettings.objects.filter(pk=1).update(csm_annual_cost=Decimal("300000"), service_cost_share=Decimal("0.15"))
    CapacityPreset.objects.update(is_active=False)  # only the floor speaks
    row = book_of_business(user=org.csm_a1).rows[0]
    assert row.status == arithmetic.UNDER
    assert row.reasons == ["ARR ¥200,000 is below the cost floor of ¥2,000,000."]


def test_healthy_within_the_band(org):
    AccountFactory(owner=org.csm_a1, arr=Decimal("3000000"))
    row = book_of_business(user=org.csm_a1).rows[0]
    assert row.status == arithmetic.HEALTHY
    assert row.reasons == ["Within the limits: ARR ¥3,200,000 in the band ¥2,000,000–¥5,000,000."]


def test_hours_per_account_per_month_and_ceiling_from_time_entries_and_touchpoints(org, settings):
    # Hand-worked: measured over 365 days = 12 months. Mid-market: the org's 7 accounts
    # at ¥100K. 84 h logged + 84 h of touchpoints = 168 h / 7 accounts / 12 = 2 h a month.
    CapacitySettings.objects.filter(pk=1).update(measure_days=365)
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    visit = ActivityType.objects.get(code="visit")
    TimeEntry.objects.bulk_create(
        [
            TimeEntry(
                user=org.csm_a1, account=account, activity_type=visit, date=today - timedelta(days=i), minutes=420
            )
            for i in range(12)
        ]
    )
    TimeEntry.objects.create(user=org.csm_a1, account=None, activity_type=visit, date=today, minutes=600)  # internal
    TimeEntry.objects.create(
        user=org.csm_a1, account=account, activity_type=visit, date=today - timedelta(days=400), minutes=600
    )  # too old
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                account=account,
                is_touchpoint=True,
                kind="visit",
                title="v",
                duration_minutes=420,
                occurred_at=timezone.now() - timedelta(days=i),
                actor=org.csm_a1,
            )
            for i in range(12)
        ]
    )
    assert Account.objects.filter(arr=Decimal("100000")).count() == 7
    hours = hours_by_segment(config=capacity_config(), today=today)
    assert hours["mid_market"].hours_per_account_month == Decimal("2.00")
    # 200 days × 8 h × 0.6 = 960 h; 960 / (2 × 12) = 40 accounts.
    assert hours["mid_market"].ceiling == 40
    assert hours["enterprise"].hours_per_account_month is None
    row = book_of_business(user=org.csm_a1, today=today).rows[0]
    # 2 accounts × 2 h × 12 = 48 h of 960 h.
    assert row.time_share == Decimal("0.05")


def test_health_and_renewal_columns_from_their_apps(org):
    books = book_of_business(user=org.manager_a)
    assert books.has_health is False
    assert books.has_renewals is False
    today = timezone.localdate()
    account = org.accounts["csm_a1"][0]
    HealthScore.objects.create(account=account, day=today - timedelta(days=1), score=20, colour="red")
    HealthScore.objects.create(account=account, day=today - timedelta(days=9), score=90, colour="green")
    contract_create(
        actor=None,
        account=account,
        start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=60),
        arr=Decimal("100000"),
    )
    contract_create(
        actor=None,
        account=org.accounts["csm_a1"][1],
        start_date=today - timedelta(days=200),
        end_date=today + timedelta(days=160),
        arr=Decimal("100000"),
    )
    books = book_of_business(user=org.manager_a)
    assert books.has_health and books.has_renewals
    rows = {row.user.username: row for row in books.rows}
    assert rows["csm_a1"].health == {"red": 1}
    assert rows["csm_a1"].renewals_due == 1
    assert rows["csm_a1"].renewals_due_arr == Decimal("100000")
    assert rows["csm_a2"].renewals_due == 0


def test_a_usd_preset_is_converted_in_a_cny_deployment(org, settings):
    settings.HOURGLASS_USD_TO_LOCAL = 7.0
    preset_activate(preset=CapacityPreset.objects.get(currency="USD"), actor=org.admin)
    config = capacity_config()
    assert (config.band_min, config.band_max) == (Decimal("7000000.0"), Decimal("14000000.0"))
    assert config.large_account_arr == Decimal("350000.0")
    settings.HOURGLASS_CURRENCY = "EUR"
    config = capacity_config()
    assert config.band_max is None and not config.preset_comparable
