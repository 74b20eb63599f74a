"""Books of business: one row per visible CSM (book, health, renewals, load verdict),
the verdict's reasons in words, and the sort of the team table."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, AccountStatus, Industry
from accounts.reviews import OwnerQuality, dossier_quality_by_owner
from accounts.segments import Segment, segment_case
from accounts.selectors import account_scope, assignable_owners
from core.formatting import money
from core.people import display_name
from core.types import AnyUser
from health.selectors import latest_colour_counts
from org.models import Role
from renewals.models import OPEN_STATUSES
from renewals.selectors import renewal_scope

from .. import arithmetic
from ..arithmetic import Finding, LoadVerdict
from .config import CapacityConfig, SegmentHours, capacity_config, hours_by_segment

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class Slice:
    key: str
    label: str
    accounts: int
    arr: Decimal


@dataclass
class CsmBook:
    user: User
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


def active_accounts(user: AnyUser) -> QuerySet[Account]:
    """The accounts in ``user``'s scope that count in a book: all but churned ones."""
    return account_scope(user=user).exclude(status=AccountStatus.CHURNED).order_by()


def _slices(scope: QuerySet[Account]) -> tuple[dict[int, dict[str, Slice]], dict[int, list[Slice]]]:
    """Accounts and ARR per owner, by segment and by industry: two aggregate queries."""
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
    return by_segment, by_industry


def _renewals_due(user: AnyUser, owner_ids: list[int], today: date) -> tuple[bool, dict[int, tuple[int, Decimal]]]:
    """Whether ``user`` sees any renewal, and per owner the open renewals due within the window."""
    renewals = renewal_scope(user=user)
    due: dict[int, tuple[int, Decimal]] = {}
    for row in (
        renewals.filter(
            account__owner_id__in=owner_ids,
            status__in=OPEN_STATUSES,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=settings.HOURGLASS_STAGE_RENEWAL_WINDOW_DAYS),
        )
        .order_by()
        .values("account__owner_id")
        .annotate(n=Count("pk"), total=Coalesce(Sum("forecast_arr"), Decimal("0")))
    ):
        due[row["account__owner_id"]] = (row["n"], row["total"])
    return renewals.exists(), due


def _judge(book: CsmBook, config: CapacityConfig, per_month: dict[str, Decimal | None]) -> None:
    """The book's time load, verdict and its reasons in words."""
    counts = {key: s.accounts for key, s in book.by_segment.items()}
    book.time_share = arithmetic.time_load(counts, per_month, config.available_hours)
    book.verdict = arithmetic.load_verdict(
        accounts=book.accounts,
        arr=book.arr,
        accounts_by_segment=counts,
        limits=config.limits(),
        time_share=book.time_share,
    )
    book.reasons = [finding_text(finding) for finding in book.verdict.findings]


def book_of_business(*, user: AnyUser, today: date | None = None) -> TeamBooks:
    """One row per visible CSM (managers too when they own accounts): book, load, status.

    A fixed number of queries (about 15) for 2 or 200 CSMs.
    """
    today = today or timezone.localdate()
    config = capacity_config()
    hours = hours_by_segment(config=config, today=today)
    people = list(visible_people(user=user))
    ids = [person.pk for person in people]
    scope = active_accounts(user).filter(owner_id__in=ids)
    by_segment, by_industry = _slices(scope)
    health = latest_colour_counts(scope, group_by="owner_id", today=today)
    has_renewals, due = _renewals_due(user, ids, today)
    quality = dossier_quality_by_owner(user=user)
    per_month = {key: value.hours_per_account_month for key, value in hours.items()}

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
        _judge(book, config, per_month)
        rows.append(book)
    return TeamBooks(rows=rows, config=config, hours=hours, has_health=any(health.values()), has_renewals=has_renewals)


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
