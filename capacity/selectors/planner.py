"""The planner (CSMs needed for a segment by ratio, ARR preset and measured time) and
the hiring triggers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Account
from accounts.segments import Segment, segment_case
from core.formatting import money
from core.types import AnyUser
from org.models import Role

from .. import arithmetic
from ..models import CapacityPreset
from .books import TeamBooks, active_accounts
from .config import CapacityConfig, SegmentHours, capacity_config, hours_by_segment


@dataclass(frozen=True)
class Plan:
    segment: str
    segment_label: str
    accounts: int
    arr: Decimal | None
    ratio: int | None
    ratio_min: int | None
    ratio_max: int | None
    csms_at_ratio: int | None
    csms_most: int | None
    csms_fewest: int | None
    steps: list[tuple[int, int]]
    preset: CapacityPreset | None
    band_min: Decimal | None
    band_max: Decimal | None
    hard_cap: Decimal | None
    csms_by_arr_fewest: int | None
    csms_by_arr_most: int | None
    csms_under_cap: int | None
    hours_per_account_month: Decimal | None
    ceiling: int | None
    csms_by_time: int | None
    notes: str


def plan(
    *,
    segment: str,
    accounts: int,
    arr: Decimal | None = None,
    ratio: int | None = None,
    config: CapacityConfig | None = None,
    hours: dict[str, SegmentHours] | None = None,
) -> Plan:
    """CSMs needed for ``accounts`` in ``segment`` (and ``arr``): by the segment ratio,
    by the ARR preset and by measured time. 100 accounts at 5 → 20; $10M at $2M → 5."""
    if segment not in Segment.values:
        raise ValueError(f"unknown segment {segment!r}")
    config = config or capacity_config()
    hours = hours if hours is not None else hours_by_segment(config=config)
    low, high = config.ratio_range(segment)
    segment_hours = hours.get(segment)
    ceiling = segment_hours.ceiling if segment_hours else None
    band_min, band_max, cap = config.band_min, config.band_max, config.hard_cap
    steps = (
        [(step, arithmetic.csms_needed_by_ratio(accounts, step)) for step in arithmetic.ratio_steps(low, high)]
        if low and high
        else []
    )
    if ratio and not any(step == ratio for step, _count in steps):
        steps = sorted([*steps, (ratio, arithmetic.csms_needed_by_ratio(accounts, ratio))])
    ratio_row = config.ratios.get(segment)
    return Plan(
        segment=segment,
        segment_label=str(Segment(segment).label),
        accounts=accounts,
        arr=arr,
        ratio=ratio,
        ratio_min=low,
        ratio_max=high,
        csms_at_ratio=arithmetic.csms_needed_by_ratio(accounts, ratio) if ratio else None,
        csms_most=arithmetic.csms_needed_by_ratio(accounts, low) if low else None,
        csms_fewest=arithmetic.csms_needed_by_ratio(accounts, high) if high else None,
        steps=steps,
        preset=config.preset,
        band_min=band_min,
        band_max=band_max,
        hard_cap=cap,
        csms_by_arr_fewest=arithmetic.csms_needed_by_arr(arr, band_max) if arr is not None and band_max else None,
        csms_by_arr_most=arithmetic.csms_needed_by_arr(arr, band_min) if arr is not None and band_min else None,
        csms_under_cap=arithmetic.csms_needed_by_arr(arr, cap) if arr is not None and cap else None,
        hours_per_account_month=segment_hours.hours_per_account_month if segment_hours else None,
        ceiling=ceiling,
        csms_by_time=arithmetic.csms_needed_by_ratio(accounts, ceiling) if ceiling else None,
        notes=ratio_row.notes_label if ratio_row else "",
    )


# --- Hiring triggers -----------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    code: str
    title: str
    evidence: list[str]


def hiring_recommendations(*, user: AnyUser, books: TeamBooks) -> list[Recommendation]:
    """Hire when large accounts lack a CSM, when a segment's revenue pays for one and
    nobody is dedicated to it, or when the book needs more CSMs than the team has.

    Three queries on top of ``books``.
    """
    scope = active_accounts(user)
    return [
        *_large_accounts_trigger(scope, books.config),
        *_segment_revenue_triggers(scope, books),
        *_preset_trigger(books),
    ]


def _large_accounts_trigger(scope: QuerySet[Account], config: CapacityConfig) -> list[Recommendation]:
    threshold = config.large_account_arr
    if threshold is None:
        return []
    uncovered = scope.filter(arr__gte=threshold).filter(
        Q(owner__isnull=True) | Q(owner__is_superuser=True) | Q(owner__cs_profile__role__in=[Role.MANAGER, Role.ADMIN])
    )
    large = list(uncovered.order_by("-arr", "pk").values_list("name", "arr")[:50])
    if not arithmetic.large_accounts_trigger(
        (arr for _name, arr in large), at_least=config.settings.large_accounts_to_hire
    ):
        return []
    return [
        Recommendation(
            code="large_accounts",
            title=_("Hire a CSM: %(count)s large accounts have no dedicated CSM.") % {"count": len(large)},
            evidence=[
                _(
                    "Large means an ARR of %(threshold)s or more; as a rule of thumb, "
                    "%(n)s or more such accounts without a dedicated CSM call for a hire."
                )
                % {"threshold": money(threshold), "n": config.settings.large_accounts_to_hire},
                *[f"{name}: {money(arr)}" for name, arr in large[:10]],
            ],
        )
    ]


def _segment_revenue_triggers(scope: QuerySet[Account], books: TeamBooks) -> list[Recommendation]:
    config = books.config
    if config.segment_hire_min is None:
        return []
    segment_totals = {
        row["segment_key"]: (row["n"], row["total"])
        for row in scope.values(segment_key=segment_case("arr")).annotate(
            n=Count("pk"), total=Coalesce(Sum("arr"), Decimal("0"))
        )
    }
    dedicated: dict[str, int] = defaultdict(int)
    for row in books.rows:
        if row.role == Role.CSM and row.arr > 0:
            main = max(row.by_segment.values(), key=lambda s: (s.arr, s.accounts))
            dedicated[main.key] += 1
    recommendations = []
    for segment, label in Segment.choices:
        if segment == Segment.TECH_TOUCH:
            continue  # automated by design: revenue there pays for tooling, not people
        count, total = segment_totals.get(segment, (0, Decimal("0")))
        if not arithmetic.segment_revenue_trigger(total, config.segment_hire_min, dedicated[segment]):
            continue
        recommendations.append(
            Recommendation(
                code=f"segment_{segment}",
                title=_("Hire a CSM for %(segment)s: its revenue pays for one.") % {"segment": label},
                evidence=[
                    _(
                        "%(count)s accounts, ARR %(arr)s; as a rule of thumb, a segment's revenue "
                        "covers one CSM's cost from %(min)s–%(max)s."
                    )
                    % {
                        "count": count,
                        "arr": money(total),
                        "min": money(config.segment_hire_min),
                        "max": money(config.segment_hire_max),
                    },
                    _("No CSM has this segment as the main part of their book."),
                ],
            )
        )
    return recommendations


def _preset_trigger(books: TeamBooks) -> list[Recommendation]:
    config = books.config
    csms = sum(1 for row in books.rows if row.role == Role.CSM)
    if not config.band_max:
        return []
    needed = arithmetic.csms_needed_by_arr(books.arr, config.band_max)
    if needed <= csms:
        return []
    return [
        Recommendation(
            code="preset",
            title=_("Hire %(n)s CSM(s) to bring the book within the preset.") % {"n": needed - csms},
            evidence=[
                _("ARR %(arr)s at %(per)s per CSM needs %(needed)s CSMs; the team has %(have)s (%(preset)s).")
                % {
                    "arr": money(books.arr),
                    "per": money(config.band_max),
                    "needed": needed,
                    "have": csms,
                    "preset": config.preset,
                }
            ],
        )
    ]
