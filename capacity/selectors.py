"""Reads for the capacity pages and API: books of business, load, planner, triggers.

Everything here runs a fixed number of queries whatever the number of CSMs or
accounts (set-based aggregates, then arithmetic in ``capacity.arithmetic``).
Scope: a CSM sees their own book, a manager their team's, an admin everyone's
(``accounts.selectors.assignable_owners`` and ``account_scope`` apply the rule).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import AnyUser
from accounts.models import Account, AccountStatus, Industry, TimelineEntry
from accounts.reviews import OwnerQuality, dossier_quality_by_owner
from accounts.segments import Segment, segment_case
from accounts.selectors import account_scope, assignable_owners
from core.formatting import money
from core.people import display_name
from health.selectors import latest_colour_counts
from org.models import Role
from org.roles import role_of
from renewals.models import OPEN_STATUSES
from renewals.selectors import renewal_scope

from . import arithmetic
from .arithmetic import Finding, Limits, LoadVerdict
from .models import ActivityType, CapacityPreset, CapacitySettings, SegmentRatio, TimeEntry
from .services import capacity_defaults_ensure

DAYS_A_MONTH = Decimal("365") / 12
HEALTH_COLOURS = ("green", "yellow", "red")


def usd_to_local() -> Decimal:
    return Decimal(str(getattr(settings, "HOURGLASS_USD_TO_LOCAL", "7.0")))


def local(amount: Decimal | None, currency: str) -> Decimal | None:
    return arithmetic.to_local(amount, currency, settings.HOURGLASS_CURRENCY, usd_to_local())


# --- Configuration ---------------------------------------------------------------


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
        return self.preset is not None and self.preset.currency != settings.HOURGLASS_CURRENCY

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
    """Settings, the active preset and the ratios: three small queries."""
    row = CapacitySettings.objects.filter(pk=1).first() or capacity_defaults_ensure()
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


# --- Books of business -----------------------------------------------------------


@dataclass(frozen=True)
class Slice:
    key: str
    label: str
    accounts: int
    arr: Decimal


@dataclass
class CsmBook:
    user: Any
    role: str
    team: str
    accounts: int = 0
    arr: Decimal = Decimal("0")
    by_segment: dict[str, Slice] = field(default_factory=dict)
    by_industry: list[Slice] = field(default_factory=list)
    health: dict[str, int] = field(default_factory=dict)
    renewals_due: int = 0
    renewals_due_arr: Decimal = Decimal("0")
    quality: OwnerQuality | None = None
    time_share: Decimal | None = None
    verdict: LoadVerdict | None = None
    reasons: list[str] = field(default_factory=list)
    # (column, figure) pairs of ``capacity.team_columns``, set by the team page.
    extra: list[Any] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.verdict.status if self.verdict else arithmetic.HEALTHY

    @property
    def segments(self) -> list[Slice]:
        return list(self.by_segment.values())

    @property
    def time_percent(self) -> int | None:
        return None if self.time_share is None else int((self.time_share * 100).to_integral_value())

    @property
    def health_total(self) -> int:
        return sum(self.health.values())


@dataclass
class TeamBooks:
    rows: list[CsmBook]
    config: CapacityConfig
    hours: dict[str, SegmentHours]
    has_health: bool
    has_renewals: bool

    @property
    def accounts(self) -> int:
        return sum(row.accounts for row in self.rows)

    @property
    def arr(self) -> Decimal:
        return sum((row.arr for row in self.rows), Decimal("0"))


def visible_people(*, user: AnyUser) -> QuerySet[Any]:
    """The people whose books ``user`` sees: themselves (CSM), their team (manager), all (admin)."""
    return assignable_owners(user=user).select_related("cs_profile__team").order_by("first_name", "username", "pk")


def _active_accounts(user: AnyUser) -> QuerySet[Account]:
    return account_scope(user=user).exclude(status=AccountStatus.CHURNED).order_by()


def book_of_business(*, user: AnyUser, today: date | None = None) -> TeamBooks:
    """One row per visible CSM (managers too when they own accounts): book, load, status.

    A fixed number of queries (about 15) for 2 or 200 CSMs.
    """
    today = today or timezone.localdate()
    config = capacity_config()
    hours = hours_by_segment(config=config, today=today)
    people = list(visible_people(user=user))
    ids = [person.pk for person in people]
    scope = _active_accounts(user).filter(owner_id__in=ids)

    segment_labels = dict(Segment.choices)
    industry_labels = dict(Industry.choices)
    by_segment: dict[int, dict[str, Slice]] = defaultdict(dict)
    for row in scope.values("owner_id", segment_key=segment_case("arr")).annotate(
        n=Count("pk"), total=Coalesce(Sum("arr"), Decimal("0"))
    ):
        key = row["segment_key"]
        by_segment[row["owner_id"]][key] = Slice(key, str(segment_labels.get(key, key)), row["n"], row["total"])
    by_industry: dict[int, list[Slice]] = defaultdict(list)
    for row in scope.values("owner_id", "industry").annotate(n=Count("pk"), total=Coalesce(Sum("arr"), Decimal("0"))):
        key = row["industry"]
        by_industry[row["owner_id"]].append(Slice(key, str(industry_labels.get(key, key)), row["n"], row["total"]))

    health = latest_colour_counts(scope, group_by="owner_id", today=today)

    renewals = renewal_scope(user=user)
    has_renewals = renewals.exists()
    due: dict[int, tuple[int, Decimal]] = {}
    for row in (
        renewals.filter(
            account__owner_id__in=ids,
            status__in=OPEN_STATUSES,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=settings.HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS),
        )
        .order_by()
        .values("account__owner_id")
        .annotate(n=Count("pk"), total=Coalesce(Sum("forecast_arr"), Decimal("0")))
    ):
        due[row["account__owner_id"]] = (row["n"], row["total"])

    quality = dossier_quality_by_owner(user=user)
    per_month = {key: value.hours_per_account_month for key, value in hours.items()}
    limits = config.limits()

    rows: list[CsmBook] = []
    for person in people:
        profile = getattr(person, "cs_profile", None)
        role = str(profile.role) if profile else Role.CSM
        segments = by_segment.get(person.pk, {})
        book = CsmBook(
            user=person,
            role=role,
            team=profile.team.name if profile and profile.team else "",
            accounts=sum(s.accounts for s in segments.values()),
            arr=sum((s.arr for s in segments.values()), Decimal("0")),
            by_segment={
                key: segments.get(key, Slice(key, str(label), 0, Decimal("0"))) for key, label in Segment.choices
            },
            by_industry=sorted(by_industry.get(person.pk, []), key=lambda s: (-s.arr, s.key)),
            health=health.get(person.pk, {}),
            renewals_due=due.get(person.pk, (0, Decimal("0")))[0],
            renewals_due_arr=due.get(person.pk, (0, Decimal("0")))[1],
            quality=quality.get(person.pk),
        )
        if role != Role.CSM and book.accounts == 0:
            continue  # managers and admins appear only when they carry a book themselves
        counts = {key: s.accounts for key, s in book.by_segment.items()}
        book.time_share = arithmetic.time_load(counts, per_month, config.available_hours)
        book.verdict = arithmetic.load_verdict(
            accounts=book.accounts, arr=book.arr, accounts_by_segment=counts, limits=limits, time_share=book.time_share
        )
        book.reasons = [finding_text(finding) for finding in book.verdict.findings]
        rows.append(book)
    return TeamBooks(
        rows=rows,
        config=config,
        hours=hours,
        has_health=any(health.values()),
        has_renewals=has_renewals,
    )


def finding_text(finding: Finding) -> str:
    """One reason in words, in the reader's language."""
    v = finding.values
    if finding.code == "above_cap":
        return _("ARR %(arr)s is above the hard cap of %(cap)s.") % {"arr": money(v["arr"]), "cap": money(v["cap"])}
    if finding.code == "above_band":
        return _("ARR %(arr)s is above the preset's %(max)s per CSM.") % {
            "arr": money(v["arr"]),
            "max": money(v["band_max"]),
        }
    if finding.code == "above_ceiling":
        return _("The book needs %(percent)s%% of the available hours (measured time per account).") % {
            "percent": _percent(v["share"])
        }
    if finding.code == "above_ratio":
        return _("%(load)s times the accounts the segment ratios allow one CSM.") % {"load": _one_decimal(v["load"])}
    if finding.code == "below_floor_arr":
        return _("ARR %(arr)s is below the cost floor of %(floor)s.") % {
            "arr": money(v["arr"]),
            "floor": money(v["floor"]),
        }
    if finding.code == "below_floor_accounts":
        return _("%(accounts)s accounts, below the cost floor of %(floor)s.") % {
            "accounts": v["accounts"],
            "floor": v["floor"],
        }
    if finding.code == "below_band":
        return _("ARR %(arr)s is below the preset's %(min)s per CSM.") % {
            "arr": money(v["arr"]),
            "min": money(v["band_min"]),
        }
    parts = [_("Within the limits")]
    if v.get("band_min") is not None and v.get("band_max") is not None:
        parts.append(
            _("ARR %(arr)s in the band %(min)s–%(max)s")
            % {
                "arr": money(v["arr"]),
                "min": money(v["band_min"]),
                "max": money(v["band_max"]),
            }
        )
    if v.get("share") is not None:
        parts.append(_("%(percent)s%% of the available hours") % {"percent": _percent(v["share"])})
    return ": ".join([parts[0], ", ".join(parts[1:])]) + "." if len(parts) > 1 else parts[0] + "."


def _percent(share: Any) -> str:
    return str(int((Decimal(share) * 100).to_integral_value()))


def _one_decimal(value: Any) -> str:
    return str(Decimal(value).quantize(Decimal("0.1")))


SORT_KEYS = {
    "name": lambda row: display_name(row.user).lower(),
    "team": lambda row: row.team,
    "accounts": lambda row: row.accounts,
    "arr": lambda row: row.arr,
    "load": lambda row: row.time_share if row.time_share is not None else Decimal("-1"),
    "status": lambda row: {arithmetic.UNDER: 0, arithmetic.HEALTHY: 1, arithmetic.OVER: 2}[row.status],
    "renewals": lambda row: row.renewals_due,
    "completeness": lambda row: row.quality.average_completeness if row.quality else -1,
    "rating": lambda row: (row.quality.average_rating or 0) if row.quality else -1,
    "red": lambda row: row.health.get("red", 0),
}


def sort_books(rows: list[CsmBook], ordering: str) -> list[CsmBook]:
    """Sort by ``ordering`` (``arr``, ``-arr`` …); unknown keys keep the name order."""
    descending = ordering.startswith("-")
    key = SORT_KEYS.get(ordering.lstrip("-"))
    if key is None:
        return rows
    return sorted(rows, key=lambda row: (key(row), row.user.pk), reverse=descending)


# --- Planner -----------------------------------------------------------------------


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


# --- Hiring triggers (seed 001) ----------------------------------------------------


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
    config = books.config
    recommendations: list[Recommendation] = []
    scope = _active_accounts(user)
    threshold = config.large_account_arr
    if threshold is not None:
        uncovered = scope.filter(arr__gte=threshold).filter(
            Q(owner__isnull=True)
            | Q(owner__is_superuser=True)
            | Q(owner__cs_profile__role__in=[Role.MANAGER, Role.ADMIN])
        )
        large = list(uncovered.order_by("-arr", "pk").values_list("name", "arr")[:50])
        if arithmetic.large_accounts_trigger(
            (arr for _name, arr in large), at_least=config.settings.large_accounts_to_hire
        ):
            recommendations.append(
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
            )

    if config.segment_hire_min is not None:
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
        for segment, label in Segment.choices:
            if segment == Segment.TECH_TOUCH:
                continue  # automated by design: revenue there pays for tooling, not people
            count, total = segment_totals.get(segment, (0, Decimal("0")))
            if arithmetic.segment_revenue_trigger(total, config.segment_hire_min, dedicated[segment]):
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

    csms = sum(1 for row in books.rows if row.role == Role.CSM)
    if config.band_max:
        needed = arithmetic.csms_needed_by_arr(books.arr, config.band_max)
        if needed > csms:
            recommendations.append(
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
            )
    return recommendations


# --- Time entries ----------------------------------------------------------------


def _pk(user: AnyUser) -> int:
    return int(user.pk) if user.pk is not None else 0


def time_entry_scope(*, user: AnyUser) -> QuerySet[TimeEntry]:
    """Entries ``user`` may read: their own (CSM), their team's (manager), all (admin)."""
    entries = TimeEntry.objects.select_related("activity_type", "account", "user").order_by("-date", "-pk")
    role = role_of(user)
    if role is None:
        return entries.none()
    if role == Role.ADMIN:
        return entries
    if role == Role.MANAGER:
        return entries.filter(Q(user_id=_pk(user)) | Q(user__cs_profile__team__lead_id=_pk(user)))
    return entries.filter(user_id=_pk(user))


def get_own_time_entry(user: AnyUser, pk: int | str) -> TimeEntry:
    """One's own entry, or 404 (never reveal that another person's exists)."""
    try:
        return time_entry_scope(user=user).get(pk=pk, user_id=_pk(user))
    except (TimeEntry.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such time entry.") from exc


def active_activity_types() -> QuerySet[ActivityType]:
    return ActivityType.objects.filter(is_active=True)


@dataclass(frozen=True)
class TimesheetRow:
    label: str
    minutes: list[int]

    @property
    def total(self) -> int:
        return sum(self.minutes)


@dataclass(frozen=True)
class Timesheet:
    week_start: date
    days: list[date]
    rows: list[TimesheetRow]
    touchpoints: TimesheetRow
    entries: list[TimeEntry]

    @property
    def totals(self) -> list[int]:
        return [sum(row.minutes[i] for row in [*self.rows, self.touchpoints]) for i in range(len(self.days))]

    @property
    def total(self) -> int:
        return sum(self.totals)

    @property
    def previous(self) -> date:
        return self.week_start - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.week_start + timedelta(days=7)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def timesheet(*, user: AnyUser, week_of: date) -> Timesheet:
    """A person's week: manual entries by activity and their touchpoint minutes, per day."""
    start = week_start(week_of)
    days = [start + timedelta(days=i) for i in range(7)]
    entries = list(
        TimeEntry.objects.filter(user_id=_pk(user), date__gte=start, date__lte=days[-1])
        .select_related("activity_type", "account")
        .order_by("date", "pk")
    )
    by_type: dict[int, list[int]] = {}
    labels: dict[int, tuple[int, str]] = {}
    for entry in entries:
        minutes = by_type.setdefault(entry.activity_type_id, [0] * 7)
        minutes[(entry.date - start).days] += entry.minutes
        labels[entry.activity_type_id] = (entry.activity_type.sort_order, entry.activity_type.label)
    rows = [
        TimesheetRow(labels[type_id][1], minutes)
        for type_id, minutes in sorted(by_type.items(), key=lambda i: labels[i[0]])
    ]
    touch = [0] * 7
    for row in (
        TimelineEntry.objects.filter(
            actor_id=_pk(user),
            is_touchpoint=True,
            duration_minutes__isnull=False,
            occurred_at__date__gte=start,
            occurred_at__date__lte=days[-1],
        )
        .order_by()
        .values("occurred_at__date")
        .annotate(total_minutes=Sum("duration_minutes"))
    ):
        touch[(row["occurred_at__date"] - start).days] += int(row["total_minutes"] or 0)
    return Timesheet(
        week_start=start,
        days=days,
        rows=rows,
        touchpoints=TimesheetRow(_("Touchpoints (from the timeline)"), touch),
        entries=entries,
    )
