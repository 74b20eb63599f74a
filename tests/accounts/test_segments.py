from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Account
from accounts.segments import Segment, arr_range_for_segment, segment_for_arr
from tests.factories import AccountFactory

CNY_BANDS = {"enterprise": 350_000, "mid_market": 70_000, "smb": 14_000, "tech_touch": 0}


@pytest.fixture(autouse=True)
def _cny_bands(settings):
    settings.HOURGLASS_SEGMENT_BANDS = {k: Decimal(v) for k, v in CNY_BANDS.items()}


@pytest.mark.parametrize(
    ("arr", "segment"),
    [
        (0, Segment.TECH_TOUCH),
        (13_999.99, Segment.TECH_TOUCH),
        (14_000, Segment.SMB),
        (69_999, Segment.SMB),
        (70_000, Segment.MID_MARKET),
        (349_999, Segment.MID_MARKET),
        (350_000, Segment.ENTERPRISE),
        (9_000_000, Segment.ENTERPRISE),
    ],
)
def test_segment_for_arr_uses_inclusive_lower_bounds(arr, segment):
    assert segment_for_arr(Decimal(str(arr))) == segment


@pytest.mark.django_db
def test_sql_segment_and_segment_filter_agree_with_python():
    amounts = [0, 5_000, 14_000, 50_000, 70_000, 200_000, 350_000, 1_000_000]
    for amount in amounts:
        AccountFactory(arr=Decimal(amount))
    annotated = {a.arr: a.segment_key for a in Account.objects.with_segment()}
    assert annotated == {Decimal(a): segment_for_arr(Decimal(a)) for a in amounts}
    for segment in Segment.values:
        in_filter = {a.arr for a in Account.objects.in_segments([segment])}
        assert in_filter == {Decimal(a) for a in amounts if segment_for_arr(Decimal(a)) == segment}


def test_bands_are_configurable(settings):
    settings.HOURGLASS_SEGMENT_BANDS = {"enterprise": Decimal(1000), "tech_touch": Decimal(0)}
    assert segment_for_arr(Decimal(999)) == Segment.TECH_TOUCH
    assert segment_for_arr(Decimal(1000)) == Segment.ENTERPRISE
    assert arr_range_for_segment("enterprise") == (Decimal(1000), None)
    assert arr_range_for_segment("tech_touch") == (None, Decimal(1000))


def test_unknown_segment_in_bands_is_a_clear_error(settings):
    settings.HOURGLASS_SEGMENT_BANDS = {"whales": Decimal(1)}
    with pytest.raises(ValueError, match="whales"):
        segment_for_arr(Decimal(5))
