"""Capacity configuration as the pages use it: settings, the active preset (in the
deployment's currency), the segment ratios, and the hours an account needs a month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import Account, AccountStatus, TimelineEntry
from accounts.segments import Segment, segment_case
from core.formatting import deployment_currency

from .. import arithmetic
from ..arithmetic import Limits
from ..models import CapacityPreset, CapacitySettings, SegmentRatio, TimeEntry

DAYS_A_MONTH = Decimal("365") / 12


def usd_to_local() -> Decimal:
    return Decimal(str(getattr(settings, "HOURGLASS_USD_TO_LOCAL", "7.0")))


def local(amount: Decimal | None, currency: str) -> Decimal | None:
    return arithmetic.to_local(amount, currency, deployment_currency(), usd_to_local())


@dataclass(frozen=True)
class CapacityConfig:
    settings: CapacitySettings
    preset: CapacityPreset | None
    # The preset's band in the deployment's currency; ``None`` when not comparable.
    band_min: Decimal | None
    band_max: Decimal | None
    hard_cap: Decimal | None
    ratios: dict[str, SegmentRatio]
    available_hours: Decimal
    floor_arr: Decimal | None
    floor_accounts: int | None
    large_account_arr: Decimal | None
    segment_hire_min: Decimal | None
    segment_hire_max: Decimal | None

    @property
    def preset_comparable(self) -> bool:
        return self.preset is not None and self.band_max is not None

    @property
    def converted(self) -> bool:
        return self.preset is not None and self.preset.currency != deployment_currency()

    def ratio_range(self, segment: str) -> tuple[int | None, int | None]:
        ratio = self.ratios.get(segment)
        return (ratio.accounts_per_csm_min, ratio.accounts_per_csm_max) if ratio else (None, None)

    def limits(self) -> Limits:
        found: Limits | None = self.__dict__.get("_limits")
        if found is None:
            found = self._limits_compute()
            object.__setattr__(self, "_limits", found)  # frozen: computed once, kept
        return found

    def _limits_compute(self) -> Limits:
        return Limits(
            band_min=self.band_min,
            band_max=self.band_max,
            hard_cap=self.hard_cap,
            floor_arr=self.floor_arr,
            floor_accounts=self.floor_accounts,
            ratios={segment: self.ratio_range(segment) for segment in self.ratios},
        )


def capacity_config() -> CapacityConfig:
    """Settings, the active preset and the ratios: three small queries, no writes.

    The settings row is seeded by migration; should it be missing, its defaults apply
    (unsaved) until ``capacity_defaults_ensure`` or an admin writes it.
    """
    row = CapacitySettings.objects.filter(pk=1).first() or CapacitySettings(pk=1)
    preset = CapacityPreset.objects.filter(is_active=True).first()
    ratios = {ratio.segment: ratio for ratio in SegmentRatio.objects.all()}
    band_min = band_max = hard_cap = None
    if preset is not None:
        band_min = local(preset.arr_per_csm_min, preset.currency)
        band_max = local(preset.arr_per_csm_max, preset.currency)
        hard_cap = local(preset.hard_cap, preset.currency)
    return CapacityConfig(
        settings=row,
        preset=preset,
        band_min=band_min,
        band_max=band_max,
        hard_cap=hard_cap,
        ratios=ratios,
        available_hours=arithmetic.available_hours(row.working_days_per_year, row.hours_per_day, row.proactive_share),
        floor_arr=arithmetic.floor_arr(row.csm_annual_cost, row.service_cost_share),
        floor_accounts=arithmetic.floor_accounts(row.csm_annual_cost, row.budget_per_account),
        large_account_arr=local(row.large_account_arr, row.threshold_currency),
        segment_hire_min=local(row.segment_hire_min, row.threshold_currency),
        segment_hire_max=local(row.segment_hire_max, row.threshold_currency),
    )


# --- Hours per account per month, by segment (from the data) ---------------------


@dataclass(frozen=True)
class SegmentHours:
    segment: str
    label: str
    accounts: int
    logged_minutes: int
    touchpoint_minutes: int
    hours_per_account_month: Decimal | None
    ceiling: int | None

    @property
    def total_hours(self) -> Decimal:
        return (Decimal(self.logged_minutes + self.touchpoint_minutes) / 60).quantize(Decimal("0.1"))


def hours_by_segment(*, config: CapacityConfig, today: date | None = None) -> dict[str, SegmentHours]:
    """Average hours an account needs a month, per segment, over the last ``measure_days``.

    Manual time entries on an account plus touchpoint durations from the timeline,
    divided by the segment's (non-churned) accounts and the months measured. Measured
    over the whole deployment, not the viewer's scope: it is a benchmark of averages
    (no account is revealed), and one CSM's few accounts would make it noisy.
    Three aggregate queries.
    """
    today = today or timezone.localdate()
    since = today - timedelta(days=config.settings.measure_days)
    months = Decimal(config.settings.measure_days) / DAYS_A_MONTH
    accounts = {
        row["segment_key"]: row["n"]
        for row in Account.objects.exclude(status=AccountStatus.CHURNED)
        .order_by()
        .values(segment_key=segment_case("arr"))
        .annotate(n=Count("pk"))
    }
    logged = {
        row["segment_key"]: int(row["total_minutes"] or 0)
        for row in TimeEntry.objects.filter(account__isnull=False, date__gt=since, date__lte=today)
        .order_by()
        .values(segment_key=segment_case("account__arr"))
        .annotate(total_minutes=Sum("minutes"))
    }
    touchpoints = {
        row["segment_key"]: int(row["total_minutes"] or 0)
        for row in TimelineEntry.objects.filter(
            is_touchpoint=True,
            duration_minutes__isnull=False,
            occurred_at__date__gt=since,
            occurred_at__date__lte=today,
        )
        .order_by()
        .values(segment_key=segment_case("account__arr"))
        .annotate(total_minutes=Sum("duration_minutes"))
    }
    result = {}
    for segment, label in Segment.choices:
        count = accounts.get(segment, 0)
        minutes = logged.get(segment, 0) + touchpoints.get(segment, 0)
        per_month = None
        if count and minutes:
            per_month = (Decimal(minutes) / 60 / count / months).quantize(Decimal("0.01"))
        result[segment] = SegmentHours(
            segment=segment,
            label=str(label),
            accounts=count,
            logged_minutes=logged.get(segment, 0),
            touchpoint_minutes=touchpoints.get(segment, 0),
            hours_per_account_month=per_month,
            ceiling=arithmetic.ceiling_accounts(config.available_hours, per_month),
        )
    return result
