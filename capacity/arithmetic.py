"""The capacity arithmetic, pure: numbers in, numbers out (no database, no settings).

Every figure the capacity pages show is computed here, so the seed articles' numbers
can be checked exactly (tests/capacity/test_arithmetic.py):

- seed 001: 100 accounts at 5 per CSM → 20 CSMs; 3–5 proactive contacts a day over
  200 working days; ≥ 2 accounts above US$50K without a dedicated CSM → hire.
- seed 002 / Gainsight: US$10M ARR at US$2M per CSM → 5 CSMs.
- seed 003: ¥1.5–2M per CSM, never above ¥2.5M → above the cap is over capacity.
- seed 000: the floor comes from cost, the ceiling from time.

Money is ``Decimal`` throughout; head counts round *up* (you cannot hire 0.3 of a CSM,
and rounding down would leave the book uncovered), account ceilings round *down*.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

ZERO = Decimal("0")
MONTHS_A_YEAR = 12


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def csms_needed_by_ratio(accounts: int, accounts_per_csm: Decimal | int) -> int:
    """CSMs to cover ``accounts`` at ``accounts_per_csm`` each: 100 at 5 → 20 (seed 001)."""
    ratio = Decimal(accounts_per_csm)
    if ratio <= 0:
        raise ValueError("accounts per CSM must be positive")
    if accounts <= 0:
        return 0
    return _ceil(Decimal(accounts) / ratio)


def csms_needed_by_arr(arr: Decimal | int, arr_per_csm: Decimal | int) -> int:
    """CSMs to carry ``arr`` at ``arr_per_csm`` each: $10M at $2M → 5 (Gainsight rule)."""
    per_csm = Decimal(arr_per_csm)
    if per_csm <= 0:
        raise ValueError("ARR per CSM must be positive")
    total = Decimal(arr)
    if total <= 0:
        return 0
    return _ceil(total / per_csm)


def proactive_contacts_per_year(contacts_per_day: Decimal | int, working_days: int) -> int:
    """Proactive contacts one CSM makes in a year: 3 a day × 200 days = 600 (seed 001)."""
    return _floor(Decimal(contacts_per_day) * working_days)


def available_hours(working_days: int, hours_per_day: Decimal | int, proactive_share: Decimal | int) -> Decimal:
    """Hours a year a CSM has for their accounts: 200 days × 8 h × 0.6 = 960 h."""
    if not ZERO <= Decimal(proactive_share) <= 1:
        raise ValueError("the proactive share lies between 0 and 1")
    return Decimal(working_days) * Decimal(hours_per_day) * Decimal(proactive_share)


def ceiling_accounts(available_hours_a_year: Decimal, hours_per_account_month: Decimal | None) -> int | None:
    """Most accounts one CSM can serve when each needs ``hours_per_account_month``.

    960 h a year ÷ (2 h × 12 months) = 40 accounts. ``None`` when nothing is measured.
    """
    if hours_per_account_month is None or hours_per_account_month <= 0:
        return None
    return _floor(available_hours_a_year / (Decimal(hours_per_account_month) * MONTHS_A_YEAR))


def time_load(
    accounts_by_segment: Mapping[str, int],
    hours_per_account_month: Mapping[str, Decimal | None],
    available_hours_a_year: Decimal,
) -> Decimal | None:
    """Share of a CSM's available hours their book needs (1 = exactly full).

    A mixed book is summed per segment: 10 accounts × 3 h + 20 × 1 h = 50 h a month
    = 600 h a year; over 960 h available that is 0.625. Segments with no measured
    hours are left out; ``None`` when none of the book's segments is measured.
    """
    if available_hours_a_year <= 0:
        return None
    needed = ZERO
    measured = False
    for segment, count in accounts_by_segment.items():
        hours = hours_per_account_month.get(segment)
        if hours is None or count <= 0:
            continue
        measured = True
        needed += Decimal(count) * Decimal(hours) * MONTHS_A_YEAR
    return needed / available_hours_a_year if measured else None


def floor_arr(annual_cost: Decimal | None, service_cost_share: Decimal | None) -> Decimal | None:
    """Least ARR a CSM must carry so that their cost stays within the service budget.

    If service may cost 15% of revenue and a CSM costs ¥300,000 a year, the CSM must
    carry ¥300,000 ÷ 0.15 = ¥2,000,000 of ARR (seed 000: cost sets the floor).
    """
    if annual_cost is None or service_cost_share is None or service_cost_share <= 0:
        return None
    return Decimal(annual_cost) / Decimal(service_cost_share)


def floor_accounts(annual_cost: Decimal | None, budget_per_account: Decimal | None) -> int | None:
    """Least accounts a CSM must carry when each account may spend ``budget_per_account``
    a year on service: ¥300,000 ÷ ¥5,000 = 60 accounts."""
    if annual_cost is None or budget_per_account is None or budget_per_account <= 0:
        return None
    return _ceil(Decimal(annual_cost) / Decimal(budget_per_account))


def to_local(amount: Decimal | None, currency: str, deployment_currency: str, usd_to_local: Decimal) -> Decimal | None:
    """An amount in the deployment's currency, or ``None`` when it cannot be compared.

    Same currency: as is. A US$ amount in a CNY deployment: × the configured rate.
    Anything else is not converted (no silent guess at an exchange rate).
    """
    if amount is None:
        return None
    if currency == deployment_currency:
        return Decimal(amount)
    if currency == "USD" and deployment_currency == "CNY":
        return Decimal(amount) * Decimal(usd_to_local)
    return None


# --- Load status -----------------------------------------------------------------

UNDER = "under"
HEALTHY = "healthy"
OVER = "over"


@dataclass(frozen=True)
class Limits:
    """What one CSM is measured against, all in the deployment's currency."""

    band_min: Decimal | None = None
    band_max: Decimal | None = None
    hard_cap: Decimal | None = None
    floor_arr: Decimal | None = None
    floor_accounts: int | None = None
    # Account ratios per segment (seed 001), ``(min, max)``; ``None`` where the segment has none.
    ratios: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One reason, as a code and its numbers; the page words it (and translates it)."""

    status: str
    code: str
    values: Mapping[str, object]


@dataclass(frozen=True)
class LoadVerdict:
    status: str
    findings: list[Finding]
    ratio_load: Decimal | None


def ratio_load(
    accounts_by_segment: Mapping[str, int], ratios: Mapping[str, tuple[int | None, int | None]], *, use: str = "max"
) -> Decimal | None:
    """Σ accounts ÷ accounts-per-CSM over the segments: 1 = one full CSM's worth of accounts."""
    total = ZERO
    counted = False
    for segment, count in accounts_by_segment.items():
        low, high = ratios.get(segment, (None, None))
        per_csm = high if use == "max" else low
        if not per_csm or count <= 0:
            continue
        counted = True
        total += Decimal(count) / Decimal(per_csm)
    return total if counted else None


def load_verdict(
    *,
    accounts: int,
    arr: Decimal,
    accounts_by_segment: Mapping[str, int],
    limits: Limits,
    time_share: Decimal | None,
) -> LoadVerdict:
    """Under-loaded, healthy or over capacity, with every reason that applies.

    Over capacity wins over under-loaded (a CSM above the ¥2.5M cap is over capacity
    even if their account count is below the cost floor). Healthy needs no reason to
    be wrong: its findings say what it was checked against.
    """
    findings: list[Finding] = []
    if limits.hard_cap is not None and arr > limits.hard_cap:
        findings.append(Finding(OVER, "above_cap", {"arr": arr, "cap": limits.hard_cap}))
    elif limits.band_max is not None and arr > limits.band_max:
        findings.append(Finding(OVER, "above_band", {"arr": arr, "band_max": limits.band_max}))
    if time_share is not None and time_share > 1:
        findings.append(Finding(OVER, "above_ceiling", {"share": time_share}))
    over_ratio = ratio_load(accounts_by_segment, limits.ratios, use="max")
    if over_ratio is not None and over_ratio > 1:
        findings.append(Finding(OVER, "above_ratio", {"load": over_ratio}))

    if limits.floor_arr is not None and arr < limits.floor_arr:
        findings.append(Finding(UNDER, "below_floor_arr", {"arr": arr, "floor": limits.floor_arr}))
    if limits.floor_accounts is not None and accounts < limits.floor_accounts:
        findings.append(Finding(UNDER, "below_floor_accounts", {"accounts": accounts, "floor": limits.floor_accounts}))
    if limits.band_min is not None and arr < limits.band_min:
        findings.append(Finding(UNDER, "below_band", {"arr": arr, "band_min": limits.band_min}))

    statuses = {finding.status for finding in findings}
    status = OVER if OVER in statuses else UNDER if UNDER in statuses else HEALTHY
    if status == HEALTHY:
        findings.append(
            Finding(
                HEALTHY,
                "within",
                {"arr": arr, "band_min": limits.band_min, "band_max": limits.band_max, "share": time_share},
            )
        )
    return LoadVerdict(status=status, findings=findings, ratio_load=over_ratio)


# --- Hiring triggers (seed 001) ---------------------------------------------------


def large_accounts_trigger(uncovered_large_arrs: Iterable[Decimal], *, at_least: int = 2) -> bool:
    """Hire once ``at_least`` (2) large accounts have no dedicated CSM (seed 001)."""
    return sum(1 for _ in uncovered_large_arrs) >= at_least


def segment_revenue_trigger(segment_arr: Decimal, band_min: Decimal, dedicated_csms: int) -> bool:
    """Hire for a segment once its revenue reaches the band that pays for a CSM
    (usually US$300–500K, seed 001) and nobody is dedicated to it yet."""
    return dedicated_csms == 0 and segment_arr >= band_min


def ratio_steps(low: int, high: int, *, steps: int = 4) -> list[int]:
    """Ratios from ``low`` to ``high`` for the planner's "what if the ratio moves" table."""
    if high <= low:
        return [low]
    values = {low, high}
    for index in range(1, steps):
        values.add(low + math.floor((high - low) * index / steps))
    return sorted(values)
