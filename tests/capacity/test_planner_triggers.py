"""The planner and the hiring triggers (seed 001), through the selectors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from capacity.models import CapacityPreset, CapacitySettings, SegmentRatio
from capacity.selectors import book_of_business, capacity_config, hiring_recommendations, plan
from capacity.services import preset_activate
from org.models import Role
from tests.factories import AccountFactory, make_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("capacity_defaults")]


def test_seeded_ratios_and_presets_are_the_articles_numbers():
    ratios = {r.segment: (r.accounts_per_csm_min, r.accounts_per_csm_max) for r in SegmentRatio.objects.all()}
    assert ratios == {"enterprise": (5, 20), "mid_market": (50, 100), "smb": (200, 400), "tech_touch": (None, None)}
    smb = SegmentRatio.objects.get(segment="smb")
    assert (smb.contacts_per_day_min, smb.contacts_per_day_max) == (3, 5)
    presets = {
        p.name: (p.arr_per_csm_min, p.arr_per_csm_max, p.hard_cap, p.currency) for p in CapacityPreset.objects.all()
    }
    assert presets == {
        "US: 1 CSM per $2M ARR": (Decimal("1000000"), Decimal("2000000"), None, "USD"),
        "China: ¥2–5M per CSM": (Decimal("2000000"), Decimal("5000000"), None, "CNY"),
        "China conservative: ¥1.5–2M, hard cap ¥2.5M": (
            Decimal("1500000"),
            Decimal("2000000"),
            Decimal("2500000"),
            "CNY",
        ),
    }
    assert CapacityPreset.objects.filter(is_active=True).count() == 1
    row = CapacitySettings.objects.get()
    assert (row.working_days_per_year, row.large_account_arr, row.large_accounts_to_hire) == (200, 50000, 2)
    assert (row.segment_hire_min, row.segment_hire_max) == (Decimal("300000"), Decimal("500000"))


def test_planner_100_enterprise_accounts_at_5_per_csm_need_20():
    result = plan(segment="enterprise", accounts=100, ratio=5)
    assert result.csms_at_ratio == 20
    assert (result.ratio_min, result.ratio_max) == (5, 20)
    assert (result.csms_most, result.csms_fewest) == (20, 5)
    assert result.steps == [(5, 20), (8, 13), (12, 9), (16, 7), (20, 5)]


def test_planner_a_custom_ratio_joins_the_steps():
    result = plan(segment="enterprise", accounts=100, ratio=10)
    assert result.csms_at_ratio == 10
    assert (10, 10) in result.steps


def test_planner_10m_usd_at_2m_per_csm_need_5(org, settings):
    settings.HOURGLASS_CURRENCY = "USD"
    preset_activate(preset=CapacityPreset.objects.get(currency="USD"), actor=org.admin)
    result = plan(segment="enterprise", accounts=100, arr=Decimal("10000000"))
    assert result.csms_by_arr_fewest == 5
    assert result.csms_by_arr_most == 10  # at US$1M, the lower end


def test_planner_same_rule_in_a_cny_deployment_after_conversion(org):
    preset_activate(preset=CapacityPreset.objects.get(currency="USD"), actor=org.admin)
    result = plan(segment="enterprise", accounts=100, arr=Decimal("70000000"))
    assert result.csms_by_arr_fewest == 5


def test_planner_reports_the_hard_cap_and_tech_touch_has_no_ratio(org):
    preset_activate(preset=CapacityPreset.objects.get(hard_cap__isnull=False), actor=org.admin)
    result = plan(segment="tech_touch", accounts=1000, arr=Decimal("10000000"))
    assert result.csms_at_ratio is None and result.csms_most is None and result.steps == []
    assert result.csms_under_cap == 4  # ¥10M under a ¥2.5M cap
    assert result.csms_by_arr_fewest == 5  # at ¥2M


def test_two_large_accounts_without_a_dedicated_csm_trigger_a_hire(org):
    # US$50K × 7 = ¥350K in this CNY deployment.
    AccountFactory(owner=None, name="Big One", arr=Decimal("350000"))
    books = book_of_business(user=org.admin)
    assert "large_accounts" not in [r.code for r in hiring_recommendations(user=org.admin, books=books)]
    AccountFactory(owner=org.manager_a, name="Big Two", arr=Decimal("900000"))  # a manager covering is not dedicated
    books = book_of_business(user=org.admin)
    found = {r.code: r for r in hiring_recommendations(user=org.admin, books=books)}
    assert "large_accounts" in found
    assert found["large_accounts"].title == "Hire a CSM: 2 large accounts have no dedicated CSM."
    assert "Big Two: ¥900,000" in found["large_accounts"].evidence
    assert "Big One: ¥350,000" in found["large_accounts"].evidence


def test_large_accounts_owned_by_csms_do_not_trigger(org):
    AccountFactory(owner=org.csm_a1, arr=Decimal("400000"))
    AccountFactory(owner=org.csm_a2, arr=Decimal("400000"))
    books = book_of_business(user=org.admin)
    assert "large_accounts" not in [r.code for r in hiring_recommendations(user=org.admin, books=books)]


def test_a_segment_whose_revenue_pays_for_a_csm_and_has_none_triggers(org):
    # US$300K × 7 = ¥2.1M of SMB revenue, spread thinly: nobody's main segment.
    for index in range(151):
        AccountFactory(owner=None, name=f"SMB {index}", arr=Decimal("14000"))
    books = book_of_business(user=org.admin)
    codes = [r.code for r in hiring_recommendations(user=org.admin, books=books)]
    assert "segment_smb" in codes
    assert "segment_mid_market" not in codes  # the CSMs' books are mid-market
    assert "segment_tech_touch" not in codes


def test_preset_trigger_when_the_book_outgrows_the_team(org):
    AccountFactory(owner=org.csm_a1, arr=Decimal("9000000"))
    books = book_of_business(user=org.manager_a)
    found = {r.code: r for r in hiring_recommendations(user=org.manager_a, books=books)}
    # ¥9.4M at ¥5M per CSM → 2 CSMs: the team has 2, no hire.
    assert "preset" not in found
    AccountFactory(owner=org.csm_a2, arr=Decimal("2000000"))
    books = book_of_business(user=org.manager_a)
    found = {r.code: r for r in hiring_recommendations(user=org.manager_a, books=books)}
    assert found["preset"].title == "Hire 1 CSM(s) to bring the book within the preset."


def test_only_admins_choose_the_preset(org):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        preset_activate(preset=CapacityPreset.objects.first(), actor=org.manager_a)
    new = CapacityPreset.objects.get(hard_cap__isnull=False)
    preset_activate(preset=new, actor=org.admin)
    assert list(CapacityPreset.objects.filter(is_active=True)) == [new]
    assert capacity_config().hard_cap == Decimal("2500000")


def test_managers_without_accounts_are_left_out_but_csms_with_none_are_shown(org):
    make_person(Role.CSM, username="csm_new", team=org.team_a)
    names = [row.user.username for row in book_of_business(user=org.admin).rows]
    assert "csm_new" in names
    assert "manager_a" not in names
