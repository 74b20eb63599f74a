"""Floor (cost) and ceiling (time) against hand-worked cases (seed 000)."""

from __future__ import annotations

from decimal import Decimal

from capacity import arithmetic as a
from capacity.arithmetic import Limits


def test_available_hours_200_days_8_hours_60_percent_is_960():
    assert a.available_hours(200, Decimal("8"), Decimal("0.6")) == Decimal("960.0")


def test_ceiling_960_hours_at_2_hours_per_account_month_is_40_accounts():
    # 2 h × 12 months = 24 h per account a year; 960 / 24 = 40.
    assert a.ceiling_accounts(Decimal("960"), Decimal("2")) == 40


def test_ceiling_rounds_down_and_is_unknown_without_measurements():
    # 960 / (0.7 × 12 = 8.4) = 114.28… → 114
    assert a.ceiling_accounts(Decimal("960"), Decimal("0.7")) == 114
    assert a.ceiling_accounts(Decimal("960"), None) is None
    assert a.ceiling_accounts(Decimal("960"), Decimal("0")) is None


def test_floor_arr_cost_300k_at_15_percent_service_share_is_2m():
    assert a.floor_arr(Decimal("300000"), Decimal("0.15")) == Decimal("2000000")
    assert a.floor_arr(None, Decimal("0.15")) is None
    assert a.floor_arr(Decimal("300000"), None) is None


def test_floor_accounts_cost_300k_at_5k_budget_per_account_is_60():
    assert a.floor_accounts(Decimal("300000"), Decimal("5000")) == 60
    assert a.floor_accounts(Decimal("300000"), Decimal("7000")) == 43  # 42.86 → 43


def test_time_load_of_a_mixed_book():
    # 10 enterprise × 3 h + 20 mid-market × 1 h = 50 h a month = 600 h a year; 600 / 960.
    share = a.time_load(
        {"enterprise": 10, "mid_market": 20, "smb": 5},
        {"enterprise": Decimal("3"), "mid_market": Decimal("1"), "smb": None},
        Decimal("960"),
    )
    assert share == Decimal("0.625")
    assert a.time_load({"smb": 5}, {"smb": None}, Decimal("960")) is None


def test_status_over_the_ceiling_with_the_reason():
    verdict = a.load_verdict(
        accounts=50, arr=Decimal("1000000"), accounts_by_segment={}, limits=Limits(), time_share=Decimal("1.25")
    )
    assert verdict.status == a.OVER
    assert verdict.findings[0].code == "above_ceiling"
    assert verdict.findings[0].values["share"] == Decimal("1.25")


def test_status_under_the_cost_floor_in_arr_and_accounts():
    limits = Limits(floor_arr=Decimal("2000000"), floor_accounts=60)
    verdict = a.load_verdict(
        accounts=40, arr=Decimal("1500000"), accounts_by_segment={}, limits=limits, time_share=Decimal("0.5")
    )
    assert verdict.status == a.UNDER
    assert [f.code for f in verdict.findings] == ["below_floor_arr", "below_floor_accounts"]


def test_over_capacity_wins_over_under_loaded():
    limits = Limits(floor_accounts=60, hard_cap=Decimal("2500000"))
    verdict = a.load_verdict(
        accounts=10, arr=Decimal("3000000"), accounts_by_segment={}, limits=limits, time_share=None
    )
    assert verdict.status == a.OVER
    assert [f.code for f in verdict.findings] == ["above_cap", "below_floor_accounts"]


def test_more_enterprise_accounts_than_the_ratio_allows_is_over():
    limits = Limits(ratios={"enterprise": (5, 20), "tech_touch": (None, None)})
    verdict = a.load_verdict(
        accounts=25,
        arr=Decimal("0"),
        accounts_by_segment={"enterprise": 25, "tech_touch": 500},
        limits=limits,
        time_share=None,
    )
    assert verdict.status == a.OVER
    assert verdict.ratio_load == Decimal("1.25")


def test_healthy_says_what_it_was_checked_against():
    limits = Limits(band_min=Decimal("2000000"), band_max=Decimal("5000000"))
    verdict = a.load_verdict(
        accounts=30, arr=Decimal("3000000"), accounts_by_segment={}, limits=limits, time_share=Decimal("0.8")
    )
    assert verdict.status == a.HEALTHY
    assert verdict.findings[0].code == "within"
