"""The seed articles' numbers, reproduced exactly by capacity.arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from capacity import arithmetic as a
from capacity.arithmetic import Limits


def test_seed_001_one_hundred_accounts_at_five_per_csm_need_twenty():
    assert a.csms_needed_by_ratio(100, 5) == 20


def test_seed_001_twenty_per_csm_is_the_other_end_of_the_range():
    assert a.csms_needed_by_ratio(100, 20) == 5


def test_gainsight_ten_million_at_two_million_per_csm_need_five():
    assert a.csms_needed_by_arr(Decimal("10000000"), Decimal("2000000")) == 5


def test_head_counts_round_up():
    assert a.csms_needed_by_ratio(101, 5) == 21
    assert a.csms_needed_by_arr(Decimal("10000001"), Decimal("2000000")) == 6
    assert a.csms_needed_by_ratio(0, 5) == 0


@pytest.mark.parametrize("bad", [0, -5])
def test_ratio_must_be_positive(bad):
    with pytest.raises(ValueError):
        a.csms_needed_by_ratio(10, bad)
    with pytest.raises(ValueError):
        a.csms_needed_by_arr(Decimal("10"), bad)


def test_seed_001_three_to_five_proactive_contacts_a_day_over_200_days():
    assert a.proactive_contacts_per_year(3, 200) == 600
    assert a.proactive_contacts_per_year(5, 200) == 1000


def test_seed_001_two_large_accounts_without_a_csm_trigger_a_hire():
    assert a.large_accounts_trigger([Decimal("60000"), Decimal("80000")]) is True
    assert a.large_accounts_trigger([Decimal("60000")]) is False
    assert a.large_accounts_trigger([]) is False


def test_seed_001_segment_revenue_band_triggers_only_without_a_dedicated_csm():
    assert a.segment_revenue_trigger(Decimal("300000"), Decimal("300000"), 0) is True
    assert a.segment_revenue_trigger(Decimal("299999"), Decimal("300000"), 0) is False
    assert a.segment_revenue_trigger(Decimal("900000"), Decimal("300000"), 1) is False


def test_seed_003_above_the_two_and_a_half_million_cap_is_over_capacity():
    conservative = Limits(band_min=Decimal("1500000"), band_max=Decimal("2000000"), hard_cap=Decimal("2500000"))
    over = a.load_verdict(
        accounts=30, arr=Decimal("2500001"), accounts_by_segment={}, limits=conservative, time_share=None
    )
    assert over.status == a.OVER
    assert [f.code for f in over.findings] == ["above_cap"]
    at_cap = a.load_verdict(
        accounts=30, arr=Decimal("2500000"), accounts_by_segment={}, limits=conservative, time_share=None
    )
    # At the cap but above the band's ¥2M: over the band, not over the cap.
    assert [f.code for f in at_cap.findings] == ["above_band"]
    within = a.load_verdict(
        accounts=30, arr=Decimal("1800000"), accounts_by_segment={}, limits=conservative, time_share=None
    )
    assert within.status == a.HEALTHY
    under = a.load_verdict(
        accounts=30, arr=Decimal("1400000"), accounts_by_segment={}, limits=conservative, time_share=None
    )
    assert under.status == a.UNDER
    assert [f.code for f in under.findings] == ["below_band"]


def test_usd_amounts_convert_only_into_cny_at_the_configured_rate():
    assert a.to_local(Decimal("2000000"), "USD", "CNY", Decimal("7.0")) == Decimal("14000000")
    assert a.to_local(Decimal("2000000"), "CNY", "CNY", Decimal("7.0")) == Decimal("2000000")
    assert a.to_local(Decimal("2000000"), "USD", "USD", Decimal("7.0")) == Decimal("2000000")
    assert a.to_local(Decimal("2000000"), "USD", "EUR", Decimal("7.0")) is None
    assert a.to_local(Decimal("2000000"), "CNY", "USD", Decimal("7.0")) is None


def test_ratio_steps_span_the_range():
    assert a.ratio_steps(5, 20) == [5, 8, 12, 16, 20]
    assert a.ratio_steps(5, 5) == [5]
